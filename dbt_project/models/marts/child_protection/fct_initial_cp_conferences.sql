{# One row per initial child protection conference record, timed from its S47 enquiry's start (ICPC_15WD). #}
with

initial_conferences as (
    select * from {{ ref('int_initial_cp_conferences_timed') }}
),

final as (
    select
        la_code,
        initial_cp_conference_key,
        child_key,
        s47_enquiry_key,
        cp_plan_key,
        referral_key,
        team_id,
        worker_key,
        conference_date,
        conference_target_date,
        s47_start_date,
        working_days_from_s47_start,
        is_transfer_in,
        is_child_protection_plan_outcome,
        has_linked_s47,
        is_dated_before_s47,
        is_within_15_working_days
    from initial_conferences
)

select * from final
