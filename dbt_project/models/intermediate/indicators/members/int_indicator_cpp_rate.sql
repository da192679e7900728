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
        la_code,
        'CPP_RATE' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        null::text as team_id,
        'CP' as case_type,
        1::numeric as numerator_amount,
        null::numeric as denominator_amount
    from cp_children
)

select * from final
