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
        {{ indicator_member_columns(
            'WF_TURNOVER', as_at='as_at_date', subject_type='worker', subject_key='worker_key', team_id='team_id',
            numerator='full_time_equivalent', denominator='0::numeric'
        ) }}
    from leavers
    union all
    select
        {{ indicator_member_columns(
            'WF_TURNOVER', as_at='as_at_date', subject_type='worker', subject_key='worker_key', team_id='team_id',
            numerator='0::numeric', denominator='full_time_equivalent'
        ) }}
    from workers
    where not is_agency_worker
)

select * from final
