{#
    One row per pre-proceedings (PLO) record of a child (ssd_pre_proceedings): the CIN census from 2026-27. Rows
    of each LA's build batch (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a
    time; Y/N flags), trimmed, codes normalised, child, worker and record ids pseudonymised. An optional table:
    empty when the extract does not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'pre_proceedings') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('pre_proceedings', 'source.prep_table_id') }} as pre_proceedings_key,
        {{ clean_text('source.prep_table_id') }} as pre_proceedings_id,
        {{ pseudonymise('person', 'source.prep_person_id') }} as child_key,
        {{ clean_text('source.prep_plo_family_id') }} as plo_family_id,

        -- dates
        {{ parse_extract_date('source.prep_pre_pro_decision_date') }} as pre_pro_decision_date,
        {{ parse_extract_date('source.prep_initial_pre_pro_meeting_date') }} as initial_pre_pro_meeting_date,
        {{ parse_extract_date('source.prep_agree_stepdown_issue_date') }} as agree_stepdown_issue_date,
        {{ parse_extract_date('source.prep_pre_pro_letter_date') }} as pre_pro_letter_date,
        {{ parse_extract_date('source.prep_care_pro_letter_date') }} as care_pro_letter_date,

        -- attributes
        {{ clean_text('source.prep_pre_pro_outcome') }} as pre_pro_outcome,
        {{ parse_integer('source.prep_cp_plans_referral_period') }} as cp_plans_referral_period,
        {{ clean_text('source.prep_legal_gateway_outcome') }} as legal_gateway_outcome,
        {{ parse_integer('source.prep_prev_pre_proc_child') }} as prev_pre_proc_child,
        {{ parse_integer('source.prep_prev_care_proc_child') }} as prev_care_proc_child,
        {{ parse_integer('source.prep_pre_pro_meetings_num') }} as pre_pro_meetings_num,
        {{ clean_code('source.prep_parents_legal_rep_point_of_issue') }} as parents_legal_rep_point_of_issue,
        {{ clean_text('source.prep_court_reference') }} as court_reference,
        {{ parse_integer('source.prep_care_proc_court_hearings') }} as care_proc_court_hearings,
        {{ clean_text('source.prep_proc_short_notice_reason') }} as proc_short_notice_reason,
        {{ clean_text('source.prep_la_initial_care_plan') }} as la_initial_care_plan,
        {{ clean_text('source.prep_la_final_care_plan') }} as la_final_care_plan,

        -- flags
        {{ parse_flag('source.prep_pre_pro_parents_legal_rep') }} as pre_pro_parents_legal_rep,
        {{ parse_flag('source.prep_care_proc_short_notice') }} as care_proc_short_notice,
        {{ parse_flag('source.prep_la_inital_plan_approved') }} as la_inital_plan_approved,
        {{ parse_flag('source.prep_la_final_plan_approved') }} as la_final_plan_approved

    from source
)

select * from renamed
