"""The return as tables (one per sheet), suppression applied, in the order and wording a performance lead sends.

Every writer (XLSX, CSV, HTML, PDF) renders these tables and nothing else, so a number is rounded, suppressed and
labelled in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from csc.returns.model import Indicator, IndicatorValue, QuarterlyReturn, TeamMeasure
from csc.returns.quarters import FinancialQuarter
from csc.returns.suppression import BUILT_ON, SUPPRESSED, ShownValue, SmallNumberSuppression, SuppressionPlan

Cell = Decimal | int | str | date | datetime | None

UNIT_LABELS = {"count": "count", "percent": "%", "per_10000": "per 10,000 children", "ratio": "ratio",
               "days": "days"}
# The reasons marts.indicator_values gives for a figure that is not available, in words.
NOT_AVAILABLE_REASONS = {
    "no_population": "the warehouse has no 0-17 population for this LA and year (its population: file, else "
                     "seeds/reference/la_population.csv), "
                     "so the rate per 10,000 cannot be computed; data-quality rule REF_POPULATION_AVAILABLE names "
                     "the LA and the year",
    "no_hr_extract": "the LA's extract has no HR workforce files (hr_workers), so caseloads against case-holder FTE "
                     "and the workforce rates cannot be computed (docs/INDICATORS.md, \"Not available\")",
    "no_hr_establishment": "the LA's extract has no HR establishment file (hr_establishment), so the funded posts "
                           "the vacancy rate compares with are unknown",
    "returns_only": "the LA's data come from its imported statutory returns (SSDA903, CIN census, Annex A), which "
                    "hold no allocations, visits or workforce, so this figure cannot be computed until the LA sends "
                    "an SSD extract (docs/INDICATORS.md, \"Not available\")",
}
# The visit rule the marts implement (CPP_VISIT_10WD, CLA_VISIT_TIMELY, the overdue-visit lists and the
# EXC_*_VISIT_OVERDUE data-quality rules), stated on the Definitions sheet and in the report.
VISIT_CLOCK_RULE = (
    "Visit clock rule (CPP_VISIT_10WD, CLA_VISIT_TIMELY): the clock starts at the later of the start of the child's "
    "open CP plan (or of the period of care) and the last visit on or before the date in which the child was seen "
    "(CP) or visited (CLA); the child is on time when that is within the standard (CP: 10 working days, CLA: 42 "
    "days, by default; settings dq_cp_visit_working_days and dq_cla_visit_days). So a child whose plan or care "
    "started within the standard and who has not been seen yet is on time (not yet due), and a visit before the "
    "start does not count.")
RAG_LABELS = {"r": "Red", "red": "Red", "a": "Amber", "amber": "Amber", "g": "Green", "green": "Green"}


@dataclass(frozen=True)
class Column:
    heading: str
    kind: str  # text, count, number, fte, ratio, measure and change (by the row's unit), date, datetime, rag
    width: int = 12


@dataclass
class Table:
    sheet: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    row_units: list[str | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rag_cells: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) -> Red/Amber/Green

    def add(self, cells: list[Cell], unit: str | None = None, rags: dict[int, str | None] | None = None) -> None:
        """Append a row; ``rags`` colours cells of it (column index -> RAG label)."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.sheet}: a row of {len(cells)} cells for {len(self.columns)} columns")
        for column, rag in (rags or {}).items():
            if rag:
                self.rag_cells[(len(self.rows), column)] = rag
        self.rows.append(cells)
        self.row_units.append(unit)

    def select(self, headings: list[str]) -> Table:
        """The same table with only these columns (the report shows fewer columns than the workbook)."""
        index = [c.heading for c in self.columns]
        keep = [index.index(h) for h in headings]
        table = Table(self.sheet, self.title, [self.columns[k] for k in keep], notes=list(self.notes))
        for r, (cells, unit) in enumerate(zip(self.rows, self.row_units, strict=True)):
            table.add([cells[k] for k in keep], unit, rags={n: self.rag_cells.get((r, k)) for n, k in enumerate(keep)})
        return table

    def column(self, heading: str) -> list[Cell]:
        index = [c.heading for c in self.columns].index(heading)
        return [row[index] for row in self.rows]


def rag_label(rag: str | None) -> str | None:
    if rag is None or not rag.strip():
        return None
    return RAG_LABELS.get(rag.strip().lower(), rag.strip())


def _rank(count: Cell) -> float:
    if count == SUPPRESSED:
        return -0.5
    return -float(count) if isinstance(count, int | Decimal) else 0.0


def change(current: ShownValue, previous: ShownValue) -> Cell:
    """Current minus previous value (percentage points for percentages); hidden if either side is suppressed."""
    if SUPPRESSED in (current.value, previous.value):
        return SUPPRESSED
    if isinstance(current.value, Decimal) and isinstance(previous.value, Decimal):
        return current.value - previous.value
    return None


