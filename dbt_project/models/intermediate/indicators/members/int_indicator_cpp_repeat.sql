{#
    CPP_REPEAT_EVER and CPP_REPEAT_2Y members, one model for both: children starting a CP plan in the period, each
    once, taken at their first plan start in the period (a plan starting that day that is a repeat makes the child
    a repeat). The indicators differ only in what makes a repeat (int_cp_plans_sequenced):
    - CPP_REPEAT_EVER: the child had any earlier CP plan (one started before that date) in this LA;
    - CPP_REPEAT_2Y: the child had an earlier CP plan (started before that date) that ended on or after the date two
      years before it.
#}
{%- set repeat_indicators = [
    ('CPP_REPEAT_EVER', 'is_second_or_subsequent_plan'),
    ('CPP_REPEAT_2Y', 'is_second_or_subsequent_within_2_years'),
] %}

with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

cp_plans as (
    select * from {{ ref('int_cp_plans_sequenced') }}
),

starts_in_period as (
    select
        reporting_periods.la_code,
        reporting_periods.period_type,
        reporting_periods.period_start,
        reporting_periods.period_end,
        cp_plans.child_key,
        {%- for indicator_id, repeat_flag in repeat_indicators %}
        cp_plans.{{ repeat_flag }},
        {%- endfor %}
        rank() over (
            partition by reporting_periods.la_code, reporting_periods.period_type, reporting_periods.period_start,
                cp_plans.child_key
            order by cp_plans.cp_plan_start_date
        ) as start_rank
    from cp_plans
    {{ event_periods('cp_plans.cp_plan_start_date') }}
    inner join reporting_periods
        on cp_plans.la_code = reporting_periods.la_code
        and event_period.period_type = reporting_periods.period_type
        and event_period.period_start = reporting_periods.period_start
    where reporting_periods.period_type != 'day'
        and cp_plans.child_key is not null
),

first_starts_in_period as (
    select
        la_code,
        period_type,
        period_start,
        period_end,
        child_key,
        {%- for indicator_id, repeat_flag in repeat_indicators %}
        coalesce(bool_or({{ repeat_flag }}), false) as {{ repeat_flag }}{{ ',' if not loop.last }}
        {%- endfor %}
    from starts_in_period
    where start_rank = 1
    group by la_code, period_type, period_start, period_end, child_key
),

final as (
    {%- for indicator_id, repeat_flag in repeat_indicators %}
    select
        la_code,
        '{{ indicator_id }}' as indicator_id,
        period_type,
        period_start,
        period_end,
        'child' as subject_type,
        child_key as subject_key,
        null::text as team_id,
        'CP' as case_type,
        case when {{ repeat_flag }} then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from first_starts_in_period
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
