"""How numbers read in the report, and chart axes a reader can read."""

from decimal import Decimal

import pytest

from csc.returns.charts import axis_steps, bar_chart, nice_ceiling, trend_chart
from csc.returns.formatting import format_change, format_fte, format_measure, format_number
from csc.returns.model import Indicator
from csc.returns.quarters import FinancialQuarter

pytestmark = pytest.mark.unit


def test_measures():
    assert format_measure(Decimal("74.9574"), "percent") == "75.0%"
    assert format_measure(Decimal("0.05"), "per_10000") == "0.1", "half away from zero, as the marts round"
    assert format_measure(Decimal("1234"), "count") == "1,234"
    assert format_measure(None, "count") == "\u2013"
    assert format_measure("[c]", "percent") == "[c]"


def test_changes_are_signed():
    assert format_change(Decimal("-14.1004"), "percent") == "\u221214.1 pts"
    assert format_change(Decimal("38"), "count") == "+38"
    assert format_change(Decimal("0"), "ratio") == "\u00b10.0"
    assert format_change("[c]", "count") == "[c]"


def test_full_time_equivalents_keep_a_decimal():
    assert [format_fte(Decimal(x)) for x in ("4", "3.8", "0.85", "4.0000", "1234.25")] == [
        "4.0", "3.8", "0.85", "4.0", "1,234.25"]


def test_terms():
    assert format_number(Decimal("67.1000")) == "67.1"
    assert format_number(Decimal("60123")) == "60,123"
    assert format_number(Decimal("6.0123")) == "6.0123"


@pytest.mark.parametrize(("value", "ceiling"), [(0.7, 1), (1, 1), (1.2, 2), (3, 5), (21, 25), (230, 250), (0, 1)])
def test_nice_ceiling(value, ceiling):
    assert nice_ceiling(value) == ceiling


@pytest.mark.parametrize(("largest", "unit", "top"), [(22.5, "ratio", 30), (30.8, "percent", 40), (99, "percent", 100),
                                                       (2, "count", 2), (0, "count", 1), (170, "count", 200)])
def test_axis_top(largest, unit, top):
    step, steps = axis_steps(largest, unit)
    assert step * steps == top and steps <= 4


def test_trend_chart_draws_values_gaps_and_target():
    indicator = Indicator("ASMT_45WD", "Assessments", "flow", "percent", "higher", "", "", "")
    quarters = FinancialQuarter(2026, 2).last(4)
    chart = trend_chart(indicator, quarters, [Decimal("80"), "[c]", None, Decimal("90")],
                        [Decimal("85")] * 4, ["Amber", None, None, "Green"])
    assert [len(s) for s in chart.segments] == [1, 1]
    assert [g.label for g in chart.gaps] == ["[c]", "no data"]
    assert len(chart.target_segments) == 1 and len(chart.target_segments[0]) == 4
    assert chart.points[0].fill != chart.points[1].fill
    assert all(chart.plot_top <= p.y <= chart.plot_bottom for p in chart.points)
    assert chart.points[1].y < chart.points[0].y, "90% is drawn above 80%"
    assert chart.y_ticks[-1].label == "100%"
    assert "target 85.0%" in chart.summary


def test_bar_chart_scales_to_the_longest_bar():
    chart = bar_chart("teams", "Unallocated", [("A", 20), ("B", 10), ("C", "[c]"), ("D", 0)], "count")
    widths = [bar.width for bar in chart.bars]
    assert widths[0] == 2 * widths[1] and widths[2] == widths[3] == 0
    assert [bar.value_label for bar in chart.bars] == ["20", "10", "[c]", "0"]
    assert chart.target_x is None


def test_bar_chart_target_line():
    chart = bar_chart("caseload", "Caseload", [("A", Decimal("17.9412")), ("B", Decimal("13.3333"))], "ratio",
                      target=Decimal("16"))
    assert [bar.value_label for bar in chart.bars] == ["17.9", "13.3"]
    assert chart.bar_left < chart.target_x < chart.bar_left + chart.bars[0].width
    assert chart.target_label == "target 16.0"
