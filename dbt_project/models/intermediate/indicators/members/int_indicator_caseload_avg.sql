{#
    CASELOAD_AVG members: in the numerator, each child allocated on the date (a valid allocation interval covers
    it, so the worker is in post and holds cases), once however many allocations; in the denominator, the FTE of
    each case-holding worker role in post on the date.
#}
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

allocation_intervals as (
    select * from {{ ref('int_allocation_intervals') }}
),

workers as (
    select * from {{ ref('int_workers_as_at') }}
),

allocated_children as (
    select distinct on (reporting_dates.la_code, reporting_dates.as_at_date, allocation_intervals.child_key)
        reporting_dates.la_code,
        reporting_dates.as_at_date,
        allocation_intervals.child_key,
        allocation_intervals.team_id
    from reporting_dates
    inner join allocation_intervals
        on reporting_dates.la_code = allocation_intervals.la_code
        and allocation_intervals.valid_from <= reporting_dates.as_at_date
        and (allocation_intervals.valid_until is null or allocation_intervals.valid_until > reporting_dates.as_at_date)
    order by reporting_dates.la_code, reporting_dates.as_at_date, allocation_intervals.child_key,
        allocation_intervals.involvement_start_date desc
),

final as (
    select
        {{ indicator_member_columns(
            'CASELOAD_AVG', as_at='as_at_date', subject_type='child', subject_key='child_key', team_id='team_id',
            numerator='1::numeric', denominator='0::numeric'
        ) }}
    from allocated_children
    union all
    select
        {{ indicator_member_columns(
            'CASELOAD_AVG', as_at='as_at_date', subject_type='worker', subject_key='worker_key', team_id='team_id',
            numerator='0::numeric', denominator='full_time_equivalent'
        ) }}
    from workers
    where is_case_holding_role
)

select * from final
