{#
    One row per HR worker role record (hr_workers): FTE, agency, organisational role, team, time in post,
    qualification. Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy,
    with or without a time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('hr', 'workers') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('worker', 'source.worker_id') }} as worker_key,
        {{ clean_text('source.worker_id') }} as worker_id,
        {{ clean_text('source.swe_registration_no') }} as registration_number,
        {{ clean_text('source.team_id') }} as team_id,

        -- dates
        {{ parse_extract_date('source.role_start_date') }} as role_start_date,
        {{ parse_extract_date('source.role_end_date') }} as role_end_date,
        {{ parse_extract_date('source.qualification_date') }} as qualification_date,

        -- attributes
        {{ parse_decimal('source.fte') }} as full_time_equivalent,
        {{ clean_code('source.org_role') }} as org_role_code,
        {{ clean_code('source.start_origin') }} as start_origin_code,
        {{ clean_code('source.reason_leave') }} as reason_leave_code,

        -- flags
        {{ parse_flag('source.agency_worker') }} as is_agency_worker

    from source
)

select * from renamed
