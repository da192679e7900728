{#
    UNALLOCATED members: children with an open case at the date (open referral/CIN episode, CP plan or looked-after episode) who are not allocated on it: no allocated-case-worker involvement open on the date to a worker in post and in a case-holding role (see int_allocation_intervals). Split by case type (CLA, else CP, else CIN) and team.
#}
with

open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'UNALLOCATED', as_at='as_at_date', subject_type='child', subject_key='child_key', team_id='team_id',
            case_type='case_type', numerator='1::numeric'
        ) }}
    from open_cases
    where not is_allocated
)

select * from final
