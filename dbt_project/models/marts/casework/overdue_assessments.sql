{#
    Assessments open on the extract date whose start is more than 45 working days before it (the ASMT_OVERDUE
    backlog), oldest first in working days, with the child and the team that holds the assessment.
#}
with

assessments as (
    select * from {{ ref('int_assessments_timed') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

extract_dates as (
    select reporting_dates.*
    from reporting_dates
    inner join build_batches
        on reporting_dates.la_code = build_batches.la_code
        and reporting_dates.as_at_date = build_batches.extract_date
),

overdue as (
    select
        assessments.la_code,
        assessments.assessment_key,
        assessments.child_key,
        assessments.team_id,
        assessments.source_line_no,
        assessments.assessment_start_date,
        extract_dates.as_at_date,
        extract_dates.working_day_index - assessments.start_working_day_index as working_days_open
    from assessments
    inner join extract_dates
        on assessments.la_code = extract_dates.la_code
        and assessments.assessment_start_date <= extract_dates.as_at_date
        and (assessments.assessment_authorised_date is null
            or assessments.assessment_authorised_date > extract_dates.as_at_date)
    where extract_dates.working_day_index - assessments.start_working_day_index > 45
),

{{ casework_list('overdue', record_model='stg_ssd__cin_assessments', record_id='assessment_id', team_from='listed', columns=[
    'overdue.assessment_start_date', 'overdue.working_days_open',
    'overdue.working_days_open - 45 as working_days_overdue'
]) }}

select * from final
