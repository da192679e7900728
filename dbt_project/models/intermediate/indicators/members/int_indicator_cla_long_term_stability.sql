{#
    CLA_LONG_TERM_STABILITY members: children looked after at the date (not only on short breaks), under 16 on it and looked after continuously (one period of care) for 2 years and 6 months or more, in the numerator when in the same placement for 2 years or more.
#}
with

looked_after_children as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'CLA_LONG_TERM_STABILITY', as_at='as_at_date', subject_type='child', subject_key='child_key',
            case_type="'CLA'", numerator_when='is_in_same_placement_2_years_or_more'
        ) }}
    from looked_after_children
    where not is_short_breaks_only
        and age_in_years < 16
        and is_looked_after_2_years_6_months_or_more
)

select * from final
