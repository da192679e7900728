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
        la_code,
        'CASELOAD_AVG' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'child' as subject_type,
        child_key as subject_key,
        team_id,
        null::text as case_type,
        1::numeric as numerator_amount,
        0::numeric as denominator_amount
    from allocated_children
    union all
    select
        la_code,
        'CASELOAD_AVG',
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
    where is_case_holding_role
)

select * from final
