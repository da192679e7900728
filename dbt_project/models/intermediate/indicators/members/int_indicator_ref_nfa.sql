{#
    REF_NFA members: referrals received in the period (same-day referrals of a child once), in the numerator when
    the referral (any of the child's referral records that day) has the NFA flag Y.
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
            'REF_NFA', periods='reporting_periods', subject_type='referral', subject_key='referrals.referral_key',
            team_id='referrals.team_id', numerator_when='referrals.is_no_further_action_on_day'
        ) }}
    from referrals
    {{ join_event_reporting_periods('referrals', 'referrals.referral_date') }}
    where referrals.is_counted_referral
)

select * from final
