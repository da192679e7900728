"""Issue 15, item 10: a record of who read the casework lists.

Every statement of a casework login is in the server's log, with its user and database (``log_statement = 'all'``
set on the login by the administrator, which the login cannot turn off), and ``csc casework reads`` reports them:
when, which login, which lists. The pipeline's own statements are not logged, and a login added to csc_casework
outside ``csc`` is audited from the next ``csc casework reads`` on (which says so).

The home is an initialised warehouse with one list in the casework schema (what a login reads does not change what
is logged), outside pytest's temporary root: as root, the server runs as its service user, which must still be
able to read its configuration when it reloads it (another pytest session resets that root to 0700).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from security_home import LA, Home, make_home

pytestmark = [pytest.mark.integration, pytest.mark.security]

LIST = "casework.overdue_probe"


@pytest.fixture(scope="module")
def audit_home() -> Iterator[Home]:
    base = Path(tempfile.mkdtemp(prefix="csc-audit-"))
    home = make_home(base, tcp=True)
    try:
        home.csc("init")
        with home.admin(autocommit=True) as admin:
            admin.execute(f"create table {LIST} (la_code text, team_id text, child text)")
            admin.execute(f"insert into {LIST} values ('{LA}', 't1', 'C1')")
            admin.execute(f"grant select on {LIST} to csc_casework")
        yield home
    finally:
        home.csc("warehouse", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)


def reads(home: Home, *args: str) -> list[list[str]]:
    return [line.split("\t") for line in home.csc("casework", "reads", *args).stdout.splitlines()]


def test_every_read_of_a_casework_login_is_logged_and_reported(audit_home):
    out = audit_home.csc("casework", "grant", "tm_audited", "--la", LA)
    assert "warning" not in out.stderr, out.stderr
    password = audit_home.password("casework_login_tm_audited")
    with audit_home.admin() as admin:
        config = admin.execute("select s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
                               "where r.rolname = 'tm_audited'").fetchone()[0]
    assert "log_statement=all" in config
    marker = f"audit-{uuid.uuid4().hex[:8]}"
    with audit_home.tcp("tm_audited", password, autocommit=True) as conn:
        conn.execute(f"select count(*) /* {marker}-1 */ from {LIST}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("set log_statement = 'none'")  # the login cannot stop its own logging
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("alter role tm_audited set log_statement = 'none'")
        conn.execute(f"select *\nfrom {LIST} /* {marker}-2 */\nlimit 1")  # a statement over several lines
    with audit_home.admin() as admin:  # the pipeline's own login: not a casework read, not logged
        admin.execute(f"select count(*) /* {marker}-pipeline */ from {LIST}")

    found = [line for line in reads(audit_home) if marker in line[-1]]
    assert [(line[1], line[2], line[3]) for line in found] == [("tm_audited", "csc", LIST)] * 2
    assert f"{marker}-1" in found[0][4] and found[1][4] == f"select * from {LIST} /* {marker}-2 */ limit 1"
    assert all(line[0][:4].isdigit() and line[0].endswith("UTC") for line in found), found
    assert not [line for line in reads(audit_home, "--login", "tm_someone_else") if marker in line[-1]]
    assert len([line for line in reads(audit_home, "--login", "tm_audited") if marker in line[-1]]) == 2
    assert not [line for line in reads(audit_home, "--since", "2999-01-01") if marker in line[-1]]


def test_a_login_added_outside_csc_is_audited_from_the_next_report(audit_home):
    with audit_home.admin(autocommit=True) as admin:
        admin.execute("drop role if exists tm_direct")
        admin.execute("create role tm_direct login password 'a-direct-password' in role csc_casework")
    result = audit_home.csc("casework", "reads")
    assert "statement logging turned on for: tm_direct" in result.stderr
    marker = f"direct-{uuid.uuid4().hex[:8]}"
    with audit_home.tcp("tm_direct", "a-direct-password") as conn:
        conn.execute(f"select count(*) /* {marker} */ from {LIST}")
    assert [line[1] for line in reads(audit_home) if marker in line[-1]] == ["tm_direct"]
    assert "turned on" not in audit_home.csc("casework", "reads").stderr


def test_parse_reads_joins_continuation_lines_and_keeps_only_casework_logins():
    from csc.transform.casework_audit import parse_reads

    log = [
        "2026-10-02 09:14:03.120 UTC [11] tm_a@csc LOG:  statement: select *\n",
        "\tfrom casework.overdue_cp_visits\n",
        "2026-10-02 09:14:04.000 UTC [12] postgres@csc LOG:  statement: select 1 from casework.x\n",
        "2026-10-02 09:14:05.000 UTC [11] tm_a@csc LOG:  execute <unnamed>: "
        "select * from Casework.\"Unallocated_Cases\"\n",
        "2026-10-02 09:14:06.000 UTC [11] tm_a@csc ERROR:  permission denied for table dim_child\n",
        "2026-10-02 09:14:07.000 UTC [9] LOG:  checkpoint starting: time\n",
    ]
    found = parse_reads(log, {"tm_a"})
    assert [(r.at, r.login, r.database, r.relations) for r in found] == [
        ("2026-10-02 09:14:03.120 UTC", "tm_a", "csc", ("casework.overdue_cp_visits",)),
        ("2026-10-02 09:14:05.000 UTC", "tm_a", "csc", ("casework.unallocated_cases",))]
    assert found[0].statement == "select *\nfrom casework.overdue_cp_visits"
