{#
    UNALLOCATED_CP members: the child protection part of UNALLOCATED: unallocated children with an open CP plan at the date.
#}
with

open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),

final as (
    select
        la_code,
        'UNALLOCATED_CP' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        team_id,
        'CP' as case_type,
        1::numeric as numerator_amount,
        null::numeric as denominator_amount
    from open_cases
    where not is_allocated and has_open_cp_plan
)

select * from final
