{#
    One row per looked-after child's immunisation status (ssd_cla_immunisations): SSDA903 OC2. Rows of each LA's
    build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags),
    trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table: empty when the
    extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'cla_immunisations') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('person', 'source.clai_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.clai_immunisations_status_date') }} as immunisations_status_date,

        -- flags
        {{ parse_flag('source.clai_immunisations_status') }} as immunisations_status

    from source
)

select * from renamed
