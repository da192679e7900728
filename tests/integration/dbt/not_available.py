"""Assertions of the "not available" convention (docs/INDICATORS.md): an indicator whose inputs an LA lacks has its
rows, with numerator, denominator and value empty and a reason code, never 0; in the marts (every period, and every
day for a stock), and in the quarterly return, which shows it as "n/a (reason)". Shared by the tests of each reason
(no_hr_extract, returns_only, ...)."""

from __future__ import annotations

import csv
from pathlib import Path

from csc.returns import write_return
from csc.settings import Settings
from csc.warehouse.connection import connect

FLOWS_WITHOUT_DAILY_ROWS = {"WF_TURNOVER"}  # a rolling flow has no daily row


def indicator_reasons(settings: Settings, la_code: str) -> dict[str, tuple]:
    """Per indicator of the LA's marts: (periods, numerators, denominators, values, distinct reasons)."""
    with connect(settings) as conn:
        rows = conn.execute(
            "select indicator_id, count(*), count(numerator), count(denominator), count(value), "
            "array_agg(distinct not_available_reason) from marts.indicator_values where la_code = %s "
            "group by indicator_id", (la_code,)).fetchall()
    return {indicator: tuple(rest) for indicator, *rest in rows}


def assert_not_available_in_marts(settings: Settings, la_code: str, indicators: tuple[str, ...],
                                  reason: str) -> dict[str, tuple]:
    """Every period and every daily row of ``indicators`` is not available for ``reason``; returns
    :func:`indicator_reasons` for the test's own further assertions."""
    by_indicator = indicator_reasons(settings, la_code)
    for indicator in indicators:
        periods, numerators, denominators, values, reasons = by_indicator[indicator]
        assert periods > 0 and (numerators, denominators, values) == (0, 0, 0), (indicator, by_indicator[indicator])
        assert reasons == [reason], indicator
    with connect(settings) as conn:
        daily = conn.execute(
            "select indicator_id, numerator, denominator, value, not_available_reason from marts.indicator_daily "
            "where la_code = %s and indicator_id = any(%s)", (la_code, list(indicators))).fetchall()
    stocks = set(indicators) - FLOWS_WITHOUT_DAILY_ROWS
    assert set(daily) == {(i, None, None, None, reason) for i in stocks}
    return by_indicator


def assert_return_shows_not_available(settings: Settings, la_code: str, quarter: str, indicators: tuple[str, ...],
                                      reason: str) -> tuple[list[list[str]], str]:
    """The quarter's return shows each of ``indicators`` as "n/a (reason)" and no figure in its value columns;
    returns the indicators CSV's rows and the report's HTML."""
    files = write_return(la_code, quarter, settings)
    with Path(files.indicators_csv).open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle.read().splitlines()))
    shown = {row[0]: row for row in rows if row and row[0] in indicators}
    assert set(shown) == set(indicators), rows[:5]
    for indicator, row in shown.items():
        assert f"n/a ({reason})" in row, (indicator, row)
        assert not any(cell.strip() in ("0", "0.0", "0.0000") for cell in row[5:8]), (indicator, row)
    return rows, Path(files.report_html).read_text(encoding="utf-8")
