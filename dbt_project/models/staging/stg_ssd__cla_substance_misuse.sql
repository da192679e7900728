{#
    One row per substance misuse record of a looked-after child (ssd_cla_substance_misuse): SSDA903 OC2. Rows of
    each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time;
    Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table: empty
    when the extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'cla_substance_misuse') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('substance_misuse', 'source.clas_substance_misuse_id') }} as substance_misuse_key,
        {{ clean_text('source.clas_substance_misuse_id') }} as substance_misuse_id,
        {{ pseudonymise('person', 'source.clas_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.clas_substance_misuse_date') }} as substance_misuse_date,

        -- attributes
        {{ clean_text('source.clas_substance_misused') }} as substance_misused,

        -- flags
        {{ parse_flag('source.clas_intervention_received') }} as intervention_received

    from source
)

select * from renamed
