{#
    One row per legal status record (ssd_legal_status). Rows of each LA's build batch (ops.build_batches) only,
    typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child,
    worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'legal_status') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('legal_status', 'source.lega_legal_status_id') }} as legal_status_key,
        {{ clean_text('source.lega_legal_status_id') }} as legal_status_id,
        {{ pseudonymise('person', 'source.lega_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.lega_legal_status_start_date') }} as legal_status_start_date,
        {{ parse_extract_date('source.lega_legal_status_end_date') }} as legal_status_end_date,

        -- attributes
        coalesce(
            {{ map_vocabulary('legal_status', 'source.lega_legal_status') }},
            {{ clean_code('source.lega_legal_status') }}
        ) as legal_status_code

    from source
)

select * from renamed
