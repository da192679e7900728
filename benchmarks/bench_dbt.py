"""Benchmark: ``dbt build`` of the whole warehouse on the county extract (target: at most 120 s wall on 2 cores).

    .venv/bin/python benchmarks/bench_dbt.py                      # county extract from `csc generate --la 903`
    .venv/bin/python benchmarks/bench_dbt.py --extract PATH       # any extract folder <...>/<la>/<YYYY-MM-DD>

A private embedded PostgreSQL server is started in a temporary folder (so nothing else competes for it) and
initialised with ``csc init``; the extract is generated (unless given), loaded with the real loader and marked
checked (no data-quality findings recorded). Then ``csc.transform.build`` runs exactly as ``csc build`` does: every
seed, model, data test and unit test, threads from the settings (``CSC_DBT_THREADS``, default 2). ``--publish``
also times the publication. Printed: wall time of the build, dbt's own run time, node counts, the slowest nodes,
and the machine (cores, load average before the run, Python).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from csc.ingest import load_extract
from csc.settings import Settings
from csc.transform import build, publish
from csc.warehouse.bootstrap import init_warehouse
from csc.warehouse.connection import connect

from _common import children_cpu_seconds, generator_parser, load_average, machine, private_server

TARGET_SECONDS = 120


def main() -> int:
    parser = generator_parser(__doc__, extract="build")
    parser.add_argument("--threads", type=int, default=None, help="dbt threads (default: the settings').")
    parser.add_argument("--publish", action="store_true", help="Also time the publication.")
    args = parser.parse_args()

    with private_server("csc-bench-dbt-", databases=("csc_bench",)) as pg:
        work = pg.work
        overrides = {"dbt_threads": args.threads} if args.threads else {}
        settings = Settings(home=work / "home", warehouse_url=pg.conninfo("csc_bench"),
                            airflow_database="csc_bench_airflow", **overrides)
        init_warehouse(settings)

        extract = args.extract or generate(work, args.la, args.size, args.as_of)
        landed = settings.landing_dir / extract.parent.name / extract.name
        landed.parent.mkdir(parents=True)
        shutil.copytree(extract, landed)
        loaded = load_extract(landed, settings)
        with connect(settings) as conn:
            conn.execute("update ops.extract_batches set status = 'checked' where batch_id = %s", (loaded.batch_id,))
        raw_rows = loaded.total_rows

        load_before = load_average()
        server_cpu_before = pg.cpu_seconds()
        dbt_cpu_before = children_cpu_seconds()
        started = time.perf_counter()
        result = build(settings, raise_on_failure=False)
        wall = time.perf_counter() - started
        server_cpu = pg.cpu_seconds() - server_cpu_before
        dbt_cpu = children_cpu_seconds() - dbt_cpu_before
        load_after = load_average()
        published = None
        if args.publish and result.ok:
            started = time.perf_counter()
            publish(settings)
            published = time.perf_counter() - started

        print(f"extract       : {extract} ({raw_rows:,} rows loaded)")
        print(f"command       : csc.transform.build(settings)  (= csc build: dbt build of every node, "
              f"threads {settings.dbt_threads})")
        print(f"machine       : {machine()}, load average {load_before:.2f} before the build, {load_after:.2f} after")
        print(f"build         : {result.summary()}")
        verdict = "met" if wall <= TARGET_SECONDS else "NOT met"
        print(f"wall time     : {wall:.1f} s (target {TARGET_SECONDS} s: {verdict})")
        total_cpu = server_cpu + dbt_cpu
        print(f"cpu time      : PostgreSQL {server_cpu:.1f} s, dbt {dbt_cpu:.1f} s: {total_cpu:.1f} s in all, "
              f"{total_cpu / (os.cpu_count() or 1):.1f} s per core (what the wall time approaches on idle cores)")
        if published is not None:
            print(f"publish       : {published:.2f} s")
        by_type: dict[str, float] = {}
        for node in result.nodes:
            by_type[node.resource_type] = by_type.get(node.resource_type, 0.0) + node.execution_seconds
        print("time per kind : " + ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in sorted(by_type.items())))
        print("slowest nodes :")
        for node in sorted(result.nodes, key=lambda n: n.execution_seconds, reverse=True)[:12]:
            rows = f", {node.rows_affected:,} rows" if node.rows_affected is not None else ""
            print(f"  {node.execution_seconds:6.1f} s  {node.resource_type:9} {node.name}{rows}")
        return 0 if result.ok else 1


def generate(work: Path, la_code: str, size: str, as_of: str) -> Path:
    out = work / "generated"
    subprocess.run([sys.executable, "-m", "csc.cli", "generate", "--la", la_code, "--size", size, "--as-of", as_of,
                    "--out", str(out), "--quiet"], check=True)
    return out / la_code / date.fromisoformat(as_of).isoformat()


if __name__ == "__main__":
    sys.exit(main())
