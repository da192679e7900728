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
        caseload > {{ var('caseload_threshold') }} as is_over_threshold
    from workers
    where is_case_holding_role
    order by la_code, as_at_date, worker_key, source_line_no
),

final as (
    select
        {{ indicator_member_columns(
            'CASELOAD_OVER_THRESHOLD', as_at='as_at_date', subject_type='worker', subject_key='worker_key',
            team_id='team_id', numerator_when='is_over_threshold'
        ) }}
    from case_holders
)

select * from final
