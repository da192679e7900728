{#
    Reporting periods, as in marts.dim_reporting_period. Aggregates and reference data: nothing about one child or one worker.
#}
{{ config(alias='dim_reporting_period') }}

with

dim_reporting_period as (
    select * from {{ ref('dim_reporting_period') }}
),

final as (
    select * from dim_reporting_period
)

select * from final
