{#
    Row-level security for a casework list: members of csc_casework see only rows of the LAs and teams that
    ops.casework_team_access grants their login, or a team role whose privileges the login has (membership: no
    SET ROLE needed). team_id blank there = every team of the LA, including rows with no team. Applied as a
    post-hook, so the policy exists before the table is published.
#}
{% macro restrict_rows_to_team_access() -%}
    alter table {{ this }} enable row level security;
    drop policy if exists team_access on {{ this }};
    create policy team_access on {{ this }} for select to csc_casework using (
        (la_code, team_id) in (
            select access.la_code, access.team_id
            from ops.casework_team_access as access
            where access.role_name in (select rolname from pg_roles where pg_has_role(oid, 'USAGE')) and access.team_id is not null
        )
        or la_code in (
            select access.la_code
            from ops.casework_team_access as access
            where access.role_name in (select rolname from pg_roles where pg_has_role(oid, 'USAGE')) and access.team_id is null
        )
    )
{%- endmacro %}
