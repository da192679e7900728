"""Findings known and accepted (``csc dq accept``): a performance lead marks one record a rule flags as accepted,
with a reason, who, and until when (an extract date, inclusive).

The nightly alert stops repeating an accepted finding while the acceptance holds: not revoked, the night's extract
date not after ``accepted_until``, and the record as extracted unchanged since it was accepted (the md5 of its raw
row, every contract column, equals the one stored). The checks themselves are not changed: the record stays in
``ops.dq_failing_records`` and DQ_PASS_RATE, a blocking rule still blocks, and the report lists it as accepted (or
as no longer accepted: expired, or the record changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg import sql

from csc.contract import load_contract
from csc.quality.catalogue import record_key_sql
from csc.settings import Settings
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect

ACCEPTED, EXPIRED, CHANGED = "accepted", "expired", "record changed"


class AcceptanceError(ValueError):
    """The finding cannot be accepted (or revoked) as asked: the message says why."""


@dataclass(frozen=True)
class Acceptance:
    acceptance_id: int
    la_code: str
    rule_id: str
    table_name: str
    record_key: str
    reason: str
    accepted_by: str
    accepted_until: date
    accepted_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    batch_id: int | None = None
    record_hash: str = ""


@dataclass(frozen=True)
class AcceptedFinding:
    """An acceptance matching a record flagged in one run, and whether it still holds for that run."""

    acceptance: Acceptance
    state: str  # accepted | expired | record changed

    @property
    def holds(self) -> bool:
        return self.state == ACCEPTED

    @property
    def key(self) -> tuple[str, str, str]:
        return self.acceptance.rule_id, self.acceptance.table_name, self.acceptance.record_key


_COLUMNS = ("acceptance_id, la_code, rule_id, table_name, record_key, reason, accepted_by, accepted_until, "
            "accepted_at, revoked_at, revoked_by, batch_id, record_hash")


def _acceptance(row) -> Acceptance:
    return Acceptance(*row)


def record_hashes(conn: psycopg.Connection, batch_id: int, table_name: str, keys: list[str]) -> dict[str, str]:
    """md5 of each record's raw row as extracted (every contract column; not the batch id or the line number). Two
    rows sharing a key (a duplicate-key finding) hash together."""
    table = load_contract().table(table_name)
    row_hash = sql.SQL("md5((to_jsonb(t) - '_batch_id' - '_line_no')::text)")
    return dict(conn.execute(sql.SQL(
        "select {key}, case when count(*) = 1 then min({row_hash}) "
        "else md5(string_agg({row_hash}, '|' order by {row_hash})) end "
        "from raw.{table} t where t._batch_id = %s and {key} = any(%s) group by 1").format(
            key=sql.SQL(record_key_sql(table, "t")), row_hash=row_hash, table=sql.Identifier(table.name)),
        (batch_id, keys)).fetchall())


def accept(settings: Settings, la_code: str, rule_id: str, record_key: str, reason: str, accepted_by: str,
           until: date, *, table_name: str | None = None) -> Acceptance:
    """Accept one finding of the LA's latest check: the rule must have flagged the record in that run."""
    if not reason.strip():
        raise AcceptanceError("--reason must say why the finding is accepted")
    if not accepted_by.strip():
        raise AcceptanceError("--by must name who accepts it")
    with connect(settings, role=LOADER, application="csc dq accept") as conn:
        run = conn.execute(
            "select r.dq_run_id, r.batch_id, b.extract_date from ops.dq_runs r join ops.extract_batches b "
            "using (batch_id) where b.la_code = %s and r.outcome in ('pass', 'warn', 'block') "
            "order by b.extract_date desc, r.dq_run_id desc limit 1", (la_code,)).fetchone()
        if run is None:
            raise AcceptanceError(f"LA {la_code} has no completed data-quality check: nothing to accept")
        dq_run_id, batch_id, extract_date = run
        if until < extract_date:
            raise AcceptanceError(f"--until {until} is before the extract date of the LA's latest check "
                                  f"({extract_date}): the acceptance would never apply")
        found = conn.execute(
            "select table_name from ops.dq_failing_records where dq_run_id = %s and rule_id = %s "
            "and record_key = %s and (%s::text is null or table_name = %s) order by table_name",
            (dq_run_id, rule_id, record_key, table_name, table_name)).fetchall()
        if not found:
            flagged = conn.execute("select count(*) from ops.dq_failing_records where dq_run_id = %s "
                                   "and rule_id = %s", (dq_run_id, rule_id)).fetchone()[0]
            raise AcceptanceError(
                f"rule {rule_id} did not flag record {record_key!r}"
                + (f" in {table_name}" if table_name else "")
                + f" in LA {la_code}'s latest check (run {dq_run_id}, extract {extract_date}; the rule flagged "
                  f"{flagged:,} record(s) there): only a current finding can be accepted")
        if len(found) > 1:
            raise AcceptanceError(f"rule {rule_id} flagged record {record_key!r} in several tables "
                                  f"({', '.join(r[0] for r in found)}): say which with --table")
        table = found[0][0]
        digest = record_hashes(conn, batch_id, table, [record_key]).get(record_key)
        if digest is None:
            raise AcceptanceError(f"the rows of batch {batch_id} are no longer in raw (replaced or superseded): "
                                  f"check the LA's latest extract first")
        conn.execute(
            "update ops.dq_accepted_findings set revoked_at = now(), revoked_by = %s "
            "where la_code = %s and rule_id = %s and table_name = %s and record_key = %s and revoked_at is null",
            (f"{accepted_by} (accepted again)", la_code, rule_id, table, record_key))
        row = conn.execute(
            "insert into ops.dq_accepted_findings (la_code, rule_id, table_name, record_key, record_hash, batch_id, "
            "dq_run_id, reason, accepted_by, accepted_until) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            f"returning {_COLUMNS}",
            (la_code, rule_id, table, record_key, digest, batch_id, dq_run_id, reason.strip(), accepted_by.strip(),
             until)).fetchone()
    return _acceptance(row)


