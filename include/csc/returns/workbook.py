"""``quarterly_return.xlsx``: one sheet per table, numbers as numbers with formats a reader expects, RAG cells
coloured (and labelled, so colour is never the only signal), text always written as text.

Every cell is written with the type-specific XlsxWriter call and the workbook's string conversions are off, so no
text can become a formula, a link or a number; text that starts like a formula also carries Excel's quote prefix,
so editing the cell later does not turn it into one either.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from csc.returns.formula_safety import starts_like_formula
from csc.returns.tables import Cell, Table

# Layout of every sheet (0-based rows): title, subtitle, notice, then the table's header and rows.
TITLE_ROW, SUBTITLE_ROW, NOTICE_ROW, HEADER_ROW = 0, 1, 2, 3

RAG_COLOURS = {"Red": ("#D4351C", "#FFFFFF"), "Amber": ("#FFDD00", "#0B0C0C"), "Green": ("#00703C", "#FFFFFF")}
MEASURE_FORMATS = {"count": "#,##0", "percent": "0.0", "per_10000": "0.0", "ratio": "0.0", "days": "0.0"}
CHANGE_FORMATS = {"count": "+#,##0;-#,##0;0", "percent": "+0.0;-0.0;0.0", "per_10000": "+0.0;-0.0;0.0",
                  "ratio": "+0.0;-0.0;0.0", "days": "+0.0;-0.0;0.0"}
NUMERIC_KINDS = ("count", "number", "fte", "ratio", "measure", "change")
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "remove_timezone": True,
}


class _Formats:
    """XlsxWriter formats, made once per distinct combination."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self._cache: dict[tuple, Format] = {}

    def get(self, *, num_format: str | None = None, rag: str | None = None, quote: bool = False,
            wrap: bool = False, bold: bool = False, size: int | None = None, header: bool = False,
            align: str | None = None, italic: bool = False) -> Format:
        key = (num_format, rag, quote, wrap, bold, size, header, align, italic)
        if key not in self._cache:
            props: dict[str, object] = {"valign": "top", "font_name": "Arial", "font_size": size or 10}
            if num_format:
                props["num_format"] = num_format
            if rag in RAG_COLOURS:
                props["bg_color"], props["font_color"] = RAG_COLOURS[rag]
                props["bold"] = True
            if quote:
                props["quote_prefix"] = True
            if wrap:
                props["text_wrap"] = True
            if bold:
                props["bold"] = True
            if italic:
                props["italic"] = True
            if header:
                props.update({"bold": True, "text_wrap": True, "bottom": 1, "bg_color": "#F3F2F1"})
            if align:
                props["align"] = align
            self._cache[key] = self.workbook.add_format(props)
        return self._cache[key]


def _number_format(kind: str, unit: str | None, number: Decimal | int) -> str:
    if kind == "count":
        return "#,##0"
    if kind == "measure":
        return MEASURE_FORMATS.get(unit or "", "0.0###")
    if kind == "change":
        return CHANGE_FORMATS.get(unit or "", "+0.0###;-0.0###;0")
    if kind == "ratio":
        return "0.0"
    if kind == "fte":
        return "#,##0.0##"
    return "#,##0" if number == int(number) else "#,##0.0###"


def _write_cell(sheet: Worksheet, formats: _Formats, row: int, col: int, cell: Cell, kind: str,
                unit: str | None, rag: str | None, wrap: bool) -> None:
    if cell is None:
        sheet.write_blank(row, col, None, formats.get(rag=rag))
    elif isinstance(cell, bool):
        raise TypeError("booleans have no place in a return")
    elif isinstance(cell, Decimal | int):
        sheet.write_number(row, col, float(cell) if isinstance(cell, Decimal) else cell,
                           formats.get(num_format=_number_format(kind, unit, cell), rag=rag))
    elif isinstance(cell, datetime):
        utc = cell.astimezone(UTC) if cell.tzinfo else cell
        sheet.write_datetime(row, col, utc, formats.get(num_format="d mmm yyyy hh:mm:ss", rag=rag, align="left"))
    elif isinstance(cell, date):
        sheet.write_datetime(row, col, cell, formats.get(num_format="d mmm yyyy", rag=rag, align="left"))
    else:
        text = str(cell)
        numeric_column = kind in NUMERIC_KINDS
        sheet.write_string(row, col, text, formats.get(quote=starts_like_formula(text), rag=rag, wrap=wrap,
                                                       align="right" if numeric_column else None))


def _write_table(sheet: Worksheet, formats: _Formats, table: Table, subtitle: str, notice: str | None) -> None:
    sheet.write_string(TITLE_ROW, 0, table.title, formats.get(bold=True, size=14))
    sheet.write_string(SUBTITLE_ROW, 0, subtitle, formats.get())
    if notice:
        sheet.write_string(NOTICE_ROW, 0, notice, formats.get(bold=True))
    for col, column in enumerate(table.columns):
        sheet.set_column(col, col, column.width)
        sheet.write_string(HEADER_ROW, col, column.heading, formats.get(header=True))
    for r, (cells, unit) in enumerate(zip(table.rows, table.row_units, strict=True)):
        for col, (cell, column) in enumerate(zip(cells, table.columns, strict=True)):
            _write_cell(sheet, formats, HEADER_ROW + 1 + r, col, cell, column.kind, unit,
                        table.rag_cells.get((r, col)), wrap=column.width >= 40)
    last_row = HEADER_ROW + len(table.rows)
    if table.rows:
        sheet.autofilter(HEADER_ROW, 0, last_row, len(table.columns) - 1)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    # Printed as sent: landscape A4, one page wide, the header row on every page.
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(HEADER_ROW)
    for k, note in enumerate(table.notes):
        sheet.write_string(last_row + 2 + k, 0, note, formats.get(italic=True))


def write_workbook(tables: list[Table], path: Path, *, title: str, subtitle: str, notice: str | None,
                   generated_at: datetime) -> None:
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    try:
        created = generated_at.astimezone(UTC).replace(tzinfo=None) if generated_at.tzinfo else generated_at
        workbook.set_properties({"title": title, "subject": subtitle, "author": "csc-pipeline",
                                 "comments": "Generated from the published marts; do not retype.",
                                 "created": created})
        formats = _Formats(workbook)
        for table in tables:
            sheet = workbook.add_worksheet(table.sheet)
            _write_table(sheet, formats, table, subtitle, notice)
    finally:
        workbook.close()
