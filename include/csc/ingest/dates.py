"""The date forms the loader accepts in ``datetime`` columns, as one calendar-exact regular expression.

Raw keeps the text as written; the loader only refuses what no later step could read as a date. Accepted:

* ISO ``YYYY-MM-DD``, optionally followed by ``T`` or a space and ``hh:mm``, ``hh:mm:ss`` or ``hh:mm:ss.f``
  (1 to 7 fractional digits, as SQL Server's ``datetime2`` writes them);
* UK ``DD/MM/YYYY`` (day and month with or without a leading zero), optionally followed by a space and
  ``hh:mm`` or ``hh:mm:ss``.

The calendar is checked by the expression itself (30 February and 29 February 2023 are refused; 29 February 2024
is accepted), so that whole columns can be checked in one regular-expression call per block of records.
"""

from __future__ import annotations

import re

ACCEPTED_FORMS = "YYYY-MM-DD, YYYY-MM-DD hh:mm[:ss[.fffffff]] (or T), DD/MM/YYYY, DD/MM/YYYY hh:mm[:ss]"

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
_DATE = rb"(?:" + _ISO + rb"|" + _UK + rb")"

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
