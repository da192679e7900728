{# Generated from include/csc/contract/extract_contract.yml by `python -m csc.transform.sources`; do not
   edit. Per source and table of the extract, its primary-key columns (composite keys are joined with '|'
   in record keys, as in ops.dq_failing_records). #}
{% macro extract_contract_keys() -%}
    {{ return({
        'ssd': {
            'person': ['pers_person_id'],
            'contacts': ['cont_contact_id'],
            'cin_episodes': ['cine_referral_id'],
            'cin_assessments': ['cina_assessment_id'],
            'assessment_factors': ['cinf_table_id', 'cinf_assessment_id'],
            'cin_plans': ['cinp_cin_plan_id'],
            'cin_visits': ['cinv_cin_visit_id'],
            's47_enquiry': ['s47e_s47_enquiry_id'],
            'initial_cp_conference': ['icpc_icpc_id'],
            'cp_plans': ['cppl_cp_plan_id'],
            'cp_visits': ['cppv_cp_visit_id'],
            'cp_reviews': ['cppr_cp_review_id'],
            'cla_episodes': ['clae_cla_episode_id'],
            'cla_placement': ['clap_cla_placement_id'],
            'cla_reviews': ['clar_cla_review_id'],
            'cla_visits': ['clav_cla_visit_id'],
            'legal_status': ['lega_legal_status_id'],
            'missing': ['miss_table_id'],
            'care_leavers': ['clea_table_id'],
            'involvements': ['invo_involvements_id'],
            'professionals': ['prof_professional_id'],
            'department': ['dept_team_id'],
            'disability': ['disa_person_id', 'disa_table_id'],
            'address': ['addr_table_id'],
            'immigration_status': ['immi_immigration_status_id'],
            'mother': ['moth_table_id'],
            'cla_health': ['clah_health_check_id'],
            'cla_immunisations': ['clai_person_id'],
            'cla_substance_misuse': ['clas_substance_misuse_id'],
            'cla_convictions': ['clac_cla_conviction_id'],
            'sdq_scores': ['csdq_table_id'],
            'permanence': ['perm_table_id'],
            'cla_previous_permanence': ['lapp_table_id'],
            'cla_care_plan': ['lacp_table_id'],
            'early_help_episodes': ['earl_episode_id'],
            'family': ['fami_table_id'],
            'linked_identifiers': ['link_table_id'],
            'pre_proceedings': ['prep_table_id'],
        },
        'hr': {
            'workers': ['worker_id'],
            'establishment': ['team_id', 'effective_from'],
        },
    }) }}
{%- endmacro %}

{# The optional SSD tables only the statutory returns read (an LA may export them or not): the indicators
   of the whole extract (DQ_PASS_RATE) leave them out, so that exporting them does not move the figure. #}
{% macro extract_returns_only_tables() -%}
    {{ return(['ssd_address', 'ssd_immigration_status', 'ssd_mother', 'ssd_cla_health', 'ssd_cla_immunisations', 'ssd_cla_substance_misuse', 'ssd_cla_convictions', 'ssd_sdq_scores', 'ssd_permanence', 'ssd_cla_previous_permanence', 'ssd_cla_care_plan', 'ssd_early_help_episodes', 'ssd_family', 'ssd_linked_identifiers', 'ssd_pre_proceedings']) }}
{%- endmacro %}
