"""Regional pooling (issue 14, item 5): an analyst of a region reads the regional comparison mart and no child-level
row.

Three generated LAs in two regions (config/las.yml ``region:``; the south's second LA has sent nothing yet) in one
warehouse, built and published by real dbt.
A region's login (``add_bi_login(..., region=...)``, ``csc bi add-login NAME --region REGION``) is a member of
``csc_regional_analyst`` only: it reads marts.regional_indicator_comparison, only its own region's rows (row-level
security on ops.regional_access), and is refused every other table of marts, bi, casework, staging, intermediate
and raw, and every ops table but its own access row. A named analyst (csc_analyst) reads every region.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target, connect

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.security]

AS_OF = date(2026, 9, 30)
REGIONS = {"north": {"901": "Northshire", "903": "Southshire"}, "south": {"999": "Demoshire", "902": "Westshire"}}
NOT_LOADED = "902"  # configured, no extract yet (the generator has three LAs)
CHILD_LEVEL_SCHEMAS = ("marts", "bi", "casework", "staging", "intermediate", "raw", "ops")
MART = "regional_indicator_comparison"


def _land(settings: Settings, work: Path, la_code: str) -> None:
    """A generated tiny extract of ``la_code``, loaded by the real loader and marked checked."""
    from csc.ingest import load_extract
    from csc_synthetic import generate

    night = generate(la_code, "tiny", 1, AS_OF, work / f"generated-{la_code}", faults="none").nights[0]
    landed = settings.landing_dir / la_code / AS_OF.isoformat()
    landed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(night.extract_dir, landed)
    result = load_extract(landed, settings)
    assert result.status == "loaded", result
    with connect(settings) as conn:
        conn.execute("update ops.extract_batches set status = 'checked', checked_at = now() where batch_id = %s",
                     (result.batch_id,))
        conn.commit()


@pytest.fixture(scope="module")
def regional(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Target]]:
    """A published warehouse of the LAs of two regions: (settings, its database's admin target)."""
    from csc.transform import build, publish
    from csc.warehouse.bootstrap import init_warehouse

    work = tmp_path_factory.mktemp("regional-analyst")
    las = work / "las.yml"
    las.write_text("las:\n" + "".join(f'  - code: "{code}"\n    name: {name}\n    region: {region}\n'
                                       for region, members in REGIONS.items() for code, name in members.items()),
                   encoding="utf-8")
    dbname = f"csc_regional_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(home=tmp_path_factory.mktemp("csc-home"), warehouse_url=pg_server.for_database(dbname)
                        .conninfo(), airflow_database=f"{dbname}_af", dbt_threads=4, las_config=las)
    try:
        init_warehouse(settings)
        for members in REGIONS.values():
            for code in members:
                if code != NOT_LOADED:
                    _land(settings, work, code)
        result = build(settings, exclude=["test_type:unit"])
        assert result.ok, result.summary()
        publish(settings)
        yield settings, pg_server.for_database(dbname)
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _login(settings: Settings, target: Target, name: str) -> psycopg.Connection:
    """Connect as login ``name`` with the password `add_bi_login` generated (SCRAM over the socket)."""
    password = (settings.secrets_dir / f"bi_login_{name}").read_text().strip()
    return psycopg.connect(host=target.host, port=target.port, dbname=target.dbname, user=name, password=password)


@pytest.fixture(scope="module")
def logins(regional) -> Iterator[dict[str, str]]:
    from csc.warehouse.bootstrap import add_bi_login, remove_bi_login

    settings, _ = regional
    names = {"north": "north_analyst", "analyst": "named_analyst"}
    add_bi_login(settings, names["north"], region="north")
    add_bi_login(settings, names["analyst"], analyst=True)
    yield names
    for name in names.values():
        remove_bi_login(settings, name)


def test_a_regions_analyst_reads_its_regions_comparison_and_nothing_else(regional, logins):
    settings, target = regional
    with _login(settings, target, logins["north"]) as conn:
        rows = conn.execute(f"select region, area_kind, area_code, count(*) from marts.{MART} group by 1, 2, 3"
                            ).fetchall()
    with psycopg.connect(target.conninfo()) as admin:
        tables, readable = admin.execute(
            "select count(*), coalesce(array_agg(n.nspname || '.' || c.relname order by n.nspname, c.relname) filter ("
            "    where has_table_privilege(%s, c.oid, 'select')), '{}') "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p')",
            (logins["north"], list(CHILD_LEVEL_SCHEMAS))).fetchone()
        groups = {row[0] for row in admin.execute(
            "select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid "
            "join pg_roles r on r.oid = m.member where r.rolname = %s", (logins["north"],))}
    assert groups == {"csc_regional_analyst"}, "not a member of bi_reader or csc_analyst"
    assert {(region, kind, code) for region, kind, code, _ in rows} == (
        {("north", "la", code) for code in REGIONS["north"]} | {("north", "region", "north")}), rows
    assert all(count > 100 for *_, count in rows)
    assert tables > 100, "every table of those schemas was tried"
    assert readable == [f"marts.{MART}", "ops.regional_access"], readable


@pytest.mark.parametrize("table", ["marts.dim_child", "marts.indicator_contributions", "marts.indicator_values",
                                   "bi.dim_child", "staging.stg_ssd__person", "raw.ssd_person",
                                   "ops.extract_batches"])
def test_a_regions_analyst_is_refused_child_level_tables(regional, logins, table):
    settings, target = regional
    with _login(settings, target, logins["north"]) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"select * from {table} limit 1")


def test_a_regions_analyst_sees_its_own_access_row_only_and_a_named_analyst_every_region(regional, logins):
    settings, target = regional
    with psycopg.connect(target.conninfo()) as admin:
        admin.execute("insert into ops.regional_access (role_name, region) values ('someone_else', 'south')")
        admin.commit()
    with _login(settings, target, logins["north"]) as conn:
        access = conn.execute("select role_name, region from ops.regional_access").fetchall()
    with _login(settings, target, logins["analyst"]) as conn:
        regions = {row[0] for row in conn.execute(f"select distinct region from marts.{MART}")}
    assert access == [(logins["north"], "north")]
    assert regions == set(REGIONS)
    with psycopg.connect(target.conninfo()) as admin:
        south = admin.execute(f"select distinct not_available_reason from marts.{MART} where area_kind = 'region' "
                              "and region = 'south'").fetchall()
    assert south == [("not_in_every_la",)], "an LA of the south has no figures yet: the region has none"


def test_removing_a_regional_login_removes_its_access(regional):
    from csc.warehouse.bootstrap import add_bi_login, remove_bi_login

    settings, target = regional
    add_bi_login(settings, "south_analyst", region="south")
    assert remove_bi_login(settings, "south_analyst")
    with psycopg.connect(target.conninfo()) as admin:
        assert not admin.execute("select 1 from ops.regional_access where role_name = 'south_analyst'").fetchone()
        assert not admin.execute("select 1 from pg_roles where rolname = 'south_analyst'").fetchone()
    assert not (settings.secrets_dir / "bi_login_south_analyst").exists()
