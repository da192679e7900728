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
        {{ indicator_member_columns(
            'ASMT_OVERDUE', as_at='reporting_dates.as_at_date', la_code='reporting_dates.la_code',
            subject_type='assessment', subject_key='assessments.assessment_key', team_id='assessments.team_id',
            numerator='1::numeric'
        ) }}
    from reporting_dates
    inner join assessments
        on reporting_dates.la_code = assessments.la_code
        and assessments.assessment_start_date <= reporting_dates.as_at_date
        and (assessments.assessment_authorised_date is null
            or assessments.assessment_authorised_date > reporting_dates.as_at_date)
    where reporting_dates.working_day_index - assessments.start_working_day_index > 45
)

select * from final
