{#
    Looked-after episodes open on the extract date (children not only on short breaks) whose period of care's next
    review is overdue: the first within 20 working days of care starting, the second within 3 months of the first,
    then every 6 months. One row per episode record, with the child and the team responsible.
#}
with

{{ casework_looked_after_episodes() }}

overdue as (
    select *
    from looked_after_episodes
    where is_next_review_overdue
),

{{ casework_list('overdue', record_model='stg_ssd__cla_episodes', record_id='cla_episode_id', columns=[
    'overdue.period_of_care_start_date', 'overdue.reviews_held', 'overdue.next_review_due_date',
    'overdue.as_at_date - overdue.next_review_due_date as days_overdue'
]) }}

select * from final
