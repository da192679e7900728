{#
    One row per section 47 enquiry record (ssd_s47_enquiry), with the S47 outcome JSON unpacked into flags. Rows
    of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a
    time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised.
#}
with

source as (
    select * from {{ source('ssd', 's47_enquiry') }}
),

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

outcomes_parsed as materialized (
    select
        source.*,
        {{ parse_outcome_json('source.s47e_s47_outcome_json') }} as outcome
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
        {{ pseudonymise('s47_enquiry', 'source.s47e_s47_enquiry_id') }} as s47_enquiry_key,
        {{ clean_text('source.s47e_s47_enquiry_id') }} as s47_enquiry_id,
        {{ pseudonymise('referral', 'source.s47e_referral_id') }} as referral_key,
        {{ pseudonymise('person', 'source.s47e_person_id') }} as child_key,
        {{ clean_text('source.s47e_s47_completed_by_team') }} as team_id,
        {{ pseudonymise('worker', 'source.s47e_s47_completed_by_worker_id') }} as worker_key,

        -- dates
        {{ parse_extract_date('source.s47e_s47_start_date') }} as s47_start_date,
        {{ parse_extract_date('source.s47e_s47_end_date') }} as s47_end_date,

        -- flags
        {{ parse_flag('source.s47e_s47_nfa') }} as is_no_further_action,
        {%- for flag in ['NFA_FLAG', 'LEGAL_ACTION_FLAG', 'PROV_OF_SERVICES_FLAG', 'PROV_OF_SB_CARE_FLAG',
                         'CP_CONFERENCE_FLAG', 'NFA_CONTINUE_SINGLE_FLAG', 'MONITOR_FLAG',
                         'OTHER_OUTCOMES_EXIST_FLAG'] %}
        {{ json_outcome_flag('source.outcome', flag) }} as outcome_{{ flag | lower | replace('_flag', '') }}{{ ',' if not loop.last }}
        {%- endfor %}

    from outcomes_parsed as source
    inner join build_batches on source._batch_id = build_batches.batch_id
)

select * from renamed
