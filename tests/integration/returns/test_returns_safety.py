"""Team names are free text from the case-management system: they must reach every file as text, never as a
formula or markup, while numbers stay numbers."""

from __future__ import annotations

import csv
from html.parser import HTMLParser

import openpyxl
import pytest

from csc.returns import write_return
from csc.returns.workbook import HEADER_ROW
from csc.warehouse.connection import connect

from returns_marts import FORMULA_TEAMS, MARKUP_TEAM

pytestmark = pytest.mark.integration


class TextOf(HTMLParser):
    """The text of every table cell, as a browser shows it."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        self._in_cell = tag == "td"

    def handle_endtag(self, tag):
        self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data)


def teams_sheet(path):
    sheet = openpyxl.load_workbook(path)["Teams"]
    header = [c.value for c in sheet[HEADER_ROW + 1]]
    cells = {}
    for row in sheet.iter_rows(min_row=HEADER_ROW + 2):
        if row[0].value is None:
            break
        cells[row[0].value] = row
    return header, cells


def test_formula_like_team_names_are_text_in_the_workbook(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    header, cells = teams_sheet(files.workbook)
    assert header[:2] == ["Team", "Unallocated children"]
    for name in ['=HYPERLINK("http://x","y")', "-1+1"] + FORMULA_TEAMS[2:]:
        team_cell = cells[name][0]
        assert team_cell.data_type == "s" and team_cell.value == name
        assert team_cell.quotePrefix, "Excel's quote prefix keeps the cell text even when edited"
        assert all(c.data_type == "n" for c in cells[name][1:]), "the team's counts stay numbers"
    assert cells["Assessment Team North"][0].quotePrefix is False


def test_formula_like_team_names_are_text_in_the_csv(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    rows = list(csv.reader(files.teams_csv.read_text(encoding="utf-8-sig").splitlines()))
    by_team = {row[0]: row for row in rows[1:]}
    assert by_team["'" + '=HYPERLINK("http://x","y")'][1] == "6"
    assert by_team["'-1+1"][1] == "5"
    assert "'@SUM(A1:A9)" in by_team and "'+44 20 7946 0000" in by_team
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in files.teams_csv.read_text(encoding="utf-8-sig")
    assert not any(team.startswith(("=", "+", "-", "@", "\t", "\r")) for team in by_team)
    assert MARKUP_TEAM in by_team, "text that cannot run as a formula is left as it is"


def test_negative_numbers_stay_numbers_in_the_csv(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    rows = list(csv.reader(files.indicators_csv.read_text(encoding="utf-8-sig").splitlines()))
    changes = [row[rows[0].index("Change")] for row in rows[1:]]
    negative = [c for c in changes if c.startswith("-")]
    assert negative, "the fixture has falling indicators"
    for text in negative:
        float(text)  # a number, not an escaped text


def test_team_names_are_escaped_in_the_report(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    page = files.report_html.read_text(encoding="utf-8")
    assert "<script" not in page
    texts = TextOf()
    texts.feed(page)
    assert MARKUP_TEAM in texts.cells and '=HYPERLINK("http://x","y")' in texts.cells


def test_teams_add_up_to_the_la_figure(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    header, cells = teams_sheet(files.workbook)
    column = header.index("Unallocated children")
    with connect(published.settings, role="csc_analyst") as conn:
        unallocated = conn.execute(
            "select numerator from marts.indicator_values where la_code = %s and indicator_id = 'UNALLOCATED' "
            "and period_type = 'quarter' and period_start = %s", (published.la_code, published.quarter.start)
        ).fetchone()[0]
    assert sum(row[column].value for row in cells.values()) == unallocated
    parts = [header.index(h) for h in ("of which CP", "of which CLA", "of which CIN")]
    for row in cells.values():
        assert sum(row[k].value for k in parts) == row[column].value
    assert "No team recorded" in cells
