"""Small-number suppression for sharing a return outside the LA.

A count of 1 to N-1 children, records or workers is shown as ``[c]`` (the DfE's symbol for confidential), and so is
every rate, percentage, ratio or median built on it, because the rate and its other term would give the count back.
Zero is shown: it identifies nobody, and "0 unallocated child protection cases" is the improvement-notice target.
Not counts, so never suppressed: population denominators (0-17 population / 10,000) and full-time-equivalent sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from csc.returns.model import Indicator, IndicatorValue, QuarterlyReturn

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


# --- Complementary (secondary) suppression ------------------------------------------------------------------------
# Hiding the small cells is not enough when the files also publish totals: "19 unallocated, of which CLA 12 and CIN
# 6" gives the hidden CP part back (19 - 12 - 6 = 1), a team column gives a hidden team back from the LA's figure,
# and "79 of 80 children visited on time" says that one was not. The plan below decides, once per return, every cell
# to hide so that no hidden cell can be worked out from the published ones (tests/security/test_suppression_attack.py
# attacks the written files):
#   1. primary: counts of 1 to N-1 (and what is built on them, see SmallNumberSuppression.indicator), and the
#      numerator and value of a percentage whose complement (denominator - numerator) is 1 to N-1;
#   2. links: a count's value is its numerator; a rate hides with either term and a term hides with its rate when
#      the other term is published; a team's average caseload hides with its children allocated;
#   3. groups (a total and its parts, where the published figures really add up): a group with exactly one hidden
#      cell gets a second one, its smallest non-zero cell (zero only when nothing else is left);
#   4. exact check: the published figures and the group equations are solved for the hidden cells (Gaussian
#      elimination over the rationals); a hidden cell they determine makes its group hide one more cell.
# Steps 2 to 4 repeat until nothing changes.

# Team columns (TeamMeasure keys) that add up to an indicator's numerator in the Indicators sheet.
TEAM_COLUMN_TOTALS: dict[str, str] = {
    "unallocated": "UNALLOCATED", "unallocated_cp": "UNALLOCATED_CP", "overdue_assessments": "ASMT_OVERDUE",
    "children_allocated": "CASELOAD_AVG", "workers_over_threshold": "CASELOAD_OVER_THRESHOLD",
}
# A team's unallocated children and their parts.
TEAM_ROW_PARTS: tuple[str, tuple[str, ...]] = ("unallocated", ("unallocated_cp", "unallocated_cla", "unallocated_cin"))
RATE_SCALE: dict[str, Decimal] = {"percent": Decimal(100), "per_10000": Decimal(1), "ratio": Decimal(1)}

CellKey = tuple[str, ...]  # ("ind", indicator id, quarter name, term) or ("team", team, measure key)


@dataclass
class _Group:
    """total = sum(parts); every cell published (or hidden) in the return."""

    total: CellKey
    parts: list[CellKey]

    @property
    def cells(self) -> list[CellKey]:
        return [self.total, *self.parts]


class SuppressionPlan:
    """Every cell of one return to hide: see the comment above. ``hidden(key)``; empty when not suppressing."""

    def __init__(self, ret: QuarterlyReturn, suppression: SmallNumberSuppression) -> None:
        self.ret = ret
        self.suppression = suppression
        self.values: dict[CellKey, Decimal] = {}
        self.secondary: set[CellKey] = set()
        self._hidden: set[CellKey] = set()
        if not suppression.active:
            return
        self._primary()
        self.groups = self._groups()
        self._complete()

    def hidden(self, key: CellKey) -> bool:
        return key in self._hidden

    # --- 1. primary ------------------------------------------------------------------------------------------------
    def _primary(self) -> None:
        ret, threshold = self.ret, self.suppression.threshold
        assert threshold is not None
        for indicator in ret.catalogue:
            for quarter in ret.trend_quarters:
                row = ret.value(indicator.indicator_id, quarter)
                if row is None or row.not_available_reason:
                    continue
                base_id = BUILT_ON.get(indicator.indicator_id)
                shown = self.suppression.indicator(indicator, row, ret.value(base_id, quarter) if base_id else None)
                for term, amount, show in (("numerator", row.numerator, shown.numerator),
                                           ("denominator", row.denominator, shown.denominator),
                                           ("value", row.value, shown.value)):
                    key = ("ind", indicator.indicator_id, quarter.name, term)
                    if amount is not None:
                        self.values[key] = Decimal(amount)
                    if show == SUPPRESSED:
                        self._hidden.add(key)
                fte = FTE_TERMS.get(indicator.indicator_id, frozenset())
                if (indicator.unit == "percent" and not fte and row.numerator is not None and row.denominator
                        is not None and 0 < row.denominator - row.numerator < threshold):
                    # "79 of 80 on time": the one child who was not is as identifiable as a count of one.
                    self._hidden |= {("ind", indicator.indicator_id, quarter.name, "numerator"),
                                     ("ind", indicator.indicator_id, quarter.name, "value")}
        for team in ret.teams:
            for measure in ret.team_measures:
                amount = team.values.get(measure.key)
                key = ("team", team.team, measure.key)
                if amount is not None:
                    self.values[key] = Decimal(amount)
                if measure.kind == "count" and self.suppression.is_small(amount):
                    self._hidden.add(key)

    # --- 3. groups -------------------------------------------------------------------------------------------------
    def _groups(self) -> list[_Group]:
        q = self.ret.quarter.name
        groups = []
        for column, indicator_id in TEAM_COLUMN_TOTALS.items():
            parts = [("team", team.team, column) for team in self.ret.teams]
            total = ("ind", indicator_id, q, "numerator")
            if self._adds_up(total, parts):
                groups.append(_Group(total, parts))
        total_key, part_keys = TEAM_ROW_PARTS
        for team in self.ret.teams:
            total = ("team", team.team, total_key)
            parts = [("team", team.team, key) for key in part_keys]
            if self._adds_up(total, parts):
                groups.append(_Group(total, parts))
        return groups

    def _adds_up(self, total: CellKey, parts: list[CellKey]) -> bool:
        if total not in self.values or not parts or any(p not in self.values for p in parts):
            return False
        return self.values[total] == sum((self.values[p] for p in parts), Decimal(0))

    # --- 2. links --------------------------------------------------------------------------------------------------
    def _link(self) -> bool:
        changed = False
        q = self.ret.quarter
        for indicator in self.ret.catalogue:
            for quarter in self.ret.trend_quarters:
                keys = {term: ("ind", indicator.indicator_id, quarter.name, term)
                        for term in ("numerator", "denominator", "value")}
                hide: set[CellKey] = set()
                if indicator.unit == "count" and (self._hidden & {keys["numerator"], keys["value"]}):
                    hide = {keys["numerator"], keys["value"]}
                elif indicator.unit in RATE_SCALE and quarter == q:
                    if self._hidden & {keys["numerator"], keys["denominator"]}:
                        hide = {keys["value"]}
                    elif keys["value"] in self._hidden:
                        hide = {keys["numerator"]}
                for key in hide - self._hidden:
                    if key in self.values:
                        self._hide(key)
                        changed = True
        for team in self.ret.teams:
            allocated, caseload = ("team", team.team, "children_allocated"), ("team", team.team, "average_caseload")
            if allocated in self._hidden and caseload not in self._hidden:
                self._hide(caseload)
                changed = True
        return changed

    def _hide(self, key: CellKey) -> None:
        self._hidden.add(key)
        self.secondary.add(key)

    def _complete(self) -> None:
        while True:
            changed = self._link()
            for group in self.groups:
                if sum(1 for cell in group.cells if cell in self._hidden) == 1:
                    self._hide_another(group)
                    changed = True
            if changed:
                continue
            determined = self._determined()
            if not determined:
                return
            for key in determined:
                candidates = [g for g in self.groups if key in g.cells and self._candidates(g)]
                if candidates:
                    self._hide_another(min(candidates, key=lambda g: sum(1 for c in g.cells if c in self._hidden)))
                    break
            else:
                raise RuntimeError(f"suppression cannot protect {determined}: no cell left to hide beside it")

    def _candidates(self, group: _Group) -> list[CellKey]:
        return [cell for cell in group.cells if cell not in self._hidden and cell in self.values]

    def _hide_another(self, group: _Group) -> None:
        candidates = self._candidates(group)
        if not candidates:
            return
        # The smallest non-zero cell loses least; a zero only when nothing else is left. Parts before the total.
        choice = min(candidates, key=lambda c: (self.values[c] == 0, self.values[c], c == group.total, c))
        self._hide(choice)

    # --- 4. exact check --------------------------------------------------------------------------------------------
    def _equations(self) -> list[dict[CellKey, Fraction]]:
        """Linear equations (sum of coefficient x cell = 0) over the current quarter's cells."""
        equations = [{group.total: Fraction(1), **{p: Fraction(-1) for p in group.parts}} for group in self.groups]
        q = self.ret.quarter.name
        for indicator in self.ret.catalogue:
            numerator, denominator, value = (("ind", indicator.indicator_id, q, t)
                                             for t in ("numerator", "denominator", "value"))
            if indicator.unit == "count":
                equations.append({value: Fraction(1), numerator: Fraction(-1)})
            elif indicator.unit in RATE_SCALE and denominator not in self._hidden and self.values.get(denominator):
                # value = scale x numerator / denominator, linear once the denominator is published
                equations.append({value: Fraction(1), numerator: -Fraction(RATE_SCALE[indicator.unit])
                                  / Fraction(self.values[denominator])})
        return equations

    def _determined(self) -> list[CellKey]:
        unknown = sorted(self._hidden & set(self.values))
        index = {key: k for k, key in enumerate(unknown)}
        rows: list[list[Fraction]] = []
        for equation in self._equations():
            if any(key not in self.values for key in equation):
                continue
            row = [Fraction(0)] * len(unknown)
            for key, coefficient in equation.items():
                if key in index:
                    row[index[key]] += coefficient
            if any(row):
                rows.append(row)
        rank = 0
        for column in range(len(unknown)):
            pivot = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
            if pivot is None:
                continue
            rows[rank], rows[pivot] = rows[pivot], rows[rank]
            lead = rows[rank][column]
            rows[rank] = [x / lead for x in rows[rank]]
            for r in range(len(rows)):
                if r != rank and rows[r][column] != 0:
                    factor = rows[r][column]
                    rows[r] = [x - factor * y for x, y in zip(rows[r], rows[rank], strict=True)]
            rank += 1
        determined = []
        for row in rows[:rank]:
            nonzero = [k for k, x in enumerate(row) if x != 0]
            if len(nonzero) == 1:
                determined.append(unknown[nonzero[0]])
        return determined
