"""Importing a county-sized SSDA903 + CIN census pair: wall time, CPU time and peak memory of ``csc import 903`` and
``csc import cin``.

    .venv/bin/python benchmarks/bench_import.py                  # 1,300 looked after, 20,000 in need, three years
    .venv/bin/python benchmarks/bench_import.py --children 300 --cin-children 3000   # quicker, for a try-out

The files are made here, in the DfE's layout (header, episodes, reviews, missing), for ``--children`` children
looked after in each of ``--years`` consecutive collection years ending 2025-26 (a county of about 250,000
children has some 1,300; a child's care runs across year ends, with placement and legal status changes and a
review about every six months), as Excel would save them (dd/mm/yyyy, CRLF). A private embedded PostgreSQL server
is started in a temporary folder and initialised (``csc init``, not timed). Then each year is imported, oldest
first, by ``csc import 903`` in a child process: its wall time, CPU time (user + system) and peak resident memory
(``ru_maxrss`` of that child alone, from ``os.wait4``). A later year's import combines and loads every year so far,
so the last one is the import of a county's three years. Then the CIN census of the last year (``--cin-children``
children in need in the year, the looked-after children of the 903 among them: a county has some 20,000, with a
referral, an assessment with its factors, and for some a section 47 enquiry, a conference and a CP plan with reviews,
or a CIN plan) is imported by ``csc import cin``, measured the same way: the import of the pair, combined with the
three 903 years. Figures are printed, not recorded.
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
    parser.add_argument("--cin-children", type=int, default=20000,
                        help="Children in need in the CIN census of the last year.")
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
            measure(env, "903", folder, name, rows)
        census, counts = write_census(work / "returns" / "cin.xml", years[-1], args.cin_children,
                                      looked_after(folders[-1]), random.Random(args.seed + 1))
        measure(env, "cin", census, f"{years[-1]}-{(years[-1] + 1) % 100:02d}", counts)
        print("load average after: " + ", ".join(f"{n:.1f}" for n in os.getloadavg()) + " (1, 5, 15 min)")
    finally:
        server.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(env: dict, kind: str, path: Path, year: str, rows: dict[str, int]) -> None:
    started = time.monotonic()
    child = subprocess.Popen([str(CSC), "import", kind, str(path), "--la", LA, "--year", year], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read()
    _, wait_status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(wait_status) != 0:
        raise SystemExit(f"csc import {kind} {year} failed:\n{output}")
    result = next((line for line in output.splitlines() if line.startswith(("loaded:", "skipped:"))), "")
    print(f"{kind} {year}: {', '.join(f'{n} {c:,}' for n, c in rows.items())}")
    print(f"  csc import {kind}: wall {wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s, "
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


def looked_after(folder: Path) -> list[tuple[str, str, date]]:
    """(child, sex, date of birth) of the children in a year's 903 header."""
    out = []
    with (folder / "header.csv").open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            child, sex, dob = line.split(",")[:3]
            out.append((child, sex, date(int(dob[6:]), int(dob[3:5]), int(dob[:2]))))
    return out


