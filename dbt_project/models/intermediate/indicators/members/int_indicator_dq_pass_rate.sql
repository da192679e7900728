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
        {{ indicator_member_columns(
            'DQ_PASS_RATE', as_at='extract_date', subject_type='extract_file', subject_key='table_name',
            numerator='(records - records_failing)::numeric', denominator='records::numeric'
        ) }}
    from extract_files
)

select * from final
