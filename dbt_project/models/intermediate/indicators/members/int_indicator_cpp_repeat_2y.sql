{#
    CPP_REPEAT_2Y members: children starting a CP plan in the period, each once, taken at their first plan
    start in the period; in the numerator when the child had an earlier CP plan (started before that date) that ended on or after the date two years before it.
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

cp_plans as (
    select * from {{ ref('int_cp_plans_sequenced') }}
),

first_starts_in_period as (
    select distinct on (reporting_periods.la_code, reporting_periods.period_type, reporting_periods.period_start,
                        cp_plans.child_key)
        reporting_periods.la_code,
        reporting_periods.period_type,
        reporting_periods.period_start,
        reporting_periods.period_end,
        cp_plans.child_key,
        cp_plans.is_second_or_subsequent_within_2_years as is_repeat
    from cp_plans
    {{ event_periods('cp_plans.cp_plan_start_date') }}
    inner join reporting_periods
        on cp_plans.la_code = reporting_periods.la_code
        and event_period.period_type = reporting_periods.period_type
        and event_period.period_start = reporting_periods.period_start
    where reporting_periods.period_type != 'day'
        and cp_plans.child_key is not null
    order by reporting_periods.la_code, reporting_periods.period_type, reporting_periods.period_start,
        cp_plans.child_key, cp_plans.cp_plan_start_date, cp_plans.is_second_or_subsequent_within_2_years desc
),

final as (
    select
        la_code,
        'CPP_REPEAT_2Y' as indicator_id,
        period_type,
        period_start,
        period_end,
        'child' as subject_type,
        child_key as subject_key,
        null::text as team_id,
        'CP' as case_type,
        case when is_repeat then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from first_starts_in_period
)

select * from final
