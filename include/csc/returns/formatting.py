"""Numbers as a reader of the report sees them (the workbook keeps the exact values and formats them in Excel)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

NO_DATA = "\u2013"  # en dash


def _round(number: Decimal, places: int) -> Decimal:
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_measure(value: Decimal | int | str | None, unit: str | None) -> str:
    """Percentages and rates to one decimal place, counts whole: ``82.4%``, ``45.2``, ``1,234``."""
    if value is None:
        return NO_DATA
    if isinstance(value, str):
        return value
    number = Decimal(value)
    if unit == "count":
        return f"{_round(number, 0):,f}"
    text = f"{_round(number, 1):,f}"
    return text + "%" if unit == "percent" else text


def format_change(value: Decimal | int | str | None, unit: str | None) -> str:
    """Signed: ``+1.5 pts`` for percentages, ``-12`` for counts."""
    if value is None or isinstance(value, str):
        return format_measure(value, unit)
    number = Decimal(value)
    text = format_measure(abs(number), "count" if unit == "count" else None)
    sign = "+" if number > 0 else "\u2212" if number < 0 else "\u00b1"
    return f"{sign}{text}" + (" pts" if unit == "percent" else "")


def format_number(value: Decimal | int | str | None) -> str:
    """Numerators and denominators: whole numbers with separators, FTE and population terms with their decimals."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    return f"{number.normalize():,f}"


def format_fte(value: Decimal | int | str | None) -> str:
    """Full-time equivalents keep their decimals, at least one: ``4.0``, ``0.85``."""
    if value is None or isinstance(value, str):
        return "" if value is None else value
    number = Decimal(value).normalize()
    return f"{number:,.1f}" if number == number.quantize(Decimal("0.1")) else f"{number:,f}"


def format_cell(cell: object, kind: str, unit: str | None) -> str:
    if cell is None:
        return ""
    if kind == "measure":
        return format_measure(cell, unit)  # type: ignore[arg-type]
    if kind == "change":
        return format_change(cell, unit)  # type: ignore[arg-type]
    if kind == "ratio":
        return format_measure(cell, "ratio")  # type: ignore[arg-type]
    if kind == "fte":
        return format_fte(cell)  # type: ignore[arg-type]
    if kind in ("count", "number"):
        return format_number(cell)  # type: ignore[arg-type]
    if isinstance(cell, datetime):
        return cell.astimezone(UTC).strftime("%d %B %Y %H:%M:%S UTC") if cell.tzinfo else cell.isoformat()
    if isinstance(cell, date):
        return cell.strftime("%d %b %Y").lstrip("0")
    return str(cell)
