{#
    One row per conviction of a looked-after child (ssd_cla_convictions): SSDA903 OC2. Rows of each LA's build
    batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags),
    trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table: empty when the
    extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'cla_convictions') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('conviction', 'source.clac_cla_conviction_id') }} as conviction_key,
        {{ clean_text('source.clac_cla_conviction_id') }} as conviction_id,
        {{ pseudonymise('person', 'source.clac_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.clac_cla_conviction_date') }} as cla_conviction_date,

        -- attributes
        {{ clean_text('source.clac_cla_conviction_offence') }} as cla_conviction_offence

    from source
)

select * from renamed
