{# One row per child and family assessment record, with its duration in working days (ASMT_45WD, ASMT_OVERDUE). #}
with

assessments as (
    select * from {{ ref('int_assessments_timed') }}
),

final as (
    select
        la_code,
        assessment_key,
        child_key,
        referral_key,
        team_id,
        worker_key,
        assessment_start_date,
        assessment_authorised_date,
        working_days_to_authorisation,
        is_child_seen,
        is_no_further_action,
        is_authorised_within_45_working_days
    from assessments
)

select * from final
