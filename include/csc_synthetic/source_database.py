"""The synthetic LA's SSD as an Eclipse deployment holds it: tables in a PostgreSQL reporting database, rebuilt each
night by TRUNCATE and refill (``csc generate --to-database URL``), for testing ``csc extract`` against a real source.

The tables and their column types come from the extract contract (``source_type`` per column; Eclipse keeps dates as
TIMESTAMP), not from the SSD's own DDL. Every night of a run but the last also differs from the next by a few edits
of ``ssd_contacts`` (rows the next night adds, rows it changes, a duplicate it deletes), on top of the simulated
change, so that consecutive nights add, change and delete rows; the last night is exactly the generated extract,
whose truth is in ``truth/``. ``changes.csv`` beside the last night's truth is the generator's record of what changed
between the last two nights, per table: the keys new, changed and deleted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

from csc.contract import Column, Table, load_contract

# Eclipse (PostgreSQL) column types of the contract's SQL Server source types.
POSTGRES_TYPES = {"nvarchar": "varchar", "varchar": "varchar", "nchar": "varchar", "char": "varchar",
                  "datetime": "timestamp", "date": "timestamp", "float": "double precision", "int": "integer",
                  "bigint": "bigint", "decimal": "numeric"}
# Columns without a source type (the HR views): from the contract type.
CONTRACT_TYPES = {"id": "varchar", "text": "varchar", "flag": "varchar", "json": "varchar", "datetime": "timestamp",
                  "integer": "integer", "decimal": "numeric"}
EDITED_TABLE = "ssd_contacts"
CHANGES_COLUMNS = ("table", "change", "key")


def column_type(column: Column) -> str:
    if column.source_type is not None:
        try:
            return POSTGRES_TYPES[column.source_type]
        except KeyError:
            raise ValueError(f"extract_contract.yml: column {column.name}: no PostgreSQL type for source_type "
                             f"{column.source_type!r}") from None
    return CONTRACT_TYPES[column.type]


def create_table_sql(table: Table, schema: str | None = None) -> sql.Composed:
    name = sql.Identifier(schema, table.name) if schema else sql.Identifier(table.name)
    columns = [sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(column_type(c))) for c in table.columns]
    # No constraints: the SSD's tables hold what its build wrote (a duplicate key is a data-quality finding here).
    return sql.SQL("create table if not exists {} ({})").format(name, sql.SQL(", ").join(columns))


# --- nights as rows ---------------------------------------------------------------------------------------------
def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)


def earlier_night_edits(table: Table, header: list[str], rows: list[list[str]]) -> list[list[str]]:
    """``ssd_contacts`` as it stood the night before its last state: every 10th contact (by key) not yet recorded,
    the next one with a provisional source description, and a duplicate of a third, deleted by the next night."""
    key = header.index(table.primary_key[0])
    desc = header.index("cont_contact_source_desc")
    out = []
    for position, row in enumerate(sorted(rows, key=lambda r: r[key])):
        slot = position % 10
        if slot == 3:
            continue  # recorded only by the next night: new then
        row = list(row)
        if slot == 5:
            row[desc] = (row[desc] + " (provisional)").strip()  # corrected by the next night: changed then
        out.append(row)
        if slot == 7:
            duplicate = list(row)
            duplicate[key] = row[key] + "D"  # recorded twice, the duplicate deleted by the next night
            out.append(duplicate)
    return out


def night_rows(extract_dir: Path, table: Table, last: bool) -> tuple[list[str], list[list[str]]]:
    header, rows = read_rows(extract_dir / table.file_name)
    if not last and table.name == EDITED_TABLE:
        rows = earlier_night_edits(table, header, rows)
    return header, rows


@dataclass(frozen=True)
class TableChanges:
    new: tuple[str, ...]
    changed: tuple[str, ...]
    deleted: tuple[str, ...]


def changes_between(before: Path, after: Path, *, before_is_last: bool = False) -> dict[str, TableChanges]:
    """What changed between two nights' source tables (``before`` edited as an earlier night), by primary key."""
    changes = {}
    for table in load_contract():
        if table.optional and not (before / table.file_name).exists() and not (after / table.file_name).exists():
            changes[table.name] = TableChanges(new=(), changed=(), deleted=())  # an optional table not rendered
            continue
        old = _keyed(table, *night_rows(before, table, before_is_last))
        new = _keyed(table, *night_rows(after, table, True))
        changes[table.name] = TableChanges(
            new=tuple(sorted(new.keys() - old.keys())),
            changed=tuple(sorted(k for k in new.keys() & old.keys() if new[k] != old[k])),
            deleted=tuple(sorted(old.keys() - new.keys())))
    return changes


