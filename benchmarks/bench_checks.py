"""The whole data-quality catalogue on a county extract: wall time and peak memory, and GX against hand-written SQL.

    .venv/bin/python benchmarks/bench_checks.py                    # county extract of `csc generate --la 903`
    .venv/bin/python benchmarks/bench_checks.py --size small       # quicker, for a try-out

A private embedded PostgreSQL server is started in a temporary folder. The warehouse is initialised, and the extract
(``--faults default``, so rules fail and records are written) generated into its landing folder and loaded, by
``csc init``, ``csc generate`` and ``csc load`` in child processes; none of it is timed. Then:

* the catalogue: ``csc check --batch ID --no-alerts`` in a child process, as the nightly DAG runs it (Data Docs and
  report included): its wall time, CPU time and peak resident memory (``ru_maxrss`` of that child alone, from
  ``os.wait4``). A child started by fork or vfork keeps its parent's peak as its own ``ru_maxrss`` after exec, so
  the benchmark process must stay small: it never generates or loads in-process. Meanwhile the checks process and
  the PostgreSQL server (where the work is pushed down) are sampled every 0.1 s: the checks process's memory at each
  of its steps, and the server's proportional set size (shared buffers counted once); the server's CPU time is read
  before and after;
* GX against SQL: the single-table rules of the largest tables (required values, id formats, dates that parse,
  dates in the future, code lists, end before start), run by Great Expectations (one suite per table, counts
  only, the GX import excluded) and as one hand-written ``count(*) filter (where ...)`` query per table, on the same
  typed work tables, alternately ``--rounds`` times. The failure counts must agree; the ratio is GX's median time
  over SQL's.

The temporary folder (server and extract, about 1 GB for the county) is removed at the end unless ``--keep``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

from csc.settings import Settings
from csc.warehouse.connection import connect

from _common import MB, children_of, generator_parser, machine, private_server, run_child, server_cpu_seconds

CSC = Path(sys.executable).with_name("csc")
SQL_TABLES = ("ssd_contacts", "ssd_involvements", "ssd_cp_visits", "ssd_cla_visits", "ssd_cin_visits", "ssd_person")
SUBSET_PREFIXES = ("STR_REQUIRED.", "STR_ID_FORMAT.", "STR_DATE_PARSES.", "STR_DATE_NOT_FUTURE.", "CODE.",
                   "TL_END_BEFORE_START.")
# Lines of `csc check` that end a step, and what the checks process has done by then.
STEPS = (("Validating ", "batch copied and measured"), ("  Great Expectations loaded", "GX imported"),
         ("Recording failing records", "validations and Data Docs"), ("Report:", "failing records and report"))


def main() -> None:
    parser = generator_parser(__doc__, as_of="2026-09-30")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", default="default", help="Generator faults: none, default.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternate GX and SQL runs of the comparison.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder (server data, extract).")
    parser.add_argument("--slowest", type=int, default=0, metavar="N",
                        help="Also list the N slowest statements of the checks (the server logs every statement "
                             "that takes over --slow-ms), and the logged time per work table.")
    parser.add_argument("--slow-ms", type=int, default=200, help="Threshold of --slowest, in milliseconds.")
    args = parser.parse_args()

    with private_server("csc-bench-checks-", databases=("csc_bench",), keep=args.keep) as pg:
        work, warehouse = pg.work, pg.conninfo("csc_bench")
        env = {**os.environ, "CSC_HOME": str(work / "home"), "CSC_WAREHOUSE_URL": warehouse,
               "CSC_AIRFLOW_DATABASE": "csc_bench_af"}
        settings = Settings(home=work / "home", warehouse_url=warehouse, airflow_database="csc_bench_af")
        batch_id, rows = prepare(env, settings, args)
        print(f"machine: {machine()}")
        print(f"extract: LA {args.la}, size {args.size}, faults {args.faults}, {rows:,} records, batch {batch_id}")
        if args.slowest:
            log_statements_over(pg, args.slow_ms)
        log_start = (pg.work / "pgdata" / "log").stat().st_size
        measure_catalogue(env, batch_id, pg.pid)
        if args.slowest:
            print_slowest(pg.work / "pgdata" / "log", log_start, args.slowest, args.slow_ms)
        compare_gx_with_sql(settings, batch_id, args.rounds)
        print("load average after: " + load_averages())


def log_statements_over(pg, milliseconds: int) -> None:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        conn.execute(f"alter system set log_min_duration_statement = {int(milliseconds)}")
        conn.execute("select pg_reload_conf()")


LOGGED = re.compile(r"duration: ([0-9.]+) ms\s+(?:statement|execute [^:]*):\s?(.*)")
WORK_TABLE = re.compile(r"dq_r\d+_(?:b\d+_)?(\w+)")


def print_slowest(log: Path, start: int, count: int, milliseconds: int) -> None:
    """The statements the server logged during the checks (each over ``milliseconds``): the ``count`` slowest, and
    the logged time per work table the statements read (a statement reading several counts for each)."""
    with log.open(encoding="utf-8", errors="replace") as handle:
        handle.seek(start)
        text = handle.read()
    statements: list[tuple[float, str]] = []
    for line in text.splitlines():
        found = LOGGED.search(line)
        if found:
            statements.append((float(found.group(1)) / 1000, found.group(2)))
        elif statements and line.startswith(("\t", " ")):  # a statement's next line
            seconds, sql = statements[-1]
            statements[-1] = (seconds, sql + " " + line.strip())
    total = sum(seconds for seconds, _ in statements)
    print(f"statements over {milliseconds} ms: {len(statements)}, {total:.1f} s in all")
    per_table: dict[str, float] = {}
    for seconds, sql in statements:
        for table in sorted(set(WORK_TABLE.findall(sql))):
            per_table[table] = per_table.get(table, 0.0) + seconds
    print("  by work table: " + ", ".join(f"{t} {s:.1f} s" for t, s in sorted(per_table.items(),
                                                                               key=lambda item: -item[1])[:12]))
    for seconds, sql in sorted(statements, key=lambda item: -item[0])[:count]:
        print(f"  {seconds:6.2f} s  {' '.join(sql.split())[:300]}")


def load_averages() -> str:
    return ", ".join(f"{n:.1f}" for n in os.getloadavg()) + " (1, 5, 15 min)"


def prepare(env: dict, settings: Settings, args) -> tuple[int, int]:
    """Initialise the warehouse, generate and load the extract (untimed), each a ``csc`` command in a child process:
    the benchmark process itself stays small, so nothing of the generator is counted in the checks' memory (a child
    started with fork or vfork keeps the parent's peak as its own ``ru_maxrss`` when it execs)."""
    run_csc(env, "init")
    started = time.monotonic()
    run_csc(env, "generate", "--la", args.la, "--size", args.size, "--seed", str(args.seed), "--as-of", args.as_of,
            "--faults", args.faults, "--out", str(settings.landing_dir), "--quiet")
    print(f"generated in {time.monotonic() - started:.0f} s (not timed)")
    started = time.monotonic()
    run_csc(env, "load", "--la", args.la)
    print(f"loaded in {time.monotonic() - started:.0f} s (not timed)")
    with connect(settings) as conn:
        return conn.execute("select batch_id, rows_loaded from ops.extract_batches where la_code = %s "
                            "order by batch_id desc limit 1", (args.la,)).fetchone()


