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
        {{ indicator_member_columns(
            'CPP_2YR_ENDED', periods='reporting_periods', subject_type='cp_plan',
            subject_key='cp_plans.cp_plan_key', case_type="'CP'", numerator_when='cp_plans.lasted_2_years_or_more'
        ) }}
    from cp_plans
    {{ join_event_reporting_periods('cp_plans', 'cp_plans.cp_plan_end_date') }}
)

select * from final
