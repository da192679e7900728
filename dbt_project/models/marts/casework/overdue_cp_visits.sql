{#
    Child protection plans open on the extract date of children not seen within the last 10 working days (var
    cp_visit_working_days; counted from the later of the last visit where the child was seen and the start of the
    child's earliest open plan). One row per plan record, with the child and the team responsible.
#}
with

cp_plans_on_date as (
    select * from {{ ref('int_cp_plans_as_at') }}
),

cp_children as (
    select * from {{ ref('int_cp_children_as_at') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

overdue as (
    select
        cp_plans_on_date.la_code,
        cp_plans_on_date.as_at_date,
        cp_plans_on_date.child_key,
        cp_plans_on_date.source_line_no,
        cp_plans_on_date.cp_plan_start_date,
        cp_children.last_seen_date,
        cp_children.working_days_since_seen_or_started
    from cp_plans_on_date
    inner join build_batches
        on cp_plans_on_date.la_code = build_batches.la_code
        and cp_plans_on_date.as_at_date = build_batches.extract_date
    inner join cp_children
        on cp_plans_on_date.la_code = cp_children.la_code
        and cp_plans_on_date.as_at_date = cp_children.as_at_date
        and cp_plans_on_date.child_key = cp_children.child_key
    where not cp_children.is_seen_within_visit_standard
),

{{ casework_list('overdue', record_model='stg_ssd__cp_plans', record_id='cp_plan_id', columns=[
    'overdue.cp_plan_start_date', 'overdue.last_seen_date', 'overdue.working_days_since_seen_or_started'
]) }}

select * from final
