"""A figure the warehouse could not compute (marts.indicator_values.not_available_reason) is shown as n/a with its
reason in every table of the return and the report, never as 0 or a blank; the Definitions sheet states the visit
clock rule."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from csc.returns.model import Indicator, IndicatorValue, Provenance, QuarterlyReturn
from csc.returns.quarters import FinancialQuarter
from csc.returns.suppression import SmallNumberSuppression
from csc.returns.tables import ReturnTables

pytestmark = pytest.mark.unit

QUARTER = FinancialQuarter.containing(date(2026, 6, 30))


def a_return(quarter: FinancialQuarter) -> QuarterlyReturn:
    catalogue = [
        Indicator("CLA_RATE", "Children looked after rate", "stock", "per_10000", "context", "CLA", "pop/10000", "x"),
        Indicator("UNALLOCATED", "Unallocated cases", "stock", "count", "lower", "unallocated", "", "y"),
    ]
    values = {}
    for q in quarter.last(2):
        values[("CLA_RATE", q)] = IndicatorValue("CLA_RATE", q, q.start, q.end, None, None, None, None, None,
                                                 "no_population")
        values[("UNALLOCATED", q)] = IndicatorValue("UNALLOCATED", q, q.start, q.end, Decimal(0), None, Decimal(0),
                                                    None, None)
    return QuarterlyReturn(la_code="905", quarter=quarter,
                           provenance=Provenance("905", "Unknownshire", quarter.end, 1, "test", datetime(2026, 7, 1)),
                           catalogue=catalogue, values=values, team_measures=[], teams=[], teams_as_at=None,
                           dq_run=None, dq_trend_runs={})


@pytest.mark.parametrize("threshold", [None, 5])
def test_a_rate_without_population_is_shown_as_not_available_with_its_reason(threshold):
    quarter = QUARTER
    tables = ReturnTables(a_return(quarter), SmallNumberSuppression(threshold))
    indicators = tables.indicators()
    headings = [c.heading for c in indicators.columns]
    rate = dict(zip(headings, indicators.rows[0], strict=True))
    assert (rate["Numerator"], rate["Denominator"], rate["Value"]) == ("n/a", "n/a", "n/a (no_population)")
    assert rate["Change"] is None and rate["RAG"] is None
    assert any("no_population - the warehouse has no 0-17 population" in note for note in indicators.notes)
    unallocated = dict(zip(headings, indicators.rows[1], strict=True))
    assert unallocated["Value"] == Decimal(0), "a real zero stays a zero"
    trend = tables.trend()
    assert "n/a (no_population)" in trend.rows[0]


def test_the_definitions_sheet_states_the_visit_clock_rule():
    quarter = QUARTER
    notes = ReturnTables(a_return(quarter), SmallNumberSuppression(None)).definitions().notes
    rule = next(note for note in notes if note.startswith("Visit clock rule"))
    assert "later of the start of the child's open CP plan (or of the period of care) and the last visit" in rule
    assert "not been seen yet is on time" in rule and "a visit before the start does not count" in rule
