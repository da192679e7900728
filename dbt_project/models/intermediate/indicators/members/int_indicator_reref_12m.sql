{#
    REREF_12M members: referrals received in the period (same-day referrals of a child once), in the numerator
    when made within 12 months of the child's previous referral (see int_referrals_sequenced).
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
            'REREF_12M', periods='reporting_periods', subject_type='referral', subject_key='referrals.referral_key',
            team_id='referrals.team_id', numerator_when='referrals.is_rereferral_within_12_months'
        ) }}
    from referrals
    {{ join_event_reporting_periods('referrals', 'referrals.referral_date') }}
    where referrals.is_counted_referral
)

select * from final
