{#
    One row per CIN plan record (ssd_cin_plans). Rows of each LA's build batch (ops.build_batches) only, typed
    (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child, worker
    and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'cin_plans') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('cin_plan', 'source.cinp_cin_plan_id') }} as cin_plan_key,
        {{ clean_text('source.cinp_cin_plan_id') }} as cin_plan_id,
        {{ pseudonymise('referral', 'source.cinp_referral_id') }} as referral_key,
        {{ pseudonymise('person', 'source.cinp_person_id') }} as child_key,
        {{ clean_text('source.cinp_cin_plan_team') }} as team_id,
        -- where the source-system profile says the column holds a worker's name or staff id, the professional it names
        {{ pseudonymise('worker', matched_worker_id(
            'ssd_cin_plans.cinp_cin_plan_worker_id', 'source.cinp_cin_plan_worker_id')) }} as worker_key,

        -- dates
        {{ parse_extract_date('source.cinp_cin_plan_start_date') }} as cin_plan_start_date,
        {{ parse_extract_date('source.cinp_cin_plan_end_date') }} as cin_plan_end_date

    from source
)

select * from renamed
