{#
    One row per care leaver record (ssd_care_leavers). Rows of each LA's build batch (ops.build_batches) only,
    typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child,
    worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'care_leavers') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('care_leaver', 'source.clea_table_id') }} as care_leaver_key,
        {{ clean_text('source.clea_table_id') }} as care_leaver_id,
        {{ pseudonymise('person', 'source.clea_person_id') }} as child_key,
        {{ clean_text('source.clea_care_leaver_allocated_team') }} as team_id,
        -- where the source-system profile says the column holds a worker's name or staff id, the professional it names
        {{ pseudonymise('worker', matched_worker_id(
            'ssd_care_leavers.clea_care_leaver_worker_id', 'source.clea_care_leaver_worker_id')) }} as worker_key,

        -- dates
        {{ parse_extract_date('source.clea_care_leaver_latest_contact') }} as latest_contact_date,
        {{ parse_extract_date('source.clea_pathway_plan_review_date') }} as pathway_plan_review_date,

        -- attributes
        {{ clean_text('source.clea_care_leaver_eligibility') }} as eligibility,
        {{ clean_code('source.clea_care_leaver_in_touch') }} as in_touch_code,
        {{ clean_text('source.clea_care_leaver_accommodation') }} as accommodation,
        {{ clean_text('source.clea_care_leaver_accom_suitable') }} as accommodation_suitability,
        coalesce(
            {{ map_vocabulary('care_leaver_activity', 'source.clea_care_leaver_activity') }},
            {{ clean_code('source.clea_care_leaver_activity') }}
        ) as activity_code,
        {{ clean_text('source.clea_care_leaver_personal_advisor') }} as personal_advisor

    from source
)

select * from renamed
