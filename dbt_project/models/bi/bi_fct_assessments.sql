{#
    One row per assessment, as BI reads it: months instead of dates; days to authorisation as a measure.
    Exact dates stay in marts.fct_assessments (analyst roles only).
#}
{{ config(alias='fct_assessments') }}

with

assessments as (
    select * from {{ ref('fct_assessments') }}
),

final as (
    {{ bi_safe_select('fct_assessments', 'assessments', durations={'days_to_authorisation': 'assessment_authorised_date - assessment_start_date'}) }}
)

select * from final
