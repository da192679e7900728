{#
    For each child protection plan (with a child and a start; a duplicated plan id is described by its first
    record), the stretches of time between its reviews, each with the date by which the next review was due: the
    first within 3 months of the plan start, each later one within 6 months of the previous review (whatever that
    one's own timeliness). Reviews are the plan's review records dated on or after its start, in date order (two
    records on one date are two reviews). A stretch also carries how many reviews so far were late. A plan's
    reviews are all on time at date D when D falls in a stretch with no late review so far and a due date on or
    after D.
#}
with

cp_plans as (
    select * from {{ ref('stg_ssd__cp_plans') }}
),

cp_reviews as (
    select * from {{ ref('stg_ssd__cp_reviews') }}
),

plans as (
    select distinct on (la_code, cp_plan_key)
        la_code,
        cp_plan_key,
        child_key,
        cp_plan_start_date
    from cp_plans
    where cp_plan_key is not null and child_key is not null and cp_plan_start_date is not null
    order by la_code, cp_plan_key, source_line_no
),

reviews_in_order as (
    select
        cp_reviews.la_code,
        cp_reviews.cp_plan_key,
        cp_reviews.review_date,
        row_number() over (
            partition by cp_reviews.la_code, cp_reviews.cp_plan_key
            order by cp_reviews.review_date, cp_reviews.source_line_no
        )::int as reviews_held
    from cp_reviews
    inner join plans
        on cp_reviews.la_code = plans.la_code
        and cp_reviews.cp_plan_key = plans.cp_plan_key
        and cp_reviews.review_date >= plans.cp_plan_start_date
),

stretches as (
    -- before the first review
    select
        plans.la_code,
        plans.cp_plan_key,
        plans.child_key,
        plans.cp_plan_start_date,
        0 as reviews_held,
        plans.cp_plan_start_date as stretch_start_date,
        null::date as reviewed_on,
        (plans.cp_plan_start_date + interval '3 months')::date as next_review_due_date
    from plans
    union all
    -- after each review
    select
        plans.la_code,
        plans.cp_plan_key,
        plans.child_key,
        plans.cp_plan_start_date,
        reviews_in_order.reviews_held,
        reviews_in_order.review_date,
        reviews_in_order.review_date,
        (reviews_in_order.review_date + interval '6 months')::date
    from plans
    inner join reviews_in_order
        on plans.la_code = reviews_in_order.la_code
        and plans.cp_plan_key = reviews_in_order.cp_plan_key
),

{{ review_timeline('stretches', 'cp_plan_key', 'cp_plan_start_date') }}

select * from final
