"""The date forms the loader accepts in ``datetime`` columns, as one calendar-exact regular expression.

Raw keeps the text as written; the loader only refuses what no later step could read as a date. Accepted:

* ISO ``YYYY-MM-DD``, optionally followed by ``T`` or a space and ``hh:mm``, ``hh:mm:ss`` or ``hh:mm:ss.f``
  (1 to 7 fractional digits, as SQL Server's ``datetime2`` writes them);
* UK ``DD/MM/YYYY`` (day and month with or without a leading zero), optionally followed by a space and
  ``hh:mm`` or ``hh:mm:ss``;
* SQL Server's ``CAST(datetime AS varchar)`` text ``Mon DD YYYY hh:mmAM`` (``Jun 14 2022 12:00AM``; English month
  abbreviations; SQL Server pads a one-digit day and hour with a space, so one or two spaces are accepted before
  each; the time may be absent). SQL Server's ``2024-12-10 00:00:00.000`` is the ISO form above.

The calendar is checked by the expression itself (30 February and 29 February 2023 are refused; 29 February 2024
is accepted), so that whole columns can be checked in one regular-expression call per block of records.

``iso_dates`` answers the same question for ISO values with numpy, a block of records at a time, without a regular
expression or a Python call per value; what it cannot vouch for (UK dates, and anything wrong) goes to the
expression. Both are tested against each other (tests/unit/ingest/test_dates.py).

This is the product's one date rule: the warehouse function ``ops.extract_date`` (include/csc/warehouse/rules.sql),
which dbt staging and the data-quality checks call to read these values, accepts exactly the same forms; the two are
tested on the same inputs (tests/integration/quality/test_rules_once_sql.py).
"""

from __future__ import annotations

import re

import numpy as np

ACCEPTED_FORMS = ("YYYY-MM-DD, YYYY-MM-DD hh:mm[:ss[.fffffff]] (or T), DD/MM/YYYY, DD/MM/YYYY hh:mm[:ss], "
                  "Mon DD YYYY [hh:mmAM|PM] (SQL Server text)")

_YEAR = rb"(?!0000)\d{4}"
_LEAP_YEAR = rb"(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_ISO_MONTH_DAY = (rb"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"
                  rb"|(?:0[13-9]|1[0-2])-(?:29|30)"
                  rb"|(?:0[13578]|1[02])-31)")
_UK_DAY_MONTH = (rb"(?:(?:0?[1-9]|1\d|2[0-8])/(?:0?[1-9]|1[0-2])"
                 rb"|(?:29|30)/(?:0?[13-9]|1[0-2])"
                 rb"|31/(?:0?[13578]|1[02]))")
_TIME = rb"(?:[01]\d|2[0-3]):[0-5]\d"
_ISO = (rb"(?:" + _YEAR + rb"-" + _ISO_MONTH_DAY + rb"|(?!0000)" + _LEAP_YEAR + rb"-02-29)"
        rb"(?:[T ]" + _TIME + rb"(?::[0-5]\d(?:\.\d{1,7})?)?)?")
_UK = (rb"(?:" + _UK_DAY_MONTH + rb"/" + _YEAR + rb"|29/0?2/(?!0000)" + _LEAP_YEAR + rb")"
       rb"(?: " + _TIME + rb"(?::[0-5]\d)?)?")
_SQLSERVER_DAY = rb" {1,2}"  # SQL Server pads a one-digit day with a space: "Jun  4 2022"
_SQLSERVER_MONTH_DAY = (rb"(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)" + _SQLSERVER_DAY
                        + rb"(?:0?[1-9]|1\d|2[0-8])"
                        rb"|(?:Jan|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)" + _SQLSERVER_DAY + rb"(?:29|30)"
                        rb"|(?:Jan|Mar|May|Jul|Aug|Oct|Dec)" + _SQLSERVER_DAY + rb"31)")
_SQLSERVER = (rb"(?:" + _SQLSERVER_MONTH_DAY + rb" " + _YEAR + rb"|Feb" + _SQLSERVER_DAY + rb"29 (?!0000)" + _LEAP_YEAR
              + rb")(?: {1,2}(?:0?[1-9]|1[0-2]):[0-5]\d[AP]M)?")
_DATE = rb"(?:" + _ISO + rb"|" + _UK + rb"|" + _SQLSERVER + rb")"

DATE = re.compile(_DATE)
# Values each followed by a newline, blank (NULL) allowed. Possessive, so a failed match stops at the first bad line
# instead of backtracking through a million good ones.
DATE_LINES = re.compile(rb"(?:(?:" + _DATE + rb")?\n)*+")


def is_date(value: bytes) -> bool:
    return DATE.fullmatch(value) is not None


def first_bad_line(lines: bytes) -> int | None:
    """Index of the first value of ``lines`` (each value followed by ``\\n``) that is not blank or a date."""
    matched = DATE_LINES.match(lines)
    end = matched.end() if matched else 0
    if end == len(lines):
        return None
    return lines.count(b"\n", 0, end)


ISO_WIDTH = 27  # "2024-03-01 10:11:12.1234567": the longest ISO value accepted
_DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)  # 29 Feb: if leap
_DASH, _COLON, _DOT, _SPACE, _T = 45, 58, 46, 32, 84


def iso_dates(rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """For each value (``rows``: its first ``ISO_WIDTH`` bytes, whatever follows it; ``lengths``: its length),
    whether it is an ISO date or datetime that ``is_date`` accepts. False is "not proven": the caller asks
    ``is_date``, which also knows the UK forms."""
    digit = rows - np.uint8(48)  # wraps: any byte that is not a digit is 10 or more

    def digits(*positions: int) -> np.ndarray:
        value = np.zeros(rows.shape[0], dtype=np.int32)
        for p in positions:
            value = value * 10 + digit[:, p]
        return value

    is_digit = digit < 10
    ok = ((lengths == 10) | (lengths == 16) | (lengths == 19) | ((lengths >= 21) & (lengths <= ISO_WIDTH)))
    ok &= is_digit[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1) & (rows[:, 4] == _DASH) & (rows[:, 7] == _DASH)
    year, month, day = digits(0, 1, 2, 3), digits(5, 6), digits(8, 9)
    ok &= (year > 0) & (month >= 1) & (day >= 1) & (day <= _DAYS_IN_MONTH.take(month, mode="clip"))
    ok &= month <= 12
    february_29 = np.flatnonzero(ok & (month == 2) & (day == 29))
    if february_29.size:
        leap_year = year[february_29]
        ok[february_29] = (leap_year % 4 == 0) & ((leap_year % 100 != 0) | (leap_year % 400 == 0))
    timed = lengths >= 16
    if timed.any():
        ok &= ~timed | (((rows[:, 10] == _SPACE) | (rows[:, 10] == _T)) & (rows[:, 13] == _COLON)
                        & is_digit[:, [11, 12, 14, 15]].all(axis=1) & (digits(11, 12) <= 23) & (digits(14, 15) <= 59))
        seconds = lengths >= 19
        ok &= ~seconds | ((rows[:, 16] == _COLON) & is_digit[:, 17] & is_digit[:, 18] & (digits(17, 18) <= 59))
        fraction = lengths >= 21
        ok &= ~fraction | (rows[:, 19] == _DOT)
        for p in range(20, ISO_WIDTH):
            ok &= (lengths <= p) | is_digit[:, p]
    return ok
