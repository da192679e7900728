{#
    One row per referral (CIN episode) record, placed in the child's sequence of referral days. Several referrals of
    one child on the same day are one referral: the first record of the day (in file order) represents it, the
    others are flagged as same-day duplicates, and the day ends in no further action when any of its records has
    the NFA flag Y. A referral is a re-referral within 12 months when the child's previous referral day is on or
    before the same calendar date 12 months later (29 February maps to 28 February, which PostgreSQL's month
    arithmetic does). Records without a child or a referral date count as no referral.
#}
with

referrals as (
    select * from {{ ref('stg_ssd__cin_episodes') }}
),

referral_days as (
    select
        la_code,
        child_key,
        referral_date,
        coalesce(bool_or(is_no_further_action), false) as is_no_further_action_on_day
    from referrals
    where referral_date is not null and child_key is not null
    group by la_code, child_key, referral_date
),

referral_days_sequenced as (
    select
        la_code,
        child_key,
        referral_date,
        lag(referral_date) over (
            partition by la_code, child_key order by referral_date
        ) as previous_referral_date,
        row_number() over (partition by la_code, child_key order by referral_date) as referral_sequence_number,
        is_no_further_action_on_day
    from referral_days
),

referrals_ranked_in_day as (
    select
        referrals.*,
        row_number() over (
            partition by referrals.la_code, referrals.child_key, referrals.referral_date
            order by referrals.source_line_no
        ) as rank_in_day
    from referrals
),

final as (
    select
        referrals_ranked_in_day.la_code,
        referrals_ranked_in_day.referral_key,
        referrals_ranked_in_day.child_key,
        referrals_ranked_in_day.team_id,
        referrals_ranked_in_day.worker_key,
        referrals_ranked_in_day.referral_date,
        referrals_ranked_in_day.closure_date,
        referral_days_sequenced.previous_referral_date,
        referrals_ranked_in_day.primary_need_code,
        referrals_ranked_in_day.referral_source_code,
        referrals_ranked_in_day.closure_reason_code,
        referral_days_sequenced.referral_sequence_number,
        referrals_ranked_in_day.referral_date - referral_days_sequenced.previous_referral_date
            as days_since_previous_referral,
        referrals_ranked_in_day.is_no_further_action,
        coalesce(referral_days_sequenced.is_no_further_action_on_day, false) as is_no_further_action_on_day,
        referrals_ranked_in_day.child_key is not null
            and referrals_ranked_in_day.referral_date is not null
            and referrals_ranked_in_day.rank_in_day = 1 as is_counted_referral,
        referrals_ranked_in_day.rank_in_day > 1 as is_same_day_duplicate,
        coalesce(
            referral_days_sequenced.previous_referral_date is not null
            and referrals_ranked_in_day.referral_date
                <= (referral_days_sequenced.previous_referral_date + interval '12 months')::date,
            false
        ) as is_rereferral_within_12_months
    from referrals_ranked_in_day
    left join referral_days_sequenced
        on referrals_ranked_in_day.la_code = referral_days_sequenced.la_code
        and referrals_ranked_in_day.child_key = referral_days_sequenced.child_key
        and referrals_ranked_in_day.referral_date = referral_days_sequenced.referral_date
)

select * from final
