"""Issue 15, item 10: a record of who read the casework lists.

Every statement of a casework login is in the server's log, with its user and database (``log_statement = 'all'``
set on the login by the administrator, which the login cannot turn off), and ``csc casework reads`` reports them:
when, which login, which lists. The pipeline's own statements are not logged, and a login added to csc_casework
outside ``csc`` is audited from the next ``csc casework reads`` on (which says so).
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from security_home import LA

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.security]


def reads(home, *args: str) -> list[list[str]]:
    return [line.split("\t") for line in home.csc("casework", "reads", *args).stdout.splitlines()]


def test_every_read_of_a_casework_login_is_logged_and_reported(secure_home):
    secure_home.csc("casework", "grant", "tm_audited", "--la", LA)
    password = secure_home.password("casework_login_tm_audited")
    with secure_home.admin() as admin:
        table = admin.execute("select tablename from pg_tables where schemaname = 'casework' order by 1").fetchone()[0]
        config = admin.execute("select s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
                               "where r.rolname = 'tm_audited'").fetchone()[0]
    assert "log_statement=all" in config
    marker = f"audit-{uuid.uuid4().hex[:8]}"
    with secure_home.tcp("tm_audited", password, autocommit=True) as conn:
        conn.execute(f"select count(*) /* {marker}-1 */ from casework.{table}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("set log_statement = 'none'")  # the login cannot stop its own logging
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("alter role tm_audited set log_statement = 'none'")
        conn.execute(f"select *\nfrom casework.{table} /* {marker}-2 */\nlimit 1")
    with secure_home.admin() as admin:  # the pipeline's own login: not a casework read
        admin.execute(f"select count(*) /* {marker}-pipeline */ from casework.{table}")

    found = [line for line in reads(secure_home) if marker in line[-1]]
    assert [(line[1], line[2], line[3]) for line in found] == [("tm_audited", "csc", f"casework.{table}")] * 2
    assert [f"{marker}-1" in found[0][4], f"{marker}-2" in found[1][4]] == [True, True]
    assert all(line[0][:4].isdigit() and line[0].endswith("UTC") for line in found), found
    assert not [line for line in reads(secure_home, "--login", "tm_someone_else") if marker in line[-1]]
    assert len([line for line in reads(secure_home, "--login", "tm_audited") if marker in line[-1]]) == 2


def test_a_login_added_outside_csc_is_audited_from_the_next_report(secure_home):
    with secure_home.admin(autocommit=True) as admin:
        admin.execute("drop role if exists tm_direct")
        admin.execute("create role tm_direct login password 'a-direct-password' in role csc_casework")
    result = secure_home.csc("casework", "reads")
    assert "statement logging turned on for: tm_direct" in result.stderr
    marker = f"direct-{uuid.uuid4().hex[:8]}"
    with secure_home.tcp("tm_direct", "a-direct-password") as conn:
        conn.execute(f"select 1 /* {marker} */")
    assert [line[1] for line in reads(secure_home) if marker in line[-1]] == ["tm_direct"]
    assert "turned on" not in secure_home.csc("casework", "reads").stderr
