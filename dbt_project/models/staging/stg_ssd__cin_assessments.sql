{#
    One row per child and family assessment record (ssd_cin_assessments), with the assessment outcome JSON
    unpacked into flags. Rows of each LA's build batch (ops.build_batches) only, typed (dates in ISO or
    dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child, worker and record ids
    pseudonymised.
#}
with

source as materialized (
    {{ staging_source('ssd', 'cin_assessments', outcome_json='source.cina_assessment_outcome_json') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('assessment', 'source.cina_assessment_id') }} as assessment_key,
        {{ clean_text('source.cina_assessment_id') }} as assessment_id,
        {{ pseudonymise('person', 'source.cina_person_id') }} as child_key,
        {{ pseudonymise('referral', 'source.cina_referral_id') }} as referral_key,
        {{ clean_text('source.cina_assessment_team') }} as team_id,
        -- where the source-system profile says the column holds a worker's name or staff id, the professional it names
        {{ pseudonymise('worker', matched_worker_id(
            'ssd_cin_assessments.cina_assessment_worker_id', 'source.cina_assessment_worker_id')) }} as worker_key,

        -- dates
        {{ parse_extract_date('source.cina_assessment_start_date') }} as assessment_start_date,
        {{ parse_extract_date('source.cina_assessment_auth_date') }} as assessment_authorised_date,

        -- flags
        {{ parse_flag('source.cina_assessment_child_seen') }} as is_child_seen,
        {{ parse_flag('source.cina_assessment_outcome_nfa') }} as is_no_further_action,
        {{ json_outcome_flags('source.outcome', [
            'NFA_FLAG', 'NFA_S47_END_FLAG', 'STRATEGY_DISCUSSION_FLAG', 'CLA_REQUEST_FLAG',
            'PRIVATE_FOSTERING_FLAG', 'LEGAL_ACTION_FLAG', 'PROV_OF_SERVICES_FLAG',
            'PROV_OF_SB_CARE_FLAG', 'SPECIALIST_ASSESSMENT_FLAG', 'REFERRAL_TO_OTHER_AGENCY_FLAG',
            'OTHER_ACTIONS_FLAG', 'OTHER_OUTCOMES_EXIST_FLAG']) }}

    from source
)

select * from renamed
