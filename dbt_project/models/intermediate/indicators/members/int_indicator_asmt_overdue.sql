{#
    ASMT_OVERDUE members: assessments open at the date (started on or before it, not authorised or authorised
    after it) whose start is more than 45 working days before it.
#}
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

assessments as (
    select * from {{ ref('int_assessments_timed') }}
),

final as (
    select
        reporting_dates.la_code,
        'ASMT_OVERDUE' as indicator_id,
        'as_at' as period_type,
        reporting_dates.as_at_date as period_start,
        reporting_dates.as_at_date as period_end,
        'assessment' as subject_type,
        assessments.assessment_key as subject_key,
        assessments.team_id,
        null::text as case_type,
        1::numeric as numerator_amount,
        null::numeric as denominator_amount
    from reporting_dates
    inner join assessments
        on reporting_dates.la_code = assessments.la_code
        and assessments.assessment_start_date <= reporting_dates.as_at_date
        and (assessments.assessment_authorised_date is null
            or assessments.assessment_authorised_date > reporting_dates.as_at_date)
    where reporting_dates.working_day_index - assessments.start_working_day_index > 45
)

select * from final
