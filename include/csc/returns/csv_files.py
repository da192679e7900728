"""CSV versions of the return's tables: UTF-8 with a byte-order mark, because Excel (the performance leads' tool)
otherwise opens UTF-8 as the Windows code page and garbles team names with accents; RFC 4180 quoting and CRLF line
ends. One header row, no title rows, so the file loads into any tool as it is."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from csc.returns.formula_safety import csv_text
from csc.returns.tables import Cell, Table

ENCODING = "utf-8-sig"


def csv_field(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        raise TypeError("booleans have no place in a return")
    if isinstance(cell, Decimal):
        return format(cell, "f")
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, datetime):
        return cell.isoformat(timespec="seconds")
    if isinstance(cell, date):
        return cell.isoformat()
    return csv_text(str(cell))


def write_csv(table: Table, path: Path) -> None:
    with path.open("w", encoding=ENCODING, newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([csv_field(c.heading) for c in table.columns])
        writer.writerows([csv_field(cell) for cell in row] for row in table.rows)
