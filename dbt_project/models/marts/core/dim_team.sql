{#
    One row per team (department) per LA with its parent. Teams are organisational units, not people: their ids
    and names are kept so that BI can split indicators and exception lists by team.
#}
with

departments as (
    select * from {{ ref('stg_ssd__department') }}
),

final as (
    select distinct on (la_code, team_id)
        la_code,
        team_id,
        team_name,
        parent_team_id,
        parent_team_name
    from departments
    where team_id is not null
    order by la_code, team_id, source_line_no
)

select * from final
