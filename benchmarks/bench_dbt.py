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

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg

from csc.ingest import load_extract
from csc.settings import Settings
from csc.transform import build, publish
from csc.warehouse.bootstrap import init_warehouse
from csc.warehouse.connection import connect
from csc.warehouse.embedded import EmbeddedServer

TARGET_SECONDS = 120


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", type=Path, help="An extract folder <...>/<la_code>/<YYYY-MM-DD>/ to build.")
    parser.add_argument("--la", default="903", help="Generator LA when no --extract is given (903: Countyshire).")
    parser.add_argument("--size", default="county", help="Generator size when no --extract is given.")
    parser.add_argument("--as-of", default="2025-03-31", help="Generator extract date.")
    parser.add_argument("--threads", type=int, default=None, help="dbt threads (default: the settings').")
    parser.add_argument("--publish", action="store_true", help="Also time the publication.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="csc-bench-dbt-"))
    os.chmod(work, 0o755)  # the embedded server's OS user must reach its data folder
    server = EmbeddedServer(work / "pgdata")
    try:
        status = server.start()
        admin = f"host={status.socket_dir} port={status.port or 5432} user=postgres"
        with psycopg.connect(f"{admin} dbname=postgres", autocommit=True) as conn:
            conn.execute("create database csc_bench")
        overrides = {"dbt_threads": args.threads} if args.threads else {}
        settings = Settings(home=work / "home", warehouse_url=f"{admin} dbname=csc_bench",
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

        load_before = os.getloadavg()
        server_cpu_before = server_cpu_seconds(status.pid)
        dbt_cpu_before = children_cpu_seconds()
        started = time.perf_counter()
        result = build(settings, raise_on_failure=False)
        wall = time.perf_counter() - started
        server_cpu = server_cpu_seconds(status.pid) - server_cpu_before
        dbt_cpu = children_cpu_seconds() - dbt_cpu_before
        load_after = os.getloadavg()
        published = None
        if args.publish and result.ok:
            started = time.perf_counter()
            publish(settings)
            published = time.perf_counter() - started

        print(f"extract       : {extract} ({raw_rows:,} rows loaded)")
        print(f"command       : csc.transform.build(settings)  (= csc build: dbt build of every node, "
              f"threads {settings.dbt_threads})")
        print(f"machine       : {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
              f"load average {load_before[0]:.2f} before the build, {load_after[0]:.2f} after")
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
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def server_cpu_seconds(postmaster_pid: int | None) -> float:
    """CPU time of the embedded server: the postmaster's own plus that of its exited backends (Linux /proc)."""
    if not postmaster_pid:
        return 0.0
    fields = Path(f"/proc/{postmaster_pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    live = 0
    for child in Path("/proc").glob("[0-9]*"):
        try:
            stat = (child / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == postmaster_pid:
            live += int(stat[11]) + int(stat[12])
    return (utime + stime + cutime + cstime + live) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def generate(work: Path, la_code: str, size: str, as_of: str) -> Path:
    out = work / "generated"
    subprocess.run([sys.executable, "-m", "csc.cli", "generate", "--la", la_code, "--size", size, "--as-of", as_of,
                    "--out", str(out), "--quiet"], check=True)
    return out / la_code / date.fromisoformat(as_of).isoformat()


if __name__ == "__main__":
    sys.exit(main())
