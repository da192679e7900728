"""A DfE collection year: 1 April to 31 March, named like ``2025-26``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path


class StatutoryError(Exception):
    """A return that cannot be built or validated as asked (the message says why and what to do)."""


def ensure_fresh(out: Path) -> None:
    """Refuse to mix a new return with files of another run in the same folder."""
    if out.exists() and any(out.iterdir()):
        raise StatutoryError(f"{out} is not empty: give a new or empty folder (--out)")


@dataclass(frozen=True)
class CollectionYear:
    start_year: int  # 2025 for 2025-26

    @classmethod
    def parse(cls, text: str) -> CollectionYear:
        match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
            raise ValueError(f"collection year {text!r}: expected e.g. 2025-26 (1 April 2025 to 31 March 2026)")
        return cls(int(match.group(1)))

    @classmethod
    def latest_complete(cls, as_of: date) -> CollectionYear:
        """The last collection year that ended on or before ``as_of``."""
        return cls(as_of.year - 1 if as_of >= date(as_of.year, 3, 31) else as_of.year - 2)

    @property
    def name(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def start(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, 3, 31)

    @property
    def ruleset_903(self) -> str:
        return f"lac{self.start_year}_{(self.start_year + 1) % 100:02d}"

    @property
    def ruleset_cin(self) -> str:
        return f"cin{self.start_year}_{(self.start_year + 1) % 100:02d}"
