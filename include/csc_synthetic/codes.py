"""The repository's code lists (dbt seed ``code_lists.csv``): the one place both the generator and dbt read."""

from __future__ import annotations

from functools import cache

import pandas as pd

from csc_synthetic.paths import REFERENCE_SEEDS

CODE_LISTS_PATH = REFERENCE_SEEDS / "code_lists.csv"


@cache
def code_lists() -> pd.DataFrame:
    return pd.read_csv(CODE_LISTS_PATH, dtype=str, keep_default_na=False)
