{#
    The shape every casework list shares (marts/casework): the rows a list names (the CTE `listed`, one row per
    record or child on the extract date, with la_code, as_at_date, child_key and, for a record list, the record's
    source_line_no), the child's identity, the team responsible and the list's own columns. The macro writes the
    import CTEs it needs and the CTE `final`; the model ends with `select * from final`.

    listed        the CTE of the rows to list
    columns       the list's own columns after as_at_date: expressions over `listed` (e.g. "overdue.last_seen_date")
    record_model  the staging model of the listed records (their id is read by source_line_no); none for a list of
                  children
    record_id     the id column of record_model shown in the list
    team_from     'open_cases': the team of the child's open case on the date (int_open_cases_as_at); 'listed': the
                  team_id column of `listed` itself
#}
{% macro casework_list(listed, columns, record_model=none, record_id=none, team_from='open_cases') -%}
{%- set team = 'listed_open_cases' if team_from == 'open_cases' else listed -%}
{%- if record_model %}
listed_records as (
    select * from {{ ref(record_model) }}
),
{% endif -%}
{%- if team_from == 'open_cases' %}
listed_open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),
{% endif %}
listed_teams as (
    select * from {{ ref('dim_team') }}
),

listed_children as (
    {{ casework_child_identity_cte() }}
),

final as (
    select
        {{ listed }}.la_code,
        {{ team }}.team_id,
        listed_teams.team_name,
        {{ listed }}.child_key,
        listed_children.person_id,
        listed_children.forename,
        listed_children.surname,
        listed_children.date_of_birth,
        {%- if record_model %}
        listed_records.{{ record_id }},
        {%- endif %}
        {{ listed }}.as_at_date,
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ listed }}
    {%- if record_model %}
    inner join listed_records
        on {{ listed }}.la_code = listed_records.la_code
        and {{ listed }}.source_line_no = listed_records.source_line_no
    {%- endif %}
    {%- if team_from == 'open_cases' %}
    left join listed_open_cases
        on {{ listed }}.la_code = listed_open_cases.la_code
        and {{ listed }}.as_at_date = listed_open_cases.as_at_date
        and {{ listed }}.child_key = listed_open_cases.child_key
    {%- endif %}
    left join listed_children
        on {{ listed }}.la_code = listed_children.la_code
        and {{ listed }}.child_key = listed_children.child_key
    left join listed_teams
        on {{ listed }}.la_code = listed_teams.la_code
        and {{ team }}.team_id = listed_teams.team_id
)
{%- endmacro %}
