{#
    One row per HR establishment record (hr_establishment): the social worker FTE funded for a team from a date.
    Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a
    time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('hr', 'establishment') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ clean_text('source.team_id') }} as team_id,

        -- dates
        {{ parse_extract_date('source.effective_from') }} as effective_from_date,

        -- attributes
        {{ parse_decimal('source.funded_sw_fte') }} as funded_social_worker_fte

    from source
)

select * from renamed
