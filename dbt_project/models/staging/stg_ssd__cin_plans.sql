{#
    One row per CIN plan record (ssd_cin_plans). Rows of each LA's build batch (ops.build_batches) only, typed
    (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child, worker
    and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'cin_plans') }}
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
        {{ pseudonymise('cin_plan', 'source.cinp_cin_plan_id') }} as cin_plan_key,
        {{ clean_text('source.cinp_cin_plan_id') }} as cin_plan_id,
        {{ pseudonymise('referral', 'source.cinp_referral_id') }} as referral_key,
        {{ pseudonymise('person', 'source.cinp_person_id') }} as child_key,
        {{ clean_text('source.cinp_cin_plan_team') }} as team_id,
        {{ pseudonymise('worker', 'source.cinp_cin_plan_worker_id') }} as worker_key,

        -- dates
        {{ parse_extract_date('source.cinp_cin_plan_start_date') }} as cin_plan_start_date,
        {{ parse_extract_date('source.cinp_cin_plan_end_date') }} as cin_plan_end_date

    from source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
