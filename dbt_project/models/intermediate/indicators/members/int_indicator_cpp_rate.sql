{#
    CPP_RATE members: children with an open child protection plan at the date. The denominator, population aged
    0-17 / 10,000, is added in indicator_values.
#}
with

cp_children as (
    select * from {{ ref('int_cp_children_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'CPP_RATE', as_at='as_at_date', subject_type='child', subject_key='child_key', case_type="'CP'",
            numerator='1::numeric'
        ) }}
    from cp_children
)

select * from final
