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
        reporting_periods.la_code,
        'REF_RATE' as indicator_id,
        reporting_periods.period_type,
        reporting_periods.period_start,
        reporting_periods.period_end,
        'referral' as subject_type,
        referrals.referral_key as subject_key,
        referrals.team_id,
        null::text as case_type,
        1::numeric as numerator_amount,
        null::numeric as denominator_amount
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
