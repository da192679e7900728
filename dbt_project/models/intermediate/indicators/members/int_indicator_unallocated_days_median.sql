{#
    UNALLOCATED_DAYS_MEDIAN members: unallocated children at the date, each with the days since the later of the end of their last valid allocation and the day their case opened; indicator_values takes the median.
#}
with

open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'UNALLOCATED_DAYS_MEDIAN', as_at='as_at_date', subject_type='child', subject_key='child_key',
            team_id='team_id', case_type='case_type', numerator='days_unallocated::numeric'
        ) }}
    from open_cases
    where not is_allocated
)

select * from final
