"""Which casework role may read which teams' exception lists (``ops.casework_team_access``).

Team managers read the ``casework`` lists through a role that is a member of ``csc_casework``; the lists'
row-level security policies (dbt_project/macros/restrict_rows_to_team_access.sql) show each role only the rows
of the LAs and teams granted here. Granting and revoking need the warehouse's administrative login (it creates
roles), not a pipeline role.
"""

from __future__ import annotations

from psycopg import sql

from csc.settings import Settings
from csc.warehouse.bootstrap import CASEWORK
from csc.warehouse.connection import connect


def grant_team_access(settings: Settings, role: str, la_code: str, team_ids: list[str | None]) -> list[str | None]:
    """Create ``role`` (NOLOGIN, member of csc_casework) if needed and grant it the teams (None = every team)."""
    with connect(settings, application="csc casework") as conn:
        if not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
            conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(CASEWORK), sql.Identifier(role)))
        for team_id in team_ids:
            conn.execute(
                "insert into ops.casework_team_access (role_name, la_code, team_id) values (%s, %s, %s) "
                "on conflict do nothing", (role, la_code, team_id))
        conn.commit()
    return team_ids


def revoke_team_access(settings: Settings, role: str, la_code: str, team_ids: list[str] | None) -> int:
    with connect(settings, application="csc casework") as conn:
        if team_ids is None:
            cur = conn.execute("delete from ops.casework_team_access where role_name = %s and la_code = %s",
                               (role, la_code))
        else:
            cur = conn.execute(
                "delete from ops.casework_team_access where role_name = %s and la_code = %s and team_id = any(%s)",
                (role, la_code, team_ids))
        conn.commit()
        return cur.rowcount


def team_access(settings: Settings) -> list[tuple[str, str, str | None]]:
    with connect(settings, application="csc casework") as conn:
        return conn.execute("select role_name, la_code, team_id from ops.casework_team_access "
                            "order by role_name, la_code, team_id nulls first").fetchall()
