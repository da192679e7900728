"""The improvement-board report: where the service stands this quarter, drawn from the same tables as the return.

``report.html`` is one self-contained file (inline CSS and SVG, no script, no link to anything outside it), rendered
by Jinja with autoescaping on, so no team name or rule text can inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from jinja2 import Environment, PackageLoader, StrictUndefined

from csc.returns.charts import BarChart, TrendChart, bar_chart, trend_chart
from csc.returns.formatting import format_cell, format_change, format_measure
from csc.returns.model import Indicator, QuarterlyReturn
from csc.returns.suppression import SUPPRESSED
from csc.returns.tables import RAG_LABELS, ReturnTables, Table, change, rag_label

# The figures the board asks about first (the improvement notice's concerns), in the order it reads them.
HEADLINE_IDS = ["UNALLOCATED", "UNALLOCATED_CP", "ASMT_45WD", "ASMT_OVERDUE", "REREF_12M", "CPP_RATE", "CLA_RATE",
                "CASELOAD_AVG", "WF_VACANCY_RATE", "WF_AGENCY_RATE"]
# Trend charts against target: unallocated cases, assessment timeliness, re-referrals, CP and CLA rates, caseload,
# vacancy and agency rates.
CHART_IDS = ["UNALLOCATED", "ASMT_45WD", "REREF_12M", "CPP_RATE", "CLA_RATE", "CASELOAD_AVG", "WF_VACANCY_RATE",
             "WF_AGENCY_RATE"]


@dataclass(frozen=True)
class Headline:
    indicator: Indicator
    value: str
    target: str | None
    rag: str | None
    previous: str
    change: str
    tone: str  # better, worse, level, none


@dataclass
class ReportView:
    title: str
    subtitle: str
    notice: str | None
    version: str
    headlines: list[Headline]
    charts: list[TrendChart]
    team_charts: list[BarChart]
    indicators: Table
    teams: Table
    data_quality: Table
    definitions: Table
    provenance: Table
    dq_pass_rate: str | None


def _tone(indicator: Indicator, delta: object) -> str:
    if not isinstance(delta, Decimal) or indicator.polarity not in ("higher", "lower"):
        return "none"
    if delta == 0:
        return "level"
    return "better" if (delta > 0) == (indicator.polarity == "higher") else "worse"


def build_view(ret: QuarterlyReturn, tables: ReturnTables, sheets: dict[str, Table], *, title: str, subtitle: str,
               notice: str | None) -> ReportView:
    by_id = {i.indicator_id: i for i in ret.catalogue}
    quarter, previous = ret.quarter, ret.quarter.previous()
    headlines = []
    for indicator_id in HEADLINE_IDS:
        indicator = by_id.get(indicator_id)
        if indicator is None:
            continue
        current, before = tables.shown(indicator, quarter), tables.shown(indicator, previous)
        row = ret.value(indicator_id, quarter)
        delta = change(current, before)
        headlines.append(Headline(
            indicator=indicator, value=format_measure(current.value, indicator.unit),
            target=format_measure(row.target, indicator.unit) if row and row.target is not None else None,
            rag=rag_label(row.rag) if row and not current.suppressed else None,
            previous=format_measure(before.value, indicator.unit), change=format_change(delta, indicator.unit),
            tone=_tone(indicator, delta)))
    charts = []
    for indicator_id in CHART_IDS:
        indicator = by_id.get(indicator_id)
        if indicator is None:
            continue
        rows = [ret.value(indicator_id, q) for q in ret.trend_quarters]
        shown = [tables.shown(indicator, q) for q in ret.trend_quarters]
        charts.append(trend_chart(
            indicator, ret.trend_quarters, [s.value for s in shown], [r.target if r else None for r in rows],
            [rag_label(r.rag) if r and not s.suppressed else None for r, s in zip(rows, shown, strict=True)]))
    teams = sheets["Teams"]
    team_charts = _team_charts(ret, teams)
    dq_pass = by_id.get("DQ_PASS_RATE")
    indicators = sheets["Indicators"]
    data_quality = sheets["Data quality"]
    checked_quarters = [q.name for q, run in ret.dq_trend_runs.items() if run is not None]
    return ReportView(
        title=title, subtitle=subtitle, notice=notice, version=ret.provenance.product_version, headlines=headlines,
        charts=charts, team_charts=team_charts,
        indicators=indicators.select([c.heading for c in indicators.columns
                                      if c.heading not in ("Indicator id", "Period", "Period start", "Period end")]),
        teams=teams,
        data_quality=data_quality.select([c.heading for c in data_quality.columns[:8] if c.heading != "Family"]
                                         + checked_quarters),
        definitions=sheets["Definitions"], provenance=sheets["Provenance"],
        dq_pass_rate=format_measure(tables.shown(dq_pass, quarter).value, "percent") if dq_pass else None)


def _team_charts(ret: QuarterlyReturn, teams: Table) -> list[BarChart]:
    """Unallocated children by team (in the table's order) and average caseload by team (largest first, against
    the caseload target); a chart with nothing to draw is left out."""
    headings = [c.heading for c in teams.columns]
    charts = []
    unallocated = [(str(row[0]), row[headings.index("Unallocated children")]) for row in teams.rows]
    if any(value not in (0, None) for _, value in unallocated):
        charts.append(bar_chart("teams-unallocated", "Unallocated children by team", unallocated, "count"))
    caseloads = [(str(row[0]), row[headings.index("Average caseload")]) for row in teams.rows]
    drawn = sorted((item for item in caseloads if isinstance(item[1], Decimal)), key=lambda item: -item[1])
    hidden = sorted(item for item in caseloads if item[1] == SUPPRESSED)
    if drawn:
        target = ret.value("CASELOAD_AVG", ret.quarter)
        charts.append(bar_chart("teams-caseload", "Average caseload by team", drawn + hidden, "ratio",
                                target=target.target if target else None))
    return charts


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("csc.returns", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["cell"] = format_cell
    env.globals["SUPPRESSED"] = SUPPRESSED
    env.globals["rag_class"] = lambda rag: f"rag-{rag.lower()}" if rag in RAG_LABELS.values() else ""
    return env


def render_html(view: ReportView) -> str:
    return _environment().get_template("report.html.j2").render(view=view)
