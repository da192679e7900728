"""The ``raw`` tables, generated from the extract contract: every contract column as text, plus lineage.

``_extra`` holds the columns a file carries beyond the contract (an SSD version's or a system's additions, such as
SystemC's ``IS_ALLOCATED_CW_FLAG``): a JSON object of lower-case column name -> text, null when there are none.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from csc.contract import Contract, Table

LINEAGE_COLUMNS = ("_batch_id", "_line_no")
EXTRA_COLUMN = "_extra"


def create_table_sql(table: Table) -> sql.Composed:
    columns = [sql.SQL("_batch_id bigint not null"), sql.SQL("_line_no integer not null")]
    columns += [sql.SQL("{} text").format(sql.Identifier(name)) for name in table.column_names]
    columns.append(sql.SQL("{} jsonb").format(sql.Identifier(EXTRA_COLUMN)))
    return sql.SQL("create table if not exists raw.{} ({})").format(
        sql.Identifier(table.name), sql.SQL(", ").join(columns))


def ensure_raw_tables(conn: psycopg.Connection, contract: Contract) -> int:
    """Create missing raw tables and add columns the contract gained since. Never drops anything."""
    for table in contract:
        conn.execute(create_table_sql(table))
        existing = {row[0] for row in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = %s",
            (table.name,))}
        for name in table.column_names:
            if name not in existing:
                conn.execute(sql.SQL("alter table raw.{} add column {} text").format(
                    sql.Identifier(table.name), sql.Identifier(name)))
        if EXTRA_COLUMN not in existing:
            conn.execute(sql.SQL("alter table raw.{} add column if not exists {} jsonb").format(
                sql.Identifier(table.name), sql.Identifier(EXTRA_COLUMN)))
        conn.execute(sql.SQL("create index if not exists {} on raw.{} (_batch_id)").format(
            sql.Identifier(f"{table.name}_batch"), sql.Identifier(table.name)))
        if table.description:
            conn.execute(sql.SQL("comment on table raw.{} is {}").format(
                sql.Identifier(table.name), sql.Literal(table.description)))
    return len(contract.tables)
