"""``csc extract`` from a PostgreSQL source against ``psql \\copy (select ...) to`` of the same tables from the same
server, side by side in one run.

    .venv/bin/python benchmarks/bench_extract.py                 # the county source (`csc generate --la 903`)
    .venv/bin/python benchmarks/bench_extract.py --size small --rounds 3

A private embedded PostgreSQL server is started in a temporary folder (nothing else competes for it; autovacuum off)
holding both the warehouse (``csc init``) and the source: the SSD as an Eclipse deployment holds it, filled by
``csc generate --to-database``. Each round, alternately:

* psql: one ``psql`` process runs ``\\copy (select <contract columns> from <table>) to '<file>' with (format csv,
  header)`` for every table, inside one ``repeatable read read only`` transaction, as ``csc extract`` reads them;
* extract: ``csc extract --la 903`` in a child process (its landed folder removed before each round).

Printed: the median seconds of each, the speed ratio (psql's time over the extract's time: at least 0.8 is the
target), the extract's own timing (as ``csc extract`` reports it, Python start-up excluded) and the child's peak
resident memory (``ru_maxrss``; target under 300 MB).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import yaml

from csc.extract.run import wanted_tables
from csc.warehouse.embedded import PG_BIN

from _common import children_cpu_seconds, generator_parser, load_average, machine, private_server, run_child

CSC = Path(sys.executable).with_name("csc")


def main() -> None:
    parser = generator_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    load_before = load_average()
    with private_server("csc-bench-extract-", databases=("csc_bench", "csc_source"), autovacuum=False) as pg:
        work, socket, port = pg.work, pg.socket, pg.port
        home = work / "home"
        home.mkdir()
        las = home / "las.yml"
        las.write_text(yaml.safe_dump({"las": [{"code": args.la, "name": "Benchmark LA",
                                                "source": {"connection": "csc_bench_source"}}]}))
        url = pg.url("csc_bench")
        source = pg.conninfo("csc_source")
        env = {**os.environ, "CSC_HOME": str(home), "CSC_WAREHOUSE_URL": url, "CSC_AIRFLOW_DATABASE": "csc_bench_af",
               "CSC_LAS_CONFIG": str(las),
               "AIRFLOW_CONN_CSC_BENCH_SOURCE": json.dumps({"conn_type": "postgres", "host": socket, "port": port,
                                                            "login": "postgres", "schema": "csc_source"})}
        subprocess.run([str(CSC), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        started = time.perf_counter()
        subprocess.run([str(CSC), "generate", "--la", args.la, "--size", args.size, "--as-of", args.as_of, "--out",
                        str(work / "generated"), "--quiet", "--to-database", source], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        print(f"generated LA {args.la} ({args.size}) into the source database in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        with psycopg.connect(source, autocommit=True) as conn:
            conn.execute("vacuum analyze")
        landed = home / "landing" / args.la / args.as_of
        psql_times, extract_times, walls, peaks, rows = [], [], [], [], 0
        for round_no in range(1, args.rounds + 1):
            psql_times.append(run_psql(socket, port, work / "psql"))
            shutil.rmtree(landed, ignore_errors=True)
            seconds, wall, peak, rows = run_extract(args, env)
            extract_times.append(seconds)
            walls.append(wall)
            peaks.append(peak)
            print(f"round {round_no}: psql {psql_times[-1]:.2f} s, csc extract {seconds:.2f} s (process {wall:.2f} s, "
                  f"peak {peak / 1e6:.0f} MB)", flush=True)
        size = sum(p.stat().st_size for p in landed.glob("*.csv"))
        report(args, rows, size, psql_times, extract_times, walls, peaks, load_before)


def run_psql(socket: str, port: int, folder: Path) -> float:
    """One psql process copying every table out in one snapshot; wall time of the process."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    lines = ["begin isolation level repeatable read read only;"]
    for table in wanted_tables(None):
        columns = ", ".join(table.column_names)
        lines.append(f"\\copy (select {columns} from {table.name}) to '{folder / table.file_name}' "
                     f"with (format csv, header)")
    lines.append("commit;")
    psql = [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socket, "-p", str(port),
            "-U", "postgres", "-d", "csc_source"]
    cpu_before = children_cpu_seconds()
    started = time.perf_counter()
    subprocess.run(psql, input="\n".join(lines) + "\n", text=True, check=True)
    elapsed = time.perf_counter() - started
    print(f"  psql: CPU {children_cpu_seconds() - cpu_before:.2f} s", flush=True)
    return elapsed


def run_extract(args, env: dict) -> tuple[float, float, int, int]:
    """``csc extract`` in a child process: extract s (as reported), process s, peak RSS bytes, rows."""
    child = run_child([str(CSC), "extract", "--la", args.la, "--as-of", args.as_of], env=env)
    output = child.output
    if child.returncode != 0:
        raise RuntimeError(f"csc extract failed:\n{output}")
    found = re.search(r"([\d,]+) rows in ([\d.]+) s", output)
    tables = sum(float(m) for m in re.findall(r" MB +([\d.]+) s$", output, re.MULTILINE))
    synced = float(re.search(r"synced to disk and manifest.json written in ([\d.]+) s", output).group(1))
    print(f"  csc extract: CPU {child.cpu:.2f} s; table reads {tables:.2f} s (summed over its "
          f"connections, which overlap), files synced in {synced:.2f} s", flush=True)
    return float(found.group(2)), child.wall, child.peak, int(found.group(1).replace(",", ""))


def report(args, rows, size, psql_times, extract_times, walls, peaks, load_before) -> None:
    psql_s, extract_s, wall_s = (statistics.median(x) for x in (psql_times, extract_times, walls))
    print()
    print(f"source: LA {args.la} ({args.size}) {args.as_of}, {rows:,} rows, {size / 1e6:.1f} MB of CSV")
    print(f"machine: {machine()}; load average before {load_before:.1f}, after {load_average():.1f}")
    print(f"psql \\copy (select ...) to: {psql_s:.2f} s (median of {len(psql_times)})")
    print(f"csc extract:                {extract_s:.2f} s (process {wall_s:.2f} s), "
          f"{rows / extract_s:,.0f} rows/s")
    print(f"speed ratio (psql / extract): {psql_s / extract_s:.2f} (target >= 0.8); "
          f"with Python start-up: {psql_s / wall_s:.2f}")
    print(f"peak memory of csc extract: {max(peaks) / 1e6:.0f} MB (target < 300 MB)")


if __name__ == "__main__":
    main()
