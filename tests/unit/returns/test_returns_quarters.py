"""Financial-year quarters: the naming every part of the product shares (2025Q1 = April-June 2025)."""

from datetime import date

import pytest

from csc.returns.quarters import FinancialQuarter

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("name", "start", "end"), [
    ("2025Q1", date(2025, 4, 1), date(2025, 6, 30)),
    ("2025Q2", date(2025, 7, 1), date(2025, 9, 30)),
    ("2025Q3", date(2025, 10, 1), date(2025, 12, 31)),
    ("2025Q4", date(2026, 1, 1), date(2026, 3, 31)),
    ("2023Q4", date(2024, 1, 1), date(2024, 3, 31)),
])
def test_quarter_dates(name, start, end):
    quarter = FinancialQuarter.parse(name)
    assert (quarter.start, quarter.end, quarter.name) == (start, end, name)
    assert FinancialQuarter.containing(start) == FinancialQuarter.containing(end) == quarter


@pytest.mark.parametrize("text", ["2025q1", " 2025Q1 ", "2025-Q1"])
def test_lenient_spellings(text):
    assert FinancialQuarter.parse(text) == FinancialQuarter(2025, 1)


@pytest.mark.parametrize("text", ["2025Q5", "2025Q0", "Q1 2025", "2025", "25Q1", ""])
def test_bad_names_say_how_to_write_them(text):
    with pytest.raises(ValueError, match="write it like 2025Q1"):
        FinancialQuarter.parse(text)


def test_neighbours_cross_the_financial_year():
    assert FinancialQuarter(2025, 4).shift(1) == FinancialQuarter(2026, 1)
    assert FinancialQuarter(2026, 1).previous() == FinancialQuarter(2025, 4)
    assert [q.name for q in FinancialQuarter(2026, 2).last(8)] == [
        "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"]


@pytest.mark.parametrize(("as_of", "latest"), [
    (date(2026, 9, 30), "2026Q2"), (date(2026, 9, 29), "2026Q1"), (date(2026, 10, 1), "2026Q2"),
    (date(2026, 3, 31), "2025Q4"), (date(2026, 1, 15), "2025Q3"), (date(2026, 4, 1), "2025Q4"),
])
def test_latest_complete_quarter(as_of, latest):
    assert FinancialQuarter.latest_complete(as_of).name == latest


def test_labels():
    quarter = FinancialQuarter(2026, 2)
    assert quarter.label == "Q2 2026-27 (July to September 2026)"
    assert quarter.short_label == "Jul-Sep 26"
    assert FinancialQuarter(2025, 4).label == "Q4 2025-26 (January to March 2026)"
    assert FinancialQuarter(2099, 4).financial_year == "2099-00"
