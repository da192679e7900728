{#
    One row per address record of a person (ssd_address): the home postcode the SSDA903 header reports. Rows of
    each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time;
    Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table: empty
    when the extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'address') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('address', 'source.addr_table_id') }} as address_key,
        {{ clean_text('source.addr_table_id') }} as address_id,
        {{ pseudonymise('person', 'source.addr_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.addr_address_start_date') }} as address_start_date,
        {{ parse_extract_date('source.addr_address_end_date') }} as address_end_date,

        -- attributes
        {{ clean_code('source.addr_address_type') }} as address_type,
        {{ clean_code('source.addr_address_postcode') }} as address_postcode,
        {{ clean_text('source.addr_address_json') }} as address_json

    from source
)

select * from renamed
