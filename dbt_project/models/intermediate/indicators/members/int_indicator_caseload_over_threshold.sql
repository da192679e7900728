{#
    CASELOAD_OVER_THRESHOLD members: case-holding workers in post on the date (each worker once, however many HR
    rows), in the numerator when more children than var caseload_threshold (default 20) are validly allocated to
    the worker.
#}
with

workers as (
    select * from {{ ref('int_workers_as_at') }}
),

case_holders as (
    select distinct on (la_code, as_at_date, worker_key)
        la_code,
        as_at_date,
        worker_key,
        team_id,
        caseload
    from workers
    where is_case_holding_role
    order by la_code, as_at_date, worker_key, source_line_no
),

final as (
    select
        la_code,
        'CASELOAD_OVER_THRESHOLD' as indicator_id,
        'as_at' as period_type,
        as_at_date as period_start,
        as_at_date as period_end,
        'worker' as subject_type,
        worker_key as subject_key,
        team_id,
        null::text as case_type,
        case when caseload > {{ var('caseload_threshold') }} then 1 else 0 end::numeric as numerator_amount,
        1::numeric as denominator_amount
    from case_holders
)

select * from final
