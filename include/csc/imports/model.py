"""What a return parser produces, and how it refuses a malformed file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

ReturnKind = Literal["903", "cin", "annex-a"]


@dataclass(eq=False)  # exceptions keep identity hashing
class ImportRefused(Exception):
    """A return file cannot be imported losslessly. Nothing already stored has changed.

    ``where`` is a line number (``"line 12"``) for CSV files, an XML path for XML
    (``"/Message/Children/Child[3]/CINdetails[1]/ReferralDate"``), or a sheet and cell for xlsx (``"List 1!C7"``).
    """

    file: Path | str
    where: str | None
    field: str | None
    message: str

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [str(self.file)] + [part for part in (self.where, self.field and f"field {self.field}") if part]
        return f"{', '.join(parts)}: {self.message}"


@dataclass
class ParsedReturn:
    """One return file (or one year's set of 903 files) as rows of the SSD's tables.

    ``tables`` maps an SSD table name of the contract (``ssd_person``, ``ssd_cla_episodes``, ...) to its rows, each a
    dict of the contract's column names to ``str | date | datetime | int | None``. Ids a return does not carry are
    generated stably (the same return always gives the same ids). ``window`` is the date range the return is
    authoritative for (a collection year: 1 April to 31 March; Annex A: its look-back before ``as_of``): where two
    returns of one LA overlap, the later return's rows win inside its window.
    """

    kind: ReturnKind
    la_code: str
    year: str | None  # collection year "2025-26" (903, CIN); None for Annex A
    as_of: date | None  # Annex A: the as-of date; 903/CIN: None
    window: tuple[date, date]
    tables: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    notices: list[str] = field(default_factory=list)  # e.g. legacy codes mapped, columns ignored
