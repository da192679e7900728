{#
    One row per section 47 enquiry record (ssd_s47_enquiry), with the S47 outcome JSON unpacked into flags. Rows
    of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a
    time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as materialized (
    {{ staging_source('ssd', 's47_enquiry', outcome_json='source.s47e_s47_outcome_json') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('s47_enquiry', 'source.s47e_s47_enquiry_id') }} as s47_enquiry_key,
        {{ clean_text('source.s47e_s47_enquiry_id') }} as s47_enquiry_id,
        {{ pseudonymise('referral', 'source.s47e_referral_id') }} as referral_key,
        {{ pseudonymise('person', 'source.s47e_person_id') }} as child_key,
        {{ clean_text('source.s47e_s47_completed_by_team') }} as team_id,
        -- where the source-system profile says the column holds a worker's name or staff id, the professional it names
        {{ pseudonymise('worker', matched_worker_id(
            'ssd_s47_enquiry.s47e_s47_completed_by_worker_id',
            'source.s47e_s47_completed_by_worker_id')) }} as worker_key,

        -- dates
        {{ parse_extract_date('source.s47e_s47_start_date') }} as s47_start_date,
        {{ parse_extract_date('source.s47e_s47_end_date') }} as s47_end_date,

        -- flags
        {{ parse_flag('source.s47e_s47_nfa') }} as is_no_further_action,
        {{ json_outcome_flags('source.outcome', [
            'NFA_FLAG', 'LEGAL_ACTION_FLAG', 'PROV_OF_SERVICES_FLAG', 'PROV_OF_SB_CARE_FLAG',
            'CP_CONFERENCE_FLAG', 'NFA_CONTINUE_SINGLE_FLAG', 'MONITOR_FLAG',
            'OTHER_OUTCOMES_EXIST_FLAG']) }}

    from source
)

select * from renamed
