"""Loader speed against ``psql \\copy`` of the same files into the same server, side by side in one run.

    .venv/bin/python benchmarks/bench_load.py                      # county extract from `csc generate --la 903`
    .venv/bin/python benchmarks/bench_load.py --extract PATH       # any extract folder <...>/<la>/<YYYY-MM-DD>

A private embedded PostgreSQL server is started in a temporary folder (so no other database work competes for
it; autovacuum off) and initialised with ``csc init``. Each round, alternately:

* psql: one ``psql`` process runs ``\\copy`` for every file of the extract (``format csv, header, force_null``) into
  tables created ``like raw.<table> including all`` (same columns, same ``_batch_id`` index);
* loader: ``csc load`` in a child process, from a fresh copy of the extract in landing, into emptied raw tables.

The ratio is psql's time over the loader's load time (verify + COPY + commit, as ``csc load`` reports it), medians
over the rounds. Also printed: the child process's wall time (Python start-up and archiving included), its peak
resident memory (``ru_maxrss``), and CPU seconds of the server and of the loader process, which unlike wall times
do not depend on what else the machine is running.
"""

from __future__ import annotations

import argparse
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
from psycopg import sql

from csc.contract import load_contract
from csc.ingest.probe import probe
from csc.settings import Settings
from csc.warehouse.embedded import PG_BIN

from _common import generator_parser, load_average, machine, private_server, run_child

REPO = Path(__file__).resolve().parents[1]
CSC = Path(sys.executable).with_name("csc")


