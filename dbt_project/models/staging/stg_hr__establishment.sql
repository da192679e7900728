{#
    One row per HR establishment record (hr_establishment): the social worker FTE funded for a team from a date.
    Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a
    time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('hr', 'establishment') }}
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
        {{ clean_text('source.team_id') }} as team_id,

        -- dates
        {{ parse_extract_date('source.effective_from') }} as effective_from_date,

        -- attributes
        {{ parse_decimal('source.funded_sw_fte') }} as funded_social_worker_fte

    from source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