def run_csc(env: dict, *arguments: str) -> None:
    completed = subprocess.run([str(CSC), *arguments], env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"csc {' '.join(arguments)} failed:\n{completed.stdout}\n{completed.stderr}")


def measure_catalogue(env: dict, batch_id: int, postmaster: int | None) -> None:
    """``csc check`` in a child process: wall time, its own peak memory and CPU, memory per step, and the server's
    memory and CPU meanwhile."""
    print("load average before the checks: " + load_averages())
    server_cpu = server_cpu_seconds(postmaster)
    sampler: MemorySampler | None = None
    steps: dict[str, int] = {}

    def start_sampling(pid: int) -> None:
        nonlocal sampler
        sampler = MemorySampler(pid, postmaster)
        sampler.start()

    def step_done(line: str) -> None:
        for prefix, label in STEPS:
            if line.startswith(prefix):
                steps.setdefault(label, sampler.checks_peak)

    # Progress (stderr) and summary (stdout) in one stream, unbuffered: each step's line arrives as it happens.
    child = run_child([str(CSC), "check", "--batch", str(batch_id), "--no-alerts"], env=env, on_start=start_sampling,
                      on_line=step_done)
    sampler.stop()
    server_cpu = server_cpu_seconds(postmaster) - server_cpu
    lines = child.output.splitlines()
    if child.returncode not in (0, 1):
        raise SystemExit("csc check failed:\n" + "\n".join(lines))
    peak_mb, wall = child.peak / MB, child.wall
    print("\n".join(line for line in lines if line.startswith(("Outcome", "Rules:"))))
    print(f"catalogue: {wall:.1f} s wall (budget 90 s), peak memory of the checks process {peak_mb:.0f} MB "
          f"(budget 1,024 MB)")
    print("  checks process by step (peak so far, sampled): "
          + ", ".join(f"{label} {peak / MB:.0f} MB" for label, peak in steps.items()))
    if sampler.server_peak:
        print(f"  PostgreSQL server meanwhile: peak {sampler.server_peak / MB:.0f} MB (proportional set size of its "
              f"{sampler.server_processes} processes); checks process and server together: peak "
              f"{sampler.together_peak / MB:.0f} MB (sampled)")
    else:
        print("  PostgreSQL server meanwhile: not measured (its /proc/<pid>/smaps_rollup is not readable)")
    print(f"  CPU: checks process {child.cpu:.1f} s, PostgreSQL server {server_cpu:.1f} s")


