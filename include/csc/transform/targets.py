"""Each LA's indicator targets, from the file its entry in config/las.yml names, into ``ops.la_indicator_targets``.

``build`` calls :func:`sync_targets` before dbt runs, so the targets in force are those of the LA configuration at
build time: an LA that keeps its own file (say, the targets of its improvement notice) edits that file and the next
nightly build rates every period against it. dbt's ``int_indicator_targets`` reads these rows, falling back to the
``indicator_targets`` seed for an LA with none here. A file with a bad row is refused with its line and field, and
nothing is changed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import psycopg

from csc.las import TARGET_COLUMNS, load_las
from csc.settings import PROJECT_ROOT, Settings


class TargetsFileError(ValueError):
    """A targets file that cannot be used as it is (named file, line and field)."""


@dataclass(frozen=True)
class TargetRow:
    la_code: str
    indicator_id: str
    effective_from: date
    target: Decimal | None
    amber_threshold: Decimal | None
    target_source: str | None


def read_targets_file(path, la_code: str) -> list[TargetRow]:
    """The rows of ``la_code`` in a targets CSV (the columns of the indicator_targets seed), typed and checked."""
    rows = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise TargetsFileError(f"targets file of LA {la_code} not found: {path}") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in TARGET_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise TargetsFileError(f"{path}, line 1: missing column(s) {', '.join(missing)}")
        for row in reader:
            if row["la_code"].strip() != la_code:
                continue
            line = reader.line_num
            field = "effective_from"
            try:
                effective_from = date.fromisoformat(row["effective_from"].strip())
                field = "target"
                target = _number(row["target"])
                field = "amber_threshold"
                amber = _number(row["amber_threshold"])
            except (ValueError, InvalidOperation):
                raise TargetsFileError(f"{path}, line {line}, field {field}: {row[field]!r} is not a "
                                       f"{'date (YYYY-MM-DD)' if field == 'effective_from' else 'number'}") from None
            if not row["indicator_id"].strip():
                raise TargetsFileError(f"{path}, line {line}, field indicator_id: blank")
            rows.append(TargetRow(la_code, row["indicator_id"].strip(), effective_from, target, amber,
                                  (row.get("target_source") or "").strip() or None))
    keys = [(r.indicator_id, r.effective_from) for r in rows]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise TargetsFileError(f"{path}: LA {la_code} has more than one target for "
                               + ", ".join(f"{i} from {d}" for i, d in duplicates))
    return rows


def _number(text: str) -> Decimal | None:
    text = text.strip()
    return Decimal(text) if text else None


def sync_targets(conn: psycopg.Connection, settings: Settings) -> dict[str, int]:
    """Replace every configured LA's rows of ``ops.la_indicator_targets`` with its targets file's, in the caller's
    transaction; rows of LAs no longer configured are removed. Returns the rows per LA."""
    files = []
    for la in load_las(settings.las_config):
        path = la.targets_path(PROJECT_ROOT)
        files.append((la.code, path, read_targets_file(path, la.code)))  # all checked before anything changes
    conn.execute("delete from ops.la_indicator_targets")
    with conn.cursor() as cursor:
        for _, path, rows in files:
            cursor.executemany(
                "insert into ops.la_indicator_targets (la_code, indicator_id, effective_from, target, "
                "amber_threshold, target_source, targets_file) values (%s, %s, %s, %s, %s, %s, %s)",
                [(r.la_code, r.indicator_id, r.effective_from, r.target, r.amber_threshold, r.target_source,
                  str(path)) for r in rows])
    return {la_code: len(rows) for la_code, _, rows in files}
