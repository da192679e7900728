{#
    One row per care leaver record (ssd_care_leavers). Rows of each LA's build batch (ops.build_batches) only,
    typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child,
    worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'care_leavers') }}
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
        {{ pseudonymise('care_leaver', 'source.clea_table_id') }} as care_leaver_key,
        {{ clean_text('source.clea_table_id') }} as care_leaver_id,
        {{ pseudonymise('person', 'source.clea_person_id') }} as child_key,
        {{ clean_text('source.clea_care_leaver_allocated_team') }} as team_id,
        {{ pseudonymise('worker', 'source.clea_care_leaver_worker_id') }} as worker_key,

        -- dates
        {{ parse_extract_date('source.clea_care_leaver_latest_contact') }} as latest_contact_date,
        {{ parse_extract_date('source.clea_pathway_plan_review_date') }} as pathway_plan_review_date,

        -- attributes
        {{ clean_text('source.clea_care_leaver_eligibility') }} as eligibility,
        {{ clean_code('source.clea_care_leaver_in_touch') }} as in_touch_code,
        {{ clean_text('source.clea_care_leaver_accommodation') }} as accommodation,
        {{ clean_text('source.clea_care_leaver_accom_suitable') }} as accommodation_suitability,
        {{ clean_code('source.clea_care_leaver_activity') }} as activity_code,
        {{ clean_text('source.clea_care_leaver_personal_advisor') }} as personal_advisor

    from source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
