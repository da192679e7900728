"""Nightly return readiness: build the SSDA903 files and the CIN census XML of a collection year, then run both DfE
validators on them. Wall time, CPU time and peak resident memory of each step, each in a child process.

    .venv/bin/python benchmarks/bench_statutory.py --size county            # builds its own warehouse (slow)
    .venv/bin/python benchmarks/bench_statutory.py --size small
    CSC_HOME=... CSC_WAREHOUSE_URL=... .venv/bin/python benchmarks/bench_statutory.py --existing   # a built one

Without ``--existing`` a private embedded PostgreSQL server is started in a temporary folder, and a fault-free extract
of LA 999 as of 30 June 2026 is generated, loaded, checked, built and published there (not timed). Then, timed, each
in its own child process (``os.wait4``: the child's own CPU and ``ru_maxrss``): ``csc statutory 903``,
``csc statutory cin``, and the two validators (``tools/dfe-validators/.venv``) on what they wrote. The server's CPU
seconds during each step are printed beside the child's (``server cpu``): the ``csc statutory`` commands push their
queries down to it, so the child's own CPU is only part of their cost (not measured with ``--existing``). The year
is the latest complete one (2025-26); nightly readiness validates the year in progress, of similar size.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from _common import MB, PrivateServer, machine, private_server, run_child, temporary_folder

ROOT = Path(__file__).resolve().parents[1]
CSC = ROOT / ".venv" / "bin" / "csc"
VALIDATORS = ROOT / "tools" / "dfe-validators"
AS_OF = date(2026, 6, 30)


def timed(label: str, command: list[str], env: dict[str, str], pg: PrivateServer | None) -> tuple[float, ...]:
    """Wall, CPU and peak MB of the child, and the server's CPU seconds meanwhile (0 without a private server)."""
    server_before = pg.cpu_seconds() if pg else 0.0
    child = run_child(command, env=env)
    server = pg.cpu_seconds() - server_before if pg else 0.0
    if child.returncode not in (0, 1):
        raise SystemExit(f"{label} failed ({child.returncode}):\n{child.output[-2000:]}")
    peak = child.peak / MB
    server_text = f"{server:7.1f} s" if pg else "      - "
    print(f"{label:<28} wall {child.wall:7.1f} s   cpu {child.cpu:7.1f} s   peak {peak:7.0f} MB   "
          f"server cpu {server_text}", flush=True)
    return child.wall, child.cpu, peak, server


def build(size: str, work: Path, env: dict[str, str], pg: PrivateServer) -> dict[str, str]:
    env = {**env, "CSC_HOME": str(work / "home"), "CSC_WAREHOUSE_URL": pg.conninfo("csc_bench_statutory"),
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
    with ExitStack() as stack:
        pg: PrivateServer | None = None
        prefix = "csc-bench-statutory-"
        if args.existing:
            work = stack.enter_context(temporary_folder(prefix, keep=args.keep))
        else:
            pg = stack.enter_context(private_server(prefix, databases=("csc_bench_statutory",), keep=args.keep))
            work = pg.work
            env = build(args.size, work, env, pg)
        out = work / "out"
        year = "2025-26"
        print(f"{platform.node()}: {machine()}; size "
              f"{'existing warehouse' if args.existing else args.size}", flush=True)
        rows = [
            timed("csc statutory 903", [str(CSC), "statutory", "903", "--la", "999", "--year", year, "--out",
                                        str(out / "903")], env, pg),
            timed("csc statutory cin", [str(CSC), "statutory", "cin", "--la", "999", "--year", year, "--out",
                                        str(out / "cin")], env, pg),
            timed("903 validator (lac2025_26)", [str(VALIDATORS / ".venv" / "bin" / "python"),
                                                 str(VALIDATORS / "run_validators.py"), "903", str(out / "903"),
                                                 "--ruleset", "lac2025_26", "--collection-year", "2026",
                                                 "--la", "E10000014"], env, pg),
            timed("CIN validator (cin2025_26)", [str(VALIDATORS / ".venv" / "bin" / "python"),
                                                 str(VALIDATORS / "run_validators.py"), "cin",
                                                 str(next((out / "cin").glob("*.xml"))), "--ruleset", "cin2025_26"],
                  env, pg),
        ]
        print(f"{'total':<28} wall {sum(r[0] for r in rows):7.1f} s   cpu {sum(r[1] for r in rows):7.1f} s   "
              f"peak {max(r[2] for r in rows):7.0f} MB   server cpu "
              + (f"{sum(r[3] for r in rows):7.1f} s" if pg else "      - ") + " (peak: largest step)")
        sizes = {p.name: p.stat().st_size for p in (out / "903").glob("*.csv")}
        print("903 files:", ", ".join(f"{k} {v // 1024} KB" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
