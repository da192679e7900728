{#
    CLA_REVIEW_TIMELY members: children looked after at the date (not only on short breaks), in the numerator when their reviews were on time: the first within 20 working days of the period of care starting, the second within 3 months of the first, then at most 6 months apart, and the next not yet overdue (see int_cla_review_timelines).
#}
with

looked_after_children as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'CLA_REVIEW_TIMELY', as_at='as_at_date', subject_type='child', subject_key='child_key',
            case_type="'CLA'", numerator_when='are_reviews_on_time'
        ) }}
    from looked_after_children
    where not is_short_breaks_only
)

select * from final
