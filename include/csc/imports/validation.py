"""Checks on imported returns (issue 14, item 4): the DfE validators on the files as they came in, the catalogue's
applicability to a returns batch, and the two side by side.

- :func:`validate_import`: the DfE validator of a 903 or CIN return, run (``csc.statutory.validate``) on the files
  the import read, byte for byte, never on a return the product wrote again; its verdict goes to the tables of
  ``csc statutory validate`` (``ops.statutory_*``), linked to the import (``import_id``, migration 1680) and to the
  returns batch of the import set.
- :func:`tables_not_held`: the contract tables a returns batch cannot hold (``return_checks.yml``, ``holds``): the
  checks report the rules that read them as not applicable (``csc.quality.session``).
- :func:`agreement`: per pair of ``return_checks.yml`` (a catalogue rule and a DfE rule that look for the same fault),
  the children each side flags on the LA's current imports, and where they agree (``csc import report``).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import psycopg
import yaml
from psycopg import sql

from csc.imports.model import ParsedReturn
from csc.settings import Settings

CHECKS_PATH = Path(__file__).with_name("return_checks.yml")
NOT_APPLICABLE = "not applicable"


@cache
def return_checks() -> dict:
    document = yaml.safe_load(CHECKS_PATH.read_text(encoding="utf-8"))
    return {"holds": {str(k): tuple(v) for k, v in document["holds"].items()}, "pairs": document["pairs"]}


# -- the DfE validators on the files as received -------------------------------------------------------------------
@dataclass
class ImportValidation:
    import_id: int
    kind: str
    year: str
    validation_run_id: int | None  # None: not validated (``note`` says why)
    errors: int = 0
    blocking_rules: int = 0
    summary: list[str] = field(default_factory=list)
    note: str | None = None


def current_import(conn: psycopg.Connection, la_code: str, kind: str, period: str) -> int | None:
    row = conn.execute("select import_id from ops.return_imports where la_code = %s and kind = %s and period = %s "
                       "and replaced_at is null", (la_code, kind, period)).fetchone()
    return row[0] if row else None


def validate_import(settings: Settings, parsed: ParsedReturn, *, batch_id: int | None = None,
                    ons_code: str | None = None) -> ImportValidation | None:
    """Run the DfE validator of ``parsed``'s kind on the files it was read from and store the verdict, linked to
    the LA's current import of that kind and year. An import already validated is not validated again. None for a
    kind no DfE validator covers (Annex A). Raises ``StatutoryError`` when the validator cannot run."""
    from csc.las import identity_codes
    from csc.statutory.validate import run_validator, store
    from csc.statutory.years import CollectionYear
    from csc.warehouse.connection import connect

    if parsed.kind not in ("903", "cin") or parsed.year is None:
        return None
    year = CollectionYear.parse(parsed.year)
    with connect(settings, application="csc import") as conn:
        import_id = current_import(conn, parsed.la_code, parsed.kind, parsed.year)
        if import_id is None:
            raise LookupError(f"LA {parsed.la_code} has no current {parsed.kind} import of {parsed.year}")
        done = conn.execute("select validation_run_id, errors, blocking_rules from ops.statutory_validation_runs "
                            "where import_id = %s order by validation_run_id desc limit 1", (import_id,)).fetchone()
    if done is not None:
        return ImportValidation(import_id, parsed.kind, parsed.year, done[0], done[1], done[2],
                                note=f"already validated (run {done[0]})")
    files = [Path(f) for f in parsed.files if Path(f).is_file()]
    if parsed.kind == "903" and (not files or any(f.suffix.lower() != ".csv" for f in files)):
        return ImportValidation(import_id, parsed.kind, parsed.year, None,
                                note="not validated: the DfE 903 validator reads the CSV layout, this return is XML")
    if ons_code is None and parsed.kind == "903":
        ons_code = identity_codes(settings, parsed.la_code)[0]
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="csc-import-validate-") as scratch:  # 0700
        if parsed.kind == "903":  # the files read, copied unchanged: the folder may hold others (another year's)
            target = Path(scratch)
            for f in files:
                shutil.copyfile(f, target / f.name)
                (target / f.name).chmod(0o600)
            where = files[0].parent
        else:
            target = where = files[0]
        verdict = run_validator(parsed.kind, target, year, ons_code)
    run_id = store(settings, parsed.la_code, year, where, verdict, started, import_id=import_id, batch_id=batch_id)
    from csc.statutory.validate import ValidationRun

    run = ValidationRun(la_code=parsed.la_code, year=year, folder=where, verdicts=[verdict])
    return ImportValidation(import_id, parsed.kind, parsed.year, run_id, verdict.errors, len(verdict.blocking_rules),
                            summary=run.summary_lines())


# -- what a returns batch cannot hold --------------------------------------------------------------------------------
def batch_return_kinds(conn: psycopg.Connection, batch_id: int) -> tuple[str, ...] | None:
    """The kinds of return a returns batch combines; None for a batch of another source (an SSD extract)."""
    row = conn.execute("select source_kind from ops.extract_batches where batch_id = %s", (batch_id,)).fetchone()
    if row is None or row[0] != "returns":
        return None
    kinds = conn.execute(
        "select distinct i.kind from ops.return_import_revisions r "
        "join ops.return_imports i on i.import_id = any(r.import_ids) where r.batch_id = %s order by 1",
        (batch_id,)).fetchall()
    return tuple(k for (k,) in kinds)


def tables_not_held(conn: psycopg.Connection, batch_id: int) -> tuple[tuple[str, ...], frozenset[str]]:
    """(kinds of return, contract tables they cannot hold) of a returns batch; ((), {}) for any other batch."""
    from csc.contract import load_contract

    kinds = batch_return_kinds(conn, batch_id)
    if kinds is None:
        return (), frozenset()
    holds = return_checks()["holds"]
    held = set().union(*(holds.get(k, ()) for k in kinds)) if kinds else set()
    return kinds, frozenset(t.name for t in load_contract() if t.name not in held)


# -- side by side ----------------------------------------------------------------------------------------------------
@dataclass
class PairAgreement:
    id: str
    fault: str
    ours: tuple[str, ...]
    dfe_kind: str
    dfe_rules: tuple[str, ...]
    ours_status: str  # pass | fail | not applicable | not run | no batch
    dfe_status: str  # passed | failed | not run | no return | not validated
    ours_children: frozenset[str] = frozenset()
    dfe_children: frozenset[str] = frozenset()

    @property
    def both(self) -> frozenset[str]:
        return self.ours_children & self.dfe_children

    @property
    def only_ours(self) -> frozenset[str]:
        return self.ours_children - self.dfe_children

    @property
    def only_dfe(self) -> frozenset[str]:
        return self.dfe_children - self.ours_children

    @property
    def compared(self) -> bool:
        return self.ours_status in ("pass", "fail") and self.dfe_status in ("passed", "failed")

    @property
    def agree(self) -> bool | None:
        """Both sides ran and flag the same children (none included); None when one side did not run."""
        return self.ours_children == self.dfe_children if self.compared else None

    def by_child(self) -> dict[str, str]:
        """child -> both | only ours | only DfE"""
        out = {c: "both" for c in self.both}
        out.update({c: "only ours" for c in self.only_ours})
        out.update({c: "only DfE" for c in self.only_dfe})
        return dict(sorted(out.items()))


@dataclass
class ImportReport:
    la_code: str
    batch_id: int | None
    batch_status: str | None
    dq_run_id: int | None
    imports: list[dict]  # {import_id, kind, period, validation_run_id, errors, ruleset}
    pairs: list[PairAgreement]
    not_applicable: list[tuple[str, str]]  # (rule id, reason) of the batch's check


def _person_column(table) -> str | None:
    if table.name == "ssd_person":
        return "pers_person_id"
    return next((c.name for c in table.columns if c.identifies == "person"), None)


def _flagged_children(conn: psycopg.Connection, dq_run_id: int, batch_id: int, rules: list[str]) -> set[str]:
    """The children of the records the catalogue's ``rules`` flagged in a run (records of a table without a person
    column are left out)."""
    from csc.contract import load_contract
    from csc.quality.catalogue import record_key_sql

    contract = load_contract()
    tables = [t for (t,) in conn.execute(
        "select distinct table_name from ops.dq_failing_records where dq_run_id = %s and rule_id = any(%s) "
        "and kind = 'fault'", (dq_run_id, rules)).fetchall()]
    children: set[str] = set()
    for name in tables:
        if name not in contract.tables:
            continue
        table = contract.table(name)
        person = _person_column(table)
        if person is None:
            continue
        query = sql.SQL("select distinct t.{person} from raw.{table} t join ops.dq_failing_records f "
                        "on f.record_key = " + record_key_sql(table, "t") + " "
                        "where t._batch_id = %s and f.dq_run_id = %s and f.rule_id = any(%s) "
                        "and f.table_name = %s and t.{person} is not null").format(
            person=sql.Identifier(person), table=sql.Identifier(name))
        children |= {r[0] for r in conn.execute(query, (batch_id, dq_run_id, rules, name)).fetchall()}
    return children


def agreement(settings: Settings, la_code: str) -> ImportReport:
    """The LA's current imports: per pair of ``return_checks.yml``, the children the catalogue flags on the latest
    check of the import set's batch and those the DfE validator flags on the files as received."""
    from csc.warehouse.connection import connect

    with connect(settings, application="csc import report") as conn:
        revision = conn.execute(
            "select r.batch_id, b.status from ops.return_import_revisions r "
            "left join ops.extract_batches b on b.batch_id = r.batch_id "
            "where r.la_code = %s order by r.revision_id desc limit 1", (la_code,)).fetchone()
        imports = conn.execute(
            "select i.import_id, i.kind, i.period, v.validation_run_id, v.errors, v.ruleset "
            "from ops.return_imports i left join lateral ("
            "  select validation_run_id, errors, ruleset from ops.statutory_validation_runs s "
            "  where s.import_id = i.import_id order by validation_run_id desc limit 1) v on true "
            "where i.la_code = %s and i.replaced_at is null order by i.kind, i.period", (la_code,)).fetchall()
        imports = [dict(zip(("import_id", "kind", "period", "validation_run_id", "errors", "ruleset"), r, strict=True))
                   for r in imports]
        batch_id, batch_status = revision if revision else (None, None)
        run = conn.execute("select max(dq_run_id) from ops.dq_runs where batch_id = %s and outcome <> 'error'",
                           (batch_id,)).fetchone()[0] if batch_id else None
        statuses: dict[str, tuple[str, dict]] = {}
        if run is not None:
            statuses = {r[0]: (r[1], r[2] or {}) for r in conn.execute(
                "select rule_id, status, observed from ops.dq_results where dq_run_id = %s", (run,)).fetchall()}
        not_applicable = sorted((rule, obs.get("reason", "")) for rule, (status, obs) in statuses.items()
                                if status == "skipped" and str(obs.get("reason", "")).startswith(NOT_APPLICABLE))
        pairs = []
        for pair in return_checks()["pairs"]:
            ours, kind, codes = list(pair["ours"]), str(pair["dfe"]["kind"]), [str(c) for c in pair["dfe"]["rules"]]
            pairs.append(_pair(conn, pair, ours, kind, codes, statuses, run, batch_id, imports))
    return ImportReport(la_code, batch_id, batch_status, run, imports, pairs, not_applicable)


