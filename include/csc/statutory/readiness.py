"""Return readiness: after a night's publication, build and validate the current collection year's 903 and CIN files,
then say what the performance leads need: errors by rule, new and resolved errors since the last run, and the children
to fix per team.

An error is one issue of a failed error rule (not a query, not a rule skipped with a reason), identified by
(return, rule, child, table, field); "new" and "resolved" compare this run with the previous run of the same return,
year and LA. A rule that did not run is listed as such, never counted as passed.
"""

from __future__ import annotations

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


def summarise(settings: Settings, la_code: str, year: CollectionYear, run: ValidationRun) -> Readiness:
    returns = []
    with connect(settings, application="csc statutory readiness") as conn:
        for verdict in run.verdicts:
            previous = conn.execute(
                "select max(validation_run_id) from ops.statutory_validation_runs where la_code = %s "
                "and return_kind = %s and collection_year = %s and validation_run_id < %s",
                (la_code, verdict.kind, year.name, verdict.validation_run_id)).fetchone()[0]
            now, before = _errors(conn, verdict.validation_run_id), _errors(conn, previous)
            descriptions = {r["code"]: r["description"] or "" for r in verdict.rules}
            per_rule = Counter(code for code, *_ in now)
            children = {child for _, child, _, _ in now if child}
            teams = _teams(conn, la_code, children) if children else {}
            by_team: dict[str, set[str]] = defaultdict(set)
            for child in children:
                by_team[teams.get(child, "no team")].add(child)
            returns.append(ReturnReadiness(
                kind=verdict.kind, ruleset=verdict.ruleset, validation_run_id=verdict.validation_run_id,
                previous_run_id=previous,
                errors_by_rule={code: (descriptions.get(code, ""), n) for code, n in per_rule.items()},
                new=now - before, resolved=before - now,
                not_run=[r["code"] for r in verdict.rules if r["status"] == "not_run"],
                children_by_team={team: sorted(kids) for team, kids in by_team.items()}))
    return Readiness(la_code=la_code, year=year, returns=returns)


def nightly_readiness(settings: Settings, la_code: str, extract_date: date, *, ons_code: str | None = None,
                      folder: Path | None = None) -> Readiness:
    """Build and validate the current collection year's returns (after publication) and summarise the verdict."""
    year = current_year(extract_date)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = folder or settings.outputs_dir / "statutory" / la_code / f"readiness-{year.name}-{stamp}"
    run = validate_year(settings, la_code, year, folder, ons_code=ons_code, in_progress=True)
    return summarise(settings, la_code, year, run)
