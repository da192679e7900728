{#
    WF_TURNOVER members: LA-employed (non-agency) worker roles whose last day in post falls in the 12 months to the
    date (after the date 12 months before, up to and including the date) add their FTE to the numerator;
    LA-employed roles in post on the date add theirs to the denominator.
#}
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

worker_roles as (
    select * from {{ ref('int_worker_roles_in_post') }}
),

workers as (
    select * from {{ ref('int_workers_as_at') }}
),

leavers as (
    select
        reporting_dates.la_code,
        reporting_dates.as_at_date,
        worker_roles.worker_key,
        worker_roles.team_id,
        worker_roles.full_time_equivalent
    from reporting_dates
    inner join worker_roles
        on reporting_dates.la_code = worker_roles.la_code
        and worker_roles.role_end_date > (reporting_dates.as_at_date - interval '12 months')::date
        and worker_roles.role_end_date <= reporting_dates.as_at_date
    where not worker_roles.is_agency_worker
),

final as (
    select
        la_code,
        'WF_TURNOVER' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'worker' as subject_type,
        worker_key as subject_key,
        team_id,
        null::text as case_type,
        full_time_equivalent as numerator_amount,
        0::numeric as denominator_amount
    from leavers
    union all
    select
        la_code,
        'WF_TURNOVER',
        'as_at',
        as_at_date,
        as_at_date,
        'worker',
        worker_key,
        team_id,
        null::text,
        0::numeric,
        full_time_equivalent
    from workers
    where not is_agency_worker
)

select * from final
