{#
    CLA_VISIT_TIMELY members: children looked after at the date (not only on short breaks), in the numerator when visited within the 6 weeks (var cla_visit_days, 42 by default) up to the date.
#}
with

looked_after_children as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'CLA_VISIT_TIMELY', as_at='as_at_date', subject_type='child', subject_key='child_key',
            case_type="'CLA'", numerator_when='is_visited_within_6_weeks'
        ) }}
    from looked_after_children
    where not is_short_breaks_only
)

select * from final
