{#
    One row per child on a child protection plan at each reporting date D, with what the CP indicators need: the
    earliest start of the child's plans open on D; whether any of them has been open 3 months or more and whether
    all of those have their reviews on time (CPP_REVIEW_TIMELY); and the working days from the later of that
    earliest start and the last CP visit on which the child was seen (on or before D) to D (CPP_VISIT_10WD: a child
    whose plan started in the last 10 working days has been seen on time).
#}
with

cp_plans_on_date as (
    select * from {{ ref('int_cp_plans_as_at') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

cp_visits as (
    select * from {{ ref('stg_ssd__cp_visits') }}
),

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

children_on_plans as (
    select
        la_code,
        as_at_date,
        child_key,
        min(cp_plan_start_date) as earliest_open_plan_start_date,
        min(next_review_due_date) filter (where is_open_3_months_or_more) as next_review_due_date,
        count(*) as open_plans,
        bool_or(is_open_3_months_or_more) as has_plan_open_3_months_or_more,
        coalesce(bool_and(are_reviews_on_time) filter (where is_open_3_months_or_more), false)
            as are_reviews_on_time
    from cp_plans_on_date
    group by la_code, as_at_date, child_key
),

last_seen as (
    -- the last CP visit on which the child was seen, on or before each date the child is counted at
    {{ last_visit_on_dates('cp_visits', 'children_on_plans', visit_condition='is_child_seen') }}
),

seen_or_started as (
    select
        children_on_plans.*,
        last_seen.last_visit_date as last_seen_date,
        greatest(children_on_plans.earliest_open_plan_start_date, last_seen.last_visit_date) as seen_or_started_on
    from children_on_plans
    left join last_seen
        on children_on_plans.la_code = last_seen.la_code
        and children_on_plans.as_at_date = last_seen.as_at_date
        and children_on_plans.child_key = last_seen.child_key
),

final as (
    select
        seen_or_started.la_code,
        seen_or_started.as_at_date,
        seen_or_started.child_key,
        seen_or_started.earliest_open_plan_start_date,
        seen_or_started.last_seen_date,
        seen_or_started.next_review_due_date,
        seen_or_started.open_plans,
        {{ working_days_between('reference_day.working_day_index', 'as_at_day.working_day_index') }}
            as working_days_since_seen_or_started,
        seen_or_started.has_plan_open_3_months_or_more,
        seen_or_started.are_reviews_on_time,
        coalesce(
            {{ working_days_between('reference_day.working_day_index', 'as_at_day.working_day_index') }}
                <= {{ var('cp_visit_working_days') }},
            false
        ) as is_seen_within_visit_standard
    from seen_or_started
    left join calendar as reference_day on seen_or_started.seen_or_started_on = reference_day.date_day
    left join reporting_dates as as_at_day
        on seen_or_started.la_code = as_at_day.la_code
        and seen_or_started.as_at_date = as_at_day.as_at_date
)

select * from final
