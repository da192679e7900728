"""``csc build``: one ``dbt build`` of the whole warehouse into the not-yet-published schemas.

The build reads, per LA, the batch in ``ops.build_batches`` and writes the BI-facing schemas under a suffix
(``marts__next``, ``casework__next``; see dbt_project/macros/generate_schema_name.sql). Nothing BI reads changes
until :func:`csc.transform.publication.publish` swaps the new relations in. Builds are serialised on a warehouse
by an advisory lock; each is recorded in ``ops.dbt_builds`` with one row per dbt node in ``ops.dbt_model_runs``.

dbt runs as a child process with the environment of :func:`csc.transform.environment.dbt_environment`, so the
pseudonymisation pads live only in that process's environment and a killed build cannot leave this process in an
odd state.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import yaml
from psycopg.types.json import Jsonb

from csc.settings import Settings, get_settings
from csc.transform.environment import dbt_environment, dbt_work_dir
from csc.transform.targets import sync_targets
from csc.warehouse import locks
from csc.warehouse.bootstrap import TRANSFORMER
from csc.warehouse.connection import Target, connect, resolve_target

log = logging.getLogger(__name__)

MODEL_TYPES = {"model", "seed", "snapshot"}
TEST_TYPES = {"test", "unit_test"}


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    resource_type: str
    name: str
    status: str
    started_at: datetime | None
    completed_at: datetime | None
    execution_seconds: float
    rows_affected: int | None
    failures: int | None
    relation: str | None
    message: str | None


@dataclass
class BuildResult:
    """What a build did: counts per kind of node, failures, timings, and the batches it built."""

    build_id: int
    status: str
    publication_suffix: str
    batches: list[dict[str, Any]]
    seconds: float
    models: int = 0
    models_failed: int = 0
    tests: int = 0
    tests_passed: int = 0
    tests_warned: int = 0
    tests_failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    nodes: list[NodeResult] = field(default_factory=list, repr=False)
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def summary(self) -> str:
        return (f"build {self.build_id} {self.status} in {self.seconds:.1f} s: {self.models} models built"
                f" ({self.models_failed} failed), {self.tests} tests ({self.tests_passed} passed,"
                f" {self.tests_warned} warned, {self.tests_failed} failed), {self.skipped} skipped")


class BuildFailed(RuntimeError):
    """The dbt build failed; nothing was published. ``result`` says what failed."""

    def __init__(self, result: BuildResult):
        self.result = result
        detail = f": {', '.join(result.failures[:10])}" if result.failures else ""
        super().__init__(f"{result.summary()}{detail}" + (f" ({result.message})" if result.message else ""))


def dbt_executable() -> str:
    """The dbt of this environment (beside the running interpreter), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise FileNotFoundError("dbt is not installed in this environment (expected beside the Python interpreter)")
    return found


