{#
    CLA_3PLUS_PLACEMENTS members: children looked after at the date (not only on short breaks), in the numerator when they had 3 or more placements in the 12 months to the date (placements open at any time after the date 12 months before).
#}
with

looked_after_children as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'CLA_3PLUS_PLACEMENTS', as_at='as_at_date', subject_type='child', subject_key='child_key',
            case_type="'CLA'", numerator_when='placements_in_last_12_months >= 3'
        ) }}
    from looked_after_children
    where not is_short_breaks_only
)

select * from final
