{#
    For each period of care, the stretches of time between its looked-after reviews, each with the date by which
    the next review was due: the first within 20 working days of the child starting to be looked after (the last
    day before the 21st working day after the start), the second within 3 months of the first, then each within
    6 months of the previous (whatever that one's own timeliness). Reviews are the period's review records not
    cancelled and dated on or after its start, in date order (two records on one date are two reviews). A stretch
    carries how many reviews so far were late; a period's reviews are all on time at date D when D falls in a
    stretch with no late review so far and a due date on or after D.
#}
with

periods_of_care as (
    select * from {{ ref('int_periods_of_care') }}
),

cla_reviews as (
    select * from {{ ref('stg_ssd__cla_reviews') }}
),

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

first_review_due as (
    select
        periods_of_care.la_code,
        periods_of_care.period_of_care_key,
        min(later_day.date_day) - 1 as first_review_due_date
    from periods_of_care
    inner join calendar as start_day on periods_of_care.period_of_care_start_date = start_day.date_day
    inner join calendar as later_day
        on later_day.working_day_index = start_day.working_day_index + 21
        and later_day.is_working_day
    group by periods_of_care.la_code, periods_of_care.period_of_care_key
),

reviews_numbered as (
    select
        cla_reviews.la_code,
        cla_reviews.period_of_care_key,
        cla_reviews.review_date,
        row_number() over (
            partition by cla_reviews.la_code, cla_reviews.period_of_care_key
            order by cla_reviews.review_date, cla_reviews.source_line_no
        )::int as reviews_held
    from cla_reviews
    inner join periods_of_care
        on cla_reviews.la_code = periods_of_care.la_code
        and cla_reviews.period_of_care_key = periods_of_care.period_of_care_key
        and cla_reviews.review_date >= periods_of_care.period_of_care_start_date
    where not coalesce(cla_reviews.is_cancelled, false)
),

stretches as (
    select
        periods_of_care.la_code,
        periods_of_care.period_of_care_key,
        periods_of_care.child_key,
        periods_of_care.period_of_care_start_date,
        0 as reviews_held,
        periods_of_care.period_of_care_start_date as stretch_start_date,
        null::date as reviewed_on,
        first_review_due.first_review_due_date as next_review_due_date
    from periods_of_care
    left join first_review_due
        on periods_of_care.la_code = first_review_due.la_code
        and periods_of_care.period_of_care_key = first_review_due.period_of_care_key
    union all
    select
        periods_of_care.la_code,
        periods_of_care.period_of_care_key,
        periods_of_care.child_key,
        periods_of_care.period_of_care_start_date,
        reviews_numbered.reviews_held,
        reviews_numbered.review_date,
        reviews_numbered.review_date,
        case
            when reviews_numbered.reviews_held = 1 then (reviews_numbered.review_date + interval '3 months')::date
            else (reviews_numbered.review_date + interval '6 months')::date
        end
    from periods_of_care
    inner join reviews_numbered
        on periods_of_care.la_code = reviews_numbered.la_code
        and periods_of_care.period_of_care_key = reviews_numbered.period_of_care_key
),

{{ review_timeline('stretches', 'period_of_care_key', 'period_of_care_start_date') }}

select * from final
