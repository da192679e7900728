"""Indicators know their inputs (issue 14, item 3). An LA whose batch is its imported statutory returns
(``ops.extract_batches.source_kind = 'returns'``) gets every indicator its inputs support, equal to the same data
built as an SSD extract; the allocation, visit and workforce indicators, whose inputs a return does not hold, are
published as not available with reason ``returns_only`` (the row exists; numerator, denominator and value empty;
never 0), in the marts, the bi schema, the quarterly return and its report.

The batch is a generated SSD extract, built once as it is (read in the unpublished marts__next), then marked as
returns, built again and published: the importers (include/csc/imports) load returns as exactly such a batch. (Not
published in between: a published batch's daily history is never rewritten.)
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
# What a return does not hold: allocations (involvements), visits, the HR files.
NOT_IN_RETURNS = ("UNALLOCATED", "UNALLOCATED_CP", "UNALLOCATED_DAYS_MEDIAN", "CPP_VISIT_10WD", "CLA_VISIT_TIMELY",
                  "CASELOAD_AVG", "CASELOAD_OVER_THRESHOLD", "WF_VACANCY_RATE", "WF_AGENCY_RATE", "WF_TURNOVER",
                  "WF_NQSW_SHARE")
VALUES = ("select indicator_id, period_type, period_start, numerator, denominator, value, not_available_reason "
          "from {schema}.indicator_values where la_code = %s")


@pytest.fixture(scope="module")
def built(dbt_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict]:
    """(settings, the LA's indicator values as an SSD batch), the warehouse then published as a returns batch."""
    extract = land_extract(dbt_settings, tmp_path_factory.mktemp("returns-only"), LA, AS_OF, size="tiny")
    result = build(dbt_settings, exclude=["test_type:unit"])
    assert result.ok, result.summary()
    with connect(dbt_settings) as conn:
        as_ssd = {tuple(row[:3]): row[3:]
                  for row in conn.execute(VALUES.format(schema="marts__next"), (LA,)).fetchall()}
        conn.execute("update ops.extract_batches set source_kind = 'returns' where batch_id = %s", (extract.batch_id,))
        conn.commit()
    result = build(dbt_settings)  # with the dbt unit tests (returns_only's, the regional comparison's)
    assert result.ok, result.summary()
    publish(dbt_settings)
    return dbt_settings, as_ssd


def test_allocation_visit_and_workforce_indicators_are_not_available_with_reason_returns_only(built):
    settings, as_ssd = built
    with connect(settings) as conn:
        kinds = conn.execute("select source_kind from staging.stg_ops__build_batches where la_code = %s",
                             (LA,)).fetchall()
        bi_reasons = dict(conn.execute(
            "select indicator_id, array_agg(distinct coalesce(not_available_reason, '-')) from bi.indicator_values "
            "where la_code = %s group by indicator_id", (LA,)).fetchall())
    assert kinds == [("returns",)]
    by_indicator = assert_not_available_in_marts(settings, LA, NOT_IN_RETURNS, "returns_only")
    for indicator in NOT_IN_RETURNS:
        assert bi_reasons[indicator] == ["returns_only"], indicator
    others = set(by_indicator) - set(NOT_IN_RETURNS)
    assert {"CLA_RATE", "CPP_RATE", "REF_RATE", "ASMT_45WD", "ICPC_15WD", "CLA_REVIEW_TIMELY"} <= others
    for indicator in others:
        assert "returns_only" not in by_indicator[indicator][4] and "-" in bi_reasons[indicator], indicator


def test_the_indicators_a_return_supports_equal_those_of_the_same_data_as_an_extract(built):
    settings, as_ssd = built
    with connect(settings) as conn:
        as_returns = {tuple(row[:3]): row[3:] for row in conn.execute(VALUES.format(schema="marts"), (LA,)).fetchall()}
    assert as_returns.keys() == as_ssd.keys()
    supported = {key for key in as_ssd if key[0] not in NOT_IN_RETURNS}
    assert sum(1 for key in supported if as_ssd[key][2] is not None) > 100, "the comparison compares figures"
    differing = {key: (as_ssd[key], as_returns[key]) for key in supported if as_ssd[key] != as_returns[key]}
    assert not differing, list(differing.items())[:5]
    assert any(as_ssd[key][2] is not None for key in as_ssd if key[0] in NOT_IN_RETURNS), (
        "as an extract, the same data had figures for the indicators a return cannot support")


def test_the_return_and_report_show_them_as_not_available_with_the_reason(built):
    settings, _ = built
    rows, html = assert_return_shows_not_available(settings, LA, QUARTER, NOT_IN_RETURNS, "returns_only")
    cla_rate = next(row for row in rows if row and row[0] == "CLA_RATE")
    assert not any("n/a" in cell for cell in cla_rate), cla_rate
    assert "returns_only" in html and "imported statutory returns" in html


def test_the_dbt_unit_tests_of_returns_only_and_the_regional_comparison_passed(built):
    settings, _ = built
    with connect(settings) as conn:
        runs = dict(conn.execute(
            "select name, status from ops.dbt_model_runs where resource_type = 'unit_test' and build_id = "
            "(select max(build_id) from ops.dbt_builds)").fetchall())
    assert len(runs) > 60 and set(runs.values()) == {"pass"}, runs
    assert {"int_indicator_values_computed.values_of_a_returns_batch_lack_allocation_visits_and_workforce",
            "regional_indicator_comparison.regional_totals_rates_from_totals_and_not_available"} <= runs.keys()
