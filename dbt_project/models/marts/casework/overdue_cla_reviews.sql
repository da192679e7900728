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

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
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

{{ casework_list('overdue', record_model='stg_ssd__cla_episodes', record_id='cla_episode_id', columns=[
    'overdue.period_of_care_start_date', 'overdue.reviews_held', 'overdue.next_review_due_date',
    'overdue.as_at_date - overdue.next_review_due_date as days_overdue'
]) }}

select * from final
