{#
    UNALLOCATED members: children with an open case at the date (open referral/CIN episode, CP plan or looked-after episode) who are not allocated on it: no allocated-case-worker involvement open on the date to a worker in post and in a case-holding role (see int_allocation_intervals). Split by case type (CLA, else CP, else CIN) and team.
#}
with

open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),

final as (
    select
        la_code,
        'UNALLOCATED' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        team_id,
        case_type as case_type,
        1::numeric as numerator_amount,
        null::numeric as denominator_amount
    from open_cases
    where not is_allocated
)

select * from final