def publication_suffix(settings: Settings) -> str:
    """The suffix of the shadow schemas, as dbt_project.yml defines it (one place: the project's vars)."""
    project = yaml.safe_load((settings.dbt_project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return str(project["vars"]["publication_suffix"])


def published_schemas(settings: Settings) -> list[str]:
    project = yaml.safe_load((settings.dbt_project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return list(project["vars"]["published_schemas"])


def build(
    settings: Settings | None = None,
    *,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
    raise_on_failure: bool = True,
    run_dbt: Callable[[list[str], dict[str, str], Path, Callable[[str], None] | None], int] | None = None,
) -> BuildResult:
    """Run ``dbt build`` for every LA's build batch into the shadow schemas and record the outcome.

    ``progress`` receives dbt's output line by line. Raises :class:`BuildFailed` (after recording) when a model,
    seed or test fails, unless ``raise_on_failure`` is false. ``run_dbt(command, env, cwd, progress) -> exit code``
    replaces the default runner (a child process), e.g. with an astronomer-cosmos operator; it must leave dbt's
    run_results.json in ``DBT_TARGET_PATH``.
    """
    settings = settings or get_settings()
    target = resolve_target(settings)
    suffix = publication_suffix(settings)
    # Only a build of every model (tests may be left out) replaces the shadow schemas and can be published; a
    # partial build (e.g. --select one model while developing) works on top of the last one.
    every_model = not select and all(selector.startswith("test_type:") for selector in exclude)
    selection = " ".join([*(f"--select {s}" for s in select), *(f"--exclude {e}" for e in exclude)]) or None
    env = dbt_environment(settings, target)
    work_dir = dbt_work_dir(settings)
    run_results = Path(env["DBT_TARGET_PATH"]) / "run_results.json"

    with _build_lock(target, progress):
        with connect(settings, role=TRANSFORMER, target=target, application="csc build") as conn:
            # We hold the build lock: a build still marked running was interrupted (killed, crashed).
            conn.execute("update ops.dbt_builds set status = 'failed', finished_at = now(), "
                         "message = 'interrupted: the build stopped before recording its results' "
                         "where status = 'running'")
            batches = _current_batches(conn)
            # The targets in force are those of each LA's targets file now (config/las.yml `targets:`).
            targets = sync_targets(conn, settings)
            build_id = conn.execute(
                "insert into ops.dbt_builds (started_at, status, publication_suffix, selection, builds_every_model, "
                "batches) values (now(), 'running', %s, %s, %s, %s) returning build_id",
                (suffix, selection, every_model, Jsonb(batches))).fetchone()[0]
            if every_model:
                # A clean slate: nothing of an earlier (maybe killed) build can be published with this one.
                for schema in published_schemas(settings):
                    conn.execute(f'drop schema if exists "{schema}{suffix}" cascade')
            conn.commit()
        if progress:
            described = ", ".join(f"LA {b['la_code']} batch {b['batch_id']} ({b['extract_date']}, {b['status']})"
                                  for b in batches) or "no batches (empty warehouse)"
            progress(f"build {build_id}: {described}; targets: "
                     + (", ".join(f"LA {la} {n} rows" for la, n in targets.items()) or "no LA configured"))

        work_dir.mkdir(parents=True, exist_ok=True)
        run_results.unlink(missing_ok=True)
        command = [dbt_executable(), "build", "--project-dir", str(settings.dbt_project_dir),
                   "--profiles-dir", str(settings.dbt_project_dir)]
        for selector in select:
            command += ["--select", selector]
        for selector in exclude:
            command += ["--exclude", selector]
        started = time.monotonic()
        returncode = (run_dbt or _run_dbt)(command, env, settings.dbt_project_dir, progress)
        seconds = time.monotonic() - started

        nodes, metadata = _read_run_results(run_results)
        result = _summarise(build_id, suffix, batches, seconds, nodes, returncode)
        with connect(settings, role=TRANSFORMER, target=target, application="csc build") as conn:
            if result.ok and _current_batches(conn) != batches:
                result.status = "failed"
                result.message = "the batches to build changed while dbt ran (a new batch was checked); rebuild"
            _record(conn, result, metadata)
            conn.commit()

    if progress:
        progress(result.summary())
    if not result.ok and raise_on_failure:
        raise BuildFailed(result)
    return result


def render_manifest(settings: Settings | None = None) -> Path:
    """``dbt parse``: write target/manifest.json (e.g. for astronomer-cosmos' LoadMode.DBT_MANIFEST) and return it."""
    settings = settings or get_settings()
    env = dbt_environment(settings)
    command = [dbt_executable(), "parse", "--project-dir", str(settings.dbt_project_dir),
               "--profiles-dir", str(settings.dbt_project_dir)]
    completed = subprocess.run(command, cwd=settings.dbt_project_dir, env={**os.environ, **env},
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout}{completed.stderr}")
    return Path(env["DBT_TARGET_PATH"]) / "manifest.json"


class _build_lock:
    """Hold the warehouse's build lock on a dedicated session for the duration of a build."""

    def __init__(self, target: Target, progress: Callable[[str], None] | None):
        self.target = target
        self.progress = progress
        self.conn: psycopg.Connection | None = None

    def __enter__(self) -> None:
        # A row lock in a transaction kept open for the whole build (csc.warehouse.locks): no BI session can hold it.
        self.conn = psycopg.connect(self.target.conninfo(application_name="csc build lock"))
        if not locks.take(self.conn, locks.BUILD, wait=False):
            if self.progress:
                self.progress("another build or publication is running on this warehouse: waiting for it")
            locks.take(self.conn, locks.BUILD)

    def __exit__(self, *exc: object) -> None:
        assert self.conn is not None
        self.conn.close()  # closing the session ends its transaction and releases the lock


def _current_batches(conn: psycopg.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "select la_code, batch_id, extract_date, status from ops.build_batches order by la_code").fetchall()
    return [{"la_code": la, "batch_id": batch, "extract_date": day.isoformat(), "status": status}
            for la, batch, day, status in rows]


def _run_dbt(command: list[str], env: dict[str, str], cwd: Path, progress: Callable[[str], None] | None) -> int:
    full_env = {**os.environ, **env}
    log.info("running %s", " ".join(command))
    with subprocess.Popen(command, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as process:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip("\n")
            log.debug("dbt: %s", line)
            if progress:
                progress(line)
        return process.wait()


def _read_run_results(path: Path) -> tuple[list[NodeResult], dict[str, Any]]:
    if not path.exists():
        return [], {}
    document = json.loads(path.read_text(encoding="utf-8"))
    nodes = []
    for entry in document.get("results", []):
        unique_id = entry["unique_id"]
        resource_type = unique_id.split(".", 1)[0]
        timing = {t["name"]: t for t in entry.get("timing", [])}
        execute = timing.get("execute") or {}
        compile_ = timing.get("compile") or {}
        response = entry.get("adapter_response") or {}
        nodes.append(NodeResult(
            unique_id=unique_id,
            resource_type=resource_type,
            name=unique_id.split(".")[-1] if resource_type != "unit_test" else ".".join(unique_id.split(".")[-2:]),
            status=entry["status"],
            started_at=_timestamp(compile_.get("started_at") or execute.get("started_at")),
            completed_at=_timestamp(execute.get("completed_at") or compile_.get("completed_at")),
            execution_seconds=float(entry.get("execution_time") or 0.0),
            rows_affected=response.get("rows_affected"),
            failures=entry.get("failures"),
            relation=entry.get("relation_name"),
            message=entry.get("message"),
        ))
    return nodes, document.get("metadata", {})


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _summarise(build_id: int, suffix: str, batches: list[dict[str, Any]], seconds: float,
               nodes: list[NodeResult], returncode: int) -> BuildResult:
    result = BuildResult(build_id=build_id, status="success", publication_suffix=suffix, batches=batches,
                         seconds=seconds, nodes=nodes)
    for node in nodes:
        if node.resource_type in MODEL_TYPES:
            if node.status == "success":
                result.models += 1
            elif node.status == "error":
                result.models_failed += 1
                result.failures.append(node.unique_id)
            else:
                result.skipped += 1
        elif node.resource_type in TEST_TYPES:
            if node.status == "skipped":
                result.skipped += 1
                continue
            result.tests += 1
            if node.status == "pass":
                result.tests_passed += 1
            elif node.status == "warn":
                result.tests_warned += 1
            else:
                result.tests_failed += 1
                result.failures.append(node.unique_id)
    if returncode != 0 or result.models_failed or result.tests_failed:
        result.status = "failed"
        if not nodes:
            result.message = f"dbt exited with code {returncode} before reporting any result"
    return result


def _record(conn: psycopg.Connection, result: BuildResult, metadata: dict[str, Any]) -> None:
    conn.execute(
        "update ops.dbt_builds set finished_at = now(), status = %s, dbt_version = %s, invocation_id = %s, "
        "models_ok = %s, models_failed = %s, tests_passed = %s, tests_warned = %s, tests_failed = %s, "
        "skipped = %s, elapsed_seconds = %s, message = %s where build_id = %s",
        (result.status, metadata.get("dbt_version"), metadata.get("invocation_id"), result.models,
         result.models_failed, result.tests_passed, result.tests_warned, result.tests_failed, result.skipped,
         round(result.seconds, 3), result.message, result.build_id))
    with conn.cursor() as cur:
        cur.executemany(
            "insert into ops.dbt_model_runs (build_id, unique_id, resource_type, name, status, started_at, "
            "completed_at, execution_seconds, rows_affected, failures, relation, message) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(result.build_id, n.unique_id, n.resource_type, n.name, n.status, n.started_at, n.completed_at,
              n.execution_seconds, n.rows_affected, n.failures, n.relation, n.message) for n in result.nodes])
