{#
    CLA_RATE members: children looked after at the date, leaving out those only on short breaks (every legal status open on the date V3 or V4). The denominator, population aged 0-17 / 10,000, is added in indicator_values.
#}
with

looked_after_children as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'CLA_RATE', as_at='as_at_date', subject_type='child', subject_key='child_key', case_type="'CLA'",
            numerator='1::numeric'
        ) }}
    from looked_after_children
    where not is_short_breaks_only
)

select * from final
