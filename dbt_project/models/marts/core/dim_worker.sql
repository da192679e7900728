{#
    One row per worker (pseudonymised professional id) per LA, from the SSD professionals table and the HR
    extract: job title, team, organisational role, agency, FTE and time in post as at the extract date. No name,
    staff id or registration number.
#}
with

professionals as (
    select * from {{ ref('stg_ssd__professionals') }}
),

worker_roles as (
    select * from {{ ref('int_worker_roles_in_post') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

ssd_workers as (
    select distinct on (la_code, worker_key)
        la_code,
        worker_key,
        job_title,
        department,
        full_time_equivalent,
        is_agency_worker
    from professionals
    where worker_key is not null
    order by la_code, worker_key, source_line_no
),

latest_hr_roles as (
    select distinct on (la_code, worker_key)
        la_code,
        worker_key,
        team_id,
        role_start_date,
        role_end_date,
        qualification_date,
        full_time_equivalent,
        org_role_code,
        start_origin_code,
        reason_leave_code,
        is_agency_worker,
        is_case_holding_role
    from worker_roles
    order by la_code, worker_key, role_start_date desc nulls last, source_line_no desc
),

final as (
    select
        coalesce(ssd_workers.la_code, latest_hr_roles.la_code) as la_code,
        coalesce(ssd_workers.worker_key, latest_hr_roles.worker_key) as worker_key,
        latest_hr_roles.team_id,
        latest_hr_roles.role_start_date,
        latest_hr_roles.role_end_date,
        latest_hr_roles.qualification_date,
        ssd_workers.job_title,
        ssd_workers.department,
        coalesce(latest_hr_roles.full_time_equivalent, ssd_workers.full_time_equivalent) as full_time_equivalent,
        latest_hr_roles.org_role_code,
        latest_hr_roles.start_origin_code,
        latest_hr_roles.reason_leave_code,
        coalesce(latest_hr_roles.is_agency_worker, ssd_workers.is_agency_worker) as is_agency_worker,
        coalesce(latest_hr_roles.is_case_holding_role, false) as is_case_holding_role,
        latest_hr_roles.worker_key is not null as is_in_hr_extract,
        coalesce(
            latest_hr_roles.role_start_date <= build_batches.extract_date
            and (latest_hr_roles.role_end_date is null or latest_hr_roles.role_end_date >= build_batches.extract_date),
            false
        ) as is_in_post_at_extract_date
    from ssd_workers
    full outer join latest_hr_roles
        on ssd_workers.la_code = latest_hr_roles.la_code
        and ssd_workers.worker_key = latest_hr_roles.worker_key
    left join build_batches
        on coalesce(ssd_workers.la_code, latest_hr_roles.la_code) = build_batches.la_code
)

select * from final
