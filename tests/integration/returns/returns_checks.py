"""Checks shared by the return tests: read a return sheet back and compare it with the marts through SQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import openpyxl

from csc.returns.quarters import FinancialQuarter
from csc.returns.workbook import HEADER_ROW
from csc.settings import Settings
from csc.warehouse.connection import connect

SHEETS = ["Indicators", "Trend", "Teams", "Data quality", "Definitions", "Provenance"]
RAGS = {"red": "Red", "amber": "Amber", "green": "Green", None: None}


def sheet_rows(sheet) -> tuple[list[str], list[tuple]]:
    """Header and data rows of a return sheet (the table starts below the title block, ends at a blank row)."""
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    header = list(rows[0])
    data = []
    for row in rows[1:]:
        if all(v is None for v in row):
            break
        data.append(row)
    return header, data


def marts_quarter(settings, la_code, quarter) -> dict[str, tuple]:
    with connect(settings, role="csc_analyst") as conn:
        rows = conn.execute(
            "select indicator_id, period_start, period_end, numerator, denominator, value, target, rag "
            "from marts.indicator_values where la_code = %s and period_type = 'quarter' and period_start = %s",
            (la_code, quarter.start)).fetchall()
    return {r[0]: r[1:] for r in rows}


def same_number(cell, exact: Decimal | None) -> bool:
    if exact is None:
        return cell is None
    return isinstance(cell, int | float) and Decimal(str(cell)) == exact


def assert_indicators_sheet_equals_the_marts(workbook, settings: Settings, la_code: str,
                                             quarter: FinancialQuarter) -> int:
    """Every row of the Indicators sheet against marts.indicator_values; returns the number of rows checked."""
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == SHEETS
    header, rows = sheet_rows(book["Indicators"])
    previous_heading = f"Previous quarter ({quarter.previous().name})"
    assert header == ["Indicator id", "Indicator", "Period", "Period start", "Period end", "Numerator", "Denominator",
                      "Value", "Unit", "Target", "RAG", previous_heading, "Change", "Direction of good"]
    current = marts_quarter(settings, la_code, quarter)
    previous = marts_quarter(settings, la_code, quarter.previous())
    assert sorted(r[0] for r in rows) == sorted(current), "one row per indicator of the quarter, none missing"
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        start, end, numerator, denominator, value, target, rag = current[cells["Indicator id"]]
        assert cells["Period"] == quarter.name
        assert (cells["Period start"], cells["Period end"]) == (datetime.combine(start, datetime.min.time()),
                                                               datetime.combine(end, datetime.min.time()))
        assert same_number(cells["Numerator"], numerator), cells
        assert same_number(cells["Denominator"], denominator), cells
        assert same_number(cells["Value"], value), cells
        assert same_number(cells["Target"], target), cells
        assert cells["RAG"] == RAGS[rag], cells
        before = previous.get(cells["Indicator id"])
        assert same_number(cells[previous_heading], before[4] if before else None), cells
        if value is not None and before and before[4] is not None:
            assert same_number(cells["Change"], value - before[4]), cells
        else:
            assert cells["Change"] is None, cells
    return len(rows)
