{#
    CLA_RATE members: children looked after at the date, leaving out those only on short breaks (every legal status open on the date V3 or V4). The denominator, population aged 0-17 / 10,000, is added in indicator_values.
#}
with

looked_after_children as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

final as (
    select
        la_code,
        'CLA_RATE' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        null::text as team_id,
        'CLA' as case_type,
        1::numeric as numerator_amount,
        null::numeric as denominator_amount
    from looked_after_children
    where not is_short_breaks_only
)

select * from final
