{#
    Who validly held each case, and when. One row per allocated-case-worker involvement and HR role of its worker
    that holds cases, with the interval in which the allocation counts: the involvement is open (start on or
    before the day, end blank or after it) and the worker is in post (role start on or before the day, last day
    in post blank or on/after it). valid_until is the first day it no longer counts (blank: still counts).
    Involvements to workers not in the HR extract, never in a case-holding role, or outside their time in post
    produce no interval: on those days the child is not allocated. An involvement with no professional (a case
    held by a team, no worker) is no allocation.
    Without an HR extract (no hr_workers rows in the LA's batch), in post and case-holding come from
    ssd_professionals and the involvements: a worker listed in ssd_professionals is in post throughout and holds
    cases when an allocated-case-worker involvement names them (docs/INDICATORS.md), so the allocation counts
    while it is open.
#}
with

involvements as (
    select * from {{ ref('stg_ssd__involvements') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

hr_worker_roles as (
    select * from {{ ref('int_worker_roles_in_post') }}
),

professionals as (
    select * from {{ ref('stg_ssd__professionals') }}
),

worker_roles as (
    select
        hr_worker_roles.la_code,
        hr_worker_roles.worker_key,
        hr_worker_roles.role_start_date,
        hr_worker_roles.role_end_date,
        hr_worker_roles.is_case_holding_role
    from hr_worker_roles
    union all
    -- no HR extract: every professional listed is in post throughout, holding the cases allocated to them
    select distinct
        professionals.la_code,
        professionals.worker_key,
        null::date as role_start_date,
        null::date as role_end_date,
        true as is_case_holding_role
    from professionals
    inner join build_batches
        on professionals.la_code = build_batches.la_code
        and not build_batches.has_hr_workers
    where professionals.worker_key is not null
),

allocations as (
    select *
    from involvements
    where is_allocated_case_worker
        and child_key is not null
        and worker_key is not null
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
        greatest(allocations.involvement_start_date, worker_roles.role_start_date) as valid_from,  -- NULLs ignored
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
