"""--suppress-small: counts of 1 to N-1 and everything built on them become [c] in every file; nothing else moves."""

from __future__ import annotations

import csv
from datetime import datetime

import openpyxl
import pytest
from pypdf import PdfReader

from csc.returns import write_return
from csc.returns.workbook import HEADER_ROW

pytestmark = pytest.mark.integration

C = "[c]"


def rows_by_id(path, sheet_name):
    sheet = openpyxl.load_workbook(path)[sheet_name]
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    header = list(rows[0])
    body = {}
    for row in rows[1:]:
        if row[0] is None:
            break
        body[row[0]] = dict(zip(header, row, strict=True))
    return body


@pytest.fixture
def both(published, tmp_path):
    """The return written twice: open (inside the LA) and with --suppress-small 5."""
    open_files = write_return(published.la_code, published.quarter.name, published.settings)
    open_copy = {p.name: p.read_bytes() for p in open_files.paths}
    shared = write_return(published.la_code, published.quarter.name, published.settings, suppress_small=5)
    for name, content in open_copy.items():
        (tmp_path / name).write_bytes(content)
    return tmp_path, shared


def test_small_counts_and_rates_built_on_them_are_hidden(both):
    open_dir, shared = both
    before = rows_by_id(open_dir / "quarterly_return.xlsx", "Indicators")
    after = rows_by_id(shared.workbook, "Indicators")
    # 3 unallocated CP cases: the count, and the RAG that would tell it from zero.
    assert before["UNALLOCATED_CP"]["Numerator"] == 3
    assert (after["UNALLOCATED_CP"]["Numerator"], after["UNALLOCATED_CP"]["Value"]) == (C, C)
    assert after["UNALLOCATED_CP"]["RAG"] is None
    # 1 of 4 CP plans ending after 2 years: both terms and the percentage.
    assert [after["CPP_2YR_ENDED"][k] for k in ("Numerator", "Denominator", "Value")] == [C, C, C]
    # 4 unallocated children last quarter: the previous value, the change, and last quarter's median days.
    assert (after["UNALLOCATED"]["Previous quarter (2026Q1)"], after["UNALLOCATED"]["Change"]) == (C, C)
    assert after["UNALLOCATED"]["Value"] == before["UNALLOCATED"]["Value"] == 42
    assert after["UNALLOCATED_DAYS_MEDIAN"]["Previous quarter (2026Q1)"] == C
    # Not counts of people: population denominators and FTE sums stay.
    assert after["CPP_RATE"]["Denominator"] == before["CPP_RATE"]["Denominator"]
    assert after["WF_VACANCY_RATE"]["Numerator"] == before["WF_VACANCY_RATE"]["Numerator"]


def test_only_small_counts_and_the_cells_that_would_give_them_back_change(both):
    """Primary suppression hides counts of 1 to 4; complementary suppression hides, beside them, only cells of the
    same team row or team column (or the LA total of that column), so that no total gives a hidden count back."""
    open_dir, shared = both
    hidden = 0
    secondary = []
    for name in ("Indicators", "Trend", "Teams", "Data quality"):
        before = rows_by_id(open_dir / "quarterly_return.xlsx", name)
        after = rows_by_id(shared.workbook, name)
        assert list(before) == list(after) or name == "Teams", "same rows, same order (teams: see below)"
        assert sorted(before) == sorted(after)
        for key, row in after.items():
            for heading, value in row.items():
                original = before[key][heading]
                if value == original:
                    continue
                if value == C:
                    assert isinstance(original, int | float), (name, key, heading, original)
                    if heading == "Average caseload":
                        assert after[key]["Children allocated"] == C, "hidden with the children it divides"
                    elif name == "Teams" and not 0 < original < 5:
                        secondary.append((key, heading))
                    elif heading in ("Numerator", "Records failing"):
                        assert 0 < original < 5 or key == "UNALLOCATED", (name, key, heading, original)
                    hidden += 1
                else:
                    assert value is None and original in ("Red", "Amber", "Green"), (name, key, heading)
    teams = rows_by_id(shared.workbook, "Teams")
    small = {(team, heading) for team, row in rows_by_id(open_dir / "quarterly_return.xlsx", "Teams").items()
             for heading, value in row.items() if isinstance(value, int) and 0 < value < 5}
    assert secondary, "the fixture has parts whose total would give them back"
    for team, heading in secondary:
        assert any(t == team or h == heading for t, h in small), (team, heading)
        assert sum(1 for t in teams if teams[t][heading] == C) >= 2 or sum(
            1 for h in teams[team] if teams[team][h] == C) >= 2
    assert hidden >= 15
    teams = rows_by_id(shared.workbook, "Teams")
    assert teams["Children in Care"]["Unallocated children"] == C
    assert teams["Children in Care"]["Average caseload"] == C
    assert teams["Children in Care"]["Case-holder FTE"] == 0.5, "FTE is not a count of people"
    assert teams["Assessment Team North"]["Unallocated children"] == 17
    assert teams["Child Protection East"]["Assessments past 45 working days"] == 0, "zero identifies nobody"
    quality = rows_by_id(shared.workbook, "Data quality")
    assert quality["ORPHAN_ASSESSMENT_REFERRAL"]["Records failing"] == C
    assert quality["ALLOC_DEPARTED_WORKER"]["Records failing"] == 9


def test_suppressed_teams_are_listed_in_name_order(both):
    _, shared = both
    teams = list(rows_by_id(shared.workbook, "Teams"))
    suppressed = [t for t, row in rows_by_id(shared.workbook, "Teams").items() if row["Unallocated children"] == C]
    assert suppressed == sorted(suppressed)
    assert teams.index(suppressed[0]) == teams.index(suppressed[-1]) - len(suppressed) + 1


def test_csv_report_and_pdf_carry_the_same_suppression(both):
    _, shared = both
    rows = {r[0]: r for r in csv.reader(shared.indicators_csv.read_text(encoding="utf-8-sig").splitlines())}
    header = rows["Indicator id"]
    assert rows["CPP_2YR_ENDED"][header.index("Value")] == C
    assert rows["UNALLOCATED"][header.index("Value")] == "42"
    page = shared.report_html.read_text(encoding="utf-8")
    assert "Small numbers suppressed for sharing outside the LA" in page
    assert 'id="headline-unallocated_cp"' in page
    card = page.split('id="headline-unallocated_cp"')[1].split("</div>")[0]  # down to the card's value
    assert C in card
    text = "".join(page.extract_text() for page in PdfReader(shared.report_pdf).pages)
    assert "Small numbers suppressed" in text and C in text
    provenance = rows_by_id(shared.workbook, "Provenance")
    assert provenance["Small numbers"]["Value"] == "counts from 1 to below 5 shown as [c]"
    assert isinstance(provenance["Generated at"]["Value"], datetime)
