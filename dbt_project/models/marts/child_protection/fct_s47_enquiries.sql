{# One row per section 47 enquiry record, with its first initial conference and the working days to it. #}
with

s47_enquiries as (
    select * from {{ ref('int_s47_enquiries_linked') }}
),

final as (
    select
        la_code,
        s47_enquiry_key,
        child_key,
        referral_key,
        team_id,
        worker_key,
        s47_start_date,
        s47_end_date,
        first_conference_date,
        working_days_to_first_conference,
        conference_count,
        is_no_further_action,
        outcome_cp_conference as is_conference_recommended
    from s47_enquiries
)

select * from final
