"""Financial-year quarters, named by the year the financial year starts: 2025Q1 = April-June 2025, 2025Q4 =
January-March 2026. The return, the marts (``period_type = 'quarter'``) and the DAG all use this naming."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_NAME = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


@dataclass(frozen=True, order=True)
class FinancialQuarter:
    fy_start_year: int
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3, 4):
            raise ValueError(f"A financial quarter is numbered 1 to 4, not {self.number}")

    @classmethod
    def parse(cls, text: str) -> FinancialQuarter:
        match = _NAME.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a financial-year quarter: write it like 2025Q1 (April-June 2025) "
                             "or 2025Q4 (January-March 2026)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: date) -> FinancialQuarter:
        fy_start_year = day.year if day.month >= 4 else day.year - 1
        return cls(fy_start_year, (day.month - 4) % 12 // 3 + 1)

    @classmethod
    def latest_complete(cls, as_of: date) -> FinancialQuarter:
        """The latest quarter whose last day is on or before ``as_of``."""
        current = cls.containing(as_of)
        return current if current.end == as_of else current.shift(-1)

    @property
    def name(self) -> str:
        return f"{self.fy_start_year}Q{self.number}"

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.fy_start_year, month, 1) if month <= 12 else date(self.fy_start_year + 1, month - 12, 1)

    @property
    def end(self) -> date:
        return self.shift(1).start - timedelta(days=1)

    @property
    def financial_year(self) -> str:
        """``2026-27``."""
        return f"{self.fy_start_year}-{(self.fy_start_year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        """How a performance lead says it: ``Q2 2026-27 (July to September 2026)``."""
        return (f"Q{self.number} {self.financial_year} "
                f"({_MONTHS[self.start.month - 1]} to {_MONTHS[self.end.month - 1]} {self.end.year})")

    @property
    def short_label(self) -> str:
        """For chart axes and column headings: ``Jul-Sep 26``."""
        return f"{_MONTHS[self.start.month - 1][:3]}-{_MONTHS[self.end.month - 1][:3]} {self.end.year % 100:02d}"

    def shift(self, quarters: int) -> FinancialQuarter:
        index = self.fy_start_year * 4 + (self.number - 1) + quarters
        return FinancialQuarter(index // 4, index % 4 + 1)

    def previous(self) -> FinancialQuarter:
        return self.shift(-1)

    def last(self, count: int) -> list[FinancialQuarter]:
        """This quarter and the ``count - 1`` before it, oldest first."""
        return [self.shift(k) for k in range(-(count - 1), 1)]

    def __str__(self) -> str:
        return self.name
