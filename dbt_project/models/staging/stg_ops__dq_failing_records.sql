{#
    The records that data-quality rules flagged as faults (not practice exceptions) in the latest data-quality run
    of each batch being built, one row per flagged record.
#}
with

dq_failing_records as (
    select * from {{ source('ops', 'dq_failing_records') }}
),

dq_runs as (
    select * from {{ source('ops', 'dq_runs') }}
),

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

latest_dq_runs as (
    select distinct on (dq_runs.batch_id)
        dq_runs.batch_id,
        dq_runs.dq_run_id
    from dq_runs
    inner join build_batches on dq_runs.batch_id = build_batches.batch_id
    order by dq_runs.batch_id, dq_runs.started_at desc, dq_runs.dq_run_id desc
),

renamed as (
    select distinct
        build_batches.la_code,
        build_batches.batch_id,
        latest_dq_runs.dq_run_id,
        dq_failing_records.table_name,
        dq_failing_records.record_key
    from dq_failing_records
    inner join latest_dq_runs on dq_failing_records.dq_run_id = latest_dq_runs.dq_run_id
    inner join build_batches on latest_dq_runs.batch_id = build_batches.batch_id
    where dq_failing_records.kind = 'fault'
)

select * from renamed
