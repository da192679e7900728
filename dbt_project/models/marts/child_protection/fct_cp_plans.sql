{# One row per child protection plan record: dates, categories, duration and repeat-plan flags. #}
with

cp_plans as (
    select * from {{ ref('int_cp_plans_sequenced') }}
),

final as (
    select
        la_code,
        cp_plan_key,
        child_key,
        referral_key,
        initial_cp_conference_key,
        cp_plan_start_date,
        cp_plan_end_date,
        plan_duration_days,
        initial_category_of_abuse,
        latest_category_of_abuse,
        earlier_plan_count,
        is_other_la_plan,
        is_second_or_subsequent_plan,
        is_second_or_subsequent_within_2_years,
        lasted_2_years_or_more
    from cp_plans
)

select * from final
