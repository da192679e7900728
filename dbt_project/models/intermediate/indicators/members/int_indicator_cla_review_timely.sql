{#
    CLA_REVIEW_TIMELY members: children looked after at the date (not only on short breaks), in the numerator when their reviews were on time: the first within 20 working days of the period of care starting, the second within 3 months of the first, then at most 6 months apart, and the next not yet overdue (see int_cla_review_timelines).
#}
with

looked_after_children as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

final as (
    select
        la_code,
        'CLA_REVIEW_TIMELY' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        null::text as team_id,
        'CLA' as case_type,
        case when are_reviews_on_time then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from looked_after_children
    where not is_short_breaks_only
)

select * from final
