"""Finding 10: team managers could not reach their casework lists (NOLOGIN roles, no CONNECT, SET ROLE needed).

``csc casework grant NAME`` creates a login with a generated password (or maps an existing one). Over TCP, with
no ``SET ROLE``, it reads exactly its teams' rows of every casework list; a login that is a member of a team role
reads that role's rows the same way.
"""

from __future__ import annotations

import stat
from collections import Counter

import psycopg
import pytest
from security_home import LA

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def lists_by_team(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    names = [n for (n,) in conn.execute("select tablename from pg_tables where schemaname = 'casework' order by 1")]
    return {name: sorted(conn.execute(f"select la_code, coalesce(team_id, '') from casework.{name}").fetchall())
            for name in names}


@pytest.fixture(scope="module")
def everything(secure_home):
    with secure_home.admin() as admin:
        rows = lists_by_team(admin)
    assert len(rows) == 7
    return rows


def test_a_team_login_reads_only_its_own_rows_without_set_role(secure_home, everything):
    teams = Counter(team for rows in everything.values() for _, team in rows if team)
    assert teams, "the casework lists have rows of at least one team"
    team = teams.most_common(1)[0][0]
    out = secure_home.csc("casework", "grant", "tm_team_one", "--la", LA, "--team", team).stdout
    password_file = secure_home.path / "secrets" / "casework_login_tm_team_one"
    assert str(password_file) in out and stat.S_IMODE(password_file.stat().st_mode) == 0o600
    secure_home.csc("casework", "grant", "tm_team_other", "--la", LA, "--team", "another-team")

    with secure_home.tcp("tm_team_one", password_file.read_text().strip()) as conn:
        assert conn.execute("select current_user, session_user").fetchone() == ("tm_team_one", "tm_team_one")
        seen = lists_by_team(conn)
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("select 1 from marts.dim_child limit 1")
    assert set(seen) == set(everything)
    for name, rows in seen.items():
        assert rows == [(LA, team)] * everything[name].count((LA, team)), name
    assert sum(map(len, seen.values())) == teams[team] > 0
    with secure_home.tcp("tm_team_other", secure_home.password("casework_login_tm_team_other")) as conn:
        assert all(rows == [] for rows in lists_by_team(conn).values()), "another team's login sees none of them"


def test_a_member_of_a_team_role_reads_its_rows_without_set_role(secure_home, everything):
    with secure_home.admin(autocommit=True) as admin:
        admin.execute("drop role if exists tm_whole_la_member")
        admin.execute("drop role if exists tm_whole_la")
        admin.execute("create role tm_whole_la nologin")
    secure_home.csc("casework", "grant", "tm_whole_la", "--la", LA)  # an existing team role: every team of the LA
    with secure_home.admin(autocommit=True) as admin:
        admin.execute("create role tm_whole_la_member login password 'a-member-password' in role tm_whole_la")
    with secure_home.tcp("tm_whole_la_member", "a-member-password") as conn:
        assert lists_by_team(conn) == everything


def test_a_casework_login_reaches_no_other_database(secure_home):
    secure_home.csc("casework", "grant", "tm_other_la", "--la", "000")
    password = secure_home.password("casework_login_tm_other_la")
    with secure_home.tcp("tm_other_la", password) as conn:
        assert all(rows == [] for rows in lists_by_team(conn).values())
    for dbname in ("csc_airflow", "postgres"):
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            secure_home.tcp("tm_other_la", password, dbname=dbname)
