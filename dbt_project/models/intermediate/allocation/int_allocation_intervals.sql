{#
    Who validly held each case, and when. One row per allocated-case-worker involvement and HR role of its worker
    that holds cases, with the interval in which the allocation counts: the involvement is open (start on or
    before the day, end blank or after it) and the worker is in post (role start on or before the day, last day
    in post blank or on/after it). valid_until is the first day it no longer counts (blank: still counts).
    Involvements to workers not in the HR extract, never in a case-holding role, or outside their time in post
    produce no interval: on those days the child is not allocated.
#}
with

involvements as (
    select * from {{ ref('stg_ssd__involvements') }}
),

worker_roles as (
    select * from {{ ref('int_worker_roles_in_post') }}
),

allocations as (
    select *
    from involvements
    where is_allocated_case_worker
        and child_key is not null
        and involvement_start_date is not null
),

allocation_overlaps_with_roles as (
    select
        allocations.la_code,
        allocations.involvement_key,
        allocations.child_key,
        allocations.worker_key,
        allocations.team_id,
        allocations.involvement_start_date,
        allocations.involvement_end_date,
        greatest(allocations.involvement_start_date, worker_roles.role_start_date) as valid_from,
        case
            when allocations.involvement_end_date is null and worker_roles.role_end_date is null then null
            else least(
                coalesce(allocations.involvement_end_date, 'infinity'::date),
                coalesce(worker_roles.role_end_date + 1, 'infinity'::date)
            )
        end as valid_until
    from allocations
    inner join worker_roles
        on allocations.la_code = worker_roles.la_code
        and allocations.worker_key = worker_roles.worker_key
        and worker_roles.is_case_holding_role
),

final as (
    select *
    from allocation_overlaps_with_roles
    where valid_until is null or valid_until > valid_from
)

select * from final
