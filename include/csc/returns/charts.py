"""Chart geometry, computed once in Python and drawn twice: as inline SVG in report.html and as vector graphics in
report.pdf. Coordinates are SVG user units (y grows downwards); the PDF flips them. No charting library, no
JavaScript, nothing fetched: the report opens offline and prints as it shows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from csc.returns.formatting import format_measure
from csc.returns.model import Indicator
from csc.returns.quarters import FinancialQuarter

RAG_FILL = {"Red": "#d4351c", "Amber": "#f47738", "Green": "#00703c"}
LINE_COLOUR = "#1d70b8"
TARGET_COLOUR = "#505a5f"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # e.g. "Jul-Sep 26: 12.5%"
    fill: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    sublabel: str = ""


@dataclass
class TrendChart:
    """A line of the last quarters' values against the target (a dashed line), points coloured by RAG."""

    chart_id: str
    title: str
    unit: str
    width: int = 520
    height: int = 220
    left: int = 46
    right: int = 12
    top: int = 14
    bottom: int = 40
    points: list[Point] = field(default_factory=list)
    segments: list[list[tuple[float, float]]] = field(default_factory=list)  # the value line, broken at gaps
    target_segments: list[list[tuple[float, float]]] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    gaps: list[Tick] = field(default_factory=list)  # quarters with no value shown: "[c]" or no data
    summary: str = ""

    @property
    def plot_left(self) -> float:
        return self.left

    @property
    def plot_right(self) -> float:
        return self.width - self.right

    @property
    def plot_top(self) -> float:
        return self.top

    @property
    def plot_bottom(self) -> float:
        return self.height - self.bottom


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    label: str
    value_label: str


@dataclass
class BarChart:
    """Horizontal bars, one per team: the unallocated picture at a glance."""

    chart_id: str
    title: str
    width: int = 560
    bar_height: int = 16
    gap: int = 6
    label_width: int = 200
    bars: list[Bar] = field(default_factory=list)
    value_space: int = 40
    target_x: float | None = None
    target_label: str = ""

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * (self.bar_height + self.gap) + self.gap

    @property
    def bar_left(self) -> int:
        return self.label_width + 8


def nice_ceiling(value: float) -> float:
    """The next round number at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude * (1 + 1e-9):
            return step * magnitude
    return 10 * magnitude


def axis_steps(largest: float, unit: str, most: int = 4) -> tuple[float, int]:
    """A round tick step and the number of steps (at most ``most``) for an axis from 0 that holds ``largest``."""
    if largest <= 0:
        return 1.0, 1
    step = nice_ceiling(largest / most)
    if unit in ("count", "days") and step < 1:
        step = 1.0
    steps = max(1, math.ceil(largest / step - 1e-9))
    if unit == "percent" and step * steps > 100:
        step, steps = 25.0, 4
    return step, steps


def trend_chart(indicator: Indicator, quarters: list[FinancialQuarter], values: list[Decimal | str | None],
                targets: list[Decimal | None], rags: list[str | None]) -> TrendChart:
    """``values`` per quarter: a number, ``[c]`` (suppressed) or None (no data)."""
    chart = TrendChart(chart_id=f"trend-{indicator.indicator_id.lower()}", title=indicator.name, unit=indicator.unit)
    numbers = [float(v) for v in values if isinstance(v, Decimal)] + [float(t) for t in targets if t is not None]
    step, steps = axis_steps(max(numbers, default=0.0) * 1.05, indicator.unit)
    top = step * steps
    span_x = chart.plot_right - chart.plot_left
    slot = span_x / max(1, len(quarters))

    def x_of(k: int) -> float:
        return round(chart.plot_left + slot * (k + 0.5), 2)

    def y_of(number: float) -> float:
        return round(chart.plot_bottom - (chart.plot_bottom - chart.plot_top) * min(number, top) / top, 2)

    chart.y_ticks = [Tick(y_of(step * k), _tick_label(step * k, indicator.unit)) for k in range(steps + 1)]
    chart.x_ticks = [Tick(x_of(k), f"Q{q.number}", q.financial_year) for k, q in enumerate(quarters)]
    segment: list[tuple[float, float]] = []
    target_segment: list[tuple[float, float]] = []
    for k, (quarter, value, target, rag) in enumerate(zip(quarters, values, targets, rags, strict=True)):
        if isinstance(value, Decimal):
            point = (x_of(k), y_of(float(value)))
            segment.append(point)
            chart.points.append(Point(*point, label=f"{quarter.short_label}: {format_measure(value, indicator.unit)}"
                                      + (f" ({rag})" if rag else ""), fill=RAG_FILL.get(rag or "", LINE_COLOUR)))
        else:
            if segment:
                chart.segments.append(segment)
            segment = []
            chart.gaps.append(Tick(x_of(k), "[c]" if value == "[c]" else "no data"))
        if target is not None:
            target_segment.append((x_of(k), y_of(float(target))))
        elif target_segment:
            chart.target_segments.append(target_segment)
            target_segment = []
    if segment:
        chart.segments.append(segment)
    if target_segment:
        chart.target_segments.append(target_segment)
    latest, target = values[-1], targets[-1]
    chart.summary = (f"{indicator.name}, last {len(quarters)} quarters. Latest ({quarters[-1].short_label}): "
                     f"{format_measure(latest, indicator.unit)}"
                     + (f"; target {format_measure(target, indicator.unit)}" if target is not None else "")
                     + ".")
    return chart


def _tick_label(number: float, unit: str) -> str:
    text = f"{number:,.0f}" if number == int(number) else f"{number:,.2f}".rstrip("0")
    return text + ("%" if unit == "percent" else "")


def bar_chart(chart_id: str, title: str, items: list[tuple[str, int | Decimal | str | None]], unit: str,
              target: Decimal | None = None, limit: int = 20) -> BarChart:
    """Bars for the first ``limit`` items; a suppressed value (``[c]``) or none gets no bar, only its label.
    ``target``: a dashed line across the bars."""
    chart = BarChart(chart_id=chart_id, title=title)
    shown = items[:limit]
    numbers = [float(n) for _, n in shown if isinstance(n, int | Decimal)]
    longest = max(numbers + ([float(target)] if target is not None else []), default=0) or 1
    span = chart.width - chart.bar_left - chart.value_space
    for k, (label, value) in enumerate(shown):
        width = round(span * float(value) / longest, 2) if isinstance(value, int | Decimal) else 0.0
        chart.bars.append(Bar(y=chart.gap + k * (chart.bar_height + chart.gap), width=width,
                              label=_shorten(label, 30), value_label=format_measure(value, unit)))
    if target is not None:
        chart.target_x = round(chart.bar_left + span * float(target) / longest, 2)
        chart.target_label = f"target {format_measure(target, unit)}"
    return chart


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "\u2026"
