{#
    One row per HR worker role record, with the interval in which the worker is in post (role start date to the
    last day in post; blank end = still in post), whether the role holds cases (org_role 4 senior practitioner or
    5 case holder: var case_holding_org_roles) and its FTE (a blank or unreadable FTE counts as 0). Agency means
    agency_worker Y; anything else is LA-employed.
#}
with

hr_workers as (
    select * from {{ ref('stg_hr__workers') }}
),

final as (
    select
        la_code,
        worker_key,
        team_id,
        role_start_date,
        role_end_date,
        qualification_date,
        coalesce(full_time_equivalent, 0) as full_time_equivalent,
        org_role_code,
        start_origin_code,
        reason_leave_code,
        source_line_no,
        coalesce(is_agency_worker, false) as is_agency_worker,
        coalesce(org_role_code in (
            {%- for role in var('case_holding_org_roles') %}'{{ role }}'{{ ', ' if not loop.last }}{% endfor -%}
        ), false) as is_case_holding_role
    from hr_workers
)

select * from final
