{#
    One row per missing or away-from-placement episode record (ssd_missing). Rows of each LA's build batch
    (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed,
    codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'missing') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('missing_episode', 'source.miss_table_id') }} as missing_episode_key,
        {{ clean_text('source.miss_table_id') }} as missing_episode_id,
        {{ pseudonymise('person', 'source.miss_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.miss_missing_episode_start_date') }} as missing_start_date,
        {{ parse_extract_date('source.miss_missing_episode_end_date') }} as missing_end_date,

        -- attributes
        {{ clean_code('source.miss_missing_episode_type') }} as missing_type_code,
        {{ clean_text('source.miss_missing_rhi_offered') }} as return_interview_offered,
        {{ clean_text('source.miss_missing_rhi_accepted') }} as return_interview_accepted

    from source
)

select * from renamed
