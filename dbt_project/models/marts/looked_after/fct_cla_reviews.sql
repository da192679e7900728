{#
    One row per looked-after review record, with the date it was due by (20 working days after care started for
    the first, 3 months after the first for the second, 6 months after the previous after that) and whether it was
    late. Cancelled reviews are kept and flagged; they do not count as reviews held.
#}
with

cla_reviews as (
    select * from {{ ref('stg_ssd__cla_reviews') }}
),

review_timelines as (
    select * from {{ ref('int_cla_review_timelines') }}
),

held_reviews as (
    select distinct on (la_code, period_of_care_key, reviewed_on)
        la_code,
        period_of_care_key,
        child_key,
        reviewed_on,
        reviews_held,
        this_review_due_date
    from review_timelines
    where reviewed_on is not null
    order by la_code, period_of_care_key, reviewed_on, reviews_held
),

final as (
    select
        cla_reviews.la_code,
        cla_reviews.cla_review_key,
        cla_reviews.period_of_care_key,
        held_reviews.child_key,
        cla_reviews.review_due_date,
        cla_reviews.review_date,
        held_reviews.this_review_due_date as review_due_by_timescale,
        held_reviews.reviews_held as review_number,
        cla_reviews.participation_code,
        coalesce(cla_reviews.is_cancelled, false) as is_cancelled,
        coalesce(
            not coalesce(cla_reviews.is_cancelled, false)
            and cla_reviews.review_date > held_reviews.this_review_due_date,
            false
        ) as is_late
    from cla_reviews
    left join held_reviews
        on cla_reviews.la_code = held_reviews.la_code
        and cla_reviews.period_of_care_key = held_reviews.period_of_care_key
        and cla_reviews.review_date = held_reviews.reviewed_on
)

select * from final
