{#
    One row per early help episode (ssd_early_help_episodes): the Annex A early help list. Rows of each LA's
    build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags),
    trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table: empty when the
    extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'early_help_episodes') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('early_help_episode', 'source.earl_episode_id') }} as early_help_episode_key,
        {{ clean_text('source.earl_episode_id') }} as early_help_episode_id,
        {{ pseudonymise('person', 'source.earl_person_id') }} as child_key,
        {{ pseudonymise('worker', matched_worker_id('ssd_early_help_episodes.earl_episode_worker_id', 'source.earl_episode_worker_id')) }} as worker_key,

        -- dates
        {{ parse_extract_date('source.earl_episode_start_date') }} as episode_start_date,
        {{ parse_extract_date('source.earl_episode_end_date') }} as episode_end_date,

        -- attributes
        {{ clean_text('source.earl_episode_reason') }} as episode_reason,
        {{ clean_text('source.earl_episode_end_reason') }} as episode_end_reason,
        {{ clean_text('source.earl_episode_organisation') }} as episode_organisation

    from source
)

select * from renamed
