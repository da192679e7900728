"""Reading return files as LAs hand them over: CSVs saved from Excel, dates in the DfE's dd/mm/yyyy, codes typed by
hand. Anything that cannot be read losslessly is refused with file, line and field (:class:`ImportRefused`).

Excel's habits, accepted: a UTF-8 byte-order mark (or Windows-1252 text), trailing blank rows and columns (and blank
rows between records), short rows whose missing cells are blank, numbers stored as text (``1.0`` for ``1``), dates
with a midnight time (``01/04/2025 00:00``) or as a day serial (``45748``), codes in lower case or padded.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from csc.imports.model import ImportRefused

EXCEL_EPOCH = date(1899, 12, 30)  # day serials: 1 is 31/12/1899 in Excel's (Lotus-compatible) counting
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_SERIAL = re.compile(r"\d{5}(?:\.0+)?")
_NUMBER_AS_TEXT = re.compile(r"(-?\d+)\.0+")


@dataclass(frozen=True)
class Record:
    """One record of a return file: where it is (``line 12`` or an XML path) and its fields by upper-case name."""

    file: str
    where: str
    fields: dict[str, str]

    def refuse(self, field: str | None, message: str) -> ImportRefused:
        return ImportRefused(self.file, self.where, field, message)

    def text(self, name: str) -> str | None:
        """The field as written, trimmed; None when blank or absent. A number Excel stored as text loses ``.0``."""
        value = (self.fields.get(name) or "").strip()
        if value.startswith("'"):  # Excel's text marker, kept by some exports
            value = value[1:].strip()
        if not value:
            return None
        match = _NUMBER_AS_TEXT.fullmatch(value)
        return match.group(1) if match else value

    def code(self, name: str) -> str | None:
        value = self.text(name)
        return value.upper() if value is not None else None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise self.refuse(name, f"{name} is blank")
        return value

    def date(self, name: str, *, required: bool = False) -> date | None:
        value = self.text(name)
        if value is None:
            if required:
                raise self.refuse(name, f"{name} is blank (a date, dd/mm/yyyy, is needed)")
            return None
        parsed = parse_date(value)
        if parsed is None:
            raise self.refuse(name, f"{name} {value!r} is not a date (dd/mm/yyyy)")
        return parsed


def parse_date(value: object) -> date | None:
    """A date of any return (the one date reader of the 903, CIN and Annex A parsers): dd/mm/yyyy (the DfE's CSVs),
    d/m/yyyy, yyyy-mm-dd (the XML returns), either with a time of day (and a zone), a date or datetime (a workbook
    cell) or an Excel day serial, as a number or as text; calendar exact (31/02/2025 is not a date). None when it is
    none of those."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(int(value))
    text = str(value).strip()
    try:
        if match := _DMY.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        if match := _ISO.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    if _SERIAL.fullmatch(text):
        return _serial(int(float(text)))
    return None


def _serial(serial: int) -> date | None:
    """An Excel day serial between 1954 and 2119 (a plausible date, not a stray number)."""
    return EXCEL_EPOCH + timedelta(days=serial) if 20000 <= serial <= 80000 else None


def decode(path: Path) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252 (Excel's "CSV" on Windows); NUL bytes refused."""
    raw = path.read_bytes()
    if b"\0" in raw:
        line = raw[:raw.index(b"\0")].count(b"\n") + 1
        raise ImportRefused(path.name, f"line {line}", None, "the file holds NUL bytes (UTF-16, or not a CSV file)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ImportRefused(path.name, f"line {line}", None, "bytes that are neither UTF-8 nor Windows-1252") from None


def read_csv(path: Path, *, required: tuple[str, ...], known: tuple[str, ...],
             aliases: dict[str, str] | None = None) -> tuple[list[Record], list[str]]:
    """The records of a return CSV by upper-case column name, and notices (columns ignored).

    Refused: no header, a required column missing, a column named twice, a record with a value beyond the header's
    columns, malformed quoting. Blank rows anywhere and blank trailing columns are Excel's and skipped.
    """
    text = decode(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    notices: list[str] = []
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ImportRefused(path.name, f"line {reader.line_num}", None, f"malformed CSV: {exc}") from None
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ImportRefused(path.name, "line 1", None, "the file is empty: no header line")
    header_line, header = rows[0]
    names = [cell.strip().lstrip("\ufeff").upper() for cell in header]
    names = [(aliases or {}).get(name, name) for name in names]
    while names and not names[-1]:
        names.pop()
    for index, name in enumerate(names):
        if not name:
            raise ImportRefused(path.name, f"line {header_line}", None, f"column {index + 1} of the header has no name")
        if names.index(name) != index:
            raise ImportRefused(path.name, f"line {header_line}", name, f"column {name} is named twice")
    missing = [name for name in required if name not in names]
    if missing:
        raise ImportRefused(path.name, f"line {header_line}", missing[0],
                            f"required column {', '.join(missing)} is missing from the header")
    ignored = [name for name in names if name not in known]
    if ignored:
        notices.append(f"{path.name}: column{'s' if len(ignored) > 1 else ''} {', '.join(ignored)} not imported")
    records = []
    for line, row in rows[1:]:
        if len(row) > len(names) and any(cell.strip() for cell in row[len(names):]):
            raise ImportRefused(path.name, f"line {line}", None,
                                f"{len(row)} values where the header has {len(names)} columns")
        cells = row[:len(names)] + [""] * (len(names) - len(row))
        records.append(Record(path.name, f"line {line}", dict(zip(names, cells, strict=True))))
    return records, notices


def age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None