def write_census(path: Path, start_year: int, children: int, cla: list[tuple[str, str, date]],
                 rng: random.Random) -> tuple[Path, dict[str, int]]:
    """The CIN census of one year: the looked-after children of the 903 and others up to ``children``, each with a
    referral in the year or open from the year before, an assessment, and for some an enquiry, a conference and a
    CP plan with reviews (else, for some, a CIN plan)."""
    from lxml import etree

    year_start, year_end = date(start_year, 4, 1), date(start_year + 1, 3, 31)
    people = list(cla) + [(f"N{n:06d}", rng.choice("MF"), year_end - timedelta(days=rng.randint(30, 17 * 365)))
                          for n in range(max(0, children - len(cla)))]
    counts = dict.fromkeys(("children", "referrals", "assessments", "s47", "cp_plans", "cp_reviews"), 0)

    def add(parent, tag: str, value: object = None):
        node = etree.SubElement(parent, tag)
        if value is not None:
            node.text = value.isoformat() if isinstance(value, date) else str(value)
        return node

    message = etree.Element("Message")
    details = add(add(message, "Header"), "CollectionDetails")
    add(details, "Collection", "CIN")
    add(details, "Year", start_year + 1)
    add(details, "ReferenceDate", year_end)
    root = add(message, "Children")
    for child, sex, dob in people:
        counts["children"] += 1
        node = add(root, "Child")
        ids = add(node, "ChildIdentifiers")
        add(ids, "LAchildID", child)
        add(ids, "UPNunknown", "UN1")
        add(ids, "PersonBirthDate", dob)
        add(ids, "Sex", sex)
        add(add(node, "ChildCharacteristics"), "Ethnicity", rng.choice(("WBRI", "WIRI", "MWBC", "BAFR", "AIND")))
        referral = max(dob, year_start - timedelta(days=rng.randint(-330, 400)))
        episode = add(node, "CINdetails")
        counts["referrals"] += 1
        add(episode, "CINreferralDate", referral)
        add(episode, "ReferralSource", rng.choice(("1A", "1C", "2A", "3A", "3B", "5A", "6")))
        add(episode, "PrimaryNeedCode", rng.choice(("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")))
        closed = referral + timedelta(days=rng.randint(20, 700))
        if closed <= year_end:
            add(episode, "CINclosureDate", closed)
            add(episode, "ReasonForClosure", rng.choice(("RC1", "RC2", "RC3", "RC4", "RC7", "RC8")))
        add(episode, "ReferralNFA", "false")
        started = referral + timedelta(days=rng.randint(0, 5))
        assessment = add(episode, "Assessments")
        counts["assessments"] += 1
        add(assessment, "AssessmentActualStartDate", started)
        if started + timedelta(days=45) <= year_end:
            add(assessment, "AssessmentAuthorisationDate", started + timedelta(days=rng.randint(5, 60)))
            factors = add(assessment, "FactorsIdentifiedAtAssessment")
            for code in rng.sample(("1A", "1B", "1C", "2A", "2B", "3A", "4A", "5A", "6A", "7A"), 2):
                add(factors, "AssessmentFactors", code)
        if rng.random() < 0.25:
            counts["s47"] += 1
            enquiry = add(episode, "Section47")
            add(enquiry, "S47ActualStartDate", started)
            add(enquiry, "InitialCPCtarget", started + timedelta(days=15))
            if rng.random() < 0.5:
                held = started + timedelta(days=rng.randint(5, 25))
                add(enquiry, "DateOfInitialCPC", held)
                add(enquiry, "ICPCnotRequired", "false")
                counts["cp_plans"] += 1
                plan = add(episode, "ChildProtectionPlans")
                add(plan, "CPPstartDate", held)
                ends = held + timedelta(days=rng.randint(90, 600))
                if ends <= year_end:
                    add(plan, "CPPendDate", ends)
                add(plan, "InitialCategoryOfAbuse", rng.choice(("NEG", "PHY", "SAB", "EMO", "MUL")))
                add(plan, "LatestCategoryOfAbuse", rng.choice(("NEG", "PHY", "SAB", "EMO", "MUL")))
                add(plan, "NumberOfPreviousCPP", 0)
                reviews = add(plan, "Reviews")
                review = held + timedelta(days=90)
                while review <= min(ends, year_end):
                    counts["cp_reviews"] += 1
                    add(reviews, "CPPreviewDate", review)
                    review += timedelta(days=180)
            else:
                add(enquiry, "ICPCnotRequired", "true")
        elif rng.random() < 0.4:
            plans = add(episode, "CINPlanDates")
            add(plans, "CINPlanStartDate", started + timedelta(days=30))
    path.write_bytes(etree.tostring(message, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return path, counts


def _write(path: Path, header: list[str], rows: list[tuple]) -> None:
    def cell(value: object) -> str:
        return value.strftime("%d/%m/%Y") if isinstance(value, date) else "" if value is None else str(value)

    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\r\n")
        handle.writelines(",".join(cell(v) for v in row) + "\r\n" for row in rows)


if __name__ == "__main__":
    main()