def _pair(conn, pair: dict, ours: list[str], kind: str, codes: list[str], statuses: dict, run: int | None,
          batch_id: int | None, imports: list[dict]) -> PairAgreement:
    found = [statuses[r][0] for r in ours if r in statuses]
    if run is None:
        ours_status = "no batch" if batch_id is None else "not run"
    elif not found or all(s == "skipped" for s in found):
        ours_status = NOT_APPLICABLE
    elif any(s == "error" for s in found):
        ours_status = "not run"
    else:
        ours_status = "fail" if "fail" in found else "pass"
    ours_children = frozenset(_flagged_children(conn, run, batch_id, ours)) if ours_status == "fail" else frozenset()
    runs = [i["validation_run_id"] for i in imports if i["kind"] == kind]
    validated = [r for r in runs if r is not None]
    dfe_children: frozenset[str] = frozenset()
    if not runs:
        dfe_status = "no return"
    elif not validated:
        dfe_status = "not validated"
    else:
        results = [r[0] for r in conn.execute(
            "select status from ops.statutory_rule_results where validation_run_id = any(%s) and rule_code = any(%s)",
            (validated, codes)).fetchall()]
        if not results or all(s in ("not_run", "skipped") for s in results):
            dfe_status = "not run"
        else:
            dfe_status = "failed" if "failed" in results else "passed"
            dfe_children = frozenset(c for (c,) in conn.execute(
                "select distinct child_id from ops.statutory_issues where validation_run_id = any(%s) "
                "and rule_code = any(%s) and child_id is not null", (validated, codes)).fetchall())
    return PairAgreement(pair["id"], pair["fault"], tuple(ours), kind, tuple(codes), ours_status, dfe_status,
                         ours_children, dfe_children)


