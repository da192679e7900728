{#
    Looked-after episodes open on the extract date (children not only on short breaks) whose period of care's next
    review is overdue: the first within 20 working days of care starting, the second within 3 months of the first,
    then every 6 months. One row per episode record, with the child and the team responsible.
#}
with

cla_episodes_on_date as (
    select * from {{ ref('int_cla_episodes_as_at') }}
),

looked_after_children as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

cla_episode_records as (
    select * from {{ ref('stg_ssd__cla_episodes') }}
),

open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

teams as (
    select * from {{ ref('dim_team') }}
),

children as (
    {{ casework_child_identity_cte() }}
),

overdue as (
    select cla_episodes_on_date.*
    from cla_episodes_on_date
    inner join build_batches
        on cla_episodes_on_date.la_code = build_batches.la_code
        and cla_episodes_on_date.as_at_date = build_batches.extract_date
    inner join looked_after_children
        on cla_episodes_on_date.la_code = looked_after_children.la_code
        and cla_episodes_on_date.as_at_date = looked_after_children.as_at_date
        and cla_episodes_on_date.child_key = looked_after_children.child_key
    where cla_episodes_on_date.is_next_review_overdue
        and not looked_after_children.is_short_breaks_only
),

final as (
    select
        overdue.la_code,
        open_cases.team_id,
        teams.team_name,
        overdue.child_key,
        children.person_id,
        children.forename,
        children.surname,
        children.date_of_birth,
        cla_episode_records.cla_episode_id,
        overdue.as_at_date,
        overdue.period_of_care_start_date,
        overdue.reviews_held,
        overdue.next_review_due_date,
        overdue.as_at_date - overdue.next_review_due_date as days_overdue
    from overdue
    inner join cla_episode_records
        on overdue.la_code = cla_episode_records.la_code
        and overdue.source_line_no = cla_episode_records.source_line_no
    left join open_cases
        on overdue.la_code = open_cases.la_code
        and overdue.as_at_date = open_cases.as_at_date
        and overdue.child_key = open_cases.child_key
    left join children
        on overdue.la_code = children.la_code
        and overdue.child_key = children.child_key
    left join teams
        on overdue.la_code = teams.la_code
        and open_cases.team_id = teams.team_id
)

select * from final
