{#
    DQ_PASS_RATE members, as at the extract date only: per file of the batch, its records (denominator) and those
    not flagged by a fault in the batch's latest data-quality run (numerator). The optional SSD tables only the
    statutory returns read (extract_returns_only_tables) are left out: an LA exporting them or not has the same rate.
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
    where extract_files.table_name not in (
        {%- for table_name in extract_returns_only_tables() %}'{{ table_name }}'{{ ',' if not loop.last }}{% endfor -%}
    )
)

select * from final
