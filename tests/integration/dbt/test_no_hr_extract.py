"""An extract without the HR files (hr_workers, hr_establishment empty for the batch) builds and publishes:

- the workforce indicators (CASELOAD_AVG, CASELOAD_OVER_THRESHOLD, WF_*) are published as not available with reason
  ``no_hr_extract`` (the row exists; numerator, denominator and value empty; never 0), in every period;
- UNALLOCATED is still computed, in post and case-holding taken from ssd_professionals and the involvements;
- the quarterly return shows them as "n/a (no_hr_extract)" and explains the reason.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from csc.returns import write_return
from csc.settings import Settings
from csc.transform import build, publish
from csc.warehouse.connection import connect

from dbt_extracts import land_extract

pytestmark = [pytest.mark.integration]

LA = "999"
AS_OF = date(2026, 9, 30)
QUARTER = "2026Q2"  # July-September 2026, complete on 30 September
WORKFORCE = ("CASELOAD_AVG", "CASELOAD_OVER_THRESHOLD", "WF_VACANCY_RATE", "WF_AGENCY_RATE", "WF_TURNOVER",
             "WF_NQSW_SHARE")


@pytest.fixture(scope="module")
def published(dbt_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    extract = land_extract(dbt_settings, tmp_path_factory.mktemp("no-hr"), LA, AS_OF, size="tiny")
    with connect(dbt_settings) as conn:
        for table in ("hr_workers", "hr_establishment"):  # as an extract without the HR files loads
            conn.execute(f"delete from raw.{table} where _batch_id = %s", (extract.batch_id,))
        conn.commit()
    result = build(dbt_settings, exclude=["test_type:unit"])
    assert result.ok, result.summary()
    publish(dbt_settings)
    return dbt_settings


def test_workforce_indicators_are_not_available_with_reason_no_hr_extract(published: Settings):
    with connect(published) as conn:
        rows = conn.execute(
            "select indicator_id, count(*), count(numerator), count(denominator), count(value), "
            "array_agg(distinct not_available_reason) from marts.indicator_values where la_code = %s "
            "group by indicator_id", (LA,)).fetchall()
        daily = conn.execute(
            "select indicator_id, numerator, denominator, value, not_available_reason from marts.indicator_daily "
            "where la_code = %s and indicator_id = any(%s)", (LA, list(WORKFORCE))).fetchall()
        batches = conn.execute("select has_hr_workers, has_hr_establishment from staging.stg_ops__build_batches "
                               "where la_code = %s", (LA,)).fetchall()
    assert batches == [(False, False)]
    by_indicator = {indicator: rest for indicator, *rest in rows}
    for indicator in WORKFORCE:
        periods, numerators, denominators, values, reasons = by_indicator[indicator]
        assert periods > 0 and (numerators, denominators, values) == (0, 0, 0), (indicator, by_indicator[indicator])
        assert reasons == ["no_hr_extract"], indicator
    stocks = set(WORKFORCE) - {"WF_TURNOVER"}  # a rolling flow has no daily row
    assert set(daily) == {(i, None, None, None, "no_hr_extract") for i in stocks}
    periods, numerators, _, values, reasons = by_indicator["UNALLOCATED"]
    assert numerators == periods and values == periods and reasons == [None], "UNALLOCATED is still computed"


def test_the_return_shows_the_workforce_indicators_as_not_available(published: Settings):
    files = write_return(LA, QUARTER, published)
    with Path(files.indicators_csv).open(newline="", encoding="utf-8-sig") as handle:
        text = handle.read()
    rows = list(csv.reader(text.splitlines()))
    shown = {row[0]: row for row in rows if row and row[0] in WORKFORCE}
    assert set(shown) == set(WORKFORCE), rows[:5]
    for indicator, row in shown.items():
        assert "n/a (no_hr_extract)" in row, (indicator, row)
        assert not any(cell.strip() in ("0", "0.0", "0.0000") for cell in row[5:8]), (indicator, row)
    html = Path(files.report_html).read_text(encoding="utf-8")
    assert "no_hr_extract" in html and "no HR workforce files" in html
