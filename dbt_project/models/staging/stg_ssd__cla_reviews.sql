{#
    One row per looked-after review record (ssd_cla_reviews). Rows of each LA's build batch (ops.build_batches)
    only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised,
    child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'cla_reviews') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('cla_review', 'source.clar_cla_review_id') }} as cla_review_key,
        {{ clean_text('source.clar_cla_review_id') }} as cla_review_id,
        {{ pseudonymise('period_of_care', 'source.clar_cla_id') }} as period_of_care_key,
        {{ pseudonymise('person', 'source.clar_cla_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.clar_cla_review_due_date') }} as review_due_date,
        {{ parse_extract_date('source.clar_cla_review_date') }} as review_date,

        -- attributes
        {{ clean_code('source.clar_cla_review_participation') }} as participation_code,

        -- flags
        {{ parse_flag('source.clar_cla_review_cancelled') }} as is_cancelled

    from source
)

select * from renamed
