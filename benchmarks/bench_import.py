"""Importing a county-sized SSDA903 return: wall time, CPU time and peak memory of ``csc import 903``.

    .venv/bin/python benchmarks/bench_import.py                  # 1,300 children looked after, three years
    .venv/bin/python benchmarks/bench_import.py --children 300   # quicker, for a try-out

The files are made here, in the DfE's layout (header, episodes, reviews, missing), for ``--children`` children
looked after in each of ``--years`` consecutive collection years ending 2025-26 (a county of about 250,000
children has some 1,300; a child's care runs across year ends, with placement and legal status changes and a
review about every six months), as Excel would save them (dd/mm/yyyy, CRLF). A private embedded PostgreSQL server
is started in a temporary folder and initialised (``csc init``, not timed). Then each year is imported, oldest
first, by ``csc import 903`` in a child process: its wall time, CPU time (user + system) and peak resident memory
(``ru_maxrss`` of that child alone, from ``os.wait4``). A later year's import combines and loads every year so far,
so the last one is the import of a county's three years. Figures are printed, not recorded.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

CSC = Path(sys.executable).with_name("csc")
LA = "903"
PLACEMENTS = ("U1", "U2", "U3", "U4", "U5", "U6", "K2", "R1", "P1", "H5")
LEGAL = ("C2", "C2", "C2", "V2", "V2", "E1", "C1")
MB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1300, help="Children looked after in each year.")
    parser.add_argument("--years", type=int, default=3, help="Collection years, the last 2025-26.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder (server data, files).")
    args = parser.parse_args()

    from csc.warehouse.embedded import EmbeddedServer

    work = Path(tempfile.mkdtemp(prefix="csc-bench-import-"))
    os.chmod(work, 0o755)  # the embedded server's OS user must reach its data folder
    server = EmbeddedServer(work / "pgdata")
    try:
        status = server.start()
        conninfo = f"host={status.socket_dir} port={status.port or 5432} user=postgres"
        with psycopg.connect(f"{conninfo} dbname=postgres", autocommit=True) as conn:
            conn.execute("create database csc_bench")
        env = {**os.environ, "CSC_HOME": str(work / "home"), "CSC_WAREHOUSE_URL": f"{conninfo} dbname=csc_bench",
               "CSC_AIRFLOW_DATABASE": "csc_bench_af"}
        completed = subprocess.run([str(CSC), "init"], env=env, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"csc init failed:\n{completed.stdout}\n{completed.stderr}")
        years = [2025 - k for k in reversed(range(args.years))]
        folders = write_returns(work / "returns", years, args.children, random.Random(args.seed))
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
        for start_year, folder in zip(years, folders, strict=True):
            rows = {p.name: sum(1 for _ in p.open(encoding="utf-8")) - 1 for p in sorted(folder.iterdir())}
            name = f"{start_year}-{(start_year + 1) % 100:02d}"
            measure(env, folder, name, rows)
        print("load average after: " + ", ".join(f"{n:.1f}" for n in os.getloadavg()) + " (1, 5, 15 min)")
    finally:
        server.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(env: dict, folder: Path, year: str, rows: dict[str, int]) -> None:
    started = time.monotonic()
    child = subprocess.Popen([str(CSC), "import", "903", str(folder), "--la", LA, "--year", year], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read()
    _, wait_status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(wait_status) != 0:
        raise SystemExit(f"csc import 903 {year} failed:\n{output}")
    result = next((line for line in output.splitlines() if line.startswith(("loaded:", "skipped:"))), "")
    print(f"{year}: {', '.join(f'{n} {c:,}' for n, c in rows.items())}")
    print(f"  csc import 903: wall {wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s, "
          f"peak memory {usage.ru_maxrss * 1024 / MB:.0f} MB")
    print(f"  {result}")


def write_returns(root: Path, years: list[int], children: int, rng: random.Random) -> list[Path]:
    """Each child's care as 903 episode rows over every year, then each year's files: the rows open in it."""
    first = date(years[0], 4, 1) - timedelta(days=3 * 365)
    last = date(years[-1] + 1, 3, 31)
    pool = children * 2  # children come and go: about as many start and leave as stay
    people, episodes, reviews, missing = [], [], [], []
    for n in range(pool):
        child = f"C{n:06d}"
        dob = first - timedelta(days=rng.randint(0, 16 * 365))
        people.append((child, rng.choice("MF"), dob, rng.choice(("WBRI", "WIRI", "MWBC", "BAFR", "AIND"))))
        start = first + timedelta(days=rng.randint(0, (last - first).days))
        end = start + timedelta(days=rng.randint(30, 4 * 365))
        end = None if end > last else end
        day, place, legal, rne = start, rng.choice(PLACEMENTS), rng.choice(LEGAL), "S"
        while True:
            step = day + timedelta(days=rng.randint(60, 500))
            stop = end if end is not None and step >= end else (None if step > last else step)
            closing = stop is None or stop == end
            episodes.append((child, day, rne, legal, "N1", place, "PR1", stop,
                             (rng.choice(("E11", "E13", "E4A", "E8")) if end is not None else None) if closing
                             else "X1", None if closing else "CHP", "AB1 2CD", f"SC{rng.randint(1, 99999):06d}"))
            if closing:
                break
            day = stop
            if rng.random() < 0.7:
                place, rne = rng.choice(PLACEMENTS), "P"
            else:
                legal, rne = rng.choice(LEGAL), "L"
        review = start + timedelta(days=20)
        while review <= (end or last):
            reviews.append((child, dob, review, "PN1"))
            review += timedelta(days=rng.randint(90, 190))
        if rng.random() < 0.1:
            went = start + timedelta(days=rng.randint(0, 60))
            missing.append((child, dob, "M", went, went + timedelta(days=1)))
    folders = []
    for start_year in years:
        year_start, year_end = date(start_year, 4, 1), date(start_year + 1, 3, 31)
        rows = [e for e in episodes if e[1] <= year_end and (e[7] is None or e[7] >= year_start)]
        rows = [(*e[:7], None, None, None, *e[10:]) if e[7] is not None and e[7] > year_end else e for e in rows]
        looked_after = {e[0] for e in rows}
        folder = root / f"{start_year}"
        folder.mkdir(parents=True)
        _write(folder / "header.csv", ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
               [(c, s, d, e, "UN1", None, None) for c, s, d, e in people if c in looked_after])
        _write(folder / "episodes.csv", ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                                         "REASON_PLACE_CHANGE", "PL_POST", "URN"], rows)
        _write(folder / "reviews.csv", ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
               [r for r in reviews if year_start <= r[2] <= year_end and r[0] in looked_after])
        _write(folder / "missing.csv", ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
               [m for m in missing if year_start <= m[3] <= year_end])
        folders.append(folder)
    return folders


def _write(path: Path, header: list[str], rows: list[tuple]) -> None:
    def cell(value: object) -> str:
        return value.strftime("%d/%m/%Y") if isinstance(value, date) else "" if value is None else str(value)

    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\r\n")
        handle.writelines(",".join(cell(v) for v in row) + "\r\n" for row in rows)


if __name__ == "__main__":
    main()
