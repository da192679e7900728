"""``make run`` / ``csc run``: the whole product end to end on the synthetic demo LA, then a summary.

Steps: start the warehouse (embedded unless CSC_WAREHOUSE_URL is set), ``csc init``, generate the demo LA's extract
(once, into ``<home>/synthetic``, with its ground truth beside it), land a copy in the landing folder, migrate
Airflow's database, run the real nightly DAG with ``airflow dags test``, write the quarterly return for the latest
complete quarter, and print where everything is. Running it again reuses
everything: the extract is already loaded, so the DAG's steps find their work done and no row count changes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from csc.settings import PROJECT_ROOT, Settings

Echo = Callable[[str], None]


@dataclass
class DemoResult:
    la_code: str
    extract_date: date
    extract_path: Path
    quarter: str
    return_dir: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def latest_complete_quarter(as_of: date) -> str:
    """The latest financial-year quarter ending on or before ``as_of``, named like ``2025Q1`` (Q1 = April-June)."""
    # Quarter ends: 30 June (Q1), 30 September (Q2), 31 December (Q3), 31 March (Q4 of the previous FY start year).
    year = as_of.year
    candidates = [
        (date(year, 3, 31), f"{year - 1}Q4"),
        (date(year, 6, 30), f"{year}Q1"),
        (date(year, 9, 30), f"{year}Q2"),
        (date(year, 12, 31), f"{year}Q3"),
    ]
    ended = [name for end, name in candidates if end <= as_of]
    return ended[-1] if ended else f"{year - 1}Q3"


def run_demo(settings: Settings, echo: Echo = print) -> DemoResult:
    from csc.orchestration import local_airflow
    from csc.orchestration.airflow_env import airflow_env
    from csc.warehouse.bootstrap import init_warehouse
    from csc.warehouse.connection import ensure_warehouse_running

    la_code, as_of = settings.demo_la, settings.demo_as_of
    result = DemoResult(la_code=la_code, extract_date=as_of,
                        extract_path=settings.landing_dir / la_code / as_of.isoformat(),
                        quarter=latest_complete_quarter(as_of))

    def timed(name: str, message: str, action: Callable[[], object]) -> None:
        echo(f"==> {message}")
        started = time.monotonic()
        action()
        result.seconds[name] = time.monotonic() - started
        echo(f"    done in {result.seconds[name]:.1f} s")

    timed("warehouse", "warehouse: start (or reuse) and initialise",
          lambda: (ensure_warehouse_running(settings), echo("    " + init_warehouse(settings).target)))
    synthetic = settings.home / "synthetic"
    generated = synthetic / la_code / as_of.isoformat()
    if (generated / "manifest.json").exists():
        echo(f"==> demo extract already generated: {generated}")
    else:
        faults = settings.demo_faults
        if faults not in ("none", "default", "all") and not Path(faults).is_absolute():
            faults = str(PROJECT_ROOT / faults)
        timed("generate", f"generate the synthetic extract of LA {la_code} for {as_of} ({settings.demo_size}, "
                          f"faults: {settings.demo_faults})",
              lambda: _csc("generate", "--la", la_code, "--size", settings.demo_size, "--seed", "1",
                           "--as-of", as_of.isoformat(), "--out", str(synthetic), "--faults", faults))
    # The nightly run waits for the extract in the landing folder and moves it to the archive once loaded: land a
    # copy for every run. An extract already loaded is recognised by its checksums and not loaded again.
    if not (result.extract_path / "manifest.json").exists():
        echo(f"==> land the extract: {result.extract_path}")
        _land(generated, result.extract_path)
    timed("airflow_db", "Airflow metadata database: migrate", lambda: local_airflow.migrate(settings))
    logical_date = as_of + timedelta(days=1)  # the run on the morning after processes the night's extract
    log_file = settings.logs_dir / f"make-run-dags-test-{as_of.isoformat()}.log"
    timed("nightly_dag", f"nightly DAG csc_nightly_{la_code}: airflow dags test (log: {log_file})",
          lambda: _dags_test(settings, airflow_env(settings), f"csc_nightly_{la_code}", logical_date, log_file))
    result.return_dir = settings.outputs_dir / "returns" / la_code / result.quarter
    timed("return", f"quarterly return for {result.quarter}", lambda: _csc(
        "return", "--la", la_code, "--quarter", result.quarter))
    return result


def _land(extract: Path, landing: Path) -> None:
    """Copy the extract into landing the way a delivery should arrive: data files first, the manifest last."""
    staging = landing.with_name(f".{landing.name}.landing")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(extract, staging)
    manifest = staging / "manifest.json"
    held = manifest.read_bytes()
    manifest.unlink()
    if landing.exists():
        shutil.rmtree(landing)
    staging.rename(landing)
    (landing / "manifest.json.part").write_bytes(held)
    (landing / "manifest.json.part").rename(landing / "manifest.json")


def _csc(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "csc.cli", *args], check=True)


def _dags_test(settings: Settings, env: dict[str, str], dag_id: str, logical_date: date, log_file: Path) -> None:
    from datetime import UTC, datetime

    from csc.orchestration.run_dates import record_real_run_dates

    log_file.parent.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC)
    with log_file.open("w") as out:
        completed = subprocess.run(["airflow", "dags", "test", dag_id, logical_date.isoformat()], env=env,
                                   stdout=out, stderr=subprocess.STDOUT, check=False)
    # `airflow dags test` starts the run "at" its logical date: record when it really started (the UI's duration).
    record_real_run_dates(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], dag_id, started_at, datetime.now(UTC))
    text = log_file.read_text()
    if completed.returncode != 0 or "state=success" not in text.split("DagRun Finished")[-1]:
        tail = "\n".join(line for line in text.splitlines()[-40:])
        raise RuntimeError(f"The nightly DAG run failed; full log: {log_file}\n{tail}")


def summary(settings: Settings, result: DemoResult) -> str:
    """What `make run` did and where everything is, from the records in ``ops``."""
    from csc.warehouse.connection import connect, resolve_target

    target = resolve_target(settings)
    lines = ["", f"=== Nightly run of LA {result.la_code}, extract {result.extract_date} ==="]
    with connect(settings) as conn:
        batch = conn.execute(
            "select batch_id, status, rows_loaded from ops.extract_batches where la_code = %s and extract_date = %s "
            "and status not in ('refused', 'failed') order by batch_id desc limit 1",
            (result.la_code, result.extract_date)).fetchone()
        if batch is None:
            lines.append("No batch was loaded for this extract.")
            return "\n".join(lines)
        batch_id, status, _ = batch
        lines.append(f"batch {batch_id}: {status}")
        loads = conn.execute("select table_name, rows_loaded from ops.file_loads where batch_id = %s "
                             "order by table_name", (batch_id,)).fetchall()
        lines.append(f"rows loaded per table ({sum(r or 0 for _, r in loads):,} in all):")
        lines += [f"  {table:28} {rows or 0:>10,}" for table, rows in loads]
        dq = conn.execute(
            "select d.dq_run_id, d.outcome, d.rules_evaluated, d.rules_failed_block, d.rules_failed_warn, "
            "d.report_path from ops.dq_runs d where d.batch_id = %s order by d.dq_run_id desc limit 1",
            (batch_id,)).fetchone()
        if dq:
            _, outcome, evaluated, failed_block, failed_warn, report = dq
            passed = (evaluated or 0) - (failed_block or 0) - (failed_warn or 0)
            lines.append(f"data-quality checks: {outcome}: {passed} passed, {failed_block} blocking and "
                         f"{failed_warn} warning rules failing (of {evaluated})")
            if report:
                lines.append(f"  report: {report}")
            findings = conn.execute(
                "select kind, rule_id, rows_failing from ops.dq_results where dq_run_id = %s and status = 'fail' "
                "and severity = 'warn' order by kind desc, rows_failing desc, rule_id", (dq[0],)).fetchall()
            for kind, title in (("fault", "warning rules failing"), ("exception", "practice exceptions")):
                found = [f"{rule} ({rows:,})" for k, rule, rows in findings if k == kind]
                if found:
                    lines.append(f"  {title}: " + ", ".join(found))
            alert = settings.outbox_dir / f"dq_{result.la_code}_{batch_id}.eml"
            if alert.exists():
                lines.append(f"  e-mail to the performance leads (outbox, no SMTP configured): {alert}")
        steps = conn.execute(
            "select s.step, s.status, s.detail from ops.pipeline_steps s join ops.pipeline_runs r using (run_id) "
            "where r.la_code = %s and r.detail->>'extract_date' = %s order by r.run_id desc, s.started_at",
            (result.la_code, result.extract_date.isoformat())).fetchall()
        for step, step_status, detail in steps:
            if step == "build" and step_status == "success":
                lines.append(f"dbt: {detail.get('models')} models built, {detail.get('tests')} tests run")
                break
    lines.append("")
    lines.append("Where things are:")
    lines.append(f"  warehouse        {target.display()}")
    lines.append(f"  extract          {settings.home / 'synthetic' / result.la_code / result.extract_date.isoformat()}"
                 f" (synthetic; landed copies are archived in {settings.archive_dir})")
    if result.return_dir:
        lines.append(f"  quarterly return {result.return_dir}")
    lines.append(f"  alerts outbox    {settings.outbox_dir}")
    lines.append(f"  logs             {settings.logs_dir}")
    lines.append("")
    lines.append("Airflow UI:   make airflow   -> http://127.0.0.1:8080  (make airflow-stop to stop); log in as "
                 f"engineer (admin) or viewer, passwords in {settings.secrets_dir / 'airflow_passwords.json'}")
    lines.append("BI tools:     .venv/bin/csc bi add-login NAME (one login per tool; prints where its password is), "
                 f".venv/bin/csc warehouse start --tcp 5433, then connect to 127.0.0.1:5433, database {target.dbname}, "
                 "user NAME (schema bi; --analyst: marts too)")
    return "\n".join(lines)
