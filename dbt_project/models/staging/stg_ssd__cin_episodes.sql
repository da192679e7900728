{#
    One row per referral / CIN episode record (ssd_cin_episodes), with the referral outcome JSON unpacked into
    flags. Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or
    without a time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as materialized (
    {{ staging_source('ssd', 'cin_episodes', outcome_json='source.cine_referral_outcome_json') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('referral', 'source.cine_referral_id') }} as referral_key,
        {{ clean_text('source.cine_referral_id') }} as referral_id,
        {{ pseudonymise('person', 'source.cine_person_id') }} as child_key,
        {{ clean_text('source.cine_referral_team') }} as team_id,
        -- where the source-system profile says the column holds a worker's name or staff id, the professional it names
        {{ pseudonymise('worker', matched_worker_id(
            'ssd_cin_episodes.cine_referral_worker_id', 'source.cine_referral_worker_id')) }} as worker_key,

        -- dates
        {{ parse_extract_date('source.cine_referral_date') }} as referral_date,
        {{ parse_extract_date('source.cine_close_date') }} as closure_date,

        -- attributes
        {{ clean_code('source.cine_cin_primary_need_code') }} as primary_need_code,
        coalesce(
            {{ map_vocabulary('referral_source', 'source.cine_referral_source_code') }},
            {{ clean_code('source.cine_referral_source_code') }}
        ) as referral_source_code,
        {{ clean_text('source.cine_referral_source_desc') }} as referral_source_description,
        {{ clean_code('source.cine_close_reason') }} as closure_reason_code,

        -- flags
        {{ parse_flag('source.cine_referral_nfa') }} as is_no_further_action,
        {{ json_outcome_flags('source.outcome', [
            'SINGLE_ASSESSMENT_FLAG', 'NFA_FLAG', 'STRATEGY_DISCUSSION_FLAG', 'CLA_REQUEST_FLAG',
            'NON_AGENCY_ADOPTION_FLAG', 'PRIVATE_FOSTERING_FLAG', 'CP_TRANSFER_IN_FLAG',
            'CP_CONFERENCE_FLAG', 'CARE_LEAVER_FLAG', 'OTHER_OUTCOMES_EXIST_FLAG']) }}

    from source
)

select * from renamed
