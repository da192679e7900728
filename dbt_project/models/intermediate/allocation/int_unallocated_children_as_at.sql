{#
    One row per child with an open case at a reporting date D who is not allocated on D (no valid allocation
    interval covers D: see int_allocation_intervals), with the day the last valid allocation ended (if any) and the
    days unallocated: D minus the later of that day and the day the case opened.
#}
with

open_cases as (
    select * from {{ ref('int_children_with_open_cases_as_at') }}
),

allocation_intervals as (
    select * from {{ ref('int_allocation_intervals') }}
),

unallocated as (
    select open_cases.*
    from open_cases
    where not exists (
        select 1
        from allocation_intervals
        where allocation_intervals.la_code = open_cases.la_code
            and allocation_intervals.child_key = open_cases.child_key
            and allocation_intervals.valid_from <= open_cases.as_at_date
            and (allocation_intervals.valid_until is null or allocation_intervals.valid_until > open_cases.as_at_date)
    )
),

last_allocations_ended as (
    select
        unallocated.la_code,
        unallocated.as_at_date,
        unallocated.child_key,
        max(allocation_intervals.valid_until) as last_allocation_ended_on
    from unallocated
    inner join allocation_intervals
        on unallocated.la_code = allocation_intervals.la_code
        and unallocated.child_key = allocation_intervals.child_key
        and allocation_intervals.valid_until <= unallocated.as_at_date
    group by unallocated.la_code, unallocated.as_at_date, unallocated.child_key
),

final as (
    select
        unallocated.la_code,
        unallocated.as_at_date,
        unallocated.child_key,
        unallocated.case_opened_date,
        last_allocations_ended.last_allocation_ended_on,
        unallocated.as_at_date
            - greatest(last_allocations_ended.last_allocation_ended_on, unallocated.case_opened_date)
            as days_unallocated
    from unallocated
    left join last_allocations_ended
        on unallocated.la_code = last_allocations_ended.la_code
        and unallocated.as_at_date = last_allocations_ended.as_at_date
        and unallocated.child_key = last_allocations_ended.child_key
)

select * from final
