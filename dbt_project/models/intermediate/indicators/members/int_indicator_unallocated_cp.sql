{#
    UNALLOCATED_CP members: the child protection part of UNALLOCATED: unallocated children with an open CP plan at the date.
#}
with

open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'UNALLOCATED_CP', as_at='as_at_date', subject_type='child', subject_key='child_key', team_id='team_id',
            case_type="'CP'", numerator='1::numeric'
        ) }}
    from open_cases
    where not is_allocated and has_open_cp_plan
)

select * from final
