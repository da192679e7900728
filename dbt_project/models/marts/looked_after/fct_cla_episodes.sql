{# One row per looked-after episode record, with its period of care. #}
with

cla_episodes as (
    select * from {{ ref('stg_ssd__cla_episodes') }}
),

periods_of_care as (
    select * from {{ ref('int_periods_of_care') }}
),

final as (
    select
        cla_episodes.la_code,
        cla_episodes.cla_episode_key,
        cla_episodes.child_key,
        cla_episodes.period_of_care_key,
        cla_episodes.referral_key,
        cla_episodes.placement_key,
        cla_episodes.episode_start_date,
        cla_episodes.episode_ceased_date,
        cla_episodes.entered_care_date,
        cla_episodes.last_iro_contact_date,
        periods_of_care.period_of_care_start_date,
        periods_of_care.period_of_care_end_date,
        cla_episodes.reason_for_new_episode_code,
        cla_episodes.primary_need_code,
        cla_episodes.reason_episode_ceased_code
    from cla_episodes
    left join periods_of_care
        on cla_episodes.la_code = periods_of_care.la_code
        and cla_episodes.period_of_care_key = periods_of_care.period_of_care_key
)

select * from final