def main() -> None:
    parser = generator_parser(__doc__, extract="load")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    load_before = load_average()
    with private_server("csc-bench-", databases=("csc_bench",), autovacuum=False) as pg:
        work, url = pg.work, pg.url("csc_bench")
        settings = Settings(home=work / "home", warehouse_url=url, airflow_database="csc_bench_af",
                            archive_retention_days=0)
        env = {**os.environ, "CSC_HOME": str(settings.home), "CSC_WAREHOUSE_URL": url,
               "CSC_AIRFLOW_DATABASE": "csc_bench_af", "CSC_ARCHIVE_RETENTION_DAYS": "0"}
        subprocess.run([str(CSC), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        pristine = prepare_extract(args, work, env)
        manifest = json.loads((pristine / "manifest.json").read_text())
        rows = sum(f["rows"] for f in manifest["files"])
        size = sum(f.get("bytes") or (pristine / f["name"]).stat().st_size for f in manifest["files"])
        create_psql_tables(url)

        psql_times, load_times, wall_times, peaks, cpu = [], [], [], [], {"psql server": [], "loader server": [],
                                                                           "loader process": []}
        for round_no in range(1, args.rounds + 1):
            server_before = pg.cpu_seconds()
            psql_times.append(run_psql(pg.socket, pg.port, pristine, manifest))
            cpu["psql server"].append(pg.cpu_seconds() - server_before)
            server_before = pg.cpu_seconds()
            load, wall, peak, process_cpu = run_loader(url, settings, env, pristine)
            cpu["loader server"].append(pg.cpu_seconds() - server_before)
            cpu["loader process"].append(process_cpu)
            load_times.append(load)
            wall_times.append(wall)
            peaks.append(peak)
            print(f"round {round_no}: psql {psql_times[-1]:.2f} s, loader {load:.2f} s "
                  f"(process {wall:.2f} s, peak {peak / 1e6:.0f} MB); CPU s: "
                  + ", ".join(f"{k} {v[-1]:.2f}" for k, v in cpu.items()), flush=True)
        report(args, manifest, rows, size, psql_times, load_times, wall_times, peaks, cpu, load_before)


def prepare_extract(args: argparse.Namespace, work: Path, env: dict) -> Path:
    """The extract every round starts from, kept outside landing."""
    if args.extract:
        return args.extract.resolve()
    out = work / "generated"
    started = time.perf_counter()
    subprocess.run([str(CSC), "generate", "--la", args.la, "--size", args.size, "--as-of", args.as_of,
                    "--out", str(out), "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"generated LA {args.la} ({args.size}) in {time.perf_counter() - started:.0f} s", flush=True)
    return out / args.la / args.as_of


def create_psql_tables(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema bench_psql")
        for table in load_contract():
            conn.execute(sql.SQL("create table bench_psql.{} (like raw.{} including all)").format(
                sql.Identifier(table.name), sql.Identifier(table.name)))
            conn.execute(sql.SQL("alter table bench_psql.{} alter _batch_id drop not null, "
                                 "alter _line_no drop not null").format(sql.Identifier(table.name)))


def run_psql(socket_dir: Path, port: int, extract: Path, manifest: dict) -> float:
    """One psql process copying every file; wall time of the process."""
    import csv

    script = []
    for entry in manifest["files"]:
        path = extract / entry["name"]
        with path.open("rb") as f:
            encoding = "WIN1252" if probe(f).encoding == "cp1252" else "UTF8"
        with path.open(encoding="utf-8-sig" if encoding == "UTF8" else "cp1252", newline="") as f:
            header = [h.strip().lower() for h in next(csv.reader(f))]
        columns = ", ".join(header)
        script.append(f"truncate bench_psql.{entry['table']};")
        script.append(f"\\copy bench_psql.{entry['table']} ({columns}) from '{path}' "
                      f"with (format csv, header true, force_null ({columns}), encoding '{encoding}')")
    truncate_and_copy = "\n".join(s for s in script if s.startswith("truncate"))
    copies = "\n".join(s for s in script if s.startswith("\\copy"))
    psql = [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(socket_dir), "-p", str(port),
            "-U", "postgres", "-d", "csc_bench"]
    subprocess.run([*psql, "-c", truncate_and_copy.replace("\n", " ") + " checkpoint;"], check=True)
    started = time.perf_counter()
    subprocess.run(psql, input=copies, text=True, check=True)
    return time.perf_counter() - started


def run_loader(url: str, settings: Settings, env: dict, pristine: Path) -> tuple[float, float, int, float]:
    """``csc load`` in a child process from a fresh landed copy: load s, process s, peak RSS bytes, process CPU s."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = sql.SQL(", ").join(sql.Identifier("raw", t.name) for t in load_contract())
        conn.execute(sql.SQL("truncate {}").format(tables))
        conn.execute("truncate ops.extract_batches, ops.load_attempts restart identity cascade")
        conn.execute("checkpoint")
    landed = settings.landing_dir / pristine.parent.name / pristine.name
    shutil.rmtree(landed, ignore_errors=True)
    shutil.copytree(pristine, landed)
    child = run_child([str(CSC), "load", str(landed)], env=env)
    if child.returncode != 0:
        raise RuntimeError(f"csc load failed:\n{child.output}")
    timings = re.search(r"verify ([\d.]+) s, load ([\d.]+) s", child.output)
    return float(timings.group(1)) + float(timings.group(2)), child.wall, child.peak, child.cpu


def report(args, manifest, rows, size, psql_times, load_times, wall_times, peaks, cpu, load_before) -> None:
    psql_s, load_s, wall_s = (statistics.median(x) for x in (psql_times, load_times, wall_times))
    print()
    print(f"extract: LA {manifest['la_code']} {manifest['extract_date']}, {len(manifest['files'])} files, "
          f"{rows:,} rows, {size / 1e6:.1f} MB")
    print(f"machine: {machine()}")
    print(f"rounds: {args.rounds} (medians)")
    print("| | time | rows/s |")
    print("|---|---|---|")
    print(f"| psql \\copy (all files, one process) | {psql_s:.2f} s | {rows / psql_s:,.0f} |")
    print(f"| csc load: verify + COPY + commit | {load_s:.2f} s | {rows / load_s:,.0f} |")
    print(f"| csc load: whole process (start-up, archive) | {wall_s:.2f} s | {rows / wall_s:,.0f} |")
    print(f"ratio (psql time / loader load time): {psql_s / load_s:.2f}")
    print(f"ratio (psql time / loader process time): {psql_s / wall_s:.2f}")
    print(f"loader peak memory (max RSS): {max(peaks) / 1e6:.0f} MB")
    print("CPU seconds (medians): " + ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in cpu.items()))
    print(f"load average (1 min): {load_before:.1f} before the run, {load_average():.1f} at its end")


if __name__ == "__main__":
    main()
