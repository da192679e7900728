{#
    DQ_PASS_RATE members, as at the extract date only: per file of the batch, its records (denominator) and those
    not flagged by a fault in the batch's latest data-quality run (numerator).
#}
with

extract_files as (
    select * from {{ ref('int_extract_files_checked') }}
),

final as (
    select
        la_code,
        'DQ_PASS_RATE' as indicator_id,
        'as_at' as period_type,
        extract_date as period_start,
        extract_date as period_end,
        'extract_file' as subject_type,
        table_name as subject_key,
        null::text as team_id,
        null::text as case_type,
        (records - records_failing)::numeric as numerator_amount,
        records::numeric as denominator_amount
    from extract_files
)

select * from final
