{#
    One row per child with an open case at each reporting date D: an open referral/CIN episode (referral on or
    before D, closure blank or after D), an open CP plan or an open looked-after episode, with which kinds are open
    and when the earliest of the open records started.
#}
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

referrals as (
    select * from {{ ref('stg_ssd__cin_episodes') }}
),

cp_plans as (
    select * from {{ ref('stg_ssd__cp_plans') }}
),

cla_episodes as (
    select * from {{ ref('stg_ssd__cla_episodes') }}
),

open_case_records as (
    select
        reporting_dates.la_code,
        reporting_dates.as_at_date,
        referrals.child_key,
        'CIN' as case_type,
        referrals.referral_date as opened_on
    from reporting_dates
    inner join referrals
        on reporting_dates.la_code = referrals.la_code
        and referrals.referral_date <= reporting_dates.as_at_date
        and (referrals.closure_date is null or referrals.closure_date > reporting_dates.as_at_date)
    union all
    select
        reporting_dates.la_code,
        reporting_dates.as_at_date,
        cp_plans.child_key,
        'CP',
        cp_plans.cp_plan_start_date
    from reporting_dates
    inner join cp_plans
        on reporting_dates.la_code = cp_plans.la_code
        and cp_plans.cp_plan_start_date <= reporting_dates.as_at_date
        and (cp_plans.cp_plan_end_date is null or cp_plans.cp_plan_end_date > reporting_dates.as_at_date)
    union all
    select
        reporting_dates.la_code,
        reporting_dates.as_at_date,
        cla_episodes.child_key,
        'CLA',
        cla_episodes.episode_start_date
    from reporting_dates
    inner join cla_episodes
        on reporting_dates.la_code = cla_episodes.la_code
        and cla_episodes.episode_start_date <= reporting_dates.as_at_date
        and (cla_episodes.episode_ceased_date is null
            or cla_episodes.episode_ceased_date > reporting_dates.as_at_date)
),

final as (
    select
        la_code,
        as_at_date,
        child_key,
        min(opened_on) as case_opened_date,
        bool_or(case_type = 'CIN') as has_open_cin_episode,
        bool_or(case_type = 'CP') as has_open_cp_plan,
        bool_or(case_type = 'CLA') as is_looked_after
    from open_case_records
    where child_key is not null
    group by la_code, as_at_date, child_key
)

select * from final
