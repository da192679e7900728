"""``csc build``: one ``dbt build`` of the whole warehouse into the not-yet-published schemas.

The build reads, per LA, the batch in ``ops.build_batches`` and writes the BI-facing schemas under a suffix
(``marts__next``, ``casework__next``; see dbt_project/macros/generate_schema_name.sql). Nothing BI reads changes
until :func:`csc.transform.publication.publish` swaps the new relations in. Builds are serialised on a warehouse
by a row lock on ops.pipeline_locks (csc.warehouse.locks); each is recorded in ``ops.dbt_builds`` with one row
per dbt node in ``ops.dbt_model_runs``.

dbt runs as a child process with the environment of :func:`csc.transform.environment.dbt_environment`, so the
pseudonymisation pads live only in that process's environment and a killed build cannot leave this process in an
odd state. :class:`DbtBuild` is the one core of a build: ``csc build`` runs dbt itself (:func:`build`), the nightly
DAG's Cosmos task has Cosmos run it (``csc.orchestration.dbt_build``). Either way dbt leads its own process group,
dies with the process that started it, and no build starts while anything of an earlier one still runs.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import socket
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

from csc.quality.reference import refresh_population
from csc.quality.vocabulary import refresh_vocabularies
from csc.settings import Settings, get_settings
from csc.transform.environment import dbt_environment, dbt_work_dir
from csc.transform.targets import sync_regions, sync_targets
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
) -> BuildResult:
    """Run ``dbt build`` for every LA's build batch into the shadow schemas and record the outcome (``csc build``).

    ``progress`` receives dbt's output line by line. Raises :class:`BuildFailed` (after recording) when a model,
    seed or test fails, unless ``raise_on_failure`` is false. The nightly DAG runs the same :class:`DbtBuild` with
    astronomer-cosmos running dbt (``csc.orchestration.dbt_build``).
    """
    with DbtBuild(settings, select=select, exclude=exclude, progress=progress) as run:
        result = run.finish(run.run_dbt())
    if progress:
        progress(result.summary())
    if not result.ok and raise_on_failure:
        raise BuildFailed(result)
    return result


class DbtBuild:
    """One build of the warehouse, the one core of ``csc build`` and of the nightly DAG's Cosmos build task.

    ``with DbtBuild(settings) as run:`` takes the build lock, makes sure no dbt of an earlier (killed) build is still
    running, records the build in ``ops.dbt_builds`` and empties the shadow schemas. Inside, dbt runs once: either
    :meth:`run_dbt` (a child process) or another runner (Cosmos) given :attr:`env`, which calls
    :meth:`record_process` with dbt's process id when it starts it. :meth:`finish` then records dbt's
    ``run_results.json`` (``ops.dbt_builds``, one ``ops.dbt_model_runs`` row per node). Leaving the block kills dbt's
    process group if it is still there (an interrupted build) and only then releases the lock.

    dbt runs in its own process group (a new session) and dies with the process that started it (Linux
    ``PR_SET_PDEATHSIG``), so ``kill -9`` of a build takes its dbt with it; a build that finds an earlier build still
    marked ``running`` kills what is left of that build's process group (same host) and waits for its database
    sessions to end before it starts.
    """

    def __init__(self, settings: Settings | None = None, *, select: Sequence[str] = (), exclude: Sequence[str] = (),
                 progress: Callable[[str], None] | None = None):
        self.settings = settings or get_settings()
        self.select = tuple(select)
        self.exclude = tuple(exclude)
        self.progress = progress
        self.target = resolve_target(self.settings)
        self.suffix = publication_suffix(self.settings)
        # Only a build of every model (tests may be left out) replaces the shadow schemas and can be published; a
        # partial build (e.g. --select one model while developing) works on top of the last one.
        self.every_model = not self.select and all(s.startswith("test_type:") for s in self.exclude)
        self.selection = " ".join([*(f"--select {s}" for s in self.select),
                                   *(f"--exclude {e}" for e in self.exclude)]) or None
        self.build_id: int | None = None
        self.batches: list[dict[str, Any]] = []
        self.env: dict[str, str] = {}
        self.pgid: int | None = None
        self._lock: _build_lock | None = None
        self._started: float | None = None

    @property
    def run_results(self) -> Path:
        return Path(self.env["DBT_TARGET_PATH"]) / "run_results.json"

    def __enter__(self) -> DbtBuild:
        self._lock = _build_lock(self.target, self.progress)
        self._lock.__enter__()
        try:
            self._start()
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        settings, progress = self.settings, self.progress
        # We hold the build lock: a build still marked running was interrupted (killed, crashed). Make sure nothing
        # of it is still running before this one starts.
        _end_leftover_builds(self.target, settings, progress)
        with connect(settings, role=TRANSFORMER, target=self.target, application="csc build") as conn:
            conn.execute("update ops.dbt_builds set status = 'failed', finished_at = now(), "
                         "message = 'interrupted: the build stopped before recording its results' "
                         "where status = 'running'")
            self.batches = _current_batches(conn)
            # The targets in force are those of each LA's targets file now (config/las.yml `targets:`).
            targets = sync_targets(conn, settings)
            sync_regions(conn, settings)  # the regions the regional comparison mart pools (config/las.yml)
            # The vocabularies staging maps codes and roles through: each LA's profile and its vocabulary: maps.
            refresh_vocabularies(conn, settings)
            # The population the rates divide by: the seed, each LA's own population: file replacing its rows.
            refresh_population(conn, settings)
            self.build_id = conn.execute(
                "insert into ops.dbt_builds (started_at, status, publication_suffix, selection, builds_every_model, "
                "batches) values (now(), 'running', %s, %s, %s, %s) returning build_id",
                (self.suffix, self.selection, self.every_model, Jsonb(self.batches))).fetchone()[0]
            if self.every_model:
                # A clean slate: nothing of an earlier (maybe killed) build can be published with this one.
                for schema in published_schemas(settings):
                    conn.execute(f'drop schema if exists "{schema}{self.suffix}" cascade')
            conn.commit()
        if progress:
            described = ", ".join(f"LA {b['la_code']} batch {b['batch_id']} ({b['extract_date']}, {b['status']})"
                                  for b in self.batches) or "no batches (empty warehouse)"
            progress(f"build {self.build_id}: {described}; targets: "
                     + (", ".join(f"LA {la} {n} rows" for la, n in targets.items()) or "no LA configured"))
        self.env = dbt_environment(settings, self.target)
        self.env["CSC_DBT_APPLICATION_NAME"] = dbt_application_name(self.build_id)
        # A dbt session whose client died (dbt killed) stops its query within a second instead of finishing it.
        self.env["PGOPTIONS"] = f"{self.env['PGOPTIONS']} -c client_connection_check_interval=1000"
        dbt_work_dir(settings).mkdir(parents=True, exist_ok=True)
        self.run_results.unlink(missing_ok=True)
        self._started = time.monotonic()

    def command(self) -> list[str]:
        """The ``dbt build`` command line of this build (for :meth:`run_dbt`)."""
        command = [dbt_executable(), "build", "--project-dir", str(self.settings.dbt_project_dir),
                   "--profiles-dir", str(self.settings.dbt_project_dir)]
        for selector in self.select:
            command += ["--select", selector]
        for selector in self.exclude:
            command += ["--exclude", selector]
        return command

    def run_dbt(self) -> int:
        """Run dbt as a child process (own process group, dies with this process); its exit code."""
        return run_process(self.command(), {**os.environ, **self.env}, self.settings.dbt_project_dir,
                           self.progress, on_start=self.record_process)

    def record_process(self, pid: int) -> None:
        """Record dbt's process (the leader of its own process group) in ``ops.dbt_builds``."""
        self.pgid = pid
        with connect(self.settings, role=TRANSFORMER, target=self.target, application="csc build") as conn:
            conn.execute("update ops.dbt_builds set dbt_pid = %s, dbt_pgid = %s, dbt_host = %s where build_id = %s",
                         (pid, pid, socket.gethostname(), self.build_id))

    def finish(self, returncode: int) -> BuildResult:
        """Record what dbt did (its ``run_results.json``) and return it; raises nothing for a failed build."""
        assert self.build_id is not None and self._started is not None, "finish() inside the with block"
        seconds = time.monotonic() - self._started
        nodes, metadata = _read_run_results(self.run_results)
        result = _summarise(self.build_id, self.suffix, self.batches, seconds, nodes, returncode)
        with connect(self.settings, role=TRANSFORMER, target=self.target, application="csc build") as conn:
            if result.ok and _current_batches(conn) != self.batches:
                result.status = "failed"
                result.message = "the batches to build changed while dbt ran (a new batch was checked); rebuild"
            _record(conn, result, metadata)
            conn.commit()
        return result

    def __exit__(self, *exc: object) -> None:
        assert self._lock is not None
        try:
            if self.pgid is not None:
                # Normally dbt is gone by now; after an error or a signal here it may not be: its whole group goes
                # before the lock is released, so the next build cannot collide with it.
                stop_process_group(self.pgid)
        finally:
            self._lock.__exit__(*exc)


