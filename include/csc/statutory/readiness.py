"""Return readiness: after a night's publication, build and validate the current collection year's 903 and CIN files,
then say what the performance leads need: errors by rule, new and resolved errors since the last run, and the children
to fix per team.

An error is one issue of a failed error rule (not a query, not a rule skipped with a reason), identified by
(return, rule, child, table, field); "new" and "resolved" compare this run with the previous run of the same return,
year and LA. A rule that did not run is listed as such, never counted as passed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from csc.settings import Settings
from csc.statutory.validate import KNOWN_CRASHES, ValidationRun, validate_year
from csc.statutory.years import CollectionYear
from csc.warehouse.connection import connect

ERRORS_SQL = """
select i.rule_code, coalesce(i.child_id, ''), coalesce(i.table_name, ''), coalesce(i.field, '')
from ops.statutory_issues i
join ops.statutory_rule_results r using (validation_run_id, rule_code)
where i.validation_run_id = %s and r.status = 'failed' and r.severity = 'error'
"""


@dataclass
class ReturnReadiness:
    kind: str
    ruleset: str
    validation_run_id: int
    previous_run_id: int | None
    errors_by_rule: dict[str, tuple[str, int]]  # rule -> (description, errors)
    new: set[tuple[str, str, str, str]]
    resolved: set[tuple[str, str, str, str]]
    not_run: list[str]
    children_by_team: dict[str, list[str]] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(count for _, count in self.errors_by_rule.values())

    def year_note(self, year: CollectionYear) -> str | None:
        """Said when the return was checked on another year's rules than its own (see :func:`ruleset_note`)."""
        return ruleset_note(self.kind, self.ruleset, year)


def ruleset_note(kind: str, ruleset: str, year: CollectionYear) -> str | None:
    """A return checked on an earlier year's rules (the CIN validator on PyPI has none for 2026-27 yet): what that
    means, said wherever the readiness is shown; None when the rules are the year's own."""
    own = year.ruleset_903 if kind == "903" else year.ruleset_cin
    if ruleset == own:
        return None
    match = re.fullmatch(r"[a-z]+(\d{4})_(\d{2})", ruleset)
    used = f"{match.group(1)}-{match.group(2)}" if match else ruleset
    note = (f"the validator has no {year.name} rules yet: checked on the {used} rules ({ruleset})")
    if kind == "cin":
        note += (f" and the {used} census schema; the {year.name} items (pre-proceedings, family group decision "
                 "making) are not produced until the product holds that year's schema")
    return note


@dataclass
class Readiness:
    la_code: str
    year: CollectionYear
    returns: list[ReturnReadiness]

    def lines(self) -> list[str]:
        out = [f"Return readiness of LA {self.la_code}, collection year {self.year.name}"]
        for r in self.returns:
            out.append(f"{r.kind} ({r.ruleset}): {r.errors} errors in {len(r.errors_by_rule)} rules; "
                       f"{len(r.new)} new, {len(r.resolved)} resolved since "
                       f"{'the previous run' if r.previous_run_id else 'ever (first run)'}")
            if note := r.year_note(self.year):
                out.append(f"  note: {note}")
            for code, (description, count) in sorted(r.errors_by_rule.items(), key=lambda kv: -kv[1][1]):
                out.append(f"  {code:>6} {count:>5}  {description[:100]}")
            for code in r.not_run:
                known = KNOWN_CRASHES[r.kind].get(code)
                out.append(f"  {code:>6} not run{' (known: ' + known + ')' if known else ''}")
            for team, children in sorted(r.children_by_team.items()):
                out.append(f"  team {team}: {len(children)} children to fix: {', '.join(children[:20])}"
                           + (" ..." if len(children) > 20 else ""))
        return out


def current_year(extract_date: date) -> CollectionYear:
    """The collection year the night's extract falls in (1 April to 31 March)."""
    return CollectionYear(extract_date.year if extract_date.month >= 4 else extract_date.year - 1)


def _errors(conn, run_id: int | None) -> set[tuple[str, str, str, str]]:
    if run_id is None:
        return set()
    return {tuple(row) for row in conn.execute(ERRORS_SQL, (run_id,)).fetchall()}


