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

cp_plan_records as (
    select * from {{ ref('stg_ssd__cp_plans') }}
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
        cp_plan_records.cp_plan_id,
        overdue.as_at_date,
        overdue.cp_plan_start_date,
        overdue.last_seen_date,
        overdue.working_days_since_seen_or_started
    from overdue
    inner join cp_plan_records
        on overdue.la_code = cp_plan_records.la_code
        and overdue.source_line_no = cp_plan_records.source_line_no
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
