{#
    One row per child protection plan record open at each reporting date D (with a child and a start; started on or
    before D and not ended, or ended after D): whether it has been open 3 months or more (start + 3 months <= D),
    whether its reviews are all on time on D, and when its next review is due (int_cp_plan_review_timelines).
#}
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

cp_plans as (
    select * from {{ ref('stg_ssd__cp_plans') }}
),

review_timelines as (
    select * from {{ ref('int_cp_plan_review_timelines') }}
),

open_plans as (
    select
        reporting_dates.la_code,
        reporting_dates.as_at_date,
        cp_plans.cp_plan_key,
        cp_plans.child_key,
        cp_plans.source_line_no,
        cp_plans.cp_plan_start_date
    from reporting_dates
    inner join cp_plans
        on reporting_dates.la_code = cp_plans.la_code
        and cp_plans.cp_plan_start_date <= reporting_dates.as_at_date
        and (cp_plans.cp_plan_end_date is null or cp_plans.cp_plan_end_date > reporting_dates.as_at_date)
    where cp_plans.child_key is not null
),

review_status as (
    {{ review_stretch_on_date('open_plans', 'review_timelines', 'cp_plan_key') }}
),

final as (
    select
        open_plans.la_code,
        open_plans.as_at_date,
        open_plans.cp_plan_key,
        open_plans.child_key,
        open_plans.source_line_no,
        open_plans.cp_plan_start_date,
        review_status.next_review_due_date,
        coalesce(review_status.reviews_held, 0) as reviews_held,
        (open_plans.cp_plan_start_date + interval '3 months')::date <= open_plans.as_at_date
            as is_open_3_months_or_more,
        {{ review_timeliness_columns('review_status', 'open_plans.as_at_date') }}
    from open_plans
    left join review_status
        on open_plans.la_code = review_status.la_code
        and open_plans.as_at_date = review_status.as_at_date
        and open_plans.cp_plan_key = review_status.cp_plan_key
)

select * from final
