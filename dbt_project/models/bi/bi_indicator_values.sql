{#
    Indicator values per LA and period (aggregates), as in marts.indicator_values. Aggregates and reference data: nothing about one child or one worker.
#}
{{ config(alias='indicator_values') }}

with

indicator_values as (
    select * from {{ ref('indicator_values') }}
),

final as (
    select * from indicator_values
)

select * from final
