"""Complementary suppression (SuppressionPlan): no hidden cell can be worked out from a total and the other parts,
nor from a percentage's complement."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from csc.returns.model import Indicator, IndicatorValue, Provenance, QuarterlyReturn, TeamMeasure, TeamPicture
from csc.returns.quarters import FinancialQuarter
from csc.returns.suppression import SUPPRESSED, SmallNumberSuppression, SuppressionPlan
from csc.returns.tables import ReturnTables

pytestmark = pytest.mark.unit

Q = FinancialQuarter(2026, 2)
MEASURES = [TeamMeasure("unallocated", "Unallocated children", "count"),
            TeamMeasure("unallocated_cp", "of which CP", "count"),
            TeamMeasure("unallocated_cla", "of which CLA", "count"),
            TeamMeasure("unallocated_cin", "of which CIN", "count")]


def value(indicator_id, numerator, denominator=None, unit="count"):
    n, d = Decimal(numerator), None if denominator is None else Decimal(denominator)
    v = n if unit == "count" else (n * 100 / d).quantize(Decimal("0.0001"))
    return IndicatorValue(indicator_id, Q, Q.start, Q.end, n, d, v, None, None)


def a_return(teams, values, catalogue):
    return QuarterlyReturn(
        la_code="999", quarter=Q,
        provenance=Provenance("999", "Demoshire", date(2026, 9, 30), 1, "1", datetime(2026, 10, 1, tzinfo=UTC)),
        catalogue=[Indicator(i, i, "stock", unit, "lower", "", "", "") for i, unit in catalogue],
        values={(v.indicator_id, Q): v for v in values}, team_measures=MEASURES,
        teams=[TeamPicture(name, dict(zip([m.key for m in MEASURES], cells, strict=True)))
               for name, cells in teams.items()],
        teams_as_at=Q.end, dq_run=None, dq_trend_runs={})


def test_a_part_is_not_left_alone_beside_its_total_and_the_other_parts():
    # The example: 19 unallocated, of which CP hidden, CLA 12, CIN 6 would give CP = 1 back.
    ret = a_return({"Team A": (19, 1, 12, 6), "Team B": (30, 10, 10, 10)}, [value("UNALLOCATED", 49)],
                   [("UNALLOCATED", "count")])
    plan = SuppressionPlan(ret, SmallNumberSuppression(5))
    assert plan.hidden(("team", "Team A", "unallocated_cp"))
    row_hidden = [k for k in ("unallocated", "unallocated_cp", "unallocated_cla", "unallocated_cin")
                  if plan.hidden(("team", "Team A", k))]
    assert len(row_hidden) >= 2, "a second cell of the row hides with the small one"
    assert plan.hidden(("team", "Team A", "unallocated_cin")), "the smallest other part is the one hidden"
    # CIN is now hidden in Team A's column of CIN parts, whose total is not published: no further cell is needed,
    # but Team A's total is not hidden, and neither is anything of Team B.
    assert not plan.hidden(("team", "Team B", "unallocated_cp"))


def test_a_team_column_does_not_give_a_hidden_team_back_from_the_la_figure():
    ret = a_return({"Team A": (3, 0, 0, 3), "Team B": (30, 10, 10, 10), "Team C": (40, 10, 10, 20)},
                   [value("UNALLOCATED", 73)], [("UNALLOCATED", "count")])
    plan = SuppressionPlan(ret, SmallNumberSuppression(5))
    column = [t for t in ("Team A", "Team B", "Team C") if plan.hidden(("team", t, "unallocated"))]
    assert "Team A" in column and len(column) >= 2 or plan.hidden(("ind", "UNALLOCATED", Q.name, "numerator"))


def test_a_percentage_with_a_small_complement_is_hidden():
    # 79 of 80 children visited on time: the one not visited is a small count.
    ret = a_return({}, [value("CLA_VISIT_TIMELY", 79, 80, "percent"), value("ASMT_45WD", 60, 80, "percent")],
                   [("CLA_VISIT_TIMELY", "percent"), ("ASMT_45WD", "percent")])
    tables = ReturnTables(ret, SmallNumberSuppression(5))
    visits = tables.shown(ret.catalogue[0], Q)
    assert (visits.numerator, visits.value) == (SUPPRESSED, SUPPRESSED)
    assert visits.denominator == Decimal(80), "the cohort is not small"
    assessments = tables.shown(ret.catalogue[1], Q)
    assert assessments.numerator == Decimal(60) and assessments.value != SUPPRESSED


def test_nothing_is_hidden_inside_the_la():
    ret = a_return({"Team A": (19, 1, 12, 6)}, [value("CLA_VISIT_TIMELY", 79, 80, "percent")],
                   [("CLA_VISIT_TIMELY", "percent")])
    plan = SuppressionPlan(ret, SmallNumberSuppression(None))
    assert not plan.hidden(("team", "Team A", "unallocated_cp"))
    assert not plan.hidden(("ind", "CLA_VISIT_TIMELY", Q.name, "value"))
