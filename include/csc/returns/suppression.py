"""Small-number suppression for sharing a return outside the LA.

A count of 1 to N-1 children, records or workers is shown as ``[c]`` (the DfE's symbol for confidential), and so is
every rate, percentage, ratio or median built on it, because the rate and its other term would give the count back.
Zero is shown: it identifies nobody, and "0 unallocated child protection cases" is the improvement-notice target.
Not counts, so never suppressed: population denominators (0-17 population / 10,000) and full-time-equivalent sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from csc.returns.model import Indicator, IndicatorValue

SUPPRESSED = "[c]"
NOT_AVAILABLE = "n/a"  # a figure the warehouse could not compute, shown with its reason (never 0, never blank)
DEFAULT_THRESHOLD = 5

# Terms measured in full-time equivalents (sums of FTE), not in people: the workforce census publishes them as they are.
FTE_TERMS: dict[str, frozenset[str]] = {
    "WF_VACANCY_RATE": frozenset({"numerator", "denominator"}),
    "WF_AGENCY_RATE": frozenset({"numerator", "denominator"}),
    "WF_TURNOVER": frozenset({"numerator", "denominator"}),
    "CASELOAD_AVG": frozenset({"denominator"}),
}
# Indicators whose value describes a group another indicator counts: the median days unallocated of three children
# is as disclosive as the three.
BUILT_ON: dict[str, str] = {"UNALLOCATED_DAYS_MEDIAN": "UNALLOCATED"}

Shown = Decimal | int | str | None


def not_available(reason: str) -> str:
    """How a figure that is not available is shown: ``n/a (no_population)``."""
    return f"{NOT_AVAILABLE} ({reason})"


@dataclass(frozen=True)
class ShownValue:
    """An indicator value as shown: numbers, or ``[c]`` where suppressed."""

    numerator: Shown
    denominator: Shown
    value: Shown

    @property
    def suppressed(self) -> bool:
        return self.value == SUPPRESSED


@dataclass(frozen=True)
class SmallNumberSuppression:
    """``threshold`` None: nothing suppressed (the return stays inside the LA)."""

    threshold: int | None = None

    def __post_init__(self) -> None:
        if self.threshold is not None and self.threshold < 1:
            raise ValueError(f"The suppression threshold must be a positive count, not {self.threshold}")

    @property
    def active(self) -> bool:
        return self.threshold is not None

    def is_small(self, count: Decimal | int | None) -> bool:
        return self.threshold is not None and count is not None and 0 < count < self.threshold

    def count(self, count: int | Decimal | None) -> Shown:
        return SUPPRESSED if self.is_small(count) else count

    def indicator(self, indicator: Indicator, row: IndicatorValue | None,
                  built_on: IndicatorValue | None = None) -> ShownValue:
        """The row's numerator, denominator and value as shown; ``built_on`` is the same period's row of
        ``BUILT_ON[id]``."""
        if row is None:
            return ShownValue(None, None, None)
        if row.not_available_reason:
            return ShownValue(NOT_AVAILABLE, NOT_AVAILABLE, not_available(row.not_available_reason))
        fte = FTE_TERMS.get(indicator.indicator_id, frozenset())
        numerator_is_count = indicator.unit != "days" and "numerator" not in fte
        denominator_is_count = indicator.unit != "per_10000" and "denominator" not in fte
        small_numerator = numerator_is_count and self.is_small(row.numerator)
        small_denominator = denominator_is_count and self.is_small(row.denominator)
        small_group = built_on is not None and self.is_small(built_on.numerator)
        hide_value = small_numerator or small_denominator or small_group
        return ShownValue(
            numerator=SUPPRESSED if small_numerator or (small_group and indicator.unit == "days") else row.numerator,
            denominator=SUPPRESSED if small_denominator else row.denominator,
            value=SUPPRESSED if hide_value else row.value,
        )
