"""The workbook and CSV read back cell by cell against the marts, through the tests' own SQL."""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from csc.returns import write_return
from csc.returns.workbook import HEADER_ROW
from csc.warehouse.connection import connect

from returns_checks import SHEETS, assert_indicators_sheet_equals_the_marts, marts_quarter, same_number, sheet_rows

pytestmark = pytest.mark.integration


def test_indicators_sheet_equals_the_marts(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    checked = assert_indicators_sheet_equals_the_marts(files.workbook, published.settings, published.la_code,
                                                      published.quarter)
    assert checked == 13


def test_trend_sheet_holds_the_last_eight_quarters(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    header, rows = sheet_rows(openpyxl.load_workbook(files.workbook)["Trend"])
    quarters = published.quarter.last(8)
    assert header[3:11] == [q.name for q in quarters]
    by_quarter = {q: marts_quarter(published.settings, published.la_code, q) for q in quarters}
    checked = 0
    for row in rows:
        for q, cell in zip(quarters, row[3:11], strict=True):
            mart = by_quarter[q].get(row[0])
            assert same_number(cell, mart[4] if mart else None), (row[0], q.name, cell)
            checked += mart is not None
    assert checked == sum(len(v) for v in by_quarter.values())


def test_numbers_are_numbers_and_rag_cells_are_coloured(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    sheet = openpyxl.load_workbook(files.workbook)["Indicators"]
    header, _ = sheet_rows(sheet)
    value_col, rag_col = header.index("Value") + 1, header.index("RAG") + 1
    coloured = 0
    for r in range(HEADER_ROW + 2, HEADER_ROW + 2 + 13):
        assert sheet.cell(r, value_col).data_type == "n"
        rag = sheet.cell(r, rag_col)
        if rag.value:
            assert rag.fill.fgColor.rgb.upper() in ("FFD4351C", "FFFFDD00", "FF00703C")
            coloured += 1
    assert coloured >= 5


def test_csv_is_the_indicators_sheet(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    raw = files.indicators_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for Excel"
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    header, sheet = sheet_rows(openpyxl.load_workbook(files.workbook)["Indicators"])
    assert rows[0] == header
    assert len(rows) - 1 == len(sheet)
    for text_row, cells in zip(rows[1:], sheet, strict=True):
        for text, cell in zip(text_row, cells, strict=True):
            if cell is None:
                assert text == ""
            elif isinstance(cell, int | float):
                assert Decimal(text) == Decimal(str(cell))
            elif isinstance(cell, datetime):
                assert date.fromisoformat(text) == cell.date()
            else:
                assert text == cell


def test_generated_at_is_the_only_value_that_changes_between_runs(published):
    first = write_return(published.la_code, published.quarter.name, published.settings)
    book_one = openpyxl.load_workbook(first.workbook)
    csv_one = first.indicators_csv.read_bytes()
    second = write_return(published.la_code, published.quarter.name, published.settings)
    book_two = openpyxl.load_workbook(second.workbook)
    assert second.indicators_csv.read_bytes() == csv_one
    for name in SHEETS:
        one = list(book_one[name].iter_rows(values_only=True))
        two = list(book_two[name].iter_rows(values_only=True))
        if name == "Provenance":
            one, two = [r for r in one if r[0] != "Generated at"], [r for r in two if r[0] != "Generated at"]
        assert one == two, name
    provenance = dict(sheet_rows(book_two["Provenance"])[1])
    assert provenance["LA code"] == "999"
    assert provenance["Extract date"] == datetime(2026, 9, 30)
    assert provenance["Batch id"] == published.published_batch_id
    assert isinstance(provenance["Generated at"], datetime)
    from csc import __version__

    assert provenance["Product version"] == __version__


def test_no_cell_of_the_workbook_is_a_formula(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    with zipfile.ZipFile(files.workbook) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in package.read(name) and b"<f " not in package.read(name), name


def test_data_quality_sheet_lists_the_rules_failing_at_quarter_end(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    header, rows = sheet_rows(openpyxl.load_workbook(files.workbook)["Data quality"])
    by_rule = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    with connect(published.settings, role="csc_dq_reader") as conn:
        expected = conn.execute(
            "select r.rule_id from ops.dq_results r join ops.dq_runs d using (dq_run_id) "
            "where d.batch_id = %s and r.status in ('fail', 'error')", (published.published_batch_id,)).fetchall()
    assert sorted(by_rule) == sorted(rule_id for (rule_id,) in expected)
    assert [row[0] for row in rows] == ["VOLUME_OPEN_CASES", "ALLOC_DEPARTED_WORKER", "TL_PLAN_END",
                                        "ORPHAN_ASSESSMENT_REFERRAL", "BACKLOG_ASSESSMENT_45WD"], \
        "data faults first (not evaluated, then most records), practice backlogs last"
    alloc = by_rule["ALLOC_DEPARTED_WORKER"]
    assert (alloc["Rule"], alloc["Kind"], alloc["Records failing"]) == (
        "Open case allocated to a worker who has left", "data fault", 9)
    assert (alloc["2026Q1"], alloc["2026Q2"], alloc["2025Q4"]) == (14, 9, None), "trend at the quarter ends"
    assert by_rule["ORPHAN_ASSESSMENT_REFERRAL"]["2026Q1"] is None, "not failing in June"
    assert by_rule["VOLUME_OPEN_CASES"]["Records failing"] == "not evaluated"
    assert by_rule["VOLUME_OPEN_CASES"]["2026Q1"] == 0
    assert by_rule["BACKLOG_ASSESSMENT_45WD"]["Kind"] == "practice backlog"
