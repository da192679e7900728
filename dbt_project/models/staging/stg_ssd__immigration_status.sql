{#
    One row per immigration status period of a child (ssd_immigration_status): UASC in the SSDA903 and Annex A.
    Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a
    time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table:
    empty when the extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'immigration_status') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('immigration_status', 'source.immi_immigration_status_id') }} as immigration_status_key,
        {{ clean_text('source.immi_immigration_status_id') }} as immigration_status_id,
        {{ pseudonymise('person', 'source.immi_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.immi_immigration_status_start_date') }} as immigration_status_start_date,
        {{ parse_extract_date('source.immi_immigration_status_end_date') }} as immigration_status_end_date,

        -- attributes
        {{ clean_code('source.immi_immigration_status') }} as immigration_status

    from source
)

select * from renamed
