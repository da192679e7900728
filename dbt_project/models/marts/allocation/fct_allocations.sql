{#
    One row per involvement record (allocated case workers and other roles), with when it counted as a valid
    allocation: only allocated-case-worker involvements to a worker in post in a case-holding role count, and only
    while both hold. Flags say why an allocation does not count (worker not in the HR extract, never case-holding,
    or the involvement outlived the worker's last day in post). An involvement written twice under two ids (same
    worker, child, role and dates; the data-quality rule ALLOC_DUPLICATE_INVOLVEMENT lists the copies) is one
    involvement: the first record of the file is kept.
#}
with

involvements as (
    select * from {{ ref('stg_ssd__involvements') }}
),

allocation_intervals as (
    select * from {{ ref('int_allocation_intervals') }}
),

worker_roles as (
    select * from {{ ref('int_worker_roles_in_post') }}
),

distinct_involvements as (
    select distinct on (la_code, child_key, worker_key, worker_role, involvement_start_date, involvement_end_date)
        *
    from involvements
    order by la_code, child_key, worker_key, worker_role, involvement_start_date, involvement_end_date,
        batch_id, source_line_no
),

validity as (
    select
        la_code,
        involvement_key,
        min(valid_from) as counts_from,
        case when bool_or(valid_until is null) then null else max(valid_until) end as counts_until
    from allocation_intervals
    group by la_code, involvement_key
),

worker_hr_status as (
    select
        la_code,
        worker_key,
        bool_or(is_case_holding_role) as has_case_holding_role,
        max(role_end_date) as last_day_in_post,
        bool_or(role_end_date is null) as is_without_end_date
    from worker_roles
    group by la_code, worker_key
),

final as (
    select
        involvements.la_code,
        involvements.involvement_key,
        involvements.child_key,
        involvements.worker_key,
        involvements.referral_key,
        involvements.team_id,
        involvements.involvement_start_date,
        involvements.involvement_end_date,
        validity.counts_from,
        validity.counts_until,
        case when not worker_hr_status.is_without_end_date then worker_hr_status.last_day_in_post end
            as worker_last_day_in_post,
        involvements.worker_role,
        involvements.worker_change_reason_code,
        involvements.is_allocated_case_worker,
        worker_hr_status.worker_key is null as is_worker_missing_from_hr,
        coalesce(not worker_hr_status.has_case_holding_role, false) as is_worker_not_case_holding,
        coalesce(
            not worker_hr_status.is_without_end_date
            and (involvements.involvement_end_date is null
                or involvements.involvement_end_date > worker_hr_status.last_day_in_post + 1),
            false
        ) as outlives_worker_in_post
    from distinct_involvements as involvements
    left join validity
        on involvements.la_code = validity.la_code
        and involvements.involvement_key = validity.involvement_key
    left join worker_hr_status
        on involvements.la_code = worker_hr_status.la_code
        and involvements.worker_key = worker_hr_status.worker_key
)

select * from final
