{#
    One row per looked-after visit record (ssd_cla_visits). Rows of each LA's build batch (ops.build_batches)
    only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised,
    child, worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'cla_visits') }}
),

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

renamed as (
    select
        -- lineage
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        source._line_no as source_line_no,

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
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
