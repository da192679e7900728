{#
    Children with an open case on the extract date who are not allocated, with why (no open allocation; a team
    holds the case with no worker, as SystemC's team-only involvements record it; the allocated worker has left, is
    not in a case-holding role, or is not in the HR extract), how many days they have been unallocated and the team
    responsible. Identifiable: team managers see their own teams' rows only.
#}
with

open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

involvements as (
    select * from {{ ref('stg_ssd__involvements') }}
),

worker_roles as (
    select * from {{ ref('int_worker_roles_in_post') }}
),

professionals as (
    select * from {{ ref('stg_ssd__professionals') }}
),

unallocated as (
    select open_cases.*
    from open_cases
    inner join build_batches
        on open_cases.la_code = build_batches.la_code
        and open_cases.as_at_date = build_batches.extract_date
    where not open_cases.is_allocated
),

open_allocations as (
    select distinct on (unallocated.la_code, unallocated.child_key)
        unallocated.la_code,
        unallocated.child_key,
        involvements.involvement_id,
        involvements.worker_key,
        involvements.involvement_start_date
    from unallocated
    inner join involvements
        on unallocated.la_code = involvements.la_code
        and unallocated.child_key = involvements.child_key
        and involvements.is_allocated_case_worker
        and involvements.involvement_start_date <= unallocated.as_at_date
        and (involvements.involvement_end_date is null or involvements.involvement_end_date > unallocated.as_at_date)
    order by unallocated.la_code, unallocated.child_key, involvements.involvement_start_date desc,
        involvements.source_line_no desc
),

worker_names as (
    select distinct on (la_code, worker_key)
        la_code,
        worker_key,
        worker_name
    from professionals
    where worker_key is not null
    order by la_code, worker_key, source_line_no
),

worker_hr_status as (
    select
        la_code,
        worker_key,
        bool_or(is_case_holding_role) as has_case_holding_role,
        case when bool_or(role_end_date is null) then null else max(role_end_date) end as last_day_in_post
    from worker_roles
    where worker_key is not null
    group by la_code, worker_key
),

allocated_workers as (
    select
        open_allocations.la_code,
        open_allocations.child_key,
        open_allocations.involvement_id,
        open_allocations.involvement_start_date,
        worker_names.worker_name,
        open_allocations.worker_key is null as is_team_only,
        worker_hr_status.worker_key is not null as is_worker_in_hr,
        coalesce(worker_hr_status.has_case_holding_role, false) as has_case_holding_role,
        worker_hr_status.last_day_in_post
    from open_allocations
    left join worker_names
        on open_allocations.la_code = worker_names.la_code
        and open_allocations.worker_key = worker_names.worker_key
    left join worker_hr_status
        on open_allocations.la_code = worker_hr_status.la_code
        and open_allocations.worker_key = worker_hr_status.worker_key
),

unallocated_with_workers as (
    select
        unallocated.la_code,
        unallocated.team_id,
        unallocated.child_key,
        unallocated.as_at_date,
        unallocated.case_opened_date,
        unallocated.last_allocation_ended_on,
        unallocated.days_unallocated,
        unallocated.case_type,
        allocated_workers.involvement_id as open_allocation_involvement_id,
        allocated_workers.worker_name as open_allocation_worker_name,
        allocated_workers.last_day_in_post as open_allocation_worker_last_day_in_post,
        case
            when allocated_workers.involvement_id is null then 'no open allocation'
            when allocated_workers.is_team_only then 'held by a team with no worker'
            when not allocated_workers.is_worker_in_hr then 'allocated worker not in the HR extract'
            when allocated_workers.last_day_in_post < unallocated.as_at_date then 'allocated worker has left'
            when not allocated_workers.has_case_holding_role then 'allocated worker not in a case-holding role'
            else 'allocated worker not in post'
        end as reason_unallocated,
        unallocated.has_open_cin_episode,
        unallocated.has_open_cp_plan,
        unallocated.is_looked_after
    from unallocated
    left join allocated_workers
        on unallocated.la_code = allocated_workers.la_code
        and unallocated.child_key = allocated_workers.child_key
),

{{ casework_list('unallocated_with_workers', team_from='listed', columns=[
    'unallocated_with_workers.case_opened_date', 'unallocated_with_workers.last_allocation_ended_on',
    'unallocated_with_workers.days_unallocated', 'unallocated_with_workers.case_type',
    'unallocated_with_workers.open_allocation_involvement_id',
    'unallocated_with_workers.open_allocation_worker_name',
    'unallocated_with_workers.open_allocation_worker_last_day_in_post',
    'unallocated_with_workers.reason_unallocated', 'unallocated_with_workers.has_open_cin_episode',
    'unallocated_with_workers.has_open_cp_plan', 'unallocated_with_workers.is_looked_after'
]) }}

select * from final
