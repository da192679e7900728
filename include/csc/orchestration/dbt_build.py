"""The nightly dbt build as one astronomer-cosmos task.

Cosmos' usual rendering (one Airflow task per model, LoadMode.DBT_MANIFEST or dbt ls) costs a new process, an
import of everything and a parse of the project per model under a real scheduler: minutes for 50+ models, against
seconds for one ``dbt build``. So the nightly DAG has one Cosmos ``DbtBuildLocalOperator`` node running the whole
``dbt build`` (dbt's own threads give the parallelism).

One straight path: the task (:meth:`CscDbtBuildOperator.build_night`) opens a :class:`csc.transform.build.DbtBuild`
(the core ``csc build`` uses too: the environment of :func:`csc.transform.dbt_environment`, the shadow schemas
``marts__next``..., the advisory build lock, ``ops.dbt_builds``), has Cosmos run dbt once inside it (project copy,
profile, flags), and records dbt's ``run_results.json`` (one ``ops.dbt_model_runs`` row per node). dbt leads its own
process group and dies with the task process, so a killed task leaves no dbt behind. Publication stays a separate
task: a failed build publishes nothing.

Per-model visibility comes from ``ops``: after the build, the task log lists every node of the project's pre-built
manifest (loaded with Cosmos' ``LoadMode.DBT_MANIFEST``, the manifest ``csc dbt-manifest`` writes) with its status,
seconds and rows from ``ops.dbt_model_runs``.
"""

from __future__ import annotations

from typing import Any

from cosmos.config import ProfileConfig
from cosmos.constants import InvocationMode
from cosmos.hooks.subprocess import FullOutputSubprocessResult
from cosmos.operators.local import DbtBuildLocalOperator

