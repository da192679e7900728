"""Findings 5, 6 and 8: a BI login could stop the pipeline, do more than read, and read exact dates.

Each BI tool or user has its own login (``csc bi add-login``), a member of the NOLOGIN ``bi_reader`` group. Over
TCP, as a BI tool connects, such a login reads the bi schema (not the exact dates of marts, which only named
analysts read) and can do nothing else: no other database, no temporary tables, no large objects, no other
login's password, no more connections than its limit; and holding everything it can take does not stop
``csc init``, ``csc build`` or ``csc publish``.
"""

from __future__ import annotations

import stat

import psycopg
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The keys of the pipeline's former advisory locks (init, build, load of LA 999): a BI session takes them all.
OLD_ADVISORY_KEYS = [f"select pg_advisory_lock({0x637363})", f"select pg_advisory_lock({0x6373632D646274})",
                     "select pg_advisory_lock(hashtextextended('csc.load.' || '999', 0))"]


@pytest.fixture(scope="module")
def bi(secure_home):
    """Two BI logins (two tools) and their passwords."""
    logins = {}
    for name in ("bi_tool_one", "bi_tool_two"):
        out = secure_home.csc("bi", "add-login", name).stdout
        password_file = secure_home.path / "secrets" / f"bi_login_{name}"
        assert str(password_file) in out, "add-login says where the password is"
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        logins[name] = password_file.read_text().strip()
    return logins


def test_a_bi_login_reads_the_bi_schema_and_reaches_no_other_database(secure_home, bi):
    with secure_home.tcp("bi_tool_one", bi["bi_tool_one"]) as conn:
        assert conn.execute("select current_user").fetchone()[0] == "bi_tool_one"
        assert conn.execute("select count(*) from bi.dim_child").fetchone()[0] > 0, "without SET ROLE"
        for table in ("raw.ssd_person", "ops.extract_batches", "casework.cp_visits_overdue", "marts.dim_child",
                      "marts.fct_referrals", "marts.indicator_contributions"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(f"select 1 from {table} limit 1")
    for dbname in ("csc_airflow", "postgres", "template1"):
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            secure_home.tcp("bi_tool_one", bi["bi_tool_one"], dbname=dbname)


def test_a_named_analyst_reads_the_exact_dates_of_marts_too(secure_home):
    out = secure_home.csc("bi", "add-login", "analyst_one", "--analyst").stdout
    assert "csc_analyst" in out
    password = secure_home.password("bi_login_analyst_one")
    try:
        with secure_home.tcp("analyst_one", password) as conn:
            assert conn.execute("select count(*) from marts.fct_referrals").fetchone()[0] > 0
            assert conn.execute("select count(*) from bi.dim_child").fetchone()[0] > 0
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute("select 1 from raw.ssd_person limit 1")
    finally:
        secure_home.csc("bi", "remove-login", "analyst_one")


def test_a_bi_login_cannot_create_large_objects_or_temporary_tables(secure_home, bi):
    with secure_home.tcp("bi_tool_one", bi["bi_tool_one"], autocommit=True) as conn:
        for statement in ("select lo_create(0)", "select lo_creat(-1)", "select lo_from_bytea(0, 'fill the disk')",
                          "select lo_import('/etc/passwd')", "create temporary table t (x int)",
                          "create table public.t (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    with secure_home.admin() as admin:
        assert admin.execute("select count(*) from pg_largeobject_metadata").fetchone()[0] == 0


def test_a_bi_login_cannot_change_another_logins_password(secure_home, bi):
    with secure_home.tcp("bi_tool_one", bi["bi_tool_one"], autocommit=True) as conn:
        for statement in ("alter role bi_tool_two password 'locked-out'", "alter role bi_reader login",
                          "grant bi_reader to bi_tool_two", "alter role bi_tool_two connection limit 0"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    with secure_home.tcp("bi_tool_two", bi["bi_tool_two"]) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_a_bi_login_has_a_connection_limit(secure_home):
    secure_home.csc("bi", "add-login", "bi_limited", "--connection-limit", "2")
    password = secure_home.password("bi_login_bi_limited")
    held = [secure_home.tcp("bi_limited", password) for _ in range(2)]
    try:
        with pytest.raises(psycopg.OperationalError, match="too many connections for role"):
            secure_home.tcp("bi_limited", password)
    finally:
        for conn in held:
            conn.close()


def test_a_bi_login_holding_all_it_can_does_not_stop_init_build_or_publish(secure_home, bi):
    blocker = secure_home.tcp("bi_tool_one", bi["bi_tool_one"])
    try:
        for statement in OLD_ADVISORY_KEYS:
            blocker.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege), blocker.transaction():
            blocker.execute("select * from ops.pipeline_locks for update")
        marts = [name for (name,) in blocker.execute(
            "select tablename from pg_tables where schemaname = 'bi' order by 1")]
        assert len(marts) > 10
        for name in marts:  # ACCESS SHARE on every table BI reads, in a transaction left open
            blocker.execute(f"select 1 from bi.{name} limit 1")
            blocker.execute(f"lock table bi.{name} in access share mode")
        with secure_home.admin() as admin:
            before = admin.execute("select max(build_id) from ops.dbt_builds").fetchone()[0]

        secure_home.csc("init")
        secure_home.csc("build")
        published = secure_home.csc("publish", "--lock-timeout", "1s")
        assert "published build" in published.stdout

        with secure_home.admin() as admin:
            latest = admin.execute("select build_id, published_at is not null from ops.dbt_builds "
                                   "order by build_id desc limit 1").fetchone()
        assert latest == (before + 1, True)
        with pytest.raises(psycopg.OperationalError):
            blocker.execute("select 1")  # publication ended the session that blocked its swap
    finally:
        blocker.close()
    with secure_home.tcp("bi_tool_one", bi["bi_tool_one"]) as conn:  # the tool simply reconnects
        assert conn.execute("select count(*) from bi.dim_child").fetchone()[0] > 0
