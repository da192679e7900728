"""The shape of a real extract against the contract: the source-system profile it is read with, the tables and
columns it carries beyond the contract, and those it lacks.

A real SSD has more than the contract (about 46 tables; columns such as SystemC's ``IS_ALLOCATED_CW_FLAG``) and, for
some systems and LAs, less (no HR files; Mosaic's missing person ids). None of that is a refusal:

- an extra table is recorded (name, columns, rows) and skipped;
- an extra column is kept in its raw table's ``_extra`` (jsonb, lower-case keys, values as text);
- a missing optional table or column loads as empty; a column the profile says the system never writes is expected
  (one line, not one notice per file); a derived column is filled from another table of the same batch.

Each is a :class:`ShapeNote`, recorded in ``ops.extract_shape`` with the batch, printed by ``csc load`` and listed in
the data-quality report ("Extract shape").
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg

from csc.contract.profiles import available_systems
from csc.ingest.dialects import Dialect, sniff_encoding
from csc.ingest.source import ExtractSource

KINDS = ("extra_table", "extra_column", "missing_table", "missing_column", "absent_column", "derived_column")


@dataclass(frozen=True)
class ShapeNote:
    kind: str  # one of KINDS
    table: str
    column: str | None = None
    columns: tuple[str, ...] | None = None  # extra_table: its header (None: a headerless file)
    rows: int | None = None  # extra_table: its records; derived_column: the rows filled
    detail: str | None = None

    def line(self) -> str:
        """One line for ``csc load`` and the report."""
        if self.kind == "extra_table":
            shape = f"{len(self.columns)} columns" if self.columns is not None else "no header"
            return f"extra table {self.table} ({self.rows:,} rows, {shape}): recorded, not loaded"
        if self.kind == "extra_column":
            return f"{self.table}: extra column {self.column} kept in raw (_extra)"
        if self.kind == "missing_table":
            return f"no {self.table}: loaded as empty" + (f" ({self.detail})" if self.detail else "")
        if self.kind == "missing_column":
            return f"{self.table}: no {self.column}: loaded as empty"
        if self.kind == "absent_column":
            return f"{self.table}.{self.column}: not written by this system (expected): empty"
        return f"{self.table}.{self.column}: {self.detail}"


def system_named(source_system: str | None) -> str | None:
    """The profile a manifest's ``source_system`` names: a profile's own name (``systemc``, ``mosaic``, ``eclipse``,
    ``generic``), exactly. Free text ("SystemC LCS") names none: the LA's ``system:`` says which system it is."""
    if source_system and source_system.strip() in available_systems():
        return source_system.strip()
    return None


class _Hashing(io.RawIOBase):
    """A binary stream that counts and hashes what is read through it."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        block = self._stream.read(len(buffer))
        self.digest.update(block)
        self.size += len(block)
        buffer[:len(block)] = block
        return len(block)


def read_extra_table(source: ExtractSource, name: str, dialect: Dialect) -> tuple[tuple[str, ...] | None, int, str,
                                                                                  int]:
    """The header (None for a headerless dialect), record count, sha256 and size of a file no contract table
    describes. Streamed once, not checked: it is recorded and skipped."""
    with source.open(name) as stream:
        head = stream.read(4)
    encoding, _ = sniff_encoding(head, "utf-8")
    codec = "utf-16" if encoding.startswith("utf-16") else "utf-8-sig"
    with source.open(name) as stream:
        hashing = _Hashing(stream)
        text = io.TextIOWrapper(io.BufferedReader(hashing, 1 << 20), encoding=codec, errors="replace", newline="")
        if dialect.quoted:
            reader: Iterable[list[str]] = csv.reader(text, delimiter=dialect.delimiter, strict=False)
        else:
            reader = (line.rstrip("\r\n").split(dialect.delimiter) for line in text if line.strip("\r\n"))
        header: tuple[str, ...] | None = None
        rows = 0
        for record in reader:
            if not record or record == [""]:
                continue
            if header is None and dialect.header:
                header = tuple(f.replace("\0", "").strip().lower() for f in record)
                continue
            rows += 1
        while hashing.read(1 << 20):  # the rest, if the reader stopped early: the checksum covers the whole file
            pass
    return header, rows, hashing.digest.hexdigest(), hashing.size


def record_notes(conn: psycopg.Connection, batch_id: int, notes: list[ShapeNote]) -> None:
    if not notes:
        return
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into ops.extract_shape (batch_id, kind, table_name, column_name, columns, rows, detail) "
            "values (%s, %s, %s, %s, %s, %s, %s)",
            [(batch_id, n.kind, n.table, n.column, list(n.columns) if n.columns is not None else None, n.rows,
              n.detail) for n in notes])


def summary_lines(notes: list[ShapeNote], profile: str) -> list[str]:
    """What ``csc load`` prints: every note, absent columns folded into one line."""
    absent = [f"{n.table}.{n.column}" for n in notes if n.kind == "absent_column"]
    lines = [n.line() for n in notes if n.kind not in ("absent_column", "missing_column")]
    if absent:
        lines.append(f"{len(absent)} columns the {profile} profile says the system never writes, loaded empty: "
                     + ", ".join(absent))
    return lines
