"""A county extract's ground truth falls in the ranges of INDICATORS.md's sanity anchors (issue 3 acceptance)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from .conftest import run

pytestmark = [pytest.mark.unit, pytest.mark.slow]

# indicator -> (low, high): the acceptance ranges, then wider checks on the other anchors
RANGES = {
    "REREF_12M": (15, 30),
    "ASMT_45WD": (70, 95),
    "CLA_RATE": (30, 120),
    "CPP_RATE": (20, 80),
    "CASELOAD_AVG": (10, 26),
    "WF_AGENCY_RATE": (0, 40),
    "REF_RATE": (380, 700),
    "REF_NFA": (3, 12),
    "CIN_RATE": (220, 450),
    "ICPC_15WD": (60, 95),
    "CPP_2YR_ENDED": (1, 10),
    "CLA_LONG_TERM_STABILITY": (50, 85),
    "WF_VACANCY_RATE": (5, 35),
    "WF_TURNOVER": (5, 30),
}


@pytest.fixture(scope="session")
def county(tmp_path_factory):
    return run(tmp_path_factory.mktemp("county"), la="903", seed=1)


def test_county_truth_is_plausible(county):
    truth = pd.read_csv(county.nights[0].truth_dir / "indicators.csv", dtype=str, keep_default_na=False)
    years = truth[truth["period_type"] == "financial_year"]
    # the first year of the window sees few earlier referrals and plans (they closed before the window), so the
    # re-referral and repeat measures are judged from the second year on
    later_years = years[years["period_start"] > years["period_start"].min()]
    out_of_range = []
    for indicator, (low, high) in RANGES.items():
        rows = later_years[later_years["indicator_id"] == indicator]
        assert len(rows) == 5, indicator
        for row in rows.itertuples():
            if not low <= Decimal(row.value) <= high:
                out_of_range.append((indicator, row.period_start, row.value))
    assert out_of_range == []


def test_county_volumes_are_those_of_a_large_county(county):
    truth = pd.read_csv(county.nights[0].truth_dir / "indicators.csv", dtype=str, keep_default_na=False)
    last_year = truth[(truth["period_type"] == "financial_year") & (truth["period_start"] == "2024-04-01")]
    referrals = int(last_year.loc[last_year["indicator_id"] == "REF_RATE", "numerator"].iloc[0])
    assert 15_000 <= referrals <= 21_000  # about 18,000 referrals a year
    day = truth[truth["period_type"] == "day"].set_index("indicator_id")
    assert 900 <= int(day.loc["CPP_RATE", "numerator"]) <= 2_000      # about 1,400 children on CP plans
    assert 1_500 <= int(day.loc["CLA_RATE", "numerator"]) <= 3_200     # about 2,300 children looked after
    assert 700_000 <= county.total_rows <= 2_500_000                     # on the order of a million rows
