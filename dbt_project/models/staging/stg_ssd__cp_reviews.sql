{#
    One row per child protection review record (ssd_cp_reviews). Rows of each LA's build batch
    (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed,
    codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'cp_reviews') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('cp_review', 'source.cppr_cp_review_id') }} as cp_review_key,
        {{ clean_text('source.cppr_cp_review_id') }} as cp_review_id,
        {{ pseudonymise('person', 'source.cppr_person_id') }} as child_key,
        {{ pseudonymise('cp_plan', 'source.cppr_cp_plan_id') }} as cp_plan_key,
        {{ clean_text('source.cppr_cp_review_meeting_id') }} as meeting_id,

        -- dates
        {{ parse_extract_date('source.cppr_cp_review_due') }} as review_due_date,
        {{ parse_extract_date('source.cppr_cp_review_date') }} as review_date,

        -- flags
        {{ parse_flag('source.cppr_cp_review_outcome_continue_cp') }} as is_plan_to_continue,
        {{ parse_flag('source.cppr_cp_review_quorate') }} as is_quorate,
        {{ parse_flag('source.cppr_cp_review_participation') }} as is_child_participating

    from source
)

select * from renamed
