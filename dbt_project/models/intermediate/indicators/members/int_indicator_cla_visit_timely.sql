{#
    CLA_VISIT_TIMELY members: children looked after at the date (not only on short breaks), in the numerator when visited within the 6 weeks (var cla_visit_days, 42 by default) up to the date.
#}
with

looked_after_children as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

final as (
    select
        la_code,
        'CLA_VISIT_TIMELY' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        null::text as team_id,
        'CLA' as case_type,
        case when is_visited_within_6_weeks then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from looked_after_children
    where not is_short_breaks_only
)

select * from final
