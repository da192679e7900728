{#
    One row per file (table) of each batch being built: how many records it has and how many of them a fault of the
    batch's latest data-quality run flagged (ops.dq_failing_records, kind 'fault'). Every record sharing a flagged
    duplicated key counts as failing.
#}
with

records as (
    select * from {{ ref('stg_extract__records') }}
),

failing_records as (
    select * from {{ ref('stg_ops__dq_failing_records') }}
),

final as (
    select
        records.la_code,
        records.batch_id,
        records.extract_date,
        records.table_name,
        count(*) as records,
        count(failing_records.record_key) as records_failing
    from records
    left join failing_records
        on records.batch_id = failing_records.batch_id
        and records.table_name = failing_records.table_name
        and records.record_key = failing_records.record_key
    group by records.la_code, records.batch_id, records.extract_date, records.table_name
)

select * from final
