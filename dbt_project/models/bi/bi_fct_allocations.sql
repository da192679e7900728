{#
    One row per involvement, as BI reads it: months instead of dates (the worker's last day in post too); days allocated as a measure.
    Exact dates stay in marts.fct_allocations (analyst roles only).
#}
{{ config(alias='fct_allocations') }}

with

allocations as (
    select * from {{ ref('fct_allocations') }}
),

final as (
    {{ bi_safe_select('fct_allocations', 'allocations', durations={'involvement_days': 'involvement_end_date - involvement_start_date'}) }}
)

select * from final
