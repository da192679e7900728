"""What a quarterly return says, read once from the marts and ``ops`` and then rendered into every format, so the
workbook, the CSV, the report and the PDF can never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from csc.returns.quarters import FinancialQuarter


class ReturnError(Exception):
    """A return cannot be written; the message says why and what to do."""


class UnknownLocalAuthority(ReturnError):
    pass


class NoPublishedMarts(ReturnError):
    pass


class QuarterNotComplete(ReturnError):
    pass


@dataclass(frozen=True)
class Indicator:
    """One entry of the indicator catalogue (``docs/INDICATORS.md``)."""

    indicator_id: str
    name: str
    kind: str
    unit: str  # count, percent, per_10000, ratio, days
    polarity: str  # higher, lower, context
    numerator_definition: str
    denominator_definition: str
    reference: str

    @property
    def direction_of_good(self) -> str:
        return {"higher": "Higher is better", "lower": "Lower is better"}.get(self.polarity, "Context (no direction)")


@dataclass(frozen=True)
class IndicatorValue:
    """One row of ``marts.indicator_values`` for a quarter: exact numbers as the mart holds them."""

    indicator_id: str
    quarter: FinancialQuarter
    period_start: date
    period_end: date
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    target: Decimal | None
    rag: str | None
    # Why the figure is not available (numerator, denominator and value empty), e.g. 'no_population': shown as n/a
    # with the reason, never as 0 or a blank.
    not_available_reason: str | None = None


@dataclass(frozen=True)
class TeamMeasure:
    """A column of the team picture: ``kind`` count (people or records), fte (full-time equivalents) or ratio."""

    key: str
    heading: str
    kind: str


@dataclass(frozen=True)
class TeamPicture:
    """One team at the quarter end: its values of the team measures (keys of ``TeamMeasure``)."""

    team: str
    values: dict[str, int | Decimal | None]


@dataclass(frozen=True)
class RuleFailures:
    """A data-quality rule failing (or not evaluable) at quarter end, and its failing-record counts at the quarter
    ends of the trend. ``kind``: fault (a data error) or exception (a practice backlog, e.g. overdue assessments)."""

    rule_id: str
    description: str | None
    kind: str
    severity: str
    status: str  # fail, error
    family: str
    table_name: str | None
    rows_evaluated: int | None
    rows_failing: int | None
    trend: dict[FinancialQuarter, int | None]


@dataclass(frozen=True)
class DataQualityRun:
    """The data-quality run that stood at a quarter end: the last run of the last extract on or before it."""

    dq_run_id: int
    batch_id: int
    extract_date: date
    outcome: str | None
    rules_evaluated: int | None
    rules_failed_block: int | None
    rules_failed_warn: int | None
    rules_failed_error: int | None


@dataclass(frozen=True)
class Provenance:
    la_code: str
    la_name: str
    extract_date: date
    batch_id: int
    product_version: str
    generated_at: datetime


@dataclass
class QuarterlyReturn:
    """Everything the return and the report show for one LA and quarter."""

    la_code: str
    quarter: FinancialQuarter
    provenance: Provenance
    catalogue: list[Indicator]
    values: dict[tuple[str, FinancialQuarter], IndicatorValue]
    team_measures: list[TeamMeasure]
    teams: list[TeamPicture]
    teams_as_at: date | None
    dq_run: DataQualityRun | None
    dq_trend_runs: dict[FinancialQuarter, DataQualityRun | None]
    rules_failing: list[RuleFailures] = field(default_factory=list)
    # What the checks said when allocation had to be approximated for the published extract (data-quality rule
    # ALLOC_APPROXIMATED: the profile's confirming flag is missing), else None.
    allocation_note: str | None = None

    @property
    def trend_quarters(self) -> list[FinancialQuarter]:
        return self.quarter.last(8)

    def value(self, indicator_id: str, quarter: FinancialQuarter) -> IndicatorValue | None:
        return self.values.get((indicator_id, quarter))