def revoke(settings: Settings, acceptance_id: int, revoked_by: str) -> Acceptance:
    with connect(settings, role=LOADER, application="csc dq revoke") as conn:
        row = conn.execute(
            "update ops.dq_accepted_findings set revoked_at = now(), revoked_by = %s "
            f"where acceptance_id = %s and revoked_at is null returning {_COLUMNS}",
            (revoked_by, acceptance_id)).fetchone()
        if row is None:
            exists = conn.execute("select revoked_at from ops.dq_accepted_findings where acceptance_id = %s",
                                  (acceptance_id,)).fetchone()
            raise AcceptanceError(f"acceptance {acceptance_id} " + (
                "does not exist" if exists is None else f"was already revoked ({exists[0]:%Y-%m-%d %H:%M})"))
    return _acceptance(row)


def listed(settings: Settings, la_code: str | None = None, *, as_of: date | None = None,
           include_ended: bool = False) -> list[Acceptance]:
    """Acceptances (of one LA, or all), newest first: in force (not revoked, ``accepted_until`` not before
    ``as_of``, default today) unless ``include_ended``."""
    as_of = as_of or date.today()
    with connect(settings, role=LOADER, application="csc dq accepted") as conn:
        rows = conn.execute(
            f"select {_COLUMNS} from ops.dq_accepted_findings where (%s::text is null or la_code = %s) "
            "and (%s or (revoked_at is null and accepted_until >= %s)) order by accepted_at desc, acceptance_id desc",
            (la_code, la_code, include_ended, as_of)).fetchall()
    return [_acceptance(r) for r in rows]


def accepted_in_run(conn: psycopg.Connection, dq_run_id: int) -> list[AcceptedFinding]:
    """Every unrevoked acceptance of the run's LA matching a record the run flagged, with whether it holds for the
    run (its extract date, and the record's raw row in its batch)."""
    run = conn.execute("select r.batch_id, b.la_code, b.extract_date from ops.dq_runs r "
                       "join ops.extract_batches b using (batch_id) where r.dq_run_id = %s", (dq_run_id,)).fetchone()
    if run is None:
        return []
    batch_id, la_code, extract_date = run
    rows = conn.execute(
        f"select {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))} from ops.dq_accepted_findings a "
        "where a.la_code = %s and a.revoked_at is null and exists (select 1 from ops.dq_failing_records f "
        "where f.dq_run_id = %s and f.rule_id = a.rule_id and f.table_name = a.table_name "
        "and f.record_key = a.record_key) order by a.rule_id, a.table_name, a.record_key",
        (la_code, dq_run_id)).fetchall()
    acceptances = [_acceptance(r) for r in rows]
    current: dict[str, dict[str, str]] = {}
    for table in {a.table_name for a in acceptances}:
        current[table] = record_hashes(conn, batch_id, table,
                                       [a.record_key for a in acceptances if a.table_name == table])
    found = []
    for a in acceptances:
        if a.accepted_until < extract_date:
            state = EXPIRED
        elif current[a.table_name].get(a.record_key) != a.record_hash:
            state = CHANGED
        else:
            state = ACCEPTED
        found.append(AcceptedFinding(a, state))
    return found
