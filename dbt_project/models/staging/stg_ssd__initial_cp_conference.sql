{#
    One row per initial child protection conference record (ssd_initial_cp_conference), with the conference
    outcome JSON unpacked into flags. Rows of each LA's build batch (ops.build_batches) only, typed (dates in
    ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed, codes normalised, child, worker and record
    ids pseudonymised.
#}
with

source as materialized (
    {{ staging_source('ssd', 'initial_cp_conference', outcome_json='source.icpc_icpc_outcome_json') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('initial_cp_conference', 'source.icpc_icpc_id') }} as initial_cp_conference_key,
        {{ clean_text('source.icpc_icpc_id') }} as initial_cp_conference_id,
        {{ clean_text('source.icpc_icpc_meeting_id') }} as meeting_id,
        {{ pseudonymise('s47_enquiry', 'source.icpc_s47_enquiry_id') }} as s47_enquiry_key,
        {{ pseudonymise('person', 'source.icpc_person_id') }} as child_key,
        {{ pseudonymise('cp_plan', 'source.icpc_cp_plan_id') }} as cp_plan_key,
        {{ pseudonymise('referral', 'source.icpc_referral_id') }} as referral_key,
        {{ clean_text('source.icpc_icpc_team') }} as team_id,
        -- where the source-system profile says the column holds a worker's name or staff id, the professional it names
        {{ pseudonymise('worker', matched_worker_id(
            'ssd_initial_cp_conference.icpc_icpc_worker_id', 'source.icpc_icpc_worker_id')) }} as worker_key,

        -- dates
        {{ parse_extract_date('source.icpc_icpc_target_date') }} as conference_target_date,
        {{ parse_extract_date('source.icpc_icpc_date') }} as conference_date,

        -- flags
        {{ parse_flag('source.icpc_icpc_transfer_in') }} as is_transfer_in,
        {{ parse_flag('source.icpc_icpc_outcome_cp_flag') }} as is_child_protection_plan_outcome,
        {{ json_outcome_flags('source.outcome', [
            'NFA_FLAG', 'REFERRAL_TO_OTHER_AGENCY_FLAG', 'SINGLE_ASSESSMENT_FLAG',
            'PROV_OF_SERVICES_FLAG', 'CP_FLAG', 'OTHER_OUTCOMES_EXIST_FLAG']) }}

    from source
)

select * from renamed
