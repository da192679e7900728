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
        reporting_periods.la_code,
        'REREF_12M' as indicator_id,
        reporting_periods.period_type,
        reporting_periods.period_start,
        reporting_periods.period_end,
        'referral' as subject_type,
        referrals.referral_key as subject_key,
        referrals.team_id,
        null::text as case_type,
        case when referrals.is_rereferral_within_12_months then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from referrals
    {{ event_periods('referrals.referral_date') }}
    inner join reporting_periods
        on referrals.la_code = reporting_periods.la_code
        and event_period.period_type = reporting_periods.period_type
        and event_period.period_start = reporting_periods.period_start
    where reporting_periods.period_type != 'day'
        and referrals.is_counted_referral
)

select * from final
