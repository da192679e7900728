{#
    One row per HR worker role record in post at each reporting date D (role started on or before D; last day in
    post blank or on/after D), with FTE, agency, case-holding role, whether newly qualified (qualified after the
    date 24 months before D and not after D) and the number of children validly allocated to the worker on D
    (caseload).
#}
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

worker_roles as (
    select * from {{ ref('int_worker_roles_in_post') }}
),

allocation_intervals as (
    select * from {{ ref('int_allocation_intervals') }}
),

roles_in_post as (
    select
        reporting_dates.la_code,
        reporting_dates.as_at_date,
        worker_roles.worker_key,
        worker_roles.team_id,
        worker_roles.source_line_no,
        worker_roles.full_time_equivalent,
        worker_roles.org_role_code,
        worker_roles.qualification_date,
        worker_roles.is_agency_worker,
        worker_roles.is_case_holding_role
    from reporting_dates
    inner join worker_roles
        on reporting_dates.la_code = worker_roles.la_code
        and worker_roles.role_start_date <= reporting_dates.as_at_date
        and (worker_roles.role_end_date is null or worker_roles.role_end_date >= reporting_dates.as_at_date)
),

children_allocated_to_workers as (
    select distinct
        reporting_dates.la_code,
        reporting_dates.as_at_date,
        allocation_intervals.worker_key,
        allocation_intervals.child_key
    from reporting_dates
    inner join allocation_intervals
        on reporting_dates.la_code = allocation_intervals.la_code
        and allocation_intervals.valid_from <= reporting_dates.as_at_date
        and (allocation_intervals.valid_until is null or allocation_intervals.valid_until > reporting_dates.as_at_date)
),

caseloads as (
    select
        la_code,
        as_at_date,
        worker_key,
        count(*) as caseload
    from children_allocated_to_workers
    group by la_code, as_at_date, worker_key
),

final as (
    select
        roles_in_post.la_code,
        roles_in_post.as_at_date,
        roles_in_post.worker_key,
        roles_in_post.team_id,
        roles_in_post.source_line_no,
        roles_in_post.qualification_date,
        roles_in_post.full_time_equivalent,
        roles_in_post.org_role_code,
        coalesce(caseloads.caseload, 0) as caseload,
        roles_in_post.is_agency_worker,
        roles_in_post.is_case_holding_role,
        coalesce(
            roles_in_post.qualification_date > (roles_in_post.as_at_date - interval '24 months')::date
            and roles_in_post.qualification_date <= roles_in_post.as_at_date,
            false
        ) as is_newly_qualified
    from roles_in_post
    left join caseloads
        on roles_in_post.la_code = caseloads.la_code
        and roles_in_post.as_at_date = caseloads.as_at_date
        and roles_in_post.worker_key = caseloads.worker_key
)

select * from final
