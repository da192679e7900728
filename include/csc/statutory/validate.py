"""Run the DfE's own validators on the returns the product built and keep their verdict in ``ops``.

The validators (csc-validator-be-903, csc-validator-be-cin on PyPI) pin pandas 1.5 and numpy < 2: they live in their
own locked environment, ``tools/dfe-validators/.venv`` (``make validators``), and run here as a subprocess through
``tools/dfe-validators/run_validators.py``, which prints JSON. A rule that crashed is "not run", never a pass.

Rules the product cannot satisfy yet (the data they check is in SSD tables the warehouse does not hold) are listed in
:data:`SKIPPED` with the reason; their issues are still stored, and they do not block. Rules known to crash on every
file are listed in :data:`KNOWN_CRASHES`: they stay "not run" and do not block either.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from csc.settings import PROJECT_ROOT, Settings
from csc.statutory.years import CollectionYear, StatutoryError, ensure_fresh
from csc.warehouse.connection import connect

VALIDATORS_DIR = PROJECT_ROOT / "tools" / "dfe-validators"
RUNNER = VALIDATORS_DIR / "run_validators.py"

# The latest rule sets the pinned validators carry: the CIN validator on PyPI has none for 2026-27 yet, so a later
# year runs on the latest it has (and says so).
LATEST_903_RULESET = "lac2026_27"
LATEST_CIN_RULESET = "cin2025_26"

# rule code -> why the product cannot pass it (an extract without an optional table fails the rules that need it,
# honestly: those are not skipped)
SKIPPED: dict[str, dict[str, str]] = {
    "903": {
        "218": "it asks for an Ofsted URN on short-break episodes (LS V3 or V4) too, where rule 214 of the same "
               "validator forbids a URN and a placement postcode: no episode can pass both, the returns follow 214 "
               "(short breaks carry no placement location), so 218 fails on every short break; its issues are "
               "kept, and a URN missing on any other episode still shows in them",
    },
    "cin": {},
}

# rule code -> why it cannot judge a year in progress (the nightly readiness, ``in_progress``): skipped for that year
# only, as SKIPPED is (issues kept, not blocking); the year once ended is judged on every rule
SKIPPED_IN_PROGRESS: dict[str, dict[str, str]] = {
    "903": {},
    "cin": {
        "8736": "it wants an assessment not completed to have started in the census year, judged at the reference "
                "date (31 March): before that date an assessment begun last year and still open at the extract "
                "date may yet be completed by then; an open one left at the year's end fails the year itself",
    },
}

# rule code -> why it crashes on every file (validator defects): reported as not run, never as a pass
KNOWN_CRASHES: dict[str, dict[str, str]] = {
    "903": {
        "231": "the validator reads a column (UASC_STATUS) its own ingest never produces",
        "233": "the validator reads a column (DATE_EPISODE_CEASED) its own ingest never produces",
        "706": "needs the previous year's files",
        "709": "the validator reads column names its own ingest never produces",
        "710": "the validator reads column names its own ingest never produces",
    },
    "cin": {},
}


@dataclass
class ReturnVerdict:
    kind: str
    ruleset: str
    validator: str
    version: str
    rules: list[dict]
    issues: list[dict]
    validation_run_id: int | None = None

    @property
    def errors(self) -> int:
        blocking = {r["code"] for r in self.rules if r["status"] == "failed" and r["severity"] == "error"}
        return sum(1 for i in self.issues if i["rule"] in blocking)

    @property
    def blocking_rules(self) -> list[dict]:
        return [r for r in self.rules if (r["status"] == "failed" and r["severity"] == "error")
                or (r["status"] == "not_run" and r["code"] not in KNOWN_CRASHES[self.kind])]


@dataclass
class ValidationRun:
    la_code: str
    year: CollectionYear
    folder: Path
    verdicts: list[ReturnVerdict] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return any(v.blocking_rules for v in self.verdicts)

    def summary_lines(self) -> list[str]:
        lines = []
        for v in self.verdicts:
            counts = Counter(r["status"] for r in v.rules)
            lines.append(f"{v.kind} {self.year.name} ({v.validator} {v.version}, {v.ruleset}): "
                         f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped, "
                         f"{counts['not_run']} not run; {v.errors} errors")
            per_rule = Counter(i["rule"] for i in v.issues)
            for r in v.rules:
                if r["status"] in ("failed", "not_run"):
                    kind = "not run" if r["status"] == "not_run" else r["severity"]
                    extra = f" ({r['detail']})" if r["status"] == "not_run" and r.get("detail") else ""
                    lines.append(f"  {r['code']:>6} {kind:<7} {per_rule.get(r['code'], 0):>5}  "
                                 f"{(r['description'] or '')[:90]}{extra}")
                elif r["status"] == "skipped" and (r["detail"] or "").startswith("skipped by the product: "):
                    lines.append(f"  {r['code']:>6} skipped {per_rule.get(r['code'], 0):>5}  {r['detail']}")
        return lines


def validators_python() -> Path:
    python = VALIDATORS_DIR / ".venv" / "bin" / "python"
    if not python.is_file():
        raise StatutoryError(f"the DfE validators' environment is not set up ({python} missing): run `make validators`")
    return python


def run_validator(kind: str, path: Path, year: CollectionYear, ons_code: str | None = None, *,
                  in_progress: bool = False) -> ReturnVerdict:
    """Run one validator on the files at ``path`` (the 903 folder or the CIN XML file) in its own environment;
    ``in_progress``: the year has not ended, the rules of :data:`SKIPPED_IN_PROGRESS` are skipped too."""
    if kind == "903":
        ruleset = year.ruleset_903 if year.start_year <= 2026 else LATEST_903_RULESET
        args = [str(path), "--ruleset", ruleset, "--collection-year", str(year.end.year), "--la", ons_code or ""]
    else:
        ruleset = year.ruleset_cin if year.start_year <= 2025 else LATEST_CIN_RULESET
        args = [str(path), "--ruleset", ruleset]
    command = [str(validators_python()), str(RUNNER), kind, *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=VALIDATORS_DIR, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise StatutoryError(f"the {kind} validator failed on {path} (exit {done.returncode}):\n{tail}")
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise StatutoryError(f"the {kind} validator printed no JSON on {path}: {exc}") from None
    rules = []
    for rule in result["rules"]:
        severity = "query" if kind == "cin" and rule.get("type") == "QUERY" else "error"
        status, detail = rule["status"], rule.get("detail")
        reason = SKIPPED[kind].get(rule["code"]) or (
            SKIPPED_IN_PROGRESS[kind].get(rule["code"]) if in_progress else None)
        if reason and status in ("failed", "passed"):
            status, detail = "skipped", f"skipped by the product: {reason}"
        if status == "not_run" and rule["code"] in KNOWN_CRASHES[kind]:
            detail = f"{detail} (known: {KNOWN_CRASHES[kind][rule['code']]})"
        rules.append({"code": rule["code"], "description": rule["description"], "severity": severity,
                      "status": status, "detail": detail})
    return ReturnVerdict(kind=kind, ruleset=ruleset, validator=result["validator"], version=result["version"],
                         rules=rules, issues=result["issues"])


def store(settings: Settings, la_code: str, year: CollectionYear, folder: Path, verdict: ReturnVerdict,
          started: datetime, *, import_id: int | None = None, batch_id: int | None = None) -> int:
    """Keep a verdict in ops. A built return is linked to the LA's published batch it was built from; an imported
    one (``import_id``, ops.return_imports) to the import and the batch given (its import set's)."""
    per_rule = Counter(i["rule"] for i in verdict.issues)
    application = "csc import" if import_id is not None else "csc statutory validate"
    with connect(settings, application=application) as conn:
        if import_id is None and batch_id is None:
            batch = conn.execute(
                "select max(batch_id) from ops.extract_batches where la_code = %s and status = 'published'",
                (la_code,)).fetchone()
            batch_id = batch[0] if batch else None
        run_id = conn.execute(
            "insert into ops.statutory_validation_runs (la_code, return_kind, collection_year, ruleset, validator, "
            "validator_version, files_folder, batch_id, started_at, errors, blocking_rules, import_id) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning validation_run_id",
            (la_code, verdict.kind, year.name, verdict.ruleset, verdict.validator, verdict.version, str(folder),
             batch_id, started, verdict.errors, len(verdict.blocking_rules), import_id)).fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany(
                "insert into ops.statutory_rule_results (validation_run_id, rule_code, description, severity, "
                "status, detail, issues) values (%s, %s, %s, %s, %s, %s, %s)",
                [(run_id, r["code"], r["description"], r["severity"], r["status"], r["detail"],
                  per_rule.get(r["code"], 0)) for r in verdict.rules])
            with cur.copy("copy ops.statutory_issues (validation_run_id, rule_code, child_id, table_name, field, "
                          "row_no) from stdin") as copy:
                for i in verdict.issues:
                    copy.write_row((run_id, i["rule"], i["child"], i["table"], i["field"], i["row"]))
        conn.commit()
    verdict.validation_run_id = run_id
    return run_id


def validate_year(settings: Settings, la_code: str, year: CollectionYear, folder: Path, *,
                  ons_code: str | None = None, progress: Callable[[str], None] | None = None,
                  in_progress: bool = False) -> ValidationRun:
    """Build the 903 and CIN files of ``year`` into ``folder``, validate both, store the verdicts.

    ``in_progress``: the year has not ended (the nightly readiness): the CIN file is checked against the latest
    schema the product holds when the year has none of its own yet."""
    from csc.statutory.cin import write_cin
    from csc.statutory.ssda903 import write_903

    say = progress or (lambda _text: None)
    ensure_fresh(folder)
    run = ValidationRun(la_code=la_code, year=year, folder=folder)
    started = datetime.now(UTC)
    say(f"building the SSDA903 files of {year.name} into {folder / '903'}")
    ssda = write_903(settings, la_code, year, folder / "903")
    say("running the SSDA903 validator")
    verdict = run_validator("903", ssda.folder, year, ons_code, in_progress=in_progress)
    store(settings, la_code, year, ssda.folder, verdict, started)
    run.verdicts.append(verdict)
    started = datetime.now(UTC)
    say(f"building the CIN census XML of {year.name} into {folder / 'cin'}")
    census = write_cin(settings, la_code, year, folder / "cin", latest_schema=in_progress)
    say(f"running the CIN census validator (schema {census.schema.name})" + (
        "" if year.start_year <= 2025 else f" (rule set {LATEST_CIN_RULESET}: none on PyPI for {year.name} yet)"))
    verdict = run_validator("cin", census.path, year, in_progress=in_progress)
    store(settings, la_code, year, census.path, verdict, started)
    run.verdicts.append(verdict)
    return run

