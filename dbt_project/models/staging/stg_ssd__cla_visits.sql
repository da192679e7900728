{#
    One row per looked-after visit record (ssd_cla_visits). Rows of each LA's build batch (ops.build_batches)
    only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised,
    child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'cla_visits') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('cla_visit', 'source.clav_cla_visit_id') }} as cla_visit_key,
        {{ clean_text('source.clav_cla_visit_id') }} as cla_visit_id,
        {{ pseudonymise('period_of_care', 'source.clav_cla_id') }} as period_of_care_key,
        {{ pseudonymise('person', 'source.clav_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.clav_cla_visit_date') }} as visit_date,

        -- flags
        {{ parse_flag('source.clav_cla_visit_seen') }} as is_child_seen,
        {{ parse_flag('source.clav_cla_visit_seen_alone') }} as is_child_seen_alone

    from source
)

select * from renamed
