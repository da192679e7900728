{#
    One row per child protection review record, with the date it was due by (3 months after the plan start for
    the first, 6 months after the previous review for later ones) and whether it was late.
#}
with

cp_reviews as (
    select * from {{ ref('stg_ssd__cp_reviews') }}
),

review_timelines as (
    select * from {{ ref('int_cp_plan_review_timelines') }}
),

final as (
    select
        cp_reviews.la_code,
        cp_reviews.cp_review_key,
        cp_reviews.child_key,
        cp_reviews.cp_plan_key,
        cp_reviews.review_due_date,
        cp_reviews.review_date,
        review_timelines.this_review_due_date as review_due_by_timescale,
        review_timelines.reviews_held as review_number,
        cp_reviews.is_plan_to_continue,
        cp_reviews.is_quorate,
        cp_reviews.is_child_participating,
        coalesce(cp_reviews.review_date > review_timelines.this_review_due_date, false) as is_late
    from cp_reviews
    left join review_timelines
        on cp_reviews.la_code = review_timelines.la_code
        and cp_reviews.cp_plan_key = review_timelines.cp_plan_key
        and cp_reviews.review_date = review_timelines.reviewed_on
)

select * from final
