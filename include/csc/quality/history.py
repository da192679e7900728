"""The data-quality history in ``ops``, read back for the report and the alert: what a run found, what changed since
the previous night, trends over recent nights, and where (which teams) the exceptions sit."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import psycopg

TREND_NIGHTS = 14


@dataclass(frozen=True)
class RunInfo:
    dq_run_id: int
    batch_id: int
    la_code: str
    extract_date: date
    outcome: str | None
    started_at: datetime
    previous_batch_id: int | None


@dataclass
class RuleRow:
    rule_id: str
    family: str
    kind: str
    severity: str
    status: str
    table_name: str | None
    description: str | None
    rows_evaluated: int | None
    rows_failing: int
    records: int | None
    sample_keys: list[str]
    team_counts: dict[str, int]
    observed: dict
    error: str | None
    trend: list[tuple[date, int | None]] = field(default_factory=list)
    accepted: int = 0  # records of this run's findings accepted (csc dq accept) and left out of the alert


@dataclass
class Changes:
    """Differences with the previous run of the LA (on an earlier batch)."""

    previous: RunInfo | None
    rules_newly_failing: list[str] = field(default_factory=list)
    rules_resolved: list[str] = field(default_factory=list)
    new_records: dict[str, int] = field(default_factory=dict)       # rule -> records flagged now, not before
    resolved_records: dict[str, int] = field(default_factory=dict)  # rule -> records flagged before, not now

    def total_new(self, rules: set[str] | None = None) -> int:
        return sum(n for r, n in self.new_records.items() if rules is None or r in rules)

    def total_resolved(self, rules: set[str] | None = None) -> int:
        return sum(n for r, n in self.resolved_records.items() if rules is None or r in rules)


def run_info(conn: psycopg.Connection, dq_run_id: int) -> RunInfo:
    row = conn.execute(
        "select r.dq_run_id, r.batch_id, b.la_code, b.extract_date, r.outcome, r.started_at, "
        "(r.detail ->> 'previous_batch_id')::bigint "
        "from ops.dq_runs r join ops.extract_batches b using (batch_id) where r.dq_run_id = %s",
        (dq_run_id,)).fetchone()
    if row is None:
        raise KeyError(f"data-quality run {dq_run_id} is not recorded in ops.dq_runs")
    return RunInfo(*row)


def previous_run(conn: psycopg.Connection, run: RunInfo) -> RunInfo | None:
    """The LA's latest completed run on an earlier batch: what "since yesterday" compares with."""
    row = conn.execute(
        "select r.dq_run_id from ops.dq_runs r join ops.extract_batches b using (batch_id) "
        "where b.la_code = %s and r.batch_id <> %s and r.dq_run_id < %s and r.outcome in ('pass', 'warn', 'block') "
        "and (b.extract_date, r.batch_id) <= (%s, %s) "
        "order by b.extract_date desc, r.dq_run_id desc limit 1",
        (run.la_code, run.batch_id, run.dq_run_id, run.extract_date, run.batch_id)).fetchone()
    return run_info(conn, row[0]) if row else None


def rule_rows(conn: psycopg.Connection, dq_run_id: int) -> list[RuleRow]:
    return [RuleRow(rule_id=r[0], family=r[1], kind=r[2], severity=r[3], status=r[4], table_name=r[5],
                    description=r[6], rows_evaluated=r[7], rows_failing=r[8], records=(r[9] or {}).get("records"),
                    sample_keys=r[10] or [], team_counts=r[11] or {}, observed=r[9] or {}, error=r[12])
            for r in conn.execute(
                "select rule_id, family, kind, severity, status, table_name, description, rows_evaluated, "
                "rows_failing, observed, sample_keys, team_counts, error from ops.dq_results where dq_run_id = %s "
                "order by rule_id", (dq_run_id,))]


def accepted_findings(conn: psycopg.Connection, run: RunInfo) -> list:
    """The acceptances (``csc dq accept``) matching records this run flagged, each with whether it holds."""
    from csc.quality.accepted import accepted_in_run

    return accepted_in_run(conn, run.dq_run_id)


def _held(accepted: list | None) -> tuple[list[str], list[str], list[str]]:
    keys = [f.key for f in accepted or () if f.holds]
    return [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]


def without_accepted(rows: list[RuleRow], accepted: list) -> list[RuleRow]:
    """The run's rule rows with the records of accepted findings that hold taken out of their counts (the alert's
    view: an accepted finding is not repeated)."""
    held = Counter(f.acceptance.rule_id for f in accepted if f.holds)
    for row in rows:
        if held[row.rule_id]:
            row.accepted = held[row.rule_id]
            row.records = (row.records if row.records is not None else row.rows_failing) - row.accepted
    return rows


def record_counts(conn: psycopg.Connection, run: RunInfo, accepted: list | None = None) -> tuple[int, int]:
    """(fault records, exception records) the run flagged, distinct by table and key, leaving out the records whose
    every finding is accepted."""
    rules, tables, keys = _held(accepted)
    return conn.execute(
        "select count(distinct (table_name, record_key)) filter (where kind = 'fault'), "
        "count(distinct (table_name, record_key)) filter (where kind = 'exception') "
        "from ops.dq_failing_records f where dq_run_id = %s and (rule_id, table_name, record_key) not in "
        "(select * from unnest(%s::text[], %s::text[], %s::text[]))",
        (run.dq_run_id, rules, tables, keys)).fetchone()


