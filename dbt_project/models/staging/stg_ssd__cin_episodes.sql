{#
    One row per referral / CIN episode record (ssd_cin_episodes), with the referral outcome JSON unpacked into
    flags. Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or
    without a time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'cin_episodes') }}
),

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

outcomes_parsed as materialized (
    select
        source.*,
        {{ parse_outcome_json('source.cine_referral_outcome_json') }} as outcome
    from source
),

renamed as (
    select
        -- lineage
        build_batches.la_code,
        build_batches.batch_id,
        build_batches.extract_date,
        source._line_no as source_line_no,

        -- ids
        {{ pseudonymise('referral', 'source.cine_referral_id') }} as referral_key,
        {{ clean_text('source.cine_referral_id') }} as referral_id,
        {{ pseudonymise('person', 'source.cine_person_id') }} as child_key,
        {{ clean_text('source.cine_referral_team') }} as team_id,
        {{ pseudonymise('worker', 'source.cine_referral_worker_id') }} as worker_key,

        -- dates
        {{ parse_extract_date('source.cine_referral_date') }} as referral_date,
        {{ parse_extract_date('source.cine_close_date') }} as closure_date,

        -- attributes
        {{ clean_code('source.cine_cin_primary_need_code') }} as primary_need_code,
        {{ clean_code('source.cine_referral_source_code') }} as referral_source_code,
        {{ clean_text('source.cine_referral_source_desc') }} as referral_source_description,
        {{ clean_code('source.cine_close_reason') }} as closure_reason_code,

        -- flags
        {{ parse_flag('source.cine_referral_nfa') }} as is_no_further_action,
        {%- for flag in ['SINGLE_ASSESSMENT_FLAG', 'NFA_FLAG', 'STRATEGY_DISCUSSION_FLAG', 'CLA_REQUEST_FLAG',
                         'NON_AGENCY_ADOPTION_FLAG', 'PRIVATE_FOSTERING_FLAG', 'CP_TRANSFER_IN_FLAG',
                         'CP_CONFERENCE_FLAG', 'CARE_LEAVER_FLAG', 'OTHER_OUTCOMES_EXIST_FLAG'] %}
        {{ json_outcome_flag('source.outcome', flag) }} as outcome_{{ flag | lower | replace('_flag', '') }}{{ ',' if not loop.last }}
        {%- endfor %}

    from outcomes_parsed as source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
