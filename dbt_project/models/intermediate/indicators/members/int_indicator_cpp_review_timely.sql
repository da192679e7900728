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
        {{ indicator_member_columns(
            'CPP_REVIEW_TIMELY', as_at='as_at_date', subject_type='child', subject_key='child_key',
            case_type="'CP'", numerator_when='are_reviews_on_time'
        ) }}
    from cp_children
    where has_plan_open_3_months_or_more
)

select * from final
