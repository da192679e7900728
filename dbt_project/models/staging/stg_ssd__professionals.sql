{#
    One row per professional record (ssd_professionals): the worker's pseudonymised key beside name, staff id
    and registration number, which only staging and casework may hold. Rows of each LA's build batch
    (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed,
    codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'professionals') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('worker', 'source.prof_professional_id') }} as worker_key,
        {{ clean_text('source.prof_professional_id') }} as worker_id,
        {{ clean_text('source.prof_staff_id') }} as staff_id,
        {{ clean_text('source.prof_social_worker_registration_no') }} as registration_number,

        -- attributes
        {{ clean_text('source.prof_professional_name') }} as worker_name,
        {{ clean_text('source.prof_professional_job_title') }} as job_title,
        {{ parse_integer('source.prof_professional_caseload') }} as caseload_at_census,
        {{ clean_text('source.prof_professional_department') }} as department,
        {{ parse_decimal('source.prof_full_time_equivalency') }} as full_time_equivalent,

        -- flags
        {{ parse_flag('source.prof_agency_worker_flag') }} as is_agency_worker

    from source
)

select * from renamed
