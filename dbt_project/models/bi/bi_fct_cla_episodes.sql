{#
    One row per looked-after episode, as BI reads it: months instead of dates; episode and period-of-care lengths as measures.
    Exact dates stay in marts.fct_cla_episodes (analyst roles only).
#}
{{ config(alias='fct_cla_episodes') }}

with

cla_episodes as (
    select * from {{ ref('fct_cla_episodes') }}
),

final as (
    {{ bi_safe_select('fct_cla_episodes', 'cla_episodes', durations={'episode_days': 'episode_ceased_date - episode_start_date', 'period_of_care_days': 'period_of_care_end_date - period_of_care_start_date'}) }}
)

select * from final
