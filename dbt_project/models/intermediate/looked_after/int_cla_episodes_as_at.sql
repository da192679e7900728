{#
    One row per looked-after episode record open at each reporting date D (with a child; started on or before D and
    not ceased, or ceased after D), with its period of care (the episodes sharing its CLA id; an episode without a
    CLA id is a period of its own), when that period started, whether the period's reviews are all on time on D and
    when its next review is due (int_cla_review_timelines). Short breaks are not left out here.
#}
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

cla_episodes as (
    select * from {{ ref('stg_ssd__cla_episodes') }}
),

periods_of_care as (
    select * from {{ ref('int_periods_of_care') }}
),

review_timelines as (
    select * from {{ ref('int_cla_review_timelines') }}
),

open_episodes as (
    select
        reporting_dates.la_code,
        reporting_dates.as_at_date,
        cla_episodes.cla_episode_key,
        cla_episodes.child_key,
        cla_episodes.period_of_care_key,
        cla_episodes.source_line_no,
        cla_episodes.episode_start_date
    from reporting_dates
    inner join cla_episodes
        on reporting_dates.la_code = cla_episodes.la_code
        and cla_episodes.episode_start_date <= reporting_dates.as_at_date
        and (cla_episodes.episode_ceased_date is null
            or cla_episodes.episode_ceased_date > reporting_dates.as_at_date)
    where cla_episodes.child_key is not null
),

review_status as (
    {{ review_stretch_on_date('open_episodes', 'review_timelines', 'period_of_care_key') }}
),

final as (
    select
        open_episodes.la_code,
        open_episodes.as_at_date,
        open_episodes.cla_episode_key,
        open_episodes.child_key,
        open_episodes.period_of_care_key,
        open_episodes.source_line_no,
        open_episodes.episode_start_date,
        coalesce(periods_of_care.period_of_care_start_date, open_episodes.episode_start_date)
            as period_of_care_start_date,
        review_status.next_review_due_date,
        coalesce(review_status.reviews_held, 0) as reviews_held,
        {{ review_timeliness_columns('review_status', 'open_episodes.as_at_date') }}
    from open_episodes
    left join periods_of_care
        on open_episodes.la_code = periods_of_care.la_code
        and open_episodes.period_of_care_key = periods_of_care.period_of_care_key
    left join review_status
        on open_episodes.la_code = review_status.la_code
        and open_episodes.as_at_date = review_status.as_at_date
        and open_episodes.period_of_care_key = review_status.period_of_care_key
)

select * from final
