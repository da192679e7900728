{#
    REF_RATE members: referrals received in the period, several referrals of one child on the same day counting
    once (the day's first record represents them). The denominator, population aged 0-17 / 10,000, is added in
    indicator_values.
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

referrals as (
    select * from {{ ref('int_referrals_sequenced') }}
),

final as (
    select
        {{ indicator_member_columns(
            'REF_RATE', periods='reporting_periods', subject_type='referral', subject_key='referrals.referral_key',
            team_id='referrals.team_id', numerator='1::numeric'
        ) }}
    from referrals
    {{ join_event_reporting_periods('referrals', 'referrals.referral_date') }}
    where referrals.is_counted_referral
)

select * from final
