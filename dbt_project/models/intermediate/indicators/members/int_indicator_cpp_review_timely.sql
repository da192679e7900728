{#
    CPP_REVIEW_TIMELY members: children on a CP plan at the date with a plan open 3 months or more, in the
    numerator when the reviews of every such plan were all on time (first within 3 months of the start, then at
    most 6 months apart, and the next one not yet overdue: see int_cp_plan_review_timelines).
#}
with

cp_children as (
    select * from {{ ref('int_cp_children_as_at') }}
),

final as (
    select
        la_code,
        'CPP_REVIEW_TIMELY' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        null::text as team_id,
        'CP' as case_type,
        case when are_reviews_on_time then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from cp_children
    where has_plan_open_3_months_or_more
)

select * from final
