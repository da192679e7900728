{#
    One row per referral (CIN episode) record: dates, source, need, closure, and the flags the referral indicators
    count (same-day duplicate, re-referral within 12 months, no further action).
#}
with

referrals as (
    select * from {{ ref('int_referrals_sequenced') }}
),

final as (
    select
        la_code,
        referral_key,
        child_key,
        team_id,
        worker_key,
        referral_date,
        closure_date,
        previous_referral_date,
        primary_need_code,
        referral_source_code,
        closure_reason_code,
        referral_sequence_number,
        days_since_previous_referral,
        is_no_further_action,
        is_same_day_duplicate,
        is_rereferral_within_12_months
    from referrals
)

select * from final
