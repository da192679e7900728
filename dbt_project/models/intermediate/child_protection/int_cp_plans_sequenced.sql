{#
    One row per child protection plan record, placed in the child's history of plans: whether any plan of the child
    started before it (a second or subsequent plan, ever) and whether such an earlier plan ended on or after the
    date two years before it started or has not ended (within 2 years), its duration, and whether it lasted two
    years or more (end on or after the same calendar date two years after the start; 29 February maps to
    28 February).
#}
with

cp_plans as (
    select * from {{ ref('stg_ssd__cp_plans') }}
),

earlier_plans as (
    select
        later.la_code,
        later.cp_plan_key,
        later.source_line_no,
        count(earlier.cp_plan_key) as earlier_plan_count,
        count(earlier.cp_plan_key) filter (
            where earlier.cp_plan_end_date is null
                or earlier.cp_plan_end_date >= (later.cp_plan_start_date - interval '2 years')::date
        ) as earlier_plans_ended_within_2_years
    from cp_plans as later
    left join cp_plans as earlier
        on later.la_code = earlier.la_code
        and later.child_key = earlier.child_key
        and earlier.cp_plan_start_date < later.cp_plan_start_date
    group by later.la_code, later.cp_plan_key, later.source_line_no
),

final as (
    select
        cp_plans.la_code,
        cp_plans.cp_plan_key,
        cp_plans.child_key,
        cp_plans.referral_key,
        cp_plans.initial_cp_conference_key,
        cp_plans.cp_plan_start_date,
        cp_plans.cp_plan_end_date,
        cp_plans.cp_plan_end_date - cp_plans.cp_plan_start_date as plan_duration_days,
        cp_plans.initial_category_of_abuse,
        cp_plans.latest_category_of_abuse,
        earlier_plans.earlier_plan_count,
        cp_plans.is_other_la_plan,
        earlier_plans.earlier_plan_count > 0 as is_second_or_subsequent_plan,
        earlier_plans.earlier_plans_ended_within_2_years > 0 as is_second_or_subsequent_within_2_years,
        coalesce(
            cp_plans.cp_plan_end_date >= (cp_plans.cp_plan_start_date + interval '2 years')::date, false
        ) as lasted_2_years_or_more
    from cp_plans
    inner join earlier_plans
        on cp_plans.la_code = earlier_plans.la_code
        and cp_plans.cp_plan_key is not distinct from earlier_plans.cp_plan_key
        and cp_plans.source_line_no = earlier_plans.source_line_no
)

select * from final
