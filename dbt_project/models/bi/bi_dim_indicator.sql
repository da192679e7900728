{#
    The indicator catalogue, as in marts.dim_indicator. Aggregates and reference data: nothing about one child or one worker.
#}
{{ config(alias='dim_indicator') }}

with

dim_indicator as (
    select * from {{ ref('dim_indicator') }}
),

final as (
    select * from dim_indicator
)

select * from final
