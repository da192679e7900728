{#
    Looked-after episodes open on the extract date of children (not only on short breaks) not visited within the
    last 6 weeks (var cla_visit_days, 42 by default, counted from the later of the last visit and the start of care). One row per episode
    record, with the child and the team responsible.
#}
with

cla_episodes_on_date as (
    select * from {{ ref('int_cla_episodes_as_at') }}
),

looked_after_children as (
    select * from {{ ref('int_looked_after_children_as_at') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

overdue as (
    select
        cla_episodes_on_date.la_code,
        cla_episodes_on_date.as_at_date,
        cla_episodes_on_date.child_key,
        cla_episodes_on_date.source_line_no,
        looked_after_children.care_started_on,
        looked_after_children.last_visit_date,
        looked_after_children.days_since_visited_or_care_started
    from cla_episodes_on_date
    inner join build_batches
        on cla_episodes_on_date.la_code = build_batches.la_code
        and cla_episodes_on_date.as_at_date = build_batches.extract_date
    inner join looked_after_children
        on cla_episodes_on_date.la_code = looked_after_children.la_code
        and cla_episodes_on_date.as_at_date = looked_after_children.as_at_date
        and cla_episodes_on_date.child_key = looked_after_children.child_key
    where not looked_after_children.is_visited_within_6_weeks
        and not looked_after_children.is_short_breaks_only
),

{{ casework_list('overdue', record_model='stg_ssd__cla_episodes', record_id='cla_episode_id', columns=[
    'overdue.care_started_on', 'overdue.last_visit_date', 'overdue.days_since_visited_or_care_started'
]) }}

select * from final
