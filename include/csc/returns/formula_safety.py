"""Text that a spreadsheet could run as a formula (OWASP "CSV injection"): team names and other free text from the
case-management system reach the return, so any of them may begin with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return. Such text is kept as text: a leading single quote in CSV, a string cell with Excel's quote prefix in
XLSX. Numbers are never touched: they are written as numbers."""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def starts_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def csv_text(text: str) -> str:
    """The text as a CSV field that Excel, LibreOffice and Google Sheets all open as text."""
    return "'" + text if starts_like_formula(text) else text
