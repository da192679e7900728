{#
    One row per looked-after review record (ssd_cla_reviews). Rows of each LA's build batch (ops.build_batches)
    only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised,
    child, worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'cla_reviews') }}
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
        {{ pseudonymise('cla_review', 'source.clar_cla_review_id') }} as cla_review_key,
        {{ clean_text('source.clar_cla_review_id') }} as cla_review_id,
        {{ pseudonymise('period_of_care', 'source.clar_cla_id') }} as period_of_care_key,

        -- dates
        {{ parse_extract_date('source.clar_cla_review_due_date') }} as review_due_date,
        {{ parse_extract_date('source.clar_cla_review_date') }} as review_date,

        -- attributes
        {{ clean_code('source.clar_cla_review_participation') }} as participation_code,

        -- flags
        {{ parse_flag('source.clar_cla_review_cancelled') }} as is_cancelled

    from source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
