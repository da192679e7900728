"""Benchmark: the nightly DAG on a county extract (target: at most 5 min on 2 cores under ``airflow dags test``), and
the cost of running dbt through Cosmos under the real scheduler (target: at most 1.3x a plain ``dbt build``).

    .venv/bin/python benchmarks/bench_nightly.py                    # both parts
    .venv/bin/python benchmarks/bench_nightly.py --skip-scheduler   # only the airflow dags test part

A private embedded PostgreSQL server is started in a temporary folder; Countyshire (903, county size) is generated for
two consecutive nights. Part 1 lands the first night and runs ``airflow dags test csc_nightly_903`` (what ``make run``
does): wall time, the stages' own times from ``ops.pipeline_steps``, and the orchestration overhead (wall minus
stages: Airflow start-up, task start-up, the sensor, recording). Part 2 starts the real scheduler (``csc airflow
start``), lands the second night, triggers the DAG and waits for it; the ``build`` task's duration (a Cosmos
``DbtBuildLocalOperator`` running the whole ``dbt build`` in a task process) is then compared with a plain
``csc build`` (dbt build as a child process, same recording) of the same data. Prints the load average throughout:
the development machine is shared.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import yaml

from csc.settings import Settings
from csc.warehouse.bootstrap import init_warehouse

from _common import generator_parser, load_average, machine, private_server

DAGS_TEST_TARGET = 300
RATIO_TARGET = 1.3


def main() -> int:
    parser = generator_parser(__doc__, as_of="2026-09-30")  # --as-of: the second night
    parser.add_argument("--skip-scheduler", action="store_true", help="Only part 1 (airflow dags test).")
    args = parser.parse_args()
    as_of = date.fromisoformat(args.as_of)
    first, second = as_of - timedelta(days=1), as_of

    env: dict[str, str] = {}
    with ExitStack() as stack:
        pg = stack.enter_context(private_server("csc-bench-nightly-", databases=("csc_bench",)))
        stack.callback(lambda: env and csc(env, "airflow", "stop", check=False))  # first, before the server stops
        work, warehouse = pg.work, pg.conninfo("csc_bench")
        home = work / "home"
        settings = Settings(home=home, warehouse_url=warehouse, airflow_database="csc_bench_af",
                            las_config=work / "las.yml")
        write_las(settings, args.la, start=first)
        init_warehouse(settings)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CSC_", "AIRFLOW"))}
        env.update(CSC_HOME=str(home), CSC_WAREHOUSE_URL=warehouse,
                   CSC_AIRFLOW_DATABASE="csc_bench_af", CSC_LAS_CONFIG=str(settings.las_config),
                   CSC_EXTRACT_POLL_SECONDS="2")
        say(f"machine: {machine()}")

        started = time.perf_counter()
        csc(env, "generate", "--la", args.la, "--size", args.size, "--seed", "1", "--as-of", as_of.isoformat(),
            "--nights", "2", "--out", str(work / "generated"), "--quiet")
        say(f"generate: 2 nights of {args.size} LA {args.la} in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        csc(env, "airflow", "cmd", "db", "migrate")
        say(f"airflow db migrate: {time.perf_counter() - started:.1f} s (not counted: make run does it once)")

        # --- part 1: airflow dags test ------------------------------------------------------------------------------
        land(work / "generated" / args.la / first.isoformat(), settings.landing_dir / args.la / first.isoformat())
        load_before = load_average()
        logical = datetime.combine(second, datetime.min.time(), tzinfo=ZoneInfo("Europe/London"))
        started = time.perf_counter()
        done = csc(env, "airflow", "cmd", "dags", "test", f"csc_nightly_{args.la}", logical.isoformat(), "--conf",
                   json.dumps({"extract_date": first.isoformat()}), check=False, log=work / "dags-test.log")
        wall = time.perf_counter() - started
        load_after = load_average()
        if done.returncode != 0:
            say(f"airflow dags test FAILED (exit {done.returncode}); log: {work / 'dags-test.log'}")
            print("\n".join((work / "dags-test.log").read_text().splitlines()[-40:]))
            return 1
        stages = steps(settings, first)
        stage_total = sum(stages.values())
        say(f"part 1: airflow dags test csc_nightly_{args.la} (extract {first}, load average {load_before:.2f} "
            f"before, {load_after:.2f} after)")
        say(f"  wall time           : {wall:.1f} s (target {DAGS_TEST_TARGET} s: "
            f"{'met' if wall <= DAGS_TEST_TARGET else 'NOT met'})")
        for step, seconds in stages.items():
            say(f"  {step:20}: {seconds:.1f} s")
        say(f"  orchestration       : {wall - stage_total:.1f} s (wall minus the stages' {stage_total:.1f} s)")
        if args.skip_scheduler:
            return 0

        # --- part 2: the real scheduler; Cosmos build task against a plain csc build ------------------------------
        write_las(settings, args.la, start=date.today())  # no scheduled catch-up run: only the triggered one
        port = free_port()
        load_before = load_average()
        try:
            csc(env, "airflow", "start", "--port", str(port))
            wait(lambda: airflow_rows(settings, "select 1 from dag where dag_id = %s", (f"csc_nightly_{args.la}",)),
                 300, "the DAG to be parsed")
            csc(env, "airflow", "cmd", "dags", "unpause", f"csc_nightly_{args.la}")
            land(work / "generated" / args.la / second.isoformat(),
                 settings.landing_dir / args.la / second.isoformat())
            earlier = {r[0] for r in airflow_rows(settings, "select run_id from dag_run")}
            started = time.perf_counter()
            csc(env, "airflow", "cmd", "dags", "trigger", f"csc_nightly_{args.la}", "--conf",
                json.dumps({"extract_date": second.isoformat()}))
            run_id, state = wait(lambda: [r for r in airflow_rows(
                settings, "select run_id, state from dag_run where dag_id = %s", (f"csc_nightly_{args.la}",))
                if r[0] not in earlier and r[1] in ("success", "failed")], 1800, "the triggered run")[0]
            run_wall = time.perf_counter() - started
        finally:
            csc(env, "airflow", "stop", check=False)
        load_after = load_average()
        if state != "success":
            say(f"the scheduled run FAILED; logs in {settings.logs_dir / 'airflow'}")
            return 1
        durations = dict(airflow_rows(settings, "select task_id, extract(epoch from end_date - start_date) "
                                                "from task_instance where dag_id = %s and run_id = %s",
                                      (f"csc_nightly_{args.la}", run_id)))
        cosmos_task = float(durations["build"])
        cosmos_dbt = latest_build_seconds(settings)
        say(f"part 2: real scheduler, csc_nightly_{args.la} triggered for {second}: {state} in {run_wall:.1f} s "
            f"(load average {load_before:.2f} before, {load_after:.2f} after)")
        for task_id, seconds in sorted(durations.items(), key=lambda kv: kv[1], reverse=True):
            say(f"  task {task_id:17}: {float(seconds):.1f} s")

        load_before = load_average()
        started = time.perf_counter()
        csc(env, "build")
        plain = time.perf_counter() - started
        plain_dbt = latest_build_seconds(settings)
        load_after = load_average()
        ratio = cosmos_task / plain
        say(f"  plain `csc build` of the same data: {plain:.1f} s wall (dbt {plain_dbt:.1f} s; load average "
            f"{load_before:.2f} before, {load_after:.2f} after)")
        say(f"  Cosmos build task: {cosmos_task:.1f} s (dbt {cosmos_dbt:.1f} s) -> ratio {ratio:.2f}x "
            f"(target {RATIO_TARGET}x: {'met' if ratio <= RATIO_TARGET else 'NOT met'})")
        return 0


def say(message: str) -> None:
    print(message, flush=True)


def write_las(settings: Settings, la: str, *, start: date) -> None:
    entry = {"code": la, "name": "Countyshire (benchmark)", "schedule": "30 2 * * *", "timezone": "Europe/London",
             "deadline": "07:00", "extract_wait": "PT1H", "start_date": start.isoformat(),
             "alerts": {"data_quality": ["dq@bench.example"], "failures": ["engineers@bench.example"]}}
    settings.las_config.write_text(yaml.safe_dump({"las": [entry]}))


def csc(env: dict[str, str], *args: str, check: bool = True, log: Path | None = None) -> subprocess.CompletedProcess:
    out = log.open("w") if log else subprocess.DEVNULL
    try:
        done = subprocess.run([sys.executable, "-m", "csc.cli", *args], env=env, stdout=out,
                              stderr=subprocess.STDOUT if log else subprocess.PIPE, text=True)
    finally:
        if log:
            out.close()
    if check and done.returncode != 0:
        raise RuntimeError(f"csc {' '.join(args)} failed: {(done.stderr or '')[-2000:]}")
    return done


def land(extract: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(extract, target, ignore=shutil.ignore_patterns("manifest.json"))
    shutil.copy2(extract / "manifest.json", target / "manifest.json")


def steps(settings: Settings, night: date) -> dict[str, float]:
    with psycopg.connect(settings.warehouse_url.get_secret_value()) as conn:
        rows = conn.execute(
            "select s.step, extract(epoch from s.finished_at - s.started_at) from ops.pipeline_steps s "
            "join ops.pipeline_runs r using (run_id) where r.detail->>'extract_date' = %s order by s.started_at",
            (night.isoformat(),)).fetchall()
    return {step: float(seconds) for step, seconds in rows}


def latest_build_seconds(settings: Settings) -> float:
    with psycopg.connect(settings.warehouse_url.get_secret_value()) as conn:
        return float(conn.execute("select elapsed_seconds from ops.dbt_builds order by build_id desc limit 1")
                     .fetchone()[0])


def airflow_rows(settings: Settings, statement: str, params: tuple = ()) -> list[tuple]:
    from csc.warehouse.connection import resolve_target

    target = resolve_target(settings).for_database(settings.airflow_database)
    try:
        with psycopg.connect(target.conninfo()) as conn:
            return conn.execute(statement, params).fetchall()
    except psycopg.errors.UndefinedTable:
        return []


def wait(probe, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(2)
    raise TimeoutError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
