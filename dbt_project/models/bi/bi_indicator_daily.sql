{#
    Indicator values per LA and day (aggregates), as in marts.indicator_daily. Aggregates and reference data: nothing about one child or one worker.
#}
{{ config(alias='indicator_daily') }}

with

indicator_daily as (
    select * from {{ ref('indicator_daily') }}
),

final as (
    select * from indicator_daily
)

select * from final
