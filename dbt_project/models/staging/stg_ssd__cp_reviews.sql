{#
    One row per child protection review record (ssd_cp_reviews). Rows of each LA's build batch
    (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed,
    codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'cp_reviews') }}
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
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
