{#
    Child protection plans open on the extract date whose next review is overdue: the first review was due within
    3 months of the plan start, each later one within 6 months of the previous (reviews dated before the plan
    started do not count). One row per plan record, with the child and the team responsible.
#}
with

cp_plans_on_date as (
    select * from {{ ref('int_cp_plans_as_at') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

overdue as (
    select cp_plans_on_date.*
    from cp_plans_on_date
    inner join build_batches
        on cp_plans_on_date.la_code = build_batches.la_code
        and cp_plans_on_date.as_at_date = build_batches.extract_date
    where cp_plans_on_date.is_next_review_overdue
),

{{ casework_list('overdue', record_model='stg_ssd__cp_plans', record_id='cp_plan_id', columns=[
    'overdue.cp_plan_start_date', 'overdue.reviews_held', 'overdue.next_review_due_date',
    'overdue.as_at_date - overdue.next_review_due_date as days_overdue'
]) }}

select * from final
