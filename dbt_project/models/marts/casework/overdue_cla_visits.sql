{#
    Looked-after episodes open on the extract date of children (not only on short breaks) not visited within the
    last 6 weeks (var cla_visit_days, 42 by default, counted from the later of the last visit and the start of care). One row per episode
    record, with the child and the team responsible.
#}
with

{{ casework_looked_after_episodes(child_columns=[
    'care_started_on', 'last_visit_date', 'days_since_visited_or_care_started', 'is_visited_within_6_weeks'
]) }}

overdue as (
    select *
    from looked_after_episodes
    where not is_visited_within_6_weeks
),

{{ casework_list('overdue', record_model='stg_ssd__cla_episodes', record_id='cla_episode_id', columns=[
    'overdue.care_started_on', 'overdue.last_visit_date', 'overdue.days_since_visited_or_care_started'
]) }}

select * from final
