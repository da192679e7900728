{#
    One row per child and family assessment record (ssd_cin_assessments), with the assessment outcome JSON
    unpacked into flags. Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or
    dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child, worker and record ids
    pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 'cin_assessments') }}
),

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

outcomes_parsed as materialized (
    select
        source.*,
        {{ parse_outcome_json('source.cina_assessment_outcome_json') }} as outcome
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
        {{ pseudonymise('assessment', 'source.cina_assessment_id') }} as assessment_key,
        {{ clean_text('source.cina_assessment_id') }} as assessment_id,
        {{ pseudonymise('person', 'source.cina_person_id') }} as child_key,
        {{ pseudonymise('referral', 'source.cina_referral_id') }} as referral_key,
        {{ clean_text('source.cina_assessment_team') }} as team_id,
        {{ pseudonymise('worker', 'source.cina_assessment_worker_id') }} as worker_key,

        -- dates
        {{ parse_extract_date('source.cina_assessment_start_date') }} as assessment_start_date,
        {{ parse_extract_date('source.cina_assessment_auth_date') }} as assessment_authorised_date,

        -- flags
        {{ parse_flag('source.cina_assessment_child_seen') }} as is_child_seen,
        {{ parse_flag('source.cina_assessment_outcome_nfa') }} as is_no_further_action,
        {%- for flag in ['NFA_FLAG', 'NFA_S47_END_FLAG', 'STRATEGY_DISCUSSION_FLAG', 'CLA_REQUEST_FLAG',
                         'PRIVATE_FOSTERING_FLAG', 'LEGAL_ACTION_FLAG', 'PROV_OF_SERVICES_FLAG',
                         'PROV_OF_SB_CARE_FLAG', 'SPECIALIST_ASSESSMENT_FLAG', 'REFERRAL_TO_OTHER_AGENCY_FLAG',
                         'OTHER_ACTIONS_FLAG', 'OTHER_OUTCOMES_EXIST_FLAG'] %}
        {{ json_outcome_flag('source.outcome', flag) }} as outcome_{{ flag | lower | replace('_flag', '') }}{{ ',' if not loop.last }}
        {%- endfor %}

    from outcomes_parsed as source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
