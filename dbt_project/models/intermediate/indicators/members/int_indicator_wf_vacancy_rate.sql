{#
    WF_VACANCY_RATE members: each team with a funded establishment on the date contributes its vacant FTE (the
    latest funded FTE effective on or before the date, the first record in the file when two share that date,
    minus the LA-employed FTE in post in the team, not below 0) to numerator and denominator; each LA-employed
    (non-agency) worker role in post adds its FTE to the denominator.
#}
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

establishment as (
    select * from {{ ref('stg_hr__establishment') }}
),

workers as (
    select * from {{ ref('int_workers_as_at') }}
),

funded_posts as (
    select distinct on (reporting_dates.la_code, reporting_dates.as_at_date, establishment.team_id)
        reporting_dates.la_code,
        reporting_dates.as_at_date,
        establishment.team_id,
        establishment.funded_social_worker_fte
    from reporting_dates
    inner join establishment
        on reporting_dates.la_code = establishment.la_code
        and establishment.effective_from_date <= reporting_dates.as_at_date
    order by reporting_dates.la_code, reporting_dates.as_at_date, establishment.team_id,
        establishment.effective_from_date desc, establishment.source_line_no
),

la_employed_fte_by_team as (
    select
        la_code,
        as_at_date,
        team_id,
        sum(full_time_equivalent) as la_employed_fte
    from workers
    where not is_agency_worker
    group by la_code, as_at_date, team_id
),

vacancies as (
    select
        funded_posts.la_code,
        funded_posts.as_at_date,
        funded_posts.team_id,
        greatest(
            funded_posts.funded_social_worker_fte - coalesce(la_employed_fte_by_team.la_employed_fte, 0), 0
        ) as vacant_fte
    from funded_posts
    left join la_employed_fte_by_team
        on funded_posts.la_code = la_employed_fte_by_team.la_code
        and funded_posts.as_at_date = la_employed_fte_by_team.as_at_date
        and funded_posts.team_id is not distinct from la_employed_fte_by_team.team_id
),

final as (
    select
        {{ indicator_member_columns(
            'WF_VACANCY_RATE', as_at='as_at_date', subject_type='team', subject_key='team_id', team_id='team_id',
            numerator='vacant_fte', denominator='vacant_fte'
        ) }}
    from vacancies
    union all
    select
        {{ indicator_member_columns(
            'WF_VACANCY_RATE', as_at='as_at_date', subject_type='worker', subject_key='worker_key', team_id='team_id',
            numerator='0::numeric', denominator='full_time_equivalent'
        ) }}
    from workers
    where not is_agency_worker
)

select * from final