class ReturnTables:
    """Builds the tables of one return under one suppression policy."""

    def __init__(self, ret: QuarterlyReturn, suppression: SmallNumberSuppression) -> None:
        self.ret = ret
        self.suppression = suppression
        self.plan = SuppressionPlan(ret, suppression)  # every cell to hide, primary and complementary

    def shown(self, indicator: Indicator, quarter: FinancialQuarter) -> ShownValue:
        row = self.ret.value(indicator.indicator_id, quarter)
        base_id = BUILT_ON.get(indicator.indicator_id)
        base = self.ret.value(base_id, quarter) if base_id else None
        shown = self.suppression.indicator(indicator, row, base)
        if row is None or row.not_available_reason:
            return shown
        terms = [SUPPRESSED if self.plan.hidden(("ind", indicator.indicator_id, quarter.name, term)) else cell
                 for term, cell in (("numerator", shown.numerator), ("denominator", shown.denominator),
                                    ("value", shown.value))]
        return ShownValue(*terms)

    def row(self, indicator: Indicator, quarter: FinancialQuarter) -> IndicatorValue | None:
        return self.ret.value(indicator.indicator_id, quarter)

    # --- Indicators: the return itself (also quarterly_return.csv) ------------------------------------------------
    def indicators(self) -> Table:
        q, previous = self.ret.quarter, self.ret.quarter.previous()
        table = Table("Indicators", f"Indicators, {q.label}", [
            Column("Indicator id", "text", 24), Column("Indicator", "text", 48), Column("Period", "text", 9),
            Column("Period start", "date", 11), Column("Period end", "date", 11), Column("Numerator", "number", 11),
            Column("Denominator", "number", 12), Column("Value", "measure", 10), Column("Unit", "text", 12),
            Column("Target", "measure", 9), Column("RAG", "rag", 8),
            Column(f"Previous quarter ({previous.name})", "measure", 12), Column("Change", "change", 10),
            Column("Direction of good", "text", 20),
        ])
        for indicator in self.ret.catalogue:
            row = self.row(indicator, q)
            current, before = self.shown(indicator, q), self.shown(indicator, previous)
            rag = rag_label(row.rag) if row and not current.suppressed else None
            table.add([
                indicator.indicator_id, indicator.name, q.name,
                row.period_start if row else q.start, row.period_end if row else q.end,
                current.numerator, current.denominator, current.value, UNIT_LABELS.get(indicator.unit, indicator.unit),
                row.target if row else None, rag, before.value, change(current, before), indicator.direction_of_good,
            ], unit=indicator.unit, rags={10: rag})
        table.notes.append("Percentages are per 100; rates per 10,000 children aged 0-17; change is this quarter's "
                           "value minus the previous quarter's (percentage points for percentages).")
        if self.ret.allocation_note:
            table.notes.append("UNALLOCATED, UNALLOCATED_CP, UNALLOCATED_DAYS_MEDIAN and the caseloads are "
                               "approximated: " + self.ret.allocation_note)
        reasons = sorted({row.not_available_reason for row in self.ret.values.values() if row.not_available_reason})
        if reasons:
            table.notes.append("n/a: the figure is not available, for the reason given: "
                               + "; ".join(f"{r} - {NOT_AVAILABLE_REASONS.get(r, r)}" for r in reasons) + ".")
        return table

    # --- Trend: the last 8 quarters -------------------------------------------------------------------------------
    def trend(self) -> Table:
        quarters = self.ret.trend_quarters
        table = Table("Trend", f"Trend over the last {len(quarters)} quarters",
                      [Column("Indicator id", "text", 24), Column("Indicator", "text", 48), Column("Unit", "text", 12)]
                      + [Column(q.name, "measure", 10) for q in quarters]
                      + [Column(f"Target ({self.ret.quarter.name})", "measure", 10),
                         Column("Direction of good", "text", 20)])
        for indicator in self.ret.catalogue:
            current = self.row(indicator, self.ret.quarter)
            shown = [self.shown(indicator, q) for q in quarters]
            rows = [self.row(indicator, q) for q in quarters]
            table.add([indicator.indicator_id, indicator.name, UNIT_LABELS.get(indicator.unit, indicator.unit)]
                      + [s.value for s in shown]
                      + [current.target if current else None, indicator.direction_of_good], unit=indicator.unit,
                      rags={3 + k: rag_label(r.rag) for k, (r, s) in enumerate(zip(rows, shown, strict=True))
                            if r is not None and not s.suppressed})
        return table

    # --- Teams: the backlog and unallocated picture ------------------------------------------------------------------
    def teams(self) -> Table:
        measures = self.ret.team_measures
        as_at = self.ret.teams_as_at
        title = "Unallocated children, backlogs and caseloads by team" + (f", as at {as_at:%d %B %Y}" if as_at else "")
        table = Table("Teams", title, [Column("Team", "text", 36)]
                      + [Column(m.heading, m.kind, 12) for m in measures])
        rows = [[team.team] + [self._team_value(team.team, team.values, m) for m in measures]
                for team in self.ret.teams]
        # Most unallocated children first. A suppressed count ranks as one group (between the shown counts and
        # zero, in team-name order), so the order cannot give away which small count is the larger.
        for cells in sorted(rows, key=lambda cells: (_rank(cells[1]) if len(cells) > 1 else 0, str(cells[0]))):
            table.add(cells, unit="ratio")
        table.notes.append("The children, assessments and workers behind the indicators at the quarter end, by the "
                           "team the marts place them in; each column adds up to the LA's figure. The CP and CLA "
                           "visit and review indicators are not split by team.")
        return table

    def _team_value(self, team: str, values: dict[str, int | Decimal | None], measure: TeamMeasure) -> Cell:
        value = values.get(measure.key)
        if self.plan.hidden(("team", team, measure.key)):
            return SUPPRESSED  # small, or hidden beside a small one (a team's caseload hides with its children)
        if measure.kind == "count":
            return self.suppression.count(value)
        return value

    # --- Data quality ---------------------------------------------------------------------------------------------
    def data_quality(self) -> Table:
        run = self.ret.dq_run
        quarters = self.ret.trend_quarters
        trend_runs = self.ret.dq_trend_runs
        title = "Data-quality rules failing at quarter end"
        if run:
            title += f" (checks of the extract of {run.extract_date:%d %B %Y})"
        table = Table("Data quality", title, [
            Column("Rule id", "text", 26), Column("Rule", "text", 50), Column("Kind", "text", 16),
            Column("Severity", "text", 9), Column("Family", "text", 14), Column("Table", "text", 22),
            Column("Records checked", "count", 10), Column("Records failing", "count", 10),
        ] + [Column(q.name, "count", 9) for q in quarters])
        for rule in self.ret.rules_failing:
            kind = "practice backlog" if rule.kind == "exception" else "data fault"
            failing = self.suppression.count(rule.rows_failing) if rule.status == "fail" else "not evaluated"
            table.add([rule.rule_id, rule.description, kind, rule.severity, rule.family, rule.table_name,
                       self.suppression.count(rule.rows_evaluated), failing]
                      + [self.suppression.count(rule.trend.get(q)) for q in quarters])
        if run is None:
            table.notes.append("No data-quality run of this LA's extracts is recorded on or before the quarter end.")
        else:
            table.notes.append(
                f"Run {run.dq_run_id} of batch {run.batch_id}: outcome {run.outcome}; {run.rules_evaluated} rules "
                f"evaluated, {run.rules_failed_block or 0} blocking and {run.rules_failed_warn or 0} warning rules "
                f"failing, {run.rules_failed_error or 0} not evaluated. Data faults are errors in the extract; "
                "practice backlogs (overdue assessments, reviews, visits) are true records of late work.")
        used = [f"{q.name}: extract of {r.extract_date.isoformat()}" for q, r in trend_runs.items() if r is not None]
        if used:
            table.notes.append("Trend columns: records failing in the last check on or before each quarter end ("
                               + "; ".join(used) + "); blank: no check recorded then.")
        return table

    # --- Definitions ----------------------------------------------------------------------------------------------
    def definitions(self) -> Table:
        table = Table("Definitions", "Indicator definitions (catalogue)", [
            Column("Indicator id", "text", 24), Column("Indicator", "text", 40), Column("Kind", "text", 10),
            Column("Unit", "text", 12), Column("Direction of good", "text", 20), Column("Numerator", "text", 60),
            Column("Denominator", "text", 40), Column("Reference", "text", 30),
        ])
        for i in self.ret.catalogue:
            table.add([i.indicator_id, i.name, i.kind, UNIT_LABELS.get(i.unit, i.unit), i.direction_of_good,
                       i.numerator_definition, i.denominator_definition, i.reference])
        table.notes.append(VISIT_CLOCK_RULE)
        return table

    # --- Provenance -----------------------------------------------------------------------------------------------
    def provenance(self) -> Table:
        p = self.ret.provenance
        table = Table("Provenance", "Where these figures come from",
                      [Column("Item", "text", 22), Column("Value", "text", 50)])
        table.add(["LA code", p.la_code])
        table.add(["LA", p.la_name])
        table.add(["Quarter", f"{self.ret.quarter.name}: {self.ret.quarter.label}"])
        table.add(["Extract date", p.extract_date])
        table.add(["Batch id", p.batch_id])
        table.add(["Product version", p.product_version])
        table.add(["Small numbers", f"counts from 1 to below {self.suppression.threshold} shown as {SUPPRESSED}"
                   if self.suppression.active else "not suppressed (for use inside the LA)"])
        table.add(["Generated at", p.generated_at])
        return table

    def sheets(self) -> dict[str, Table]:
        """Every table, by sheet name, in workbook order."""
        tables = [self.indicators(), self.trend(), self.teams(), self.data_quality(), self.definitions(),
                  self.provenance()]
        return {t.sheet: t for t in tables}
