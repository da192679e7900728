{#
    One row per health or dental check of a looked-after child (ssd_cla_health): SSDA903 OC2. Rows of each LA's
    build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags),
    trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table: empty when the
    extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'cla_health') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('health_check', 'source.clah_health_check_id') }} as health_check_key,
        {{ clean_text('source.clah_health_check_id') }} as health_check_id,
        {{ pseudonymise('person', 'source.clah_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.clah_health_check_date') }} as health_check_date,

        -- attributes
        {{ clean_text('source.clah_health_check_type') }} as health_check_type,
        {{ clean_text('source.clah_health_check_status') }} as health_check_status

    from source
)

select * from renamed