def _teams(conn, la_code: str, children: set[str]) -> dict[str, str]:
    """Each child's team: the team of their latest CIN episode (referral), by name."""
    rows = conn.execute("""
        select distinct on (p.person_id) p.person_id, coalesce(d.team_name, r.team_id, 'no team')
        from staging.stg_ssd__person p
        left join staging.stg_ssd__cin_episodes r on r.la_code = p.la_code and r.child_key = p.child_key
        left join staging.stg_ssd__department d on d.la_code = r.la_code and d.team_id = r.team_id
        where p.la_code = %s and p.person_id = any(%s)
        order by p.person_id, r.referral_date desc nulls last""", (la_code, sorted(children))).fetchall()
    return dict(rows)


RULES_SQL = """
select validation_run_id, return_kind, ruleset, rule_code, coalesce(description, ''), status
from ops.statutory_rule_results join ops.statutory_validation_runs using (validation_run_id)
where validation_run_id = any(%s) order by validation_run_id, rule_code
"""


def summarise_runs(conn, la_code: str, year: CollectionYear, run_ids: list[int]) -> Readiness:
    """The readiness of stored validation runs (one per return), compared with each return's previous run."""
    rules: dict[int, list[tuple[str, str, str, str, str]]] = defaultdict(list)
    for run_id, kind, ruleset, code, description, status in conn.execute(RULES_SQL, (list(run_ids),)).fetchall():
        rules[run_id].append((kind, ruleset, code, description, status))
    returns = []
    for run_id in run_ids:
        kind, ruleset = conn.execute("select return_kind, ruleset from ops.statutory_validation_runs "
                                     "where validation_run_id = %s", (run_id,)).fetchone()
        previous = conn.execute(
            "select max(validation_run_id) from ops.statutory_validation_runs where la_code = %s "
            "and return_kind = %s and collection_year = %s and validation_run_id < %s",
            (la_code, kind, year.name, run_id)).fetchone()[0]
        now, before = _errors(conn, run_id), _errors(conn, previous)
        descriptions = {code: description for _, _, code, description, _ in rules[run_id]}
        per_rule = Counter(code for code, *_ in now)
        children = {child for _, child, _, _ in now if child}
        teams = _teams(conn, la_code, children) if children else {}
        by_team: dict[str, set[str]] = defaultdict(set)
        for child in children:
            by_team[teams.get(child, "no team")].add(child)
        returns.append(ReturnReadiness(
            kind=kind, ruleset=ruleset, validation_run_id=run_id, previous_run_id=previous,
            errors_by_rule={code: (descriptions.get(code, ""), n) for code, n in per_rule.items()},
            new=now - before, resolved=before - now,
            not_run=[code for _, _, code, _, status in rules[run_id] if status == "not_run"],
            children_by_team={team: sorted(kids) for team, kids in by_team.items()}))
    return Readiness(la_code=la_code, year=year, returns=returns)


def summarise(settings: Settings, la_code: str, year: CollectionYear, run: ValidationRun) -> Readiness:
    with connect(settings, application="csc statutory readiness") as conn:
        return summarise_runs(conn, la_code, year, [v.validation_run_id for v in run.verdicts
                                                    if v.validation_run_id is not None])


def nightly_readiness(settings: Settings, la_code: str, extract_date: date, *, ons_code: str | None = None,
                      folder: Path | None = None) -> Readiness:
    """Build and validate the current collection year's returns (after publication) and summarise the verdict.
    ``ons_code``: default, the LA's ``ons_code:`` in las.yml."""
    if ons_code is None:
        from csc.las import identity_codes

        ons_code = identity_codes(settings, la_code)[0]
    year = current_year(extract_date)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = folder or settings.outputs_dir / "statutory" / la_code / f"readiness-{year.name}-{stamp}"
    run = validate_year(settings, la_code, year, folder, ons_code=ons_code, in_progress=True)
    return summarise(settings, la_code, year, run)


