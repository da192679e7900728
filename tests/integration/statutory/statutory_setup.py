"""Constants shared by the statutory-return tests and their fixtures (a uniquely named module: every test folder's
``conftest`` is a module named ``conftest``, so importing from it picks whichever folder's was loaded first)."""

from __future__ import annotations

from datetime import date

from csc.statutory import CollectionYear

LA = "999"
AS_OF = date(2026, 6, 30)
YEAR = CollectionYear.latest_complete(AS_OF)  # 2025-26
FORMULA_TEAMS = {"T0107": '=HYPERLINK("http://x","y")', "T0108": "-1+1"}

# Rules of csc.statutory.validate.SKIPPED that fail only on short-break episodes (LS V3/V4): the returns leave those
# without placement location (rule 214), so every issue of these rules on another episode is a real error.
SHORT_BREAK_ONLY_903 = {"218"}
SHORT_BREAKS = ("V3", "V4")
