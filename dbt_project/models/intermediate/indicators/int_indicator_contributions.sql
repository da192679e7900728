{#
    Every subject (child, referral, assessment, plan, worker, team, extract file) that counts towards an indicator,
    with how much it adds to the numerator and the denominator: the union of the int_indicator_<id> models.
    Flow indicators have one row per subject and period (month, quarter, financial year); stock indicators one
    row per subject and date counted at (period_type 'as_at'), shared by every period ending on that date.
#}
{%- set members = [
    'int_indicator_ref_rate', 'int_indicator_reref_12m', 'int_indicator_ref_nfa',
    'int_indicator_asmt_45wd', 'int_indicator_asmt_overdue', 'int_indicator_s47_rate', 'int_indicator_icpc_15wd',
    'int_indicator_cpp_rate', 'int_indicator_cpp_repeat',
    'int_indicator_cpp_2yr_ended', 'int_indicator_cpp_review_timely', 'int_indicator_cpp_visit_10wd',
    'int_indicator_cla_rate', 'int_indicator_cla_3plus_placements', 'int_indicator_cla_long_term_stability',
    'int_indicator_cla_review_timely', 'int_indicator_cla_visit_timely', 'int_indicator_cin_rate',
    'int_indicator_unallocated', 'int_indicator_unallocated_cp', 'int_indicator_unallocated_days_median',
    'int_indicator_caseload_avg', 'int_indicator_caseload_over_threshold', 'int_indicator_wf_vacancy_rate',
    'int_indicator_wf_agency_rate', 'int_indicator_wf_turnover', 'int_indicator_wf_nqsw_share',
    'int_indicator_dq_pass_rate',
] %}

with

{% for member in members -%}
{{ member | replace('int_indicator_', '') }}_members as (
    select * from {{ ref(member) }}
),

{% endfor -%}

unioned as (
    {%- for member in members %}
    select
        la_code,
        indicator_id,
        period_type,
        period_start,
        period_end,
        subject_type,
        subject_key,
        team_id,
        case_type,
        numerator_amount,
        denominator_amount
    from {{ member | replace('int_indicator_', '') }}_members
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select * from unioned
)

select * from final
