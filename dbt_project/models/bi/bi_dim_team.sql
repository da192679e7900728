{#
    Teams (organisational units, not people), as in marts.dim_team. Aggregates and reference data: nothing about one child or one worker.
#}
{{ config(alias='dim_team') }}

with

dim_team as (
    select * from {{ ref('dim_team') }}
),

final as (
    select * from dim_team
)

select * from final
