{#
    One row per section 47 enquiry, as BI reads it: months instead of dates; days open as a measure.
    Exact dates stay in marts.fct_s47_enquiries (analyst roles only).
#}
{{ config(alias='fct_s47_enquiries') }}

with

s47_enquiries as (
    select * from {{ ref('fct_s47_enquiries') }}
),

final as (
    {{ bi_safe_select('fct_s47_enquiries', 's47_enquiries', durations={'days_open': 's47_end_date - s47_start_date'}) }}
)

select * from final
