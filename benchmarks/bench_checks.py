"""The whole data-quality catalogue on a county extract: wall time and peak memory, and GX against hand-written SQL.

    .venv/bin/python benchmarks/bench_checks.py                    # county extract of `csc generate --la 903`
    .venv/bin/python benchmarks/bench_checks.py --size small       # quicker, for a try-out

A private embedded PostgreSQL server is started in a temporary folder and initialised with ``csc init``. The
extract (``--faults default``, so rules fail and records are written) is generated into its landing folder and
loaded with the loader; neither is timed. Then:

* the catalogue: ``csc check --batch ID --no-alerts`` in a child process, as the nightly DAG runs it (Data Docs and
  report included): its wall time and peak resident memory (``ru_maxrss`` of the child);
* GX against SQL: the single-table rules of the largest tables (required values, id formats, dates that parse,
  dates in the future, code lists, end before start), run once by Great Expectations (one suite per table, counts
  only, the GX import excluded) and once as one hand-written ``count(*) filter (where ...)`` query per table, on
  the same typed work tables. The failure counts must agree; the ratio is GX's time over SQL's.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg

from csc.settings import Settings
from csc.warehouse.embedded import EmbeddedServer

CSC = Path(sys.executable).with_name("csc")
SQL_TABLES = ("ssd_contacts", "ssd_involvements", "ssd_cp_visits", "ssd_cla_visits", "ssd_cin_visits", "ssd_person")
SUBSET_PREFIXES = ("STR_REQUIRED.", "STR_ID_FORMAT.", "STR_DATE_PARSES.", "STR_DATE_NOT_FUTURE.", "CODE.",
                   "TL_END_BEFORE_START.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--la", default="903", help="Generator LA (903: Countyshire).")
    parser.add_argument("--size", default="county", help="Generator size: tiny, small, county.")
    parser.add_argument("--as-of", default="2026-09-30", help="Extract date.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", default="default", help="Generator faults: none, default.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="csc-bench-checks-"))
    os.chmod(work, 0o755)  # the embedded server's OS user must reach its data folder
    server = EmbeddedServer(work / "pgdata")
    try:
        status = server.start()
        conninfo = f"host={status.socket_dir} port={status.port or 5432} user=postgres"
        with psycopg.connect(f"{conninfo} dbname=postgres", autocommit=True) as conn:
            conn.execute("create database csc_bench")
        env = {**os.environ, "CSC_HOME": str(work / "home"), "CSC_WAREHOUSE_URL": f"{conninfo} dbname=csc_bench",
               "CSC_AIRFLOW_DATABASE": "csc_bench_af"}
        settings = Settings(home=work / "home", warehouse_url=f"{conninfo} dbname=csc_bench",
                            airflow_database="csc_bench_af")
        batch_id, rows = prepare(settings, env, args)
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
        print(f"extract: LA {args.la}, size {args.size}, faults {args.faults}, {rows:,} records, batch {batch_id}")

        started = time.monotonic()
        completed = subprocess.run([str(CSC), "check", "--batch", str(batch_id), "--no-alerts"], env=env,
                                   capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if completed.returncode not in (0, 1):
            raise SystemExit(f"csc check failed:\n{completed.stdout}\n{completed.stderr}")
        print("\n".join(line for line in completed.stdout.splitlines() if line.startswith(("Outcome", "Rules:"))))
        print(f"catalogue: {wall:.1f} s wall (budget 90 s), peak memory of the checks process {peak_mb:.0f} MB "
              f"(budget 1,024 MB)")
        compare_gx_with_sql(settings, batch_id)
    finally:
        server.stop()


def prepare(settings: Settings, env: dict, args) -> tuple[int, int]:
    """Initialise the warehouse, generate and load the extract (untimed)."""
    from csc.ingest.loader import load_extract
    from csc.synthetic import generate
    from csc.warehouse.bootstrap import init_warehouse

    init_warehouse(settings)
    started = time.monotonic()
    night = generate(args.la, args.size, args.seed, date.fromisoformat(args.as_of), settings.landing_dir,
                     faults=args.faults).nights[-1]
    print(f"generated in {time.monotonic() - started:.0f} s (not timed)")
    started = time.monotonic()
    loaded = load_extract(night.extract_dir, settings)
    print(f"loaded in {time.monotonic() - started:.0f} s (not timed)")
    return loaded.batch_id, sum(loaded.rows.values())


def compare_gx_with_sql(settings: Settings, batch_id: int) -> None:
    from csc.quality.catalogue import BatchContext, load_catalogue
    from csc.quality.reference import refresh_reference_data
    from csc.quality.session import CheckSession
    from csc.quality.work import create_work_tables, drop_work_tables, work_prefix
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    catalogue = load_catalogue(settings)
    catalogue.rules = [r for r in catalogue if r.table in SQL_TABLES and r.id.startswith(SUBSET_PREFIXES)]
    catalogue.__dict__.pop("by_id", None)
    with connect(settings, role=LOADER, autocommit=True) as conn:
        extract_date = conn.execute("select extract_date from ops.extract_batches where batch_id = %s",
                                    (batch_id,)).fetchone()[0]
        ctx = BatchContext(batch_id=batch_id, extract_date=extract_date, work_prefix=work_prefix(999_999))
        refresh_reference_data(conn, settings)
        create_work_tables(conn, catalogue.contract, ctx, settings)
        try:
            with CheckSession(settings) as session:  # the GX import is not timed
                started = time.monotonic()
                evaluations = session.validate(catalogue, ctx, previous_measures=None)
                gx_seconds = time.monotonic() - started
            started = time.monotonic()
            sql_counts = {}
            for table in SQL_TABLES:
                rules = [r for r in catalogue if r.table == table]
                filters = [f"count(*) filter (where {hand_written(r, ctx)})" for r in rules]
                row = conn.execute(f"select {', '.join(filters)} from {ctx.work_table(table)} t").fetchone()
                sql_counts.update({r.id: n for r, n in zip(rules, row, strict=True)})
            sql_seconds = time.monotonic() - started
        finally:
            drop_work_tables(conn, 999_999)
    disagree = {rule: (ev.rows_failing, sql_counts[rule]) for rule, ev in evaluations.items()
                if ev.rows_failing != sql_counts[rule]}
    failing = sum(1 for ev in evaluations.values() if ev.rows_failing)
    print(f"GX vs SQL: {len(evaluations)} rules on {', '.join(SQL_TABLES)} ({failing} failing, "
          f"{sum(ev.rows_failing for ev in evaluations.values()):,} failing rows)")
    print(f"  GX {gx_seconds:.1f} s, hand-written SQL {sql_seconds:.1f} s: ratio {gx_seconds / sql_seconds:.1f}; "
          f"counts agree: {'yes' if not disagree else 'NO ' + str(disagree)}")
    if disagree:
        raise SystemExit(1)


def hand_written(rule, ctx) -> str:
    """The rule's failure condition on one row of its table (alias t), written independently of the catalogue."""
    kind = rule.id.split(".")[0]
    column = rule.column
    if kind == "STR_REQUIRED":
        return f"t.{column} is null"
    if kind == "STR_ID_FORMAT":
        return f"t.{column} !~ '^[A-Za-z0-9_-]{{1,48}}$'"
    if kind == "STR_DATE_PARSES":
        return f"t.{column} is not null and t.{column}__date is null"
    if kind == "STR_DATE_NOT_FUTURE":
        return f"t.{column}__date > date '{ctx.extract_date}'"
    if kind == "TL_END_BEFORE_START":
        return f"t.{rule.params['end']}__date < t.{rule.params['start']}__date"
    if kind == "CODE":
        when = f"t.{rule.params['event_date']}__date" if rule.params.get("event_date") else "null"
        year = f"extract(year from coalesce({when}, date '{ctx.extract_date}') - interval '3 months')"
        return (f"nullif(upper(btrim(t.{column})), '') is not null and not exists (select 1 from ops.dq_code_lists c "
                f"where c.code_list = '{rule.params['code_list']}' "
                f"and c.normalised_code = ops.dq_normalised_code(c.code_list, t.{column}) "
                f"and {year} between coalesce(c.valid_from_year, 0) and coalesce(c.valid_to_year, 9999))")
    raise ValueError(rule.id)


if __name__ == "__main__":
    main()
