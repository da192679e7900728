{#
    One row per other identifier of a person (ssd_linked_identifiers): the former UPN of the CIN census. Rows of
    each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time;
    Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table: empty
    when the extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'linked_identifiers') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('linked_identifier', 'source.link_table_id') }} as linked_identifier_key,
        {{ clean_text('source.link_table_id') }} as linked_identifier_id,
        {{ pseudonymise('person', 'source.link_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.link_valid_from_date') }} as valid_from_date,
        {{ parse_extract_date('source.link_valid_to_date') }} as valid_to_date,

        -- attributes
        {{ clean_text('source.link_identifier_type') }} as identifier_type,
        {{ clean_text('source.link_identifier_value') }} as identifier_value

    from source
)

select * from renamed
