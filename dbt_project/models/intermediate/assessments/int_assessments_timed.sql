{#
    One row per assessment record with its working-day duration from start to authorisation (working days d with
    start < d <= authorisation: authorised the same day = 0, a Friday start authorised the next Monday = 1) and the
    working-day index of its start, from which the indicators measure open assessments at any date.
#}
with

assessments as (
    select * from {{ ref('stg_ssd__cin_assessments') }}
),

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

final as (
    select
        assessments.la_code,
        assessments.assessment_key,
        assessments.child_key,
        assessments.referral_key,
        assessments.team_id,
        assessments.worker_key,
        assessments.source_line_no,
        assessments.assessment_start_date,
        assessments.assessment_authorised_date,
        start_day.working_day_index as start_working_day_index,
        {{ working_days_between('start_day.working_day_index', 'authorised_day.working_day_index') }}
            as working_days_to_authorisation,
        assessments.is_child_seen,
        assessments.is_no_further_action,
        {{ working_days_between('start_day.working_day_index', 'authorised_day.working_day_index') }} <= 45
            as is_authorised_within_45_working_days
    from assessments
    left join calendar as start_day on assessments.assessment_start_date = start_day.date_day
    left join calendar as authorised_day on assessments.assessment_authorised_date = authorised_day.date_day
)

select * from final