def dbt_application_name(build_id: int) -> str:
    """The ``application_name`` of a build's dbt sessions (dbt_project/profiles.yml reads it from the env)."""
    return f"csc dbt build {build_id}"


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


# --- dbt's process: its own process group, dying with its parent --------------------------------------------------
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` making the child die (SIGKILL) when the process starting it dies, even by ``kill -9``.

    Linux only (``prctl(PR_SET_PDEATHSIG)``); elsewhere None, and the next build stops a leftover dbt instead.
    The signal follows the thread that started the child: start dbt from a thread that lives as long as the build.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not in the child
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: nobody is left to signal us
            os._exit(1)

    return preexec


def run_process(command: list[str], env: dict[str, str], cwd: Path | str,
                progress: Callable[[str], None] | None, *, on_start: Callable[[int], None] | None = None) -> int:
    """Run dbt as the leader of a new session (so its whole tree can be killed as one process group) that dies with
    this process; ``on_start(pid)`` records it; ``progress`` gets each output line. Returns the exit code. If
    anything interrupts this (an error, Ctrl-C, a task's SIGTERM), dbt's group is killed before this returns."""
    log.info("running %s", " ".join(command))
    with subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          bufsize=1, errors="backslashreplace", start_new_session=True,
                          preexec_fn=die_with_parent()) as process:
        try:
            if on_start is not None:
                on_start(process.pid)
            assert process.stdout is not None
            for line in process.stdout:
                line = line.rstrip("\n")
                log.debug("dbt: %s", line)
                if progress:
                    progress(line)
            return process.wait()
        except BaseException:
            stop_process_group(process.pid)
            raise


def stop_process_group(pgid: int, *, wait_seconds: float = 60.0) -> bool:
    """Kill (SIGKILL) what is left of dbt's process group ``pgid`` and wait until none of it runs; True if anything
    was left. Only a group whose processes are dbt's is touched (a recycled id is left alone)."""
    members = _group_members(pgid)
    if not members or not any(b"dbt" in cmdline for cmdline in members.values()):
        return False
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + wait_seconds
    while _group_members(pgid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"dbt's process group {pgid} is still running {wait_seconds:.0f} s after SIGKILL")
        time.sleep(0.05)
    return True


def _group_members(pgid: int) -> dict[int, bytes]:
    """Live (not zombie) processes of process group ``pgid``: pid -> command line."""
    proc = Path("/proc")
    if not proc.is_dir():  # no procfs: ask the kernel whether the group exists at all
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return {}
        return {pgid: b"dbt"}
    members = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) != pgid or fields[0] in ("Z", "X"):
                continue
            members[int(entry.name)] = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return members


def _end_leftover_builds(target: Target, settings: Settings, progress: Callable[[str], None] | None) -> None:
    """Under the build lock: stop whatever is left of a build still marked running (its dbt process group on this
    host, its database sessions anywhere), so that nothing of it can write while the next build runs."""
    with connect(settings, role=TRANSFORMER, target=target, application="csc build") as conn:
        leftovers = conn.execute("select build_id, dbt_pgid, dbt_host from ops.dbt_builds where status = 'running' "
                                 "order by build_id").fetchall()
    if not leftovers:
        return
    here = socket.gethostname()
    with psycopg.connect(target.conninfo(application_name="csc build"), autocommit=True) as conn:
        for build_id, pgid, host in leftovers:
            if pgid is not None and host == here and stop_process_group(pgid):
                message = (f"build {build_id} was interrupted but its dbt (process group {pgid}) was still "
                           "running: killed")
                log.warning("%s", message)
                if progress:
                    progress(message)
            # Its sessions (any host): end them and wait until they are gone.
            deadline = time.monotonic() + 60
            while True:
                sessions = [r[0] for r in conn.execute(
                    "select pid from pg_stat_activity where datname = current_database() and application_name = %s",
                    (dbt_application_name(build_id),)).fetchall()]
                if not sessions:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the database sessions {sessions} of interrupted dbt build {build_id} "
                                       "could not be ended; end them (pg_terminate_backend) and build again")
                for pid in sessions:
                    conn.execute("select pg_terminate_backend(%s, 5000)", (pid,))


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
