"""Acceptance on what the pipeline really builds: the demo LA's generated extract (two of its teams renamed to
formula-like names), loaded, checked, built by dbt and published; then the return of the latest complete quarter is
read back against the real marts."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import openpyxl
import pytest

from csc.returns import FinancialQuarter, write_return
from csc.settings import Settings
from csc.warehouse.connection import Target, connect

from pipeline_build import built_pipeline
from returns_checks import assert_indicators_sheet_equals_the_marts, marts_quarter, same_number, sheet_rows

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Great Expectations' import warns (Python's own re internals); not ours to fix.
    pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning"),
]

LA, AS_OF = "999", date(2026, 9, 30)
QUARTER = FinancialQuarter.latest_complete(AS_OF)
RENAMED_TEAMS = {"T0107": '=HYPERLINK("http://x","y")', "T0108": "-1+1"}


@dataclass
class BuiltDemo:
    settings: Settings
    batch_id: int


@pytest.fixture(scope="module")
def built_demo(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltDemo]:
    with built_pipeline(pg_server, tmp_path_factory.mktemp("returns-acceptance"), LA, AS_OF,
                        teams=RENAMED_TEAMS) as pipeline:
        yield BuiltDemo(pipeline.settings, pipeline.batch_id)


@pytest.fixture(scope="module")
def demo_return(built_demo: BuiltDemo):
    return write_return(LA, QUARTER.name, built_demo.settings)


def test_every_value_of_the_return_equals_the_real_marts(built_demo, demo_return):
    checked = assert_indicators_sheet_equals_the_marts(demo_return.workbook, built_demo.settings, LA, QUARTER)
    assert checked >= 25, "the whole catalogue is in the marts and in the return"
    header, rows = sheet_rows(openpyxl.load_workbook(demo_return.workbook)["Trend"])
    quarters = QUARTER.last(8)
    for q, column in zip(quarters, header[3:11], strict=True):
        assert column == q.name
        mart = marts_quarter(built_demo.settings, LA, q)
        for row in rows:
            expected = mart.get(row[0])
            assert same_number(row[3 + quarters.index(q)], expected[4] if expected else None), (row[0], q.name)


def test_provenance_names_the_published_batch(built_demo, demo_return):
    _, rows = sheet_rows(openpyxl.load_workbook(demo_return.workbook)["Provenance"])
    provenance = dict(rows)
    assert provenance["Batch id"] == built_demo.batch_id
    assert provenance["Extract date"].date() == AS_OF
    assert provenance["LA"].startswith("Demoshire")


def test_real_team_names_that_look_like_formulas_stay_text(demo_return):
    book = openpyxl.load_workbook(demo_return.workbook)
    sheet = book["Teams"]
    header, rows = sheet_rows(sheet)
    cells = {row[0].value: row[0] for row in sheet.iter_rows(min_row=5, max_row=4 + len(rows))}
    for name in RENAMED_TEAMS.values():
        assert name in cells, f"{name} has children or records at the quarter end"
        assert cells[name].data_type == "s" and cells[name].quotePrefix
    teams_csv = {row[0]: row for row in csv.reader(demo_return.teams_csv.read_text(encoding="utf-8-sig").splitlines())}
    assert "'" + RENAMED_TEAMS["T0107"] in teams_csv and "'-1+1" in teams_csv


def test_teams_add_up_to_the_la_figures(built_demo, demo_return):
    header, rows = sheet_rows(openpyxl.load_workbook(demo_return.workbook)["Teams"])
    la = marts_quarter(built_demo.settings, LA, QUARTER)

    def total(heading):
        return sum(row[header.index(heading)] for row in rows)

    assert total("Unallocated children") == la["UNALLOCATED"][2]
    assert total("Assessments past 45 working days") == la["ASMT_OVERDUE"][2]
    assert total("Children allocated") == la["CASELOAD_AVG"][2]
    assert same_number(total("Case-holder FTE"), la["CASELOAD_AVG"][3])
    assert total("Workers above caseload threshold") == la["CASELOAD_OVER_THRESHOLD"][2]
    assert total("Children allocated") > 0 and total("Assessments past 45 working days") > 0


def test_data_quality_sheet_shows_the_checks_of_the_extract(built_demo, demo_return):
    header, rows = sheet_rows(openpyxl.load_workbook(demo_return.workbook)["Data quality"])
    with connect(built_demo.settings, role="csc_dq_reader") as conn:
        failing = conn.execute(
            "select r.rule_id, case r.status when 'fail' then r.rows_failing::text else 'not evaluated' end "
            "from ops.dq_results r join ops.dq_runs d using (dq_run_id) "
            "where d.batch_id = %s and r.status in ('fail', 'error')", (built_demo.batch_id,)).fetchall()
    shown = {row[0]: row[header.index("Records failing")] for row in rows}
    assert {rule: str(value) for rule, value in shown.items()} == dict(failing)
