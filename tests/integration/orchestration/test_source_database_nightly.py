"""The nightly DAG of an LA whose SSD is read from its reporting database (``source:`` in las.yml), for real:
``dag.test()`` runs (``csc backfill``) of two nights from an Eclipse-like PostgreSQL source filled by the generator
(``csc generate --to-database``), to published marts.

- the ``extract`` task takes the place of waiting for a file; a lost connection in it is retried;
- the published indicators of the second night equal the generator's truth;
- the second night's change summary in ``ops`` equals the generator's record of what changed, table by table;
- the change summary reaches the DQ report and the performance leads' e-mail (real SMTP on loopback).
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from psycopg import sql

from csc.contract import load_contract
from csc.warehouse.bootstrap import ANALYST
from csc.warehouse.connection import connect

from orch_helpers import PERFORMANCE, local_today

sys.path.insert(0, str(Path(__file__).parents[1] / "dbt"))
from dbt_truth import indicator_differences, read_truth_indicators, warehouse_indicators  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.dags, pytest.mark.slow]

# A source database holds only its current state: an extract is of last night, taken this morning. The two nights are
# yesterday and the day before, extracted minutes apart here (a day apart in life): the freshness rule allows 72 hours.
# The day before yesterday is a catch-up night, refused, once a day has passed since its deadline (deadline local time
# yesterday): a deadline of 23:59 keeps it runnable whatever time of day the test runs.
LAST = local_today() - timedelta(days=1)
FIRST = LAST - timedelta(days=1)
FRESHNESS = {"CSC_DQ_MAX_EXTRACT_AGE_HOURS": "72"}
LA = "901"  # Tinyshire: a tiny LA, whose population seed is the tiny extract's (rates equal the truth)


@pytest.fixture(scope="module")
def nights(orchestration, pg_server):
    orch = orchestration
    name = f"csc_source_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    target = pg_server.for_database(name)
    orch.write_las(code=LA, name="Tinyshire", deadline="23:59",
                    source={"connection": "csc_ssd_901", "retry_wait": "PT1S"})
    connection = json.dumps({"conn_type": "postgres", "host": target.host, "port": target.port,
                             "login": target.user, "schema": target.dbname})
    env = {"AIRFLOW_CONN_CSC_SSD_901": connection}
    out = orch.generated / "source"
    marker = orch.settings.home / "extract-connection-lost-once"
    runs = {}
    try:
        for night in (FIRST, LAST):
            generated = orch.csc("generate", "--la", LA, "--size", "tiny", "--as-of", LAST.isoformat(), "--nights",
                                 "2", "--out", str(out), "--quiet", "--to-database", target.conninfo(),
                                 "--database-night", night.isoformat())
            assert generated.returncode == 0, generated.stderr
            runs[night] = orch.csc("backfill", "--la", LA, "--from", night.isoformat(), "--to", night.isoformat(),
                                   extra_env={**env, **FRESHNESS,
                                              "CSC_INJECT_TRANSIENT_FAILURE": f"extract:{marker}"})
        yield SimpleNamespace(orch=orch, runs=runs, out=out, marker=marker)
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def test_two_nights_from_the_source_database_are_published_and_equal_the_truth(nights):
    orch = nights.orch
    for night, done in nights.runs.items():
        assert done.returncode == 0, f"{night}: {done.stdout}{done.stderr}"
    assert nights.marker.exists(), "the extract task lost its connection once and was retried"
    steps = orch.query("select r.detail->>'extract_date', s.step, s.status from ops.pipeline_steps s "
                       "join ops.pipeline_runs r using (run_id) where s.step in ('extract', 'load') order by 1, 2")
    assert steps == [(FIRST.isoformat(), "extract", "success"), (FIRST.isoformat(), "load", "success"),
                     (LAST.isoformat(), "extract", "success"), (LAST.isoformat(), "load", "success")]
    assert orch.query("select extract_date, status from ops.extract_batches order by extract_date") == [
        (FIRST, "superseded"), (LAST, "published")]
    assert orch.query("select status, count(*) from ops.source_extracts group by 1") == [("complete", 2)]

    truth = read_truth_indicators(nights.out / "truth" / LA / LAST.isoformat() / "indicators.csv")
    with connect(orch.settings, role=ANALYST) as conn:  # exact marts: the analyst role (bi_reader reads bi)
        actual = warehouse_indicators(conn, "marts", LA)
    assert truth
    differences = indicator_differences(truth, actual)
    assert not differences, f"{len(differences)} differences from the truth:\n" + "\n".join(differences)


def test_the_change_summary_equals_the_generators_record(nights):
    from csc_synthetic.source_database import read_changes

    orch = nights.orch
    record = read_changes(nights.out / "truth" / LA / LAST.isoformat() / "changes.csv")
    rows = orch.query("select c.table_name, c.rows_new, c.rows_changed, c.rows_deleted, c.compared_by, "
                      "p.extract_date from ops.extract_changes c join ops.extract_batches b using (batch_id) "
                      "join ops.extract_batches p on p.batch_id = c.previous_batch_id where b.extract_date = %s",
                      (LAST,))
    found = {r[0]: r[1:4] for r in rows}
    empty = {"new": set(), "changed": set(), "deleted": set()}
    expected = {t.name: tuple(len(record.get(t.name, empty)[k]) for k in ("new", "changed", "deleted"))
                for t in load_contract()}
    assert found == expected
    assert sum(n + c + d for n, c, d in found.values()) > 0 and all(v[1] for v in expected.values() if any(v))
    assert {r[4] for r in rows} == {"primary_key"} and {r[5] for r in rows} == {FIRST}


def test_the_change_summary_reaches_the_report_and_the_leads_email(nights):
    orch = nights.orch
    record = orch.query("select rows_new, rows_changed, rows_deleted from ops.extract_changes c "
                        "join ops.extract_batches b using (batch_id) where b.extract_date = %s "
                        "and c.table_name = 'ssd_contacts'", (LAST,))[0]
    line = f"ssd_contacts: {record[0]:,} new, {record[1]:,} changed, {record[2]:,} deleted"
    mails = [m for m in orch.emails("[CSC data quality]") if LAST.strftime("%d %b %Y") in m.subject]
    assert mails and all(PERFORMANCE in m.recipients for m in mails)
    body = mails[-1].body()
    assert "Changes since the last published extract" in body and line in body
    report = orch.query("select report_path from ops.dq_runs r join ops.extract_batches b using (batch_id) "
                        "where b.extract_date = %s", (LAST,))[0][0]
    html = Path(report).read_text(encoding="utf-8")
    assert "Records changed since the published extract" in html and "by primary key" in html
