{#
    One row per CIN visit record (ssd_cin_visits). Rows of each LA's build batch (ops.build_batches) only, typed
    (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child, worker
    and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'cin_visits') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('cin_visit', 'source.cinv_cin_visit_id') }} as cin_visit_key,
        {{ clean_text('source.cinv_cin_visit_id') }} as cin_visit_id,
        {{ pseudonymise('person', 'source.cinv_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.cinv_cin_visit_date') }} as visit_date,

        -- flags
        {{ parse_flag('source.cinv_cin_visit_seen') }} as is_child_seen,
        {{ parse_flag('source.cinv_cin_visit_seen_alone') }} as is_child_seen_alone,
        {{ parse_flag('source.cinv_cin_visit_bedroom') }} as is_bedroom_seen

    from source
)

select * from renamed
