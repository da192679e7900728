"""Which casework login may read which teams' exception lists (``ops.casework_team_access``).

Team managers log in with their own LOGIN role, a member of ``csc_casework``: ``csc casework grant NAME`` creates
it with a generated password (kept owner-only in the secrets folder) or maps an existing login. It has CONNECT on
the warehouse database and reads the ``casework`` lists directly, without ``SET ROLE``: the lists' row-level
security policies (dbt_project/macros/restrict_rows_to_team_access.sql) show a login the rows of the LAs and teams
granted here to itself or to a team role whose privileges it has (membership). Granting and revoking need the
warehouse's administrative login (it creates roles), not a pipeline role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from psycopg import sql

from csc.settings import Settings
from csc.warehouse.bootstrap import CASEWORK, check_login_name, create_login
from csc.warehouse.connection import connect

if TYPE_CHECKING:
    from csc.transform.casework_audit import AuditSetup


@dataclass
class CaseworkGrant:
    role: str
    team_ids: list[str | None] = field(default_factory=list)
    created: bool = False  # a new login was created
    password_file: Path | None = None  # where the new login's password is (owner-only)
    group: bool = False  # an existing NOLOGIN team role: its member logins read its rows
    audit: AuditSetup | None = None  # whose statements are logged (csc.transform.casework_audit)


def grant_team_access(settings: Settings, role: str, la_code: str, team_ids: list[str | None]) -> CaseworkGrant:
    """Let ``role`` read the casework rows of these teams (None = every team of the LA).

    A missing ``role`` is created as a LOGIN role with a generated password; an existing login is mapped (made a
    member of csc_casework, given a connection limit); an existing NOLOGIN role is kept as a team group whose
    member logins read its rows.
    """
    check_login_name(role)
    with connect(settings, application="csc casework") as conn:
        row = conn.execute("select rolcanlogin from pg_roles where rolname = %s", (role,)).fetchone()
        result = CaseworkGrant(role=role, team_ids=list(team_ids))
        if row is not None and not row[0]:
            result.group = True
            conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(CASEWORK), sql.Identifier(role)))
        else:
            login = create_login(conn, settings, role, CASEWORK, secret_prefix="casework_login_")
            result.created = login.created
            result.password_file = login.password_file if login.created else None
        for team_id in team_ids:
            conn.execute(
                "insert into ops.casework_team_access (role_name, la_code, team_id) values (%s, %s, %s) "
                "on conflict do nothing", (role, la_code, team_id))
        conn.commit()
    from csc.transform.casework_audit import ensure_read_audit

    result.audit = ensure_read_audit(settings)  # its statements are logged (who read what, when)
    return result


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
