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
        },
        'hr': {
            'workers': ['worker_id'],
            'establishment': ['team_id', 'effective_from'],
        },
    }) }}
{%- endmacro %}
