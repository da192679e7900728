{#
    One row per CIN visit record (ssd_cin_visits). Rows of each LA's build batch (ops.build_batches) only, typed
    (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child, worker
    and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'cin_visits') }}
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
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