def _keyed(table: Table, header: list[str], rows: list[list[str]]) -> dict[str, tuple[str, ...]]:
    positions = [header.index(c) for c in table.primary_key]
    order = [header.index(c) for c in table.column_names if c in header]
    return {"|".join(r[p] for p in positions): tuple(r[p] for p in order) for r in rows}


def write_changes(path: Path, changes: dict[str, TableChanges]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CHANGES_COLUMNS)
        for table, found in changes.items():
            for change in ("new", "changed", "deleted"):
                writer.writerows((table, change, key) for key in getattr(found, change))


def read_changes(path: Path) -> dict[str, dict[str, set[str]]]:
    """changes.csv as {table: {'new': keys, 'changed': keys, 'deleted': keys}}."""
    out: dict[str, dict[str, set[str]]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["table"], {"new": set(), "changed": set(), "deleted": set()})[row["change"]].add(
                row["key"])
    return out


# --- the database -----------------------------------------------------------------------------------------------
def fill_source_database(url: str, extract_dir: Path, *, last: bool = True,
                         schema: str | None = None) -> dict[str, int]:
    """Rebuild the SSD in the PostgreSQL database ``url`` with the night in ``extract_dir`` (a clean CSV extract),
    as Eclipse's nightly job does: create missing tables, then TRUNCATE and refill every table, in one transaction
    (an optional table the extract does not hold stays empty).
    ``last``: the night is the last of its run (no edits). Returns rows per table."""
    contract = load_contract()
    counts = {}
    with psycopg.connect(url) as conn:
        if schema:
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        for table in contract:
            conn.execute(create_table_sql(table, schema))
        conn.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(
            sql.Identifier(schema, t.name) if schema else sql.Identifier(t.name) for t in contract)))
        for table in contract:
            name = sql.Identifier(schema, table.name) if schema else sql.Identifier(table.name)
            path = extract_dir / table.file_name
            if table.optional and not path.exists():
                counts[table.name] = 0  # an optional table the extract does not hold: the source has it empty
                continue
            with path.open(newline="", encoding="utf-8") as handle:
                header = next(csv.reader([handle.readline()]))
            statement = sql.SQL("copy {} ({}) from stdin with (format csv, header)").format(
                name, sql.SQL(", ").join(map(sql.Identifier, header)))
            with conn.cursor() as cur:
                with cur.copy(statement) as copy:
                    if last or table.name != EDITED_TABLE:
                        with path.open("rb") as handle:
                            while chunk := handle.read(1 << 20):
                                copy.write(chunk)
                    else:
                        copy.write(_csv_bytes(*night_rows(extract_dir, table, last)))
                counts[table.name] = cur.rowcount
    return counts


def _csv_bytes(header: list[str], rows: Iterable[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def night_folder(out: Path, la_code: str, night: date) -> Path:
    return out / la_code / night.isoformat()


def write_source_night(result, url: str, night: date | None, schema: str | None, *,
                       rendering_is_csv: bool = True) -> str:
    """``csc generate --to-database``: the chosen night of a generation run into the source database, and the
    record of what changed between the run's last two nights. Returns a line saying what was done."""
    if not rendering_is_csv:
        raise ValueError("--to-database needs clean CSV files (no --messy, --dialect csv): a database holds values, "
                         "not an export's formatting")
    nights = {n.extract_date: n for n in result.nights}
    chosen = night or result.nights[-1].extract_date
    if chosen not in nights:
        raise ValueError(f"--database-night {chosen} is not one of the generated nights "
                         f"({', '.join(str(d) for d in nights)})")
    if len(result.nights) >= 2:
        before, after = result.nights[-2], result.nights[-1]
        write_changes(after.truth_dir / "changes.csv", changes_between(before.extract_dir, after.extract_dir))
    counts = fill_source_database(url, nights[chosen].extract_dir, last=chosen == result.nights[-1].extract_date,
                                  schema=schema)
    from sqlalchemy.engine import make_url

    where = make_url(url).render_as_string(hide_password=True) if "://" in url else "the database"
    return f"SSD of {chosen} written to {where}: {sum(counts.values()):,} rows in {len(counts)} tables"
