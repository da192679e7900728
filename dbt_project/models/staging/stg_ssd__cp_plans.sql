{#
    One row per child protection plan record (ssd_cp_plans); categories of abuse written as words (Neglect,
    Physical abuse...) are read as NEG/PHY/SAB/EMO/MUL. Rows of each LA's build batch (ops.build_batches) only,
    typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child,
    worker and record ids pseudonymised.
#}
with

source as (
    {{ staging_source('ssd', 'cp_plans') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('cp_plan', 'source.cppl_cp_plan_id') }} as cp_plan_key,
        {{ clean_text('source.cppl_cp_plan_id') }} as cp_plan_id,
        {{ pseudonymise('referral', 'source.cppl_referral_id') }} as referral_key,
        {{ pseudonymise('initial_cp_conference', 'source.cppl_icpc_id') }} as initial_cp_conference_key,
        {{ pseudonymise('person', 'source.cppl_person_id') }} as child_key,

        -- dates
        {{ parse_extract_date('source.cppl_cp_plan_start_date') }} as cp_plan_start_date,
        {{ parse_extract_date('source.cppl_cp_plan_end_date') }} as cp_plan_end_date,

        -- attributes
        coalesce(
            {{ map_vocabulary('cp_initial_category', 'source.cppl_cp_plan_initial_category') }},
            {{ normalise_category_of_abuse('source.cppl_cp_plan_initial_category') }}
        ) as initial_category_of_abuse,
        coalesce(
            {{ map_vocabulary('cp_latest_category', 'source.cppl_cp_plan_latest_category') }},
            {{ normalise_category_of_abuse('source.cppl_cp_plan_latest_category') }}
        ) as latest_category_of_abuse,

        -- flags
        {{ parse_flag('source.cppl_cp_plan_ola') }} as is_other_la_plan

    from source
)

select * from renamed