def changes_since(conn: psycopg.Connection, run: RunInfo, accepted: list | None = None) -> Changes:
    """What changed since the previous run; records of accepted findings (that hold) are not counted as new."""
    previous = previous_run(conn, run)
    changes = Changes(previous=previous)
    if previous is None:
        return changes
    failing_now = {r for (r,) in conn.execute(
        "select rule_id from ops.dq_results where dq_run_id = %s and status in ('fail', 'error')", (run.dq_run_id,))}
    failing_before = {r for (r,) in conn.execute(
        "select rule_id from ops.dq_results where dq_run_id = %s and status in ('fail', 'error')",
        (previous.dq_run_id,))}
    evaluated_now = {r for (r,) in conn.execute(
        "select rule_id from ops.dq_results where dq_run_id = %s and status <> 'skipped'", (run.dq_run_id,))}
    changes.rules_newly_failing = sorted(failing_now - failing_before)
    changes.rules_resolved = sorted((failing_before - failing_now) & evaluated_now)
    rules, tables, keys = _held(accepted)
    for target, (a, b) in ((changes.new_records, (run.dq_run_id, previous.dq_run_id)),
                           (changes.resolved_records, (previous.dq_run_id, run.dq_run_id))):
        for rule_id, n in conn.execute(
                "select f.rule_id, count(*) from ops.dq_failing_records f where f.dq_run_id = %s "
                "and not exists (select 1 from ops.dq_failing_records g where g.dq_run_id = %s "
                "and g.rule_id = f.rule_id and g.table_name = f.table_name and g.record_key = f.record_key) "
                "and (f.dq_run_id <> %s or (f.rule_id, f.table_name, f.record_key) not in "
                "(select * from unnest(%s::text[], %s::text[], %s::text[]))) "
                "group by f.rule_id", (a, b, run.dq_run_id, rules, tables, keys)):
            target[rule_id] = n
    # a record rule failing only on batch level (no records) still counts as resolved/new through the rule lists
    return changes


def trends(conn: psycopg.Connection, run: RunInfo, nights: int = TREND_NIGHTS) -> dict[str, list[tuple[date, int]]]:
    """Per rule, failing rows over the LA's latest ``nights`` checked batches up to this run (latest run per batch)."""
    rows = conn.execute(
        """
        with runs as (
            select distinct on (r.batch_id) r.dq_run_id, b.extract_date, r.batch_id
            from ops.dq_runs r join ops.extract_batches b using (batch_id)
            where b.la_code = %(la)s and r.outcome in ('pass', 'warn', 'block') and r.dq_run_id <= %(run)s
              and b.extract_date <= %(date)s
            order by r.batch_id, r.dq_run_id desc
        ),
        recent as (select * from runs order by extract_date desc, batch_id desc limit %(nights)s)
        select res.rule_id, recent.extract_date, res.rows_failing
        from recent join ops.dq_results res using (dq_run_id)
        where res.status <> 'skipped'
        order by recent.extract_date, recent.batch_id
        """, {"la": run.la_code, "run": run.dq_run_id, "date": run.extract_date, "nights": nights})
    series: dict[str, list[tuple[date, int]]] = {}
    for rule_id, extract_date, failing in rows:
        series.setdefault(rule_id, []).append((extract_date, failing))
    return series


def run_trend(conn: psycopg.Connection, run: RunInfo, nights: int = TREND_NIGHTS) -> list[dict]:
    """The LA's recent nights: outcome, rules failing by severity, records flagged (oldest first)."""
    rows = conn.execute(
        """
        with runs as (
            select distinct on (r.batch_id) r.*, b.extract_date
            from ops.dq_runs r join ops.extract_batches b using (batch_id)
            where b.la_code = %(la)s and r.outcome in ('pass', 'warn', 'block') and r.dq_run_id <= %(run)s
              and b.extract_date <= %(date)s
            order by r.batch_id, r.dq_run_id desc
        )
        select extract_date, outcome, rules_failed_block, rules_failed_warn, fault_records, exception_records
        from runs order by extract_date desc, batch_id desc limit %(nights)s
        """, {"la": run.la_code, "run": run.dq_run_id, "date": run.extract_date, "nights": nights}).fetchall()
    keys = ("extract_date", "outcome", "block", "warn", "fault_records", "exception_records")
    return [dict(zip(keys, r, strict=True)) for r in reversed(rows)]


def top_teams(conn: psycopg.Connection, run: RunInfo, kind: str = "exception",
              limit: int = 5) -> list[tuple[str, str, int]]:
    """Teams with most flagged records of a kind: (team id, team name from the extract, records)."""
    rows = conn.execute(
        """
        select team.key, sum(team.value::bigint) as records
        from ops.dq_results r, jsonb_each_text(r.team_counts) team
        where r.dq_run_id = %s and r.kind = %s and r.status = 'fail'
        group by team.key order by records desc, team.key limit %s
        """, (run.dq_run_id, kind, limit)).fetchall()
    names = dict(conn.execute(
        "select dept_team_id, max(dept_team_name) from raw.ssd_department where _batch_id = %s group by dept_team_id",
        (run.batch_id,)).fetchall())
    return [(team or "", names.get(team) or ("(no team recorded)" if not team else "(team not in the extract)"),
             int(n)) for team, n in rows]


def measures_compared(conn: psycopg.Connection, run: RunInfo) -> list[tuple[str, float | None, float | None]]:
    """(measure, tonight, previous published batch) for every measure kept for this batch."""
    return conn.execute(
        "select m.measure, m.value, p.value from ops.dq_batch_measures m "
        "left join ops.dq_batch_measures p on p.batch_id = %s and p.measure = m.measure "
        "where m.batch_id = %s order by (m.measure like 'rows:%%'), m.measure",
        (run.previous_batch_id, run.batch_id)).fetchall()
