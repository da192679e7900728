{#
    CPP_2YR_ENDED members: child protection plans ending in the period, in the numerator when the plan lasted two
    years or more (see int_cp_plans_sequenced).
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

cp_plans as (
    select * from {{ ref('int_cp_plans_sequenced') }}
),

final as (
    select
        reporting_periods.la_code,
        'CPP_2YR_ENDED' as indicator_id,
        reporting_periods.period_type,
        reporting_periods.period_start,
        reporting_periods.period_end,
        'cp_plan' as subject_type,
        cp_plans.cp_plan_key as subject_key,
        null::text as team_id,
        'CP' as case_type,
        case when cp_plans.lasted_2_years_or_more then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from cp_plans
    {{ event_periods('cp_plans.cp_plan_end_date') }}
    inner join reporting_periods
        on cp_plans.la_code = reporting_periods.la_code
        and event_period.period_type = reporting_periods.period_type
        and event_period.period_start = reporting_periods.period_start
    where reporting_periods.period_type != 'day'
)

select * from final
