{#
    One row per legal status record (ssd_legal_status). Rows of each LA's build batch (ops.build_batches) only,
    typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child,
    worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'legal_status') }}
),

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

renamed as (
    select
        -- lineage
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        source._line_no as source_line_no,

        -- ids
        {{ pseudonymise('legal_status', 'source.lega_legal_status_id') }} as legal_status_key,
        {{ clean_text('source.lega_legal_status_id') }} as legal_status_id,
        {{ pseudonymise('person', 'source.lega_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.lega_legal_status_start_date') }} as legal_status_start_date,
        {{ parse_extract_date('source.lega_legal_status_end_date') }} as legal_status_end_date,

        -- attributes
        {{ clean_code('source.lega_legal_status') }} as legal_status_code

    from source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
