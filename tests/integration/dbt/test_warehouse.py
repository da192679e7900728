"""The dbt warehouse end to end on generated extracts: truth to the record, access, pseudonyms, atomic publication.

One scenario, shared by the module so that the suite builds as few times as it can:

1. an extract *with* data faults (dated FIRST) is loaded, built and published;
2. the tests of section A check it against the generator's truth and check who may read what;
3. a clean extract (dated SECOND), rendered messily as real exports arrive, is loaded; its `csc build` is killed
   midway with kill -9 (BI must still see the complete previous marts, nothing can be published, and the build's
   dbt dies with it), then built again at once and published;
4. the tests of section B check the new marts against their truth and the daily history across both dates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest

from csc.contract import load_contract
from csc.settings import Settings
from csc.transform import BuildResult, PublicationRefused, build, publish
from csc.transform.environment import hmac_pads
from csc.warehouse.bootstrap import ANALYST, BI_READER, CASEWORK, TRANSFORMER
from csc.warehouse.connection import connect

from dbt_extracts import LandedExtract, land_extract
from dbt_truth import (
    indicator_differences,
    read_truth_exceptions,
    read_truth_indicators,
    warehouse_exceptions,
    warehouse_indicators,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LA = "999"
FIRST = date(2026, 9, 29)
SECOND = date(2026, 9, 30)
PUBLISHED_SCHEMAS = ("marts", "casework", "bi")
RESTRICTED_SCHEMAS = ("raw", "staging", "intermediate", "casework", "ops")


@dataclass
class Published:
    extract: LandedExtract
    build: BuildResult


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("extracts")


@pytest.fixture(scope="module")
def first(dbt_settings: Settings, work: Path) -> Published:
    extract = land_extract(dbt_settings, work, LA, FIRST, faults="default")
    result = build(dbt_settings)
    publish(dbt_settings)
    return Published(extract, result)


def differences_report(differences: list[str]) -> str:
    return f"{len(differences)} differences from the truth:\n" + "\n".join(differences)


# --- A: the first extract (with faults), published ----------------------------------------------------------------
def test_build_ran_every_model_and_test_and_recorded_them(first: Published, dbt_settings: Settings):
    assert first.build.ok, first.build.summary()
    assert first.build.models >= 100 and first.build.tests >= 250 and first.build.models_failed == 0
    with connect(dbt_settings) as conn:
        build_row = conn.execute("select status, models_ok, tests_failed, published_at is not null, batches "
                                 "from ops.dbt_builds where build_id = %s", (first.build.build_id,)).fetchone()
        runs = dict(conn.execute(
            "select resource_type, count(*) from ops.dbt_model_runs where build_id = %s group by 1",
            (first.build.build_id,)).fetchall())
        unrecorded_rows = conn.execute(
            "select count(*) from ops.dbt_model_runs where build_id = %s and resource_type = 'model' "
            "and relation like '%%marts%%' and rows_affected is null", (first.build.build_id,)).fetchone()[0]
    assert build_row[:4] == ("success", first.build.models, 0, True)
    assert build_row[4] == [{"la_code": LA, "batch_id": first.extract.batch_id, "extract_date": FIRST.isoformat(),
                             "status": "checked"}]
    assert runs["model"] + runs["seed"] == first.build.models and runs["seed"] == 6
    assert runs["unit_test"] >= 40 and runs["test"] >= 200
    assert unrecorded_rows == 0, "each mart's row count is recorded"


def test_faulty_extract_indicators_equal_the_truth(first: Published, dbt_settings: Settings):
    truth = read_truth_indicators(first.extract.truth / "indicators.csv")
    with connect(dbt_settings, role=ANALYST) as conn:
        actual = warehouse_indicators(conn, "marts", LA)
    assert len(truth) > 2000
    differences = indicator_differences(truth, actual)
    assert not differences, differences_report(differences)


def test_faulty_extract_exception_lists_equal_the_truth(first: Published, dbt_settings: Settings):
    truth = read_truth_exceptions(first.extract.truth / "exceptions.csv")
    with connect(dbt_settings) as conn:
        actual = warehouse_exceptions(conn, "casework", LA)
    assert truth, "the generated extract has practice exceptions to find"
    assert actual == truth, f"missing {sorted(truth - actual)}; unexpected {sorted(actual - truth)}"


def test_every_published_column_is_documented(first: Published, dbt_settings: Settings):
    manifest = json.loads((dbt_settings.home / "dbt" / "target" / "manifest.json").read_text())
    documented = {(node["schema"].split("__")[0], node["alias"]): set(node["columns"])
                  for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    with connect(dbt_settings) as conn:
        rows = conn.execute("select table_schema, table_name, column_name from information_schema.columns "
                            "where table_schema = any(%s)", (list(PUBLISHED_SCHEMAS),)).fetchall()
    built: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows:
        built.setdefault((schema, table), set()).add(column)
    assert len(built) >= 25
    for relation, columns in built.items():
        assert columns == documented[relation], f"{relation}: built and documented columns differ"


def test_ids_are_pseudonymised_with_the_keyed_hmac(first: Published, dbt_settings: Settings):
    key = dbt_settings.secret("pseudonym_key").encode()

    def keyed(kind: str, source_id: str) -> str:
        return hmac.new(key, f"{kind}:{source_id}".encode(), hashlib.sha256).hexdigest()

    with connect(dbt_settings, role=TRANSFORMER) as conn:
        people = conn.execute("select person_id, child_key from staging.stg_ssd__person limit 50").fetchall()
        workers = conn.execute("select worker_id, worker_key from staging.stg_ssd__professionals limit 50").fetchall()
        referral = conn.execute(
            "select referral_id, referral_key from staging.stg_ssd__cin_episodes limit 1").fetchone()
    with connect(dbt_settings, role=ANALYST) as conn:
        children_in_marts = {row[0] for row in conn.execute("select child_key from marts.dim_child")}
    assert people and workers
    assert all(child_key == keyed("person", person_id) for person_id, child_key in people)
    assert all(worker_key == keyed("worker", worker_id) for worker_id, worker_key in workers)
    assert referral[1] == keyed("referral", referral[0])
    assert {child_key for _, child_key in people} <= children_in_marts


def test_the_key_is_never_written_anywhere(first: Published, dbt_settings: Settings):
    secrets = [dbt_settings.secret("pseudonym_key"), *hmac_pads(dbt_settings.secret("pseudonym_key"))]
    dbt_files = [p for p in (dbt_settings.home / "dbt").rglob("*") if p.is_file()]
    assert any(p.name == "dbt.log" for p in dbt_files) and any(p.suffix == ".sql" for p in dbt_files)
    for path in dbt_files:
        content = path.read_bytes()
        assert not any(secret.encode() in content for secret in secrets), f"{path} holds the key or its pads"
    with connect(dbt_settings) as conn:
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema = any(%s) and data_type in ('text', 'character varying', 'jsonb')",
            (["ops", "staging", "intermediate", "marts", "casework"],)).fetchall()
        for schema, table, column in columns:
            found = conn.execute(
                psycopg.sql.SQL("select count(*) from {}.{} where {}::text like any(%s)").format(
                    *map(psycopg.sql.Identifier, (schema, table, column))),
                ([f"%{secret}%" for secret in secrets],)).fetchone()[0]
            assert found == 0, f"{schema}.{table}.{column} holds the key or its pads"


def test_bi_reader_reads_bi_and_nothing_else(first: Published, dbt_settings: Settings):
    """BI reads the bi schema only; the exact dates of marts are for the named analysts (csc_analyst)."""
    with connect(dbt_settings) as conn:
        relations = conn.execute("select schemaname, tablename from pg_tables where schemaname = any(%s)",
                                 (["bi", "marts", *RESTRICTED_SCHEMAS],)).fetchall()
    bi = [r for r in relations if r[0] == "bi"]
    marts = [r for r in relations if r[0] == "marts"]
    assert len(bi) >= 20 and len(marts) >= 20
    with connect(dbt_settings, role=BI_READER, autocommit=True) as conn:
        for schema, table in bi:
            conn.execute(f'select * from {schema}."{table}" limit 1')
        for schema, table in relations:
            if schema in ("marts", *RESTRICTED_SCHEMAS):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f'select * from {schema}."{table}" limit 1')
    with connect(dbt_settings, role=ANALYST, autocommit=True) as conn:
        for schema, table in marts:
            conn.execute(f'select * from {schema}."{table}" limit 1')
    with connect(dbt_settings, role=BI_READER) as conn:
        dated = conn.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'bi' "
            "and data_type = 'date' and table_name not in ('dim_date', 'dim_reporting_period', 'indicator_values', "
            "'indicator_daily') and column_name not like '%%\\_month'").fetchall()
        days = conn.execute(
            "select count(*) from bi.fct_referrals where extract(day from referral_month) <> 1").fetchone()[0]
    assert not dated, f"exact dates that BI reads: {dated}"
    assert days == 0, "BI sees months, not days"


def test_no_mart_holds_a_source_id_name_or_date_of_birth(first: Published, dbt_settings: Settings):
    """Values, not column names: no text in marts equals an id, name or NHS number of the extract, and no date
    column of a mart holds the children's dates of birth. Team ids and names are organisational, not personal."""
    contract = load_contract()
    identifying = [(table.name, column.name) for table in contract for column in table.columns
                   if column.type == "id" or column.personal or column.identifies]
    identifying = [(t, c) for t, c in identifying
                   if not (c.endswith("_team") or c in ("team_id", "dept_team_id", "dept_team_parent_id"))]
    with connect(dbt_settings) as conn:
        conn.execute("create temporary table source_values (value text primary key)")
        for table, column in identifying:
            conn.execute(psycopg.sql.SQL(
                "insert into source_values select distinct trim({}) from raw.{} where _batch_id = %s "
                "and length(trim({})) >= 3 on conflict do nothing").format(
                    psycopg.sql.Identifier(column), psycopg.sql.Identifier(table), psycopg.sql.Identifier(column)),
                (first.extract.batch_id,))
        assert conn.execute("select count(*) from source_values").fetchone()[0] > 10000
        text_columns = conn.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
            "and data_type in ('text', 'character varying') and column_name not in ('team_name', "
            "'parent_team_name', 'team_id', 'parent_team_id') and not (table_name = 'indicator_contributions' "
            "and column_name = 'subject_key')").fetchall()
        leaks = []
        for table, column in text_columns:
            hits = conn.execute(psycopg.sql.SQL(
                "select count(*) from marts.{} m join source_values s on s.value = m.{}").format(
                    psycopg.sql.Identifier(table), psycopg.sql.Identifier(column))).fetchone()[0]
            if hits:
                leaks.append(f"marts.{table}.{column}: {hits} values are source ids or names")
        contributions_subjects = conn.execute(
            "select count(*) from marts.indicator_contributions c join source_values s on s.value = c.subject_key "
            "where c.subject_type != 'team'").fetchone()[0]
        date_columns = conn.execute(
            "select c.table_name, c.column_name from information_schema.columns c "
            "where c.table_schema = 'marts' and c.data_type = 'date' and exists (select 1 from "
            "information_schema.columns k where k.table_schema = 'marts' and k.table_name = c.table_name "
            "and k.column_name = 'child_key')").fetchall()
        for table, column in date_columns:
            matching, total = conn.execute(psycopg.sql.SQL(
                "select count(*) filter (where m.{col} = p.date_of_birth), count(m.{col}) from marts.{tab} m "
                "join staging.stg_ssd__person p on p.la_code = m.la_code and p.child_key = m.child_key").format(
                    col=psycopg.sql.Identifier(column), tab=psycopg.sql.Identifier(table))).fetchone()
            if total and matching > total / 2:
                leaks.append(f"marts.{table}.{column} holds dates of birth ({matching} of {total})")
        all_columns = {row[0] for row in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'marts'")}
    assert len(text_columns) > 50 and len(date_columns) > 10
    assert contributions_subjects == 0, "contribution subjects are pseudonymised keys"
    assert not leaks, "\n".join(leaks)
    assert not all_columns & {"date_of_birth", "forename", "surname", "person_id", "worker_id", "worker_name",
                              "nhs_number", "placement_postcode", "registration_number"}


def test_casework_lists_are_readable_only_for_granted_teams(first: Published, dbt_settings: Settings):
    from csc.transform.casework_access import grant_team_access, team_access

    def rows_by_list(role: str | None) -> dict[str, list[tuple]]:
        with connect(dbt_settings, role=role) as conn:
            lists = [row[0] for row in conn.execute("select tablename from pg_tables where schemaname = 'casework'")]
            return {name: sorted(conn.execute(f"select la_code, coalesce(team_id, '') from casework.{name}")
                                 .fetchall()) for name in lists}

    everything = rows_by_list(None)
    assert len(everything) == 7
    teams = [team for rows in everything.values() for _, team in rows]
    team = max({t for t in teams if t}, key=teams.count)
    assert len(teams) > teams.count(team) > 0, "the exception lists span several teams"
    suffix = first.extract.batch_id
    one_team, whole_la, nothing = f"tm_one_{suffix}", f"tm_la_{suffix}", f"tm_none_{suffix}"
    grant_team_access(dbt_settings, one_team, LA, [team])
    grant_team_access(dbt_settings, whole_la, LA, [None])
    grant_team_access(dbt_settings, nothing, "000", [team])
    assert (one_team, LA, team) in team_access(dbt_settings)

    for name, rows in rows_by_list(one_team).items():
        assert rows == [(LA, team)] * len(rows)
        assert len(rows) == everything[name].count((LA, team)), name
    assert rows_by_list(whole_la) == everything
    assert all(rows == [] for rows in rows_by_list(nothing).values())
    with connect(dbt_settings, role=one_team) as conn:
        assert conn.execute("select count(*) from ops.casework_team_access").fetchone()[0] == 1, "own grants only"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from marts.dim_child limit 1")
    with connect(dbt_settings) as conn:
        member = conn.execute("select pg_has_role(%s, %s, 'member')", (one_team, CASEWORK)).fetchone()[0]
    assert member


def test_publication_marked_the_batch_and_emptied_the_shadow(first: Published, dbt_settings: Settings):
    with connect(dbt_settings) as conn:
        status = conn.execute("select status, published_at is not null from ops.extract_batches where batch_id = %s",
                              (first.extract.batch_id,)).fetchone()
        shadows = conn.execute("select count(*) from pg_namespace where nspname like '%%\\_\\_next'").fetchone()[0]
        owners = {row[0] for row in conn.execute(
            "select distinct pg_get_userbyid(c.relowner) from pg_class c join pg_namespace n "
            "on n.oid = c.relnamespace where n.nspname = any(%s) and c.relkind = 'r'", (list(PUBLISHED_SCHEMAS),))}
    assert status == ("published", True)
    assert shadows == 0
    assert owners == {TRANSFORMER}
    again = publish(dbt_settings)
    assert not again.published and "already published" in again.message


# --- B: a second (clean, messily rendered) extract; its first build is killed midway --------------------------------
@dataclass
class SecondPublication:
    extract: LandedExtract
    bi_before: dict
    bi_after_kill: dict
    shadow_tables_at_kill: int
    refusal: str
    build: BuildResult
    killed_dbt: set[int]  # the dbt process of the killed build
    surviving_dbt: set[int]  # those of it alive when the next build started or after it


def bi_snapshot(settings: Settings) -> dict:
    """What a BI tool sees: every mart's row count and a digest of the indicator values."""
    with connect(settings, role=ANALYST) as conn:
        tables = [row[0] for row in conn.execute(
            "select tablename from pg_tables where schemaname = 'marts' order by 1")]
        counts = {t: conn.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in tables}
        digest = conn.execute("select md5(string_agg(v::text, '|' order by v::text)) from marts.indicator_values v"
                              ).fetchone()[0]
        dates = conn.execute("select min(extract_date), max(extract_date) from marts.indicator_daily").fetchone()
    return {"counts": counts, "digest": digest, "daily_dates": dates}


def start_build_process(settings: Settings) -> subprocess.Popen:
    env = {**os.environ, "CSC_HOME": str(settings.home), "CSC_WAREHOUSE_URL": settings.warehouse_url.get_secret_value(),
           "CSC_DBT_THREADS": str(settings.dbt_threads), "CSC_AIRFLOW_DATABASE": settings.airflow_database}
    return subprocess.Popen([sys.executable, "-m", "csc.cli", "build"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def live_processes() -> dict[int, tuple[int, bytes]]:
    """Every live (not zombie) process: pid -> (parent pid, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                if fields[0] not in ("Z", "X"):
                    found[int(entry.name)] = (int(fields[1]), (entry / "cmdline").read_bytes())
            except (OSError, ValueError):
                continue
    return found


def dbt_processes(pids: set[int]) -> set[int]:
    """Those of ``pids`` still alive and running dbt."""
    return {pid for pid, (_, cmdline) in live_processes().items() if pid in pids and b"dbt" in cmdline}


@pytest.fixture(scope="module")
def second(first: Published, dbt_settings: Settings, work: Path) -> SecondPublication:
    bi_before = bi_snapshot(dbt_settings)
    extract = land_extract(dbt_settings, work, LA, SECOND, faults="none", messy=True)
    process = start_build_process(dbt_settings)
    shadow_tables = 0
    try:
        deadline = time.monotonic() + 900  # a safety net for a hung build, not a measure of speed
        while shadow_tables < 5:
            assert process.poll() is None, "the build ended before it could be killed midway"
            assert time.monotonic() < deadline, "the build never reached the marts"
            time.sleep(0.2)
            with connect(dbt_settings) as conn:
                shadow_tables = conn.execute(
                    "select count(*) from pg_tables where schemaname = 'marts__next'").fetchone()[0]
        killed_dbt = {pid for pid, (parent, cmdline) in live_processes().items()
                      if parent == process.pid and b"dbt" in cmdline}
    finally:
        # kill -9 of `csc build` alone, as an operator (or the OOM killer) would: not of its process group.
        process.kill()
        process.wait()
    bi_after_kill = bi_snapshot(dbt_settings)
    with pytest.raises(PublicationRefused) as refused:
        publish(dbt_settings)
    # Build again at once: by the time the new build starts (its first progress line, under the build lock), nothing
    # of the killed build's dbt may run.
    survivors: list[set[int]] = []

    def progress(line: str) -> None:
        if not survivors:
            survivors.append(dbt_processes(killed_dbt))

    result = build(dbt_settings, exclude=["test_type:unit"], progress=progress)
    publish(dbt_settings, batch_id=extract.batch_id)
    return SecondPublication(extract, bi_before, bi_after_kill, shadow_tables, str(refused.value), result,
                             killed_dbt, survivors[0] | dbt_processes(killed_dbt))


def test_killed_build_leaves_the_previous_marts_published(second: SecondPublication):
    assert second.shadow_tables_at_kill >= 5, "the build was killed while building the marts"
    assert second.bi_after_kill == second.bi_before
    assert second.bi_before["daily_dates"] == (FIRST, FIRST)
    assert "running" in second.refusal or "failed" in second.refusal


def test_killing_a_build_kills_its_dbt_and_the_next_build_succeeds_at_once(second: SecondPublication,
                                                                         dbt_settings: Settings):
    assert len(second.killed_dbt) == 1, "csc build runs one dbt child"
    assert second.surviving_dbt == set(), "the killed build's dbt outlived it"
    assert second.build.ok
    with connect(dbt_settings) as conn:
        killed = conn.execute("select status, message, dbt_pid, dbt_pgid from ops.dbt_builds order by build_id"
                              ).fetchall()[-2]
    assert killed[:2] == ("failed", "interrupted: the build stopped before recording its results")
    assert {killed[2]} == second.killed_dbt and killed[3] == killed[2], "dbt led its own process group"


def test_clean_extract_indicators_equal_the_truth(second: SecondPublication, dbt_settings: Settings):
    truth = read_truth_indicators(second.extract.truth / "indicators.csv")
    with connect(dbt_settings, role=ANALYST) as conn:
        actual = warehouse_indicators(conn, "marts", LA)
    differences = indicator_differences(truth, actual)
    assert not differences, differences_report(differences)


def test_clean_extract_exception_lists_equal_the_truth(second: SecondPublication, dbt_settings: Settings):
    truth = read_truth_exceptions(second.extract.truth / "exceptions.csv")
    with connect(dbt_settings) as conn:
        actual = warehouse_exceptions(conn, "casework", LA)
    assert actual == truth, f"missing {sorted(truth - actual)}; unexpected {sorted(actual - truth)}"


def test_daily_history_keeps_each_extract_date(second: SecondPublication, first: Published, dbt_settings: Settings):
    first_day = {key[1]: values for key, values in read_truth_indicators(first.extract.truth / "indicators.csv").items()
                 if key[2] == "day"}
    with connect(dbt_settings, role=ANALYST) as conn:
        rows = conn.execute("select extract_date, indicator_id, numerator, denominator, value "
                            "from marts.indicator_daily where la_code = %s", (LA,)).fetchall()
    by_date: dict[date, dict] = {}
    for extract_date, indicator_id, *values in rows:
        by_date.setdefault(extract_date, {})[indicator_id] = tuple(
            None if v is None else v.normalize() for v in values)
    assert set(by_date) == {FIRST, SECOND}
    assert by_date[FIRST] == first_day, "the first extract's day values are kept as they were published"
    assert len(by_date[SECOND]) == len(first_day)


def test_second_publication_supersedes_the_first(second: SecondPublication, first: Published,
                                                 dbt_settings: Settings):
    with connect(dbt_settings) as conn:
        statuses = dict(conn.execute("select batch_id, status from ops.extract_batches").fetchall())
        builds = conn.execute("select status, published_at is not null from ops.dbt_builds order by build_id"
                              ).fetchall()
    assert statuses == {first.extract.batch_id: "superseded", second.extract.batch_id: "published"}
    assert builds == [("success", True), ("failed", False), ("success", True)]
    assert second.build.ok
