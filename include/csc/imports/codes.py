"""Code lists and legacy codes shared by the return parsers (issue 14).

The valid codes are the repository's own code lists (``dbt_project/seeds/reference/code_lists.csv``, the seed the
checks and dbt read), so a parser accepts exactly what the warehouse knows. Legacy codes of older returns are mapped
to the contract's codes here, once: the CIN census ``GenderCurrent`` (to 2023-24: 1 male, 2 female, 0 not known,
9 not specified) became ``Sex`` (M, F, U) in 2024-25.
"""

from __future__ import annotations

import csv
from functools import cache

from csc.settings import PROJECT_ROOT

CODE_LISTS_PATH = PROJECT_ROOT / "dbt_project" / "seeds" / "reference" / "code_lists.csv"

# GenderCurrent (CIN census to 2023-24, SSDA903 to 2023-24) -> Sex of the contract.
LEGACY_SEX = {"1": "M", "2": "F", "0": "U", "9": "U"}


@cache
def code_list(name: str) -> frozenset[str]:
    """The codes of one list of the repository's code lists, upper-case."""
    with CODE_LISTS_PATH.open(encoding="utf-8", newline="") as f:
        codes = frozenset(row["code"].strip().upper() for row in csv.DictReader(f) if row["code_list"] == name)
    if not codes:
        raise KeyError(f"no code list {name!r} in {CODE_LISTS_PATH}")
    return codes


@cache
def valid_years(name: str) -> dict[str, tuple[int | None, int | None]]:
    """Code -> (first, last) collection start year it is valid in (None: no limit), for the codes of one list."""
    with CODE_LISTS_PATH.open(encoding="utf-8", newline="") as f:
        return {row["code"].strip().upper(): (int(row["valid_from_year"]) if row["valid_from_year"] else None,
                                              int(row["valid_to_year"]) if row["valid_to_year"] else None)
                for row in csv.DictReader(f) if row["code_list"] == name}


def out_of_year(name: str, code: str, start_year: int) -> bool:
    """Whether a known code is outside the years it is valid in (a legacy or a future code: kept, with a notice)."""
    first, last = valid_years(name).get(code, (None, None))
    return (first is not None and start_year < first) or (last is not None and start_year > last)


def sex_code(value: str) -> tuple[str | None, bool]:
    """(the contract's sex code, whether a legacy code was mapped); None when the value is no sex code."""
    text = value.strip().upper()
    if text in ("M", "F", "U"):
        return text, False
    if text in LEGACY_SEX:
        return LEGACY_SEX[text], True
    return None, False
