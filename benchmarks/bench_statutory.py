"""Nightly return readiness: build the SSDA903 files and the CIN census XML of a collection year, then run both DfE
validators on them. Wall time, CPU time and peak resident memory of each step, each in a child process.

    .venv/bin/python benchmarks/bench_statutory.py --size county            # builds its own warehouse (slow)
    .venv/bin/python benchmarks/bench_statutory.py --size small
    CSC_HOME=... CSC_WAREHOUSE_URL=... .venv/bin/python benchmarks/bench_statutory.py --existing   # a built one

Without ``--existing`` a private embedded PostgreSQL server is started in a temporary folder, and a fault-free extract
of LA 999 as of 30 June 2026 is generated, loaded, checked, built and published there (not timed). Then, timed, each
in its own child process (``os.wait4``: the child's own CPU and ``ru_maxrss``): ``csc statutory 903``,
``csc statutory cin``, and the two validators (``tools/dfe-validators/.venv``) on what they wrote. The year is the
latest complete one (2025-26); nightly readiness validates the year in progress, of similar size.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSC = ROOT / ".venv" / "bin" / "csc"
VALIDATORS = ROOT / "tools" / "dfe-validators"
AS_OF = date(2026, 6, 30)


def timed(label: str, command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode not in (0, 1):
        raise SystemExit(f"{label} failed ({process.returncode}):\n{stderr[-2000:]}")
    cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
    print(f"{label:<28} wall {wall:7.1f} s   cpu {cpu:7.1f} s   peak {peak:7.0f} MB", flush=True)
    return wall, cpu, peak


def build(size: str, work: Path, env: dict[str, str], server) -> dict[str, str]:
    from csc.warehouse.connection import Target

    status = server.start()
    target = Target(host=str(status.socket_dir), port=status.port or 5432, user="postgres", dbname="postgres")
    import psycopg

    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        conn.execute("create database csc_bench_statutory")
    env = {**env, "CSC_HOME": str(work / "home"),
           "CSC_WAREHOUSE_URL": target.for_database("csc_bench_statutory").conninfo(),
           "CSC_AIRFLOW_DATABASE": "csc_bench_statutory_af", "CSC_DQ_DATA_DOCS": "false"}
    landing = work / "home" / "landing"
    steps = [[str(CSC), "init"],
             [str(CSC), "generate", "--la", "999", "--size", size, "--as-of", AS_OF.isoformat(), "--out", str(landing),
              "--faults", "none"],
             [str(CSC), "load", "--la", "999"], [str(CSC), "check", "--la", "999", "--no-alerts"],
             [str(CSC), "build"], [str(CSC), "publish"]]
    for step in steps:
        print("setting up:", " ".join(step[1:3]), flush=True)
        done = subprocess.run(step, env=env, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{step} failed:\n{done.stderr[-2000:]}")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="county")
    parser.add_argument("--existing", action="store_true", help="use CSC_HOME and CSC_WAREHOUSE_URL as they are")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ)
    work = Path(tempfile.mkdtemp(prefix="csc-bench-statutory-"))
    server = None
    try:
        if not args.existing:
            from csc.warehouse.embedded import EmbeddedServer

            server = EmbeddedServer(work / "pgdata")
            env = build(args.size, work, env, server)
        out = work / "out"
        year = "2025-26"
        print(f"{platform.node()} {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; size "
              f"{'existing warehouse' if args.existing else args.size}", flush=True)
        rows = [
            timed("csc statutory 903", [str(CSC), "statutory", "903", "--la", "999", "--year", year, "--out",
                                        str(out / "903")], env),
            timed("csc statutory cin", [str(CSC), "statutory", "cin", "--la", "999", "--year", year, "--out",
                                        str(out / "cin")], env),
            timed("903 validator (lac2025_26)", [str(VALIDATORS / ".venv" / "bin" / "python"),
                                                 str(VALIDATORS / "run_validators.py"), "903", str(out / "903"),
                                                 "--ruleset", "lac2025_26", "--collection-year", "2026",
                                                 "--la", "E10000014"], env),
            timed("CIN validator (cin2025_26)", [str(VALIDATORS / ".venv" / "bin" / "python"),
                                                 str(VALIDATORS / "run_validators.py"), "cin",
                                                 str(next((out / "cin").glob("*.xml"))), "--ruleset", "cin2025_26"],
                  env),
        ]
        print(f"{'total':<28} wall {sum(r[0] for r in rows):7.1f} s   cpu {sum(r[1] for r in rows):7.1f} s   "
              f"peak {max(r[2] for r in rows):7.0f} MB (largest step)")
        sizes = {p.name: p.stat().st_size for p in (out / "903").glob("*.csv")}
        print("903 files:", ", ".join(f"{k} {v // 1024} KB" for k, v in sorted(sizes.items())))
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
