"""Benchmark: generate the county preset (about 350,000 children aged 0-17) in a child process and print its wall
time, CPU time and peak memory (the largest process's maximum resident set size, and the sampled peak of the
generator and its truth process together). Target: at most 60 s and 2 GB on 2 cores.

    .venv/bin/python benchmarks/bench_generate.py [--la 903] [--seed 1] [--as-of 2025-03-31] [--faults none]
        [--system generic|systemc|mosaic|eclipse]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _tree_rss(pid: int) -> int:
    """Resident memory (kB) of a process and all its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--la", default="903")
    parser.add_argument("--size", default="county")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--as-of", default="2025-03-31")
    parser.add_argument("--faults", default="none")
    parser.add_argument("--system", default="generic", help="render in this system's conventions (csc generate)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_generate_") as out:
        command = [sys.executable, "-m", "csc.cli", "generate", "--la", args.la, "--size", args.size,
                   "--seed", args.seed, "--as-of", args.as_of, "--out", out, "--faults", args.faults, "--quiet"]
        if args.system != "generic":
            command += ["--system", args.system]
        load_before = os.getloadavg()
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tree_peak = 0
        while process.poll() is None:
            tree_peak = max(tree_peak, _tree_rss(process.pid))
            time.sleep(0.1)
        stdout, stderr = process.communicate()
        wall = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        if process.returncode != 0:
            print(stderr, file=sys.stderr)
            return process.returncode
        extract = Path(out) / args.la / args.as_of
        manifest = json.loads((extract / "manifest.json").read_text(encoding="utf-8"))
        rows = sum(f["rows"] for f in manifest["files"])
        size = sum(p.stat().st_size for p in extract.iterdir())
    print(f"command       : {' '.join(command[2:])}")
    print(f"cpu count     : {os.cpu_count()}   python {sys.version.split()[0]}")
    print(f"load average  : {load_before[0]:.2f} before the run")
    print(f"wall time     : {wall:.1f} s")
    print(f"cpu time      : {usage.ru_utime + usage.ru_stime:.1f} s (user {usage.ru_utime:.1f}, system "
          f"{usage.ru_stime:.1f})")
    print(f"peak RSS      : {usage.ru_maxrss / 1024:.0f} MB (largest single process)")
    print(f"peak tree RSS : {tree_peak / 1024:.0f} MB (generator and its truth process together, sampled every "
          f"0.1 s; pages they share are counted twice)")
    print(f"extract       : {size / 1e6:.0f} MB, {rows:,} rows (manifest)")
    print(stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
