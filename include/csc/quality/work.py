"""The run's work tables: the batch under check copied once into typed, unlogged tables in ``ops``.

Every rule reads dates; parsing raw text once per rule made the county extract take minutes. So each run copies the
batch's rows of every contract table into ``ops.dq_r<run>_<table>``: every raw column exactly as extracted, plus
``<c>__date`` for each datetime column, read with ``ops.dq_date`` once per distinct text (dates repeat a lot). The
``ops`` relations a rule reads (the batch's manifest files, the batch row, its measures) become views
``ops.dq_r<run>_ops_<name>``. Great Expectations validates these as ordinary table assets. The loader role creates and
drops them within the run; a run that died leaves them behind, and the next run removes them.
"""

from __future__ import annotations

import logging
import re
import time

import psycopg
from psycopg import sql

from csc.contract import Contract, Table
from csc.quality.catalogue import BatchContext
from csc.settings import Settings
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect

log = logging.getLogger(__name__)

OPS_SOURCES = {"ops.extract_batches": "batch_id", "ops.file_loads": "batch_id", "ops.dq_batch_measures": "batch_id"}
WORK_TABLE = re.compile(r"^dq_r(\d+)_")


def work_prefix(dq_run_id: int, batch_id: int | None = None) -> str:
    """Names of a run's work relations; a second batch measured in the same run (the published one) gets its own."""
    return f"dq_r{int(dq_run_id)}_" + (f"b{int(batch_id)}_" if batch_id is not None else "")


def date_key_sql(column: sql.Composable) -> sql.Composed:
    """The part of a raw date text that decides how it reads: for ``yyyy-mm-dd`` followed by a time, the first ten
    characters (the loader has already refused a value whose time is not one it accepts, so the day decides);
    otherwise the whole text. Timestamps then share one parse a day."""
    return sql.SQL("case when length({c}) > 10 and substr({c}, 5, 1) = '-' and substr({c}, 11, 1) in (' ', 'T') "
                   "then left({c}, 10) else {c} end").format(c=column)


def typed_copy_sql(table: Table, ctx: BatchContext) -> sql.Composed:
    dates = [c.name for c in table.columns if c.type == "datetime"]
    target = sql.Identifier("ops", ctx.work_table(table.name).removeprefix("ops."))
    source = sql.SQL("(select * from raw.{} where _batch_id = {})").format(
        sql.Identifier(table.name), sql.Literal(ctx.batch_id))
    columns = [sql.SQL("t.*")] + [sql.SQL("d{}.parsed as {}").format(sql.SQL(str(i)), sql.Identifier(f"{c}__date"))
                                  for i, c in enumerate(dates)]
    joins = [sql.SQL("left join (select v, ops.dq_date(v) as parsed from (select distinct {key} as v from {src} s) x) "
                     "d{i} on d{i}.v = {row_key}").format(
                         key=date_key_sql(sql.Identifier("s", c)), src=source, i=sql.SQL(str(i)),
                         row_key=date_key_sql(sql.Identifier("t", c)))
             for i, c in enumerate(dates)]
    return sql.SQL("create unlogged table {} as select {} from {} t {}").format(
        target, sql.SQL(", ").join(columns), source, sql.SQL(" ").join(joins))


def create_work_tables(conn: psycopg.Connection, contract: Contract, ctx: BatchContext, settings: Settings,
                       workers: int = 2) -> float:
    """Copy the batch into the run's work tables, ``workers`` tables at a time (each copy is one statement in its
    own session: the two cores of a small server both work); returns the seconds it took."""
    from concurrent.futures import ThreadPoolExecutor

    started = time.monotonic()
    tables = sorted(contract, key=lambda t: t.name)

    def copy(table: Table) -> None:
        with connect(settings, role=LOADER, autocommit=True, application="csc check") as own:
            own.execute(typed_copy_sql(table, ctx))
            own.execute(sql.SQL("analyze {}").format(
                sql.Identifier("ops", ctx.work_table(table.name).removeprefix("ops."))))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(copy, tables))
    for source, column in OPS_SOURCES.items():
        conn.execute(sql.SQL("create view {} as select * from {} where {} = {}").format(
            sql.Identifier("ops", ctx.work_table(source).removeprefix("ops.")),
            sql.Identifier(*source.split(".")), sql.Identifier(column), sql.Literal(ctx.batch_id)))
    return time.monotonic() - started


def drop_work_tables(conn: psycopg.Connection, dq_run_id: int | None = None) -> int:
    """Drop a run's work relations, or (no run given) those of runs that have finished or died."""
    relations = conn.execute(
        "select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'ops' and c.relname ~ '^dq_r[0-9]+_' and c.relkind in ('r', 'v') "
        "and pg_has_role(c.relowner, 'USAGE')").fetchall()
    dropped = 0
    for name, kind in sorted(relations, key=lambda r: r[1] == "r"):  # views first
        run = int(WORK_TABLE.match(name).group(1))
        if dq_run_id is not None and run != dq_run_id:
            continue
        if dq_run_id is None and not _finished(conn, run):
            continue
        conn.execute(sql.SQL("drop {} if exists {} cascade").format(
            sql.SQL("view" if kind == "v" else "table"), sql.Identifier("ops", name)))
        dropped += 1
    return dropped


def _finished(conn: psycopg.Connection, dq_run_id: int) -> bool:
    row = conn.execute("select finished_at is not null or started_at < now() - interval '1 day' "
                       "from ops.dq_runs where dq_run_id = %s", (dq_run_id,)).fetchone()
    return row is None or row[0]