from csc.settings import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
PROFILE = ProfileConfig(profile_name="csc_warehouse", target_name="warehouse",
                        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml")


class CscDbtBuildOperator(DbtBuildLocalOperator):
    """``dbt build`` of the whole project through Cosmos, recorded as the nightly run's ``build`` step.

    ``run`` is the run record (``start_run``'s XCom), ``checked`` the check step's result (its ``batch_id``).
    """

    template_fields = (*DbtBuildLocalOperator.template_fields, "run", "checked")

    def __init__(self, *, run: Any, checked: Any, **kwargs: Any) -> None:
        kwargs.setdefault("project_dir", str(DBT_PROJECT_DIR))
        super().__init__(profile_config=PROFILE, invocation_mode=InvocationMode.SUBPROCESS, install_deps=False,
                         emit_datasets=False, append_env=True, should_store_compiled_sql=False, **kwargs)
        self.run = run
        self.checked = checked
        self._exit_code: int | None = None
        self._build: Any = None  # the DbtBuild in progress

    # The dbt environment (PGOPTIONS carries the pseudonymisation pads) reaches the dbt process only: never
    # self.env (a rendered template field), never os.environ (Cosmos copies the env there for OpenLineage, unused).
    def get_env(self, context: Any) -> dict[str, Any]:
        return {**super().get_env(context), **(self._build.env if self._build is not None else {})}

    def calculate_openlineage_events_completes(self, *args: Any, **kwargs: Any) -> bool:
        return False

    def execute(self, context: Any, **kwargs: Any) -> dict[str, Any]:
        from csc.orchestration.steps import run_step

        return run_step("build", self.run, lambda ref: self.build_night(ref, context), context, inject=False)

    def build_night(self, ref: Any, context: Any) -> dict[str, Any]:
        """The night's build step: skipped if the batch is already published; else one :class:`DbtBuild` whose dbt
        Cosmos runs, recorded in ``ops.dbt_builds`` / ``ops.dbt_model_runs`` and, per model, in the task log."""
        from csc.batches import SETTLED
        from csc.orchestration.failures import inject_transient_failure
        from csc.pipeline import batch_status, recorded_step
        from csc.settings import get_settings
        from csc.transform import BuildFailed
        from csc.transform.build import DbtBuild, dbt_executable

        settings = get_settings()
        batch_id = self.checked["batch_id"]
        with recorded_step(ref, "build", settings) as detail:
            if batch_status(batch_id, settings) in SETTLED:
                detail.update(skipped=True, reason=f"batch {batch_id} already published")
                return {"batch_id": batch_id, "skipped": True}
            with DbtBuild(settings, progress=self.log.info) as build:
                self._build = build  # get_env hands build.env to dbt's process only
                self.dbt_executable_path = dbt_executable()
                self._exit_code = None
                self.build_and_run_cmd(context=context, cmd_flags=self.add_cmd_flags())  # -> run_subprocess
                # Test hook: the warehouse connection is lost once, after dbt wrote the shadow schemas and the
                # incremental tables, before the build is recorded: the retry must not duplicate anything.
                inject_transient_failure("build", settings)
                result = build.finish(self._exit_code or 0)
            self.log.info("%s", result.summary())
            self.log.log(20 if result.ok else 40, "%s", node_report(settings, result.build_id))
            if not result.ok:
                raise BuildFailed(result)
            detail.update(models=result.models, tests=result.tests, seconds_dbt=round(result.seconds, 3),
                          build_id=result.build_id)
        return {"batch_id": batch_id, "models": result.models, "build_id": result.build_id}

    # Cosmos builds the command (project copy, profile, flags); dbt runs as every build's dbt does: its own process
    # group, dying with this task's process, recorded in ops.dbt_builds.
    def run_subprocess(self, command: list[str], env: dict[str, str], cwd: str,
                       **kwargs: Any) -> FullOutputSubprocessResult:
        from csc.transform.build import run_process

        self.log.info("Running the command:\n %s\nFrom %s", command, cwd)
        code = run_process(command, env, cwd, self.log.info, on_start=self._build.record_process)
        return FullOutputSubprocessResult(exit_code=code, output="", full_output=[])

    # Cosmos raises on a non-zero exit; the build records the failure first (DbtBuild.finish).
    def handle_exception_subprocess(self, result: Any) -> None:
        self._exit_code = result.exit_code

    def on_kill(self) -> None:
        from csc.transform.build import stop_process_group

        if self._build is not None and self._build.pgid is not None:
            stop_process_group(self._build.pgid)


def manifest_nodes(settings: Any) -> dict[str, Any]:
    """The project's nodes from the pre-built manifest (Cosmos LoadMode.DBT_MANIFEST); rendered if missing."""
    from cosmos.config import ExecutionConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, LoadMode
    from cosmos.dbt.graph import DbtGraph

    from csc.transform import render_manifest
    from csc.transform.environment import dbt_work_dir

    manifest = dbt_work_dir(settings) / "target" / "manifest.json"
    if not manifest.exists():
        manifest = render_manifest(settings)
    graph = DbtGraph(project=ProjectConfig(dbt_project_path=DBT_PROJECT_DIR, manifest_path=manifest),
                     render_config=RenderConfig(load_method=LoadMode.DBT_MANIFEST, emit_datasets=False),
                     execution_config=ExecutionConfig(execution_mode=ExecutionMode.LOCAL,
                                                      dbt_project_path=DBT_PROJECT_DIR),
                     profile_config=PROFILE)
    graph.load(method=LoadMode.DBT_MANIFEST, execution_mode=ExecutionMode.LOCAL)
    return graph.nodes


def node_report(settings: Any, build_id: int) -> str:
    """Per model and seed of the project: status, seconds, rows (from ops.dbt_model_runs); tests summarised."""
    from csc.warehouse.bootstrap import TRANSFORMER
    from csc.warehouse.connection import connect

    with connect(settings, role=TRANSFORMER) as conn:
        rows = conn.execute(
            "select unique_id, resource_type, status, execution_seconds, rows_affected, failures, message "
            "from ops.dbt_model_runs where build_id = %s", (build_id,)).fetchall()
        build = conn.execute("select status, models_ok, models_failed, tests_passed, tests_warned, tests_failed, "
                             "skipped, elapsed_seconds from ops.dbt_builds where build_id = %s",
                             (build_id,)).fetchone()
    runs = {r[0]: r for r in rows}
    try:
        nodes = manifest_nodes(settings)
    except Exception as exc:  # the report must never fail the build
        nodes = {}
        note = f" (manifest not readable: {exc})"
    else:
        note = ""
    wanted = [uid for uid, node in nodes.items() if node.resource_type.value in ("model", "seed", "snapshot")]
    wanted += [uid for uid, r in runs.items() if r[1] in ("model", "seed", "snapshot") and uid not in nodes]
    lines = [f"dbt build {build_id}: {build[0] if build else '?'}; per node from ops.dbt_model_runs{note}:",
             f"  {'node':60} {'status':9} {'seconds':>8} {'rows':>10}"]
    for uid in sorted(wanted, key=lambda u: (-(runs[u][3] or 0) if u in runs else 1, u)):
        run = runs.get(uid)
        status, seconds, rows_affected = (run[2], f"{run[3]:.2f}", run[4]) if run else ("not run", "", None)
        lines.append(f"  {uid:60} {status:9} {seconds:>8} {'' if rows_affected is None else rows_affected:>10}")
    tests = [r for r in rows if r[1] in ("test", "unit_test")]
    failing = [r for r in tests if r[2] in ("fail", "error")]
    lines.append(f"  tests: {len(tests)} run, {len(failing)} failing"
                 + "".join(f"\n    FAIL {r[0]}: {r[6] or ''} ({r[5]} rows)" for r in failing))
    return "\n".join(lines)