def crash_reason(exc: BaseException, limit: int = 600) -> str:
    """How a crash of the nightly readiness is recorded and reported: "not run" with the error's type and its first
    and last lines (a validator's traceback ends with the cause), never a failure of the published night."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if len(lines) > 1:
        text += f" ... {lines[-1]}"
    reason = f"crashed ({type(exc).__name__})" + (f": {text}" if text else "")
    return reason if len(reason) <= limit else reason[:limit - 3] + "..."


# --- the nightly step's record, read by the DQ report and the performance leads' alert ---------------------------
@dataclass
class NightlyReadiness:
    """One night's readiness of an LA as recorded (ops.statutory_readiness): done (with its summary) or why not."""

    la_code: str
    extract_date: date
    year: CollectionYear
    status: str  # done | not_run | disabled
    detail: str | None
    readiness: Readiness | None
    recorded_at: datetime

    def alert_lines(self) -> list[tuple[str, str]]:
        """The "Return readiness" section of the performance leads' e-mail: counts and rule codes, no child ids."""
        head = (f"Collection year {self.year.name}, after the publication of the extract of "
                f"{self.extract_date:%d %b %Y}")
        if self.readiness is None:
            word = "switched off" if self.status == "disabled" else "NOT RUN"
            return [("", head + "."), (f"Return readiness {word}", self.detail or "")]
        lines = [("", head + ".")]
        for r in self.readiness.returns:
            since = "since the previous night" if r.previous_run_id else "(first run: no previous night)"
            lines.append((f"{r.kind.upper()} ({r.ruleset}): {r.errors:,} errors in {len(r.errors_by_rule)} rules",
                          f"{len(r.new):,} new, {len(r.resolved):,} resolved {since}"))
            if note := r.year_note(self.year):
                lines.append(("  rules of another year", note))
            top = sorted(r.errors_by_rule.items(), key=lambda kv: (-kv[1][1], kv[0]))
            if top:
                lines.append(("  errors by rule", ", ".join(f"{code} {n:,}" for code, (_, n) in top[:15])
                              + (" ..." if len(top) > 15 else "")))
            if r.not_run:
                lines.append((f"  rules not run ({len(r.not_run)}, not passed)", ", ".join(r.not_run)))
            if r.children_by_team:
                lines.append(("  children to fix per team", ", ".join(
                    f"{team} {len(kids)}" for team, kids in sorted(r.children_by_team.items(),
                                                                    key=lambda kv: (-len(kv[1]), kv[0])))))
        return lines


def record(settings: Settings, la_code: str, extract_date: date, status: str, *, run_id: int | None = None,
           batch_id: int | None = None, detail: str | None = None, validation_run_ids: list[int] | None = None) -> int:
    with connect(settings, application="csc statutory readiness") as conn:
        readiness_id = conn.execute(
            "insert into ops.statutory_readiness (la_code, run_id, batch_id, extract_date, collection_year, status, "
            "detail, validation_run_ids) values (%s, %s, %s, %s, %s, %s, %s, %s) returning readiness_id",
            (la_code, run_id, batch_id, extract_date, current_year(extract_date).name, status, detail,
             validation_run_ids or [])).fetchone()[0]
        conn.commit()
    return readiness_id


def latest(settings: Settings, la_code: str, extract_date: date | None = None) -> NightlyReadiness | None:
    """The LA's latest recorded nightly readiness (of ``extract_date`` or before, when given), else None."""
    with connect(settings, application="csc statutory readiness") as conn:
        row = conn.execute(
            "select extract_date, collection_year, status, detail, validation_run_ids, recorded_at "
            "from ops.statutory_readiness where la_code = %s and (%s::date is null or extract_date <= %s::date) "
            "order by extract_date desc, readiness_id desc limit 1", (la_code, extract_date, extract_date)).fetchone()
        if row is None:
            return None
        night, year_name, status, detail, run_ids, recorded_at = row
        year = CollectionYear.parse(year_name)
        summary = summarise_runs(conn, la_code, year, list(run_ids)) if status == "done" else None
    return NightlyReadiness(la_code=la_code, extract_date=night, year=year, status=status, detail=detail,
                            readiness=summary, recorded_at=recorded_at)