class MemorySampler(threading.Thread):
    """Samples the resident memory of the checks process and the proportional set size of the PostgreSQL server
    (its postmaster and every backend) from /proc, every 0.1 s, until stopped."""

    def __init__(self, checks_pid: int, postmaster: int | None):
        super().__init__(daemon=True)
        self.checks_pid, self.postmaster = checks_pid, postmaster
        self.checks_peak = self.server_peak = self.together_peak = self.server_processes = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(0.1):
            checks = _smaps(self.checks_pid, "Rss")
            server = [_smaps(pid, "Pss") for pid in server_processes(self.postmaster)] if self.postmaster else []
            server_total = sum(server)
            self.checks_peak = max(self.checks_peak, checks)
            if server_total > self.server_peak:
                self.server_peak, self.server_processes = server_total, sum(1 for m in server if m)
            self.together_peak = max(self.together_peak, checks + server_total)

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def _smaps(pid: int, field: str) -> int:
    """One field of /proc/<pid>/smaps_rollup in bytes; 0 for a process gone or unreadable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def server_processes(postmaster: int) -> list[int]:
    return [postmaster, *children_of(postmaster)]


def compare_gx_with_sql(settings: Settings, batch_id: int, rounds: int) -> None:
    from csc.quality.catalogue import BatchContext, load_catalogue
    from csc.quality.reference import refresh_reference_data
    from csc.quality.session import CheckSession
    from csc.quality.work import create_work_tables, drop_work_tables, work_prefix
    from csc.warehouse.bootstrap import LOADER

    catalogue = load_catalogue(settings)
    catalogue.rules = [r for r in catalogue if r.table in SQL_TABLES and r.id.startswith(SUBSET_PREFIXES)]
    catalogue.__dict__.pop("by_id", None)
    gx_times, sql_times = [], []
    with connect(settings, role=LOADER, autocommit=True) as conn:
        extract_date = conn.execute("select extract_date from ops.extract_batches where batch_id = %s",
                                    (batch_id,)).fetchone()[0]
        ctx = BatchContext(batch_id=batch_id, extract_date=extract_date, work_prefix=work_prefix(999_999))
        refresh_reference_data(conn, settings)
        create_work_tables(conn, catalogue.contract, ctx, settings)
        passes = [hand_written_pass([r for r in catalogue if r.table == table], ctx) for table in SQL_TABLES]
        try:
            for _ in range(rounds):
                with CheckSession(settings) as session:  # a fresh context each round; the GX import is not timed
                    started = time.monotonic()
                    evaluations = session.validate(catalogue, ctx, previous_measures=None)
                    gx_times.append(time.monotonic() - started)
                started = time.monotonic()
                sql_counts = {}
                for rules, query in passes:
                    sql_counts.update(zip((r.id for r in rules), conn.execute(query).fetchone(), strict=True))
                sql_times.append(time.monotonic() - started)
        finally:
            drop_work_tables(conn, 999_999)
    disagree = {rule: (ev.rows_failing, sql_counts[rule]) for rule, ev in evaluations.items()
                if ev.rows_failing != sql_counts[rule]}
    failing = sum(1 for ev in evaluations.values() if ev.rows_failing)
    gx_seconds, sql_seconds = statistics.median(gx_times), statistics.median(sql_times)
    print(f"GX vs SQL: {len(evaluations)} rules on {', '.join(SQL_TABLES)} ({failing} failing, "
          f"{sum(ev.rows_failing for ev in evaluations.values()):,} failing rows), {rounds} rounds")
    print(f"  GX {gx_seconds:.1f} s, hand-written SQL {sql_seconds:.1f} s (medians): ratio "
          f"{gx_seconds / sql_seconds:.1f}; counts agree: {'yes' if not disagree else 'NO ' + str(disagree)}")
    print("  rounds: " + "; ".join(f"GX {g:.1f} s, SQL {s:.1f} s" for g, s in zip(gx_times, sql_times, strict=True)))
    if disagree:
        raise SystemExit(1)


def hand_written_pass(rules: list, ctx) -> tuple[list, str]:
    """One query over one work table (alias t) counting every rule's failures, written independently of the
    catalogue. A code list is joined once per coded column (hashed, one row per code with its valid years), so the
    table is still read once and no subquery runs per row."""
    counts, joins = [], []
    for number, rule in enumerate(rules):
        condition, join = hand_written(rule, ctx, f"code_{number}")
        counts.append(f"count(*) filter (where {condition})")
        joins += [join] if join else []
    table = ctx.work_table(rules[0].table)
    return rules, f"select {', '.join(counts)} from {table} t {' '.join(joins)}"


def hand_written(rule, ctx, alias: str) -> tuple[str, str | None]:
    """The rule's failure condition on one row of its table (alias t), and the join it needs, if any."""
    kind = rule.id.split(".")[0]
    column = rule.column
    if kind == "STR_REQUIRED":
        return f"t.{column} is null", None
    if kind == "STR_ID_FORMAT":
        return f"t.{column} !~ '^[A-Za-z0-9_-]{{1,48}}$'", None
    if kind == "STR_DATE_PARSES":
        return f"t.{column} is not null and t.{column}__date is null", None
    if kind == "STR_DATE_NOT_FUTURE":
        return f"t.{column}__date > date '{ctx.extract_date}'", None
    if kind == "TL_END_BEFORE_START":
        return f"t.{rule.params['end']}__date < t.{rule.params['start']}__date", None
    if kind == "CODE":
        code_list = rule.params["code_list"]
        when = f"t.{rule.params['event_date']}__date" if rule.params.get("event_date") else "null"
        year = f"extract(year from coalesce({when}, date '{ctx.extract_date}') - interval '3 months')::int"
        valid = (f"(select normalised_code, range_agg(int4range(coalesce(valid_from_year, 0), "
                 f"coalesce(valid_to_year, 9999), '[]')) as years from ops.dq_code_lists "
                 f"where code_list = '{code_list}' group by normalised_code)")
        join = (f"left join {valid} {alias} on {alias}.normalised_code = ops.dq_normalised_code('{code_list}', "
                f"t.{column}) and {alias}.years @> {year}")
        return f"nullif(upper(btrim(t.{column})), '') is not null and {alias}.normalised_code is null", join
    raise ValueError(rule.id)


if __name__ == "__main__":
    main()
