"""The change summary of a loaded extract: per table, rows new, changed, deleted and unchanged since the LA's
previously published extract, stored in ``ops.extract_changes`` (never in the marts).

Rows are matched by each table's stable key (:func:`stable_key`) and compared by a stable row hash (md5 of the
contract columns' text as loaded into raw, in contract order). It is computed after every successful load, whatever
way the extract arrived (a file in landing, or ``csc extract`` from the source database), from the two batches' raw
rows (raw keeps the published batch beside the candidate).

A night that changes nearly every row of a table (``CSC_CHANGE_WARN_SHARE``, default 90%), or replaces nearly all
its keys, is a warning: the source re-keyed or re-formatted its rows, rather than tonight's work changing them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg import sql

from csc.contract import Table, load_contract
from csc.settings import Settings, get_settings

log = logging.getLogger(__name__)

ComparedBy = Literal["primary_key", "natural_key", "content_hash"]


@dataclass(frozen=True)
class StableKey:
    """How the rows of a table are matched night to night: ``columns`` (empty for content hash) and the columns
    whose text makes the row hash."""

    compared_by: ComparedBy
    columns: tuple[str, ...]
    hashed: tuple[str, ...]


def stable_key(table: Table, profile: Any = None) -> StableKey:
    """The key the change summary matches ``table``'s rows by.

    The contract's primary key, unless the source-system ``profile`` says the table's SSD keys are made afresh every
    night (SystemC's ``NEWID()``): its ``natural_keys`` maps the table to the columns that identify a row (matched
    by them, the random key left out of the row hash), or to ``"content"`` / an empty list (rows matched by their
    whole content, without the random key: only new and deleted, never changed).
    """
    if profile is not None and callable(getattr(profile, "natural_key", None)):
        chosen = profile.natural_key(table.name)  # csc.contract.profiles.Profile: a tuple, or None
    else:
        natural = (getattr(profile, "natural_keys", None) or {}) if profile is not None else {}
        chosen = natural.get(table.name) if isinstance(natural, dict) else None
    if chosen is None:
        return StableKey("primary_key", tuple(table.primary_key), tuple(table.column_names))
    without_random_key = tuple(c for c in table.column_names if c not in table.primary_key)
    if chosen == "content" or not chosen:
        return StableKey("content_hash", (), without_random_key)
    columns = (chosen,) if isinstance(chosen, str) else tuple(chosen)
    for name in columns:
        table.column(name)  # a KeyError naming the table and column if the profile is wrong
    return StableKey("natural_key", columns, without_random_key)


@dataclass(frozen=True)
class TableChangeSummary:
    table: str
    compared_by: ComparedBy
    key_columns: tuple[str, ...]
    new: int
    changed: int
    deleted: int
    unchanged: int
    total: int
    warning: str | None

    @property
    def compared_by_words(self) -> str:
        return {"primary_key": "by primary key", "natural_key": "by natural key (" + ", ".join(self.key_columns)
                + ")", "content_hash": "by content hash (the source's keys change every night)"}[self.compared_by]


def _json_array(columns: tuple[str, ...]) -> sql.Composable:
    return sql.SQL("json_build_array({})::text").format(sql.SQL(", ").join(map(sql.Identifier, columns)))


def _counts(conn: psycopg.Connection, table: Table, key: StableKey, batch_id: int,
            previous: int) -> tuple[int, int, int, int]:
    """(new, changed, deleted, unchanged) of ``batch_id`` against ``previous``, computed in the warehouse."""
    row_hash = sql.SQL("md5({})").format(_json_array(key.hashed))
    match = sql.SQL("md5({})").format(_json_array(key.columns)) if key.columns else row_hash
    statement = sql.SQL("""
        with cur as (select k, min(h) as h, count(*) as n
                     from (select {match} as k, {row_hash} as h from raw.{table} where _batch_id = %(cur)s) r
                     group by k),
             prev as (select k, min(h) as h, count(*) as n
                      from (select {match} as k, {row_hash} as h from raw.{table} where _batch_id = %(prev)s) r
                      group by k)
        select coalesce(sum(case when p.k is null then c.n else greatest(c.n - p.n, 0) end), 0),
               coalesce(sum(case when c.k is not null and p.k is not null and c.h <> p.h then least(c.n, p.n) end), 0),
               coalesce(sum(case when c.k is null then p.n else greatest(p.n - c.n, 0) end), 0),
               coalesce(sum(case when c.k is not null and p.k is not null and c.h = p.h then least(c.n, p.n) end), 0)
        from cur c full join prev p on p.k = c.k
    """).format(match=match, row_hash=row_hash, table=sql.Identifier(table.name))
    new, changed, deleted, unchanged = conn.execute(statement, {"cur": batch_id, "prev": previous}).fetchone()
    return int(new), int(changed), int(deleted), int(unchanged)


def volume_warning(new: int, changed: int, deleted: int, unchanged: int, settings: Settings) -> str | None:
    """The volume rule: nearly every row changed, or nearly every key replaced."""
    previous = changed + deleted + unchanged
    total = new + changed + unchanged
    if previous < settings.change_warn_min_rows or total < settings.change_warn_min_rows:
        return None
    share = settings.change_warn_share
    if changed >= share * (changed + unchanged) and changed + unchanged > 0:
        return (f"{changed:,} of {changed + unchanged:,} rows kept changed ({changed / (changed + unchanged):.0%}): "
                "the source re-formatted its values rather than tonight's work changing them")
    if new >= share * total and deleted >= share * previous:
        return (f"{new:,} of {total:,} rows new and {deleted:,} of {previous:,} deleted: the source re-keyed "
                "the table")
    return None


def compute_changes(batch_id: int, settings: Settings | None = None, profile: Any = None) -> list[TableChangeSummary]:
    """Compute and store (replacing any earlier record of the batch) the change summary of ``batch_id``.

    Rows are matched on each table's stable key (:func:`stable_key`) under ``profile``; without one, under the
    source-system profile the loader recorded for the batch (``ops.extract_batches.source_profile``), so that a
    system whose SSD keys are new every night (SystemC's ``NEWID()``) is compared by its natural key.
    """
    from csc import batches
    from csc.contract.profiles import UnknownSystem, load_profile
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    settings = settings or get_settings()
    summaries = []
    with connect(settings, role=LOADER) as conn:
        la_code, recorded = conn.execute("select la_code, source_profile from ops.extract_batches "
                                         "where batch_id = %s", (batch_id,)).fetchone()
        if profile is None and recorded:
            try:
                profile = load_profile(recorded)
            except UnknownSystem:
                profile = None
        previous = batches.previous_published(conn, la_code, batch_id)
        present = {r[0] for r in conn.execute("select distinct table_name from ops.file_loads where batch_id = %s "
                                              "and status = 'loaded'", (batch_id,))}
        for table in load_contract():
            if present and table.name not in present:
                continue
            key = stable_key(table, profile)
            if previous is None:
                total = conn.execute(sql.SQL("select count(*) from raw.{} where _batch_id = %s").format(
                    sql.Identifier(table.name)), (batch_id,)).fetchone()[0]
                new, changed, deleted, unchanged = int(total), 0, 0, 0
            else:
                new, changed, deleted, unchanged = _counts(conn, table, key, batch_id, previous)
            warning = volume_warning(new, changed, deleted, unchanged, settings) if previous is not None else None
            summaries.append(TableChangeSummary(table.name, key.compared_by, key.columns, new, changed, deleted,
                                                unchanged, new + changed + unchanged, warning))
        conn.execute("delete from ops.extract_changes where batch_id = %s", (batch_id,))
        with conn.cursor() as cur:
            cur.executemany(
                "insert into ops.extract_changes (batch_id, table_name, la_code, previous_batch_id, compared_by, "
                "key_columns, rows_new, rows_changed, rows_deleted, rows_unchanged, rows_total, warning) "
                "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(batch_id, s.table, la_code, previous, s.compared_by, list(s.key_columns), s.new, s.changed,
                  s.deleted, s.unchanged, s.total, s.warning) for s in summaries])
    for s in summaries:
        if s.warning:
            log.warning("batch %s, %s: %s", batch_id, s.table, s.warning)
    return summaries


@dataclass(frozen=True)
class ChangeSummary:
    batch_id: int
    previous_batch_id: int | None
    previous_extract_date: Any
    tables: list[TableChangeSummary]

    @property
    def warnings(self) -> list[TableChangeSummary]:
        return [t for t in self.tables if t.warning]

    def totals(self) -> tuple[int, int, int, int]:
        return (sum(t.new for t in self.tables), sum(t.changed for t in self.tables),
                sum(t.deleted for t in self.tables), sum(t.unchanged for t in self.tables))


def read_changes(conn: psycopg.Connection, batch_id: int) -> ChangeSummary | None:
    """The stored change summary of ``batch_id`` (None if none was computed)."""
    rows = conn.execute(
        "select c.table_name, c.compared_by, c.key_columns, c.rows_new, c.rows_changed, c.rows_deleted, "
        "c.rows_unchanged, c.rows_total, c.warning, c.previous_batch_id, b.extract_date "
        "from ops.extract_changes c left join ops.extract_batches b on b.batch_id = c.previous_batch_id "
        "where c.batch_id = %s order by c.table_name", (batch_id,)).fetchall()
    if not rows:
        return None
    order = {name: i for i, name in enumerate(load_contract().tables)}
    tables = sorted((TableChangeSummary(r[0], r[1], tuple(r[2]), r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows),
                    key=lambda t: order.get(t.table, len(order)))
    return ChangeSummary(batch_id, rows[0][9], rows[0][10], tables)


def alert_section(summary: ChangeSummary | None) -> tuple[str, list[tuple[str, str]]]:
    """The change summary as a section of the performance leads' e-mail (csc.quality.notify)."""
    if summary is None:
        return "Changes since the last published extract", [("", "not computed for this batch")]
    if summary.previous_batch_id is None:
        return "Changes since the last published extract", [("", "no extract of this LA was published before: "
                                                                  "every row is new")]
    new, changed, deleted, unchanged = summary.totals()
    lines = [("", f"Compared with the extract of {summary.previous_extract_date:%d %b %Y} (batch "
                  f"{summary.previous_batch_id}): {new:,} rows new, {changed:,} changed, {deleted:,} deleted, "
                  f"{unchanged:,} unchanged.")]
    lines += [(f"WARNING {t.table}", t.warning or "") for t in summary.warnings]
    lines += [(f"{t.table}: {t.new:,} new, {t.changed:,} changed, {t.deleted:,} deleted", t.compared_by_words)
              for t in summary.tables if t.new or t.changed or t.deleted]
    return "Changes since the last published extract", lines
