"""An extract without the HR files (hr_workers, hr_establishment empty for the batch) builds and publishes:

- the workforce indicators (CASELOAD_AVG, CASELOAD_OVER_THRESHOLD, WF_*) are published as not available with reason
  ``no_hr_extract`` (the row exists; numerator, denominator and value empty; never 0), in every period;
- UNALLOCATED is still computed, in post and case-holding taken from ssd_professionals and the involvements;
- the quarterly return shows them as "n/a (no_hr_extract)" and explains the reason.
"""

from __future__ import annotations

from datetime import date

import pytest

from csc.settings import Settings
from csc.transform import build, publish
from csc.warehouse.connection import connect

from dbt_extracts import land_extract
from not_available import assert_not_available_in_marts, assert_return_shows_not_available

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
        batches = conn.execute("select has_hr_workers, has_hr_establishment from staging.stg_ops__build_batches "
                               "where la_code = %s", (LA,)).fetchall()
    assert batches == [(False, False)]
    by_indicator = assert_not_available_in_marts(published, LA, WORKFORCE, "no_hr_extract")
    periods, numerators, _, values, reasons = by_indicator["UNALLOCATED"]
    assert numerators == periods and values == periods and reasons == [None], "UNALLOCATED is still computed"


def test_the_return_shows_the_workforce_indicators_as_not_available(published: Settings):
    _, html = assert_return_shows_not_available(published, LA, QUARTER, WORKFORCE, "no_hr_extract")
    assert "no_hr_extract" in html and "no HR workforce files" in html
