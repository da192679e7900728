{#
    One row per initial child protection conference, as BI reads it: months instead of dates; days from the enquiry's start as a measure.
    Exact dates stay in marts.fct_initial_cp_conferences (analyst roles only).
#}
{{ config(alias='fct_initial_cp_conferences') }}

with

initial_cp_conferences as (
    select * from {{ ref('fct_initial_cp_conferences') }}
),

final as (
    {{ bi_safe_select('fct_initial_cp_conferences', 'initial_cp_conferences', durations={'days_from_s47_start': 'conference_date - s47_start_date', 'days_after_target': 'conference_date - conference_target_date'}) }}
)

select * from final