def report_lines(report: ImportReport, *, children: bool = True) -> list[str]:
    lines = [f"LA {report.la_code}: returns batch {report.batch_id or '-'} ({report.batch_status or 'none'}), "
             f"checks run {report.dq_run_id or 'none yet (csc check --batch ID)'}"]
    for i in report.imports:
        validated = (f"DfE validator run {i['validation_run_id']} ({i['ruleset']}), {i['errors']} errors"
                     if i["validation_run_id"] else ("no DfE validator" if i["kind"] == "annex-a" else "not validated"))
        lines.append(f"  import {i['import_id']}: {i['kind']} {i['period']}: {validated}")
    if report.not_applicable:
        lines.append(f"  {len(report.not_applicable)} catalogue rules not applicable to the returns batch "
                     "(they read tables a return cannot hold)")
    lines.append("")
    lines.append(f"{'pair':<30} {'catalogue':<14} {'DfE rules':<14} {'DfE':<13} {'both':>5} {'ours':>5} "
                 f"{'DfE':>5}  agree")
    for p in report.pairs:
        dfe = f"{p.dfe_kind} {'/'.join(p.dfe_rules)}"
        agree = {True: "yes", False: "no", None: "-"}[p.agree]
        lines.append(f"{p.id:<30} {p.ours_status:<14} {dfe:<14} {p.dfe_status:<13} {len(p.both):>5} "
                     f"{len(p.only_ours):>5} {len(p.only_dfe):>5}  {agree}")
        if children:
            lines += [f"    {child}: {where}" for child, where in p.by_child().items()]
    return lines
