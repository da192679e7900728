{#
    One row per placement record (ssd_cla_placement). The postcode stays here (identifiable). Rows of each LA's
    build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags),
    trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'cla_placement') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('placement', 'source.clap_cla_placement_id') }} as placement_key,
        {{ clean_text('source.clap_cla_placement_id') }} as placement_id,
        {{ pseudonymise('period_of_care', 'source.clap_cla_id') }} as period_of_care_key,
        {{ pseudonymise('person', 'source.clap_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.clap_cla_placement_start_date') }} as placement_start_date,
        {{ parse_extract_date('source.clap_cla_placement_end_date') }} as placement_end_date,

        -- attributes
        {{ clean_code('source.clap_cla_placement_type') }} as placement_type_code,
        {{ clean_text('source.clap_cla_placement_urn') }} as placement_urn,
        {{ parse_decimal('source.clap_cla_placement_distance') }} as placement_distance_miles,
        {{ clean_code('source.clap_cla_placement_provider') }} as placement_provider_code,
        {{ clean_text('source.clap_cla_placement_postcode') }} as placement_postcode,
        {{ clean_code('source.clap_cla_placement_change_reason') }} as placement_change_reason_code

    from source
)

select * from renamed
