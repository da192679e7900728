"""Dates the way INDICATORS.md counts them: England and Wales working days and calendar-month spans.

The bank-holiday calendar comes from the ``holidays`` library (England; Wales has the same bank holidays), for the
years of the dbt seed ``bank_holidays.csv`` only, so that the generator's ground truth and the dbt models use the
very same list. Dates outside those years have weekends only, in both.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import holidays
import numpy as np

from csc_synthetic.config import load_config

DAY = np.timedelta64(1, "D")


@cache
def bank_holidays() -> tuple[tuple[date, str], ...]:
    """England and Wales bank holidays for the seed years, as (date, name), sorted by date."""
    first, last = load_config().seed_years
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(first, last + 1))
    return tuple(sorted(calendar.items()))


@cache
def _holiday_array() -> np.ndarray:
    return np.array([d for d, _ in bank_holidays()], dtype="datetime64[D]")


def as_days(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def working_days_between(start, end) -> np.ndarray:
    """Working days d with start < d <= end (0 when end <= start); -1 where either date is missing."""
    start, end = np.broadcast_arrays(as_days(start), as_days(end))
    result = np.full(start.shape, -1, dtype=np.int64)
    known = ~(np.isnat(start) | np.isnat(end))
    forward = known & (end > start)
    result[known] = 0
    if forward.any():
        result[forward] = np.busday_count(start[forward] + DAY, end[forward] + DAY, holidays=_holiday_array())
    return result


def add_working_days(start, n) -> np.ndarray:
    """The n-th working day after ``start`` (n >= 1); ``start`` itself for n == 0. NaT stays NaT."""
    start, n = np.broadcast_arrays(as_days(start), np.asarray(n, dtype=np.int64))
    result = start.copy()
    move = ~np.isnat(start) & (n > 0)
    if move.any():
        result[move] = np.busday_offset(start[move], n[move], roll="backward", holidays=_holiday_array())
    return result


def next_working_day_on_or_after(values) -> np.ndarray:
    values = as_days(values)
    result = values.copy()
    known = ~np.isnat(values)
    result[known] = np.busday_offset(values[known], 0, roll="forward", holidays=_holiday_array())
    return result


def is_working_day(values) -> np.ndarray:
    values = as_days(values)
    result = np.zeros(values.shape, dtype=bool)
    known = ~np.isnat(values)
    result[known] = np.is_busday(values[known], holidays=_holiday_array())
    return result


def add_months(values, months) -> np.ndarray:
    """The same calendar date ``months`` later (or earlier), clamped to the month's last day (31 Aug + 6 months =
    28/29 Feb; 29 Feb + 12 months = 28 Feb), as PostgreSQL's ``date + interval 'N months'`` does."""
    values, months = np.broadcast_arrays(as_days(values), np.asarray(months, dtype=np.int64))
    result = np.full(values.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    known = ~np.isnat(values)
    v = values[known]
    month_start = v.astype("datetime64[M]")
    day_index = (v - month_start.astype("datetime64[D]")).astype(np.int64)
    target = month_start + months[known].astype("timedelta64[M]")
    target_start = target.astype("datetime64[D]")
    month_length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target_start).astype(np.int64)
    result[known] = target_start + np.minimum(day_index, month_length - 1).astype("timedelta64[D]")
    return result


def add_years(values, years) -> np.ndarray:
    return add_months(values, np.asarray(years, dtype=np.int64) * 12)


def completed_years(born, on) -> np.ndarray:
    """Age in completed years: the year difference, less one if (month, day) of ``on`` is before (month, day) of
    birth. A child born on 29 February turns a year older on 1 March in common years, as PostgreSQL's
    ``extract(year from age(on, born))`` says."""
    born, on = np.broadcast_arrays(as_days(born), as_days(on))
    years = on.astype("datetime64[Y]").astype(np.int64) - born.astype("datetime64[Y]").astype(np.int64)
    return years - (_month_day(on) < _month_day(born))


def _month_day(values: np.ndarray) -> np.ndarray:
    month = values.astype("datetime64[M]")
    return (month.astype(np.int64) % 12) * 100 + (values - month.astype("datetime64[D]")).astype(np.int64)


def financial_year_start(values) -> np.ndarray:
    """The calendar year in which the financial year (1 April - 31 March) containing each date starts."""
    values = as_days(values)
    year = values.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (values.astype("datetime64[M]").astype(np.int64) % 12) + 1
    return np.where(month >= 4, year, year - 1)
