"""Every query ``csc extract`` sends to a source database, built with SQLAlchemy Core so that each compiles for
both dialects (PostgreSQL and SQL Server: a unit test compiles them all for mssql)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, bindparam, column, literal_column, select, table
from sqlalchemy.dialects import mssql, postgresql
from sqlalchemy.engine import Dialect

from csc.extract.connection import SourceKind


def dialect_of(kind: SourceKind) -> Dialect:
    return postgresql.psycopg.dialect() if kind == "postgresql" else mssql.pymssql.dialect()


def _schema_expression(kind: SourceKind, schema: str | None):
    if schema is not None:
        return bindparam("schema", schema)
    # The login's default schema: public (search_path) on PostgreSQL, dbo (or the user's default) on SQL Server.
    return literal_column("current_schema()" if kind == "postgresql" else "SCHEMA_NAME()")


def columns_query(kind: SourceKind, schema: str | None, tables: Sequence[str]) -> Select:
    """(table, column) of every column of the wanted tables and views in the SSD's schema."""
    info = table("columns", column("table_schema"), column("table_name"), column("column_name"),
                 schema="information_schema")
    return (select(info.c.table_name, info.c.column_name)
            .where(info.c.table_schema == _schema_expression(kind, schema))
            .where(info.c.table_name.in_(list(tables))))


def table_select(name: str, columns: Sequence[str], schema: str | None) -> Select:
    """The rows of one SSD table, its contract columns in contract order."""
    return select(*[column(c) for c in columns]).select_from(table(name, schema=schema))


def compile_sql(statement, kind: SourceKind) -> str:
    """The statement as the source's dialect writes it, values inlined (they are schema and table names)."""
    return str(statement.compile(dialect=dialect_of(kind), compile_kwargs={"literal_binds": True}))


def copy_statement(name: str, columns: Sequence[str], schema: str | None) -> str:
    """PostgreSQL: the table as CSV with a header, streamed by the server (COPY ... TO STDOUT)."""
    query = compile_sql(table_select(name, columns, schema), "postgresql")
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"

