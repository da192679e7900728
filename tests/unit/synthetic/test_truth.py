"""indicators.csv: every indicator of INDICATORS.md for every covered period, values rounded as INTERFACES.md
says, and a few indicators recomputed here straight from the CSV files (not from the generator's code)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from csc.settings import PROJECT_ROOT

from .conftest import INDICATORS_MD

pytestmark = pytest.mark.unit

STOCKS = {"ASMT_OVERDUE", "CPP_RATE", "CPP_REVIEW_TIMELY", "CPP_VISIT_10WD", "CLA_RATE", "CLA_3PLUS_PLACEMENTS",
          "CLA_LONG_TERM_STABILITY", "CLA_REVIEW_TIMELY", "CLA_VISIT_TIMELY", "CIN_RATE", "UNALLOCATED",
          "UNALLOCATED_CP", "UNALLOCATED_DAYS_MEDIAN", "CASELOAD_AVG", "CASELOAD_OVER_THRESHOLD", "WF_VACANCY_RATE",
          "WF_AGENCY_RATE", "WF_NQSW_SHARE", "DQ_PASS_RATE"}
RATES = {"REF_RATE", "S47_RATE", "CPP_RATE", "CLA_RATE", "CIN_RATE"}
COUNTS = {"ASMT_OVERDUE", "UNALLOCATED", "UNALLOCATED_CP", "UNALLOCATED_DAYS_MEDIAN"}


def catalogue_ids() -> list[str]:
    text = INDICATORS_MD.read_text(encoding="utf-8")
    catalogue = text.split("## Catalogue", 1)[1].split("##", 1)[0]
    return re.findall(r"^\| ([A-Z][A-Z0-9_]+) \|", catalogue, flags=re.M)


def indicators(result) -> pd.DataFrame:
    return pd.read_csv(result.nights[0].truth_dir / "indicators.csv", dtype=str, keep_default_na=False)


def table(result, name: str) -> pd.DataFrame:
    return pd.read_csv(result.nights[0].extract_dir / f"{name}.csv", dtype=str, keep_default_na=False)


def test_every_indicator_has_every_covered_period(tiny):
    truth = indicators(tiny)
    ids = catalogue_ids()
    assert len(ids) == 29 and set(truth["indicator_id"]) == set(ids)
    # extract of 31 March 2025: six financial years 2019-20 .. 2024-25 are inside the window
    for indicator in ids:
        rows = truth[truth["indicator_id"] == indicator]
        kinds = rows["period_type"].value_counts().to_dict()
        if indicator == "DQ_PASS_RATE":
            assert kinds == {"month": 1, "quarter": 1, "financial_year": 1, "day": 1}
            continue
        expected = {"month": 72, "quarter": 24, "financial_year": 6}
        if indicator in STOCKS:
            expected["day"] = 1
        assert kinds == expected, indicator
    years = truth[truth["period_type"] == "financial_year"]["period_start"].unique()
    assert sorted(years) == [f"{y}-04-01" for y in range(2019, 2025)]


def test_values_are_rounded_from_exact_numerators_and_denominators(tiny, small):
    for result in (tiny, small):
        for row in indicators(result).itertuples():
            if row.indicator_id in COUNTS:
                assert row.denominator == ""
                assert row.value == ("" if row.numerator == "" else str(Decimal(row.numerator).quantize(
                    Decimal("0.0001"), rounding=ROUND_HALF_UP)))
                continue
            if row.denominator in ("", "0"):
                assert row.value == ""
                continue
            value = Decimal(row.numerator) / Decimal(row.denominator)
            if row.indicator_id not in RATES and row.indicator_id != "CASELOAD_AVG":
                value *= 100
            assert row.value == str(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)), row


def day_value(truth: pd.DataFrame, indicator: str) -> pd.Series:
    return truth[(truth["indicator_id"] == indicator) & (truth["period_type"] == "day")].iloc[0]


def test_a_clean_extract_passes_every_check_and_has_every_open_case_allocated(small):
    truth = indicators(small)
    assert day_value(truth, "DQ_PASS_RATE")["value"] == "100.0000"
    assert day_value(truth, "UNALLOCATED")["numerator"] == "0"
    history = truth[(truth["indicator_id"] == "UNALLOCATED") & (truth["period_type"] == "month")]
    assert history["numerator"].astype(int).sum() > 0, "allocation gaps in the history are expected"


def test_overdue_assessments_match_the_exception_list(small):
    truth = indicators(small)
    exceptions = pd.read_csv(small.nights[0].truth_dir / "exceptions.csv", dtype=str, keep_default_na=False)
    overdue = exceptions[exceptions["exception_type"] == "assessment_overdue"]
    assert int(day_value(truth, "ASMT_OVERDUE")["numerator"]) == len(overdue) > 0


# --- recomputed from the files --------------------------------------------------------------------------------
def _population(result, year: int) -> Decimal:
    population = pd.read_csv(result.nights[0].truth_dir / "population.csv", dtype=int)
    return Decimal(int(population.loc[population["year"] == year, "population_0_17"].iloc[0])) / 10_000


def _open(start: pd.Series, end: pd.Series, on: str) -> pd.Series:
    return (start != "") & (start.str[:10] <= on) & ((end == "") | (end.str[:10] > on))


def test_stocks_on_the_extract_date_recomputed_from_the_files(small):
    truth = indicators(small)
    d = "2025-03-31"
    population = _population(small, 2024)
    ref = table(small, "ssd_cin_episodes")
    cin = ref.loc[_open(ref["cine_referral_date"], ref["cine_close_date"], d), "cine_person_id"].nunique()
    assert day_value(truth, "CIN_RATE")["numerator"] == str(cin)
    assert Decimal(day_value(truth, "CIN_RATE")["denominator"]) == population
    cp = table(small, "ssd_cp_plans")
    on_plan = cp.loc[_open(cp["cppl_cp_plan_start_date"], cp["cppl_cp_plan_end_date"], d), "cppl_person_id"]
    assert day_value(truth, "CPP_RATE")["numerator"] == str(on_plan.nunique())
    episodes = table(small, "ssd_cla_episodes")
    legal = table(small, "ssd_legal_status")
    in_care = set(episodes.loc[_open(episodes["clae_cla_episode_start_date"], episodes["clae_cla_episode_ceased_date"],
                                     d), "clae_person_id"])
    statuses = legal[_open(legal["lega_legal_status_start_date"], legal["lega_legal_status_end_date"], d)]
    breaks_only = statuses.groupby("lega_person_id")["lega_legal_status"].agg(lambda s: set(s) <= {"V3", "V4"})
    looked_after = in_care - set(breaks_only[breaks_only].index)
    assert day_value(truth, "CLA_RATE")["numerator"] == str(len(looked_after))


def test_referral_flows_recomputed_from_the_files(small):
    truth = indicators(small)
    ref = table(small, "ssd_cin_episodes")
    units = ref.assign(day=ref["cine_referral_date"].str[:10]).groupby(["cine_person_id", "day"])
    nfa = units["cine_referral_nfa"].agg(lambda s: (s == "Y").any()).reset_index()
    years = truth[(truth["indicator_id"] == "REF_NFA") & (truth["period_type"] == "financial_year")]
    for row in years.itertuples():
        in_year = nfa[(nfa["day"] >= row.period_start) & (nfa["day"] <= row.period_end)]
        assert (row.numerator, row.denominator) == (str(int(in_year["cine_referral_nfa"].sum())), str(len(in_year)))


def test_assessment_timeliness_recomputed_with_the_bank_holiday_seed(small):
    holidays = pd.read_csv(PROJECT_ROOT / "dbt_project" / "seeds" / "reference" / "bank_holidays.csv")["date"]
    holidays = holidays.to_numpy(dtype="datetime64[D]")
    truth = indicators(small)
    a = table(small, "ssd_cin_assessments")
    a = a[(a["cina_assessment_auth_date"] != "") & (a["cina_assessment_start_date"] != "")]
    start = a["cina_assessment_start_date"].str[:10].to_numpy(dtype="datetime64[D]")
    auth = a["cina_assessment_auth_date"].str[:10].to_numpy(dtype="datetime64[D]")
    one = np.timedelta64(1, "D")
    duration = np.where(auth > start, np.busday_count(start + one, auth + one, holidays=holidays), 0)
    years = truth[(truth["indicator_id"] == "ASMT_45WD") & (truth["period_type"] == "financial_year")]
    for row in years.itertuples():
        in_year = (auth >= np.datetime64(row.period_start)) & (auth <= np.datetime64(row.period_end))
        assert row.denominator == str(int(in_year.sum()))
        assert row.numerator == str(int((in_year & (duration <= 45)).sum()))


def test_workforce_stocks_recomputed_from_the_files(small):
    truth = indicators(small)
    d = "2025-03-31"
    hr = table(small, "hr_workers")
    in_post = hr[(hr["role_start_date"].str[:10] <= d)
                 & ((hr["role_end_date"] == "") | (hr["role_end_date"].str[:10] >= d))]
    fte = in_post["fte"].map(Decimal)
    agency = in_post["agency_worker"] == "Y"
    assert (Decimal(day_value(truth, "WF_AGENCY_RATE")["numerator"]),
            Decimal(day_value(truth, "WF_AGENCY_RATE")["denominator"])) == (fte[agency].sum(), fte.sum())
    establishment = table(small, "hr_establishment")
    current = establishment[establishment["effective_from"].str[:10] <= d].copy()
    current["day"] = current["effective_from"].str[:10]
    latest = current.sort_values("day").groupby("team_id").tail(1).set_index("team_id")["funded_sw_fte"]
    la_fte = in_post[~agency].assign(f=fte[~agency]).groupby("team_id")["f"].sum()
    vacant = sum(max(Decimal(funded) - la_fte.get(team, Decimal(0)), Decimal(0)) for team, funded in latest.items())
    row = day_value(truth, "WF_VACANCY_RATE")
    assert (Decimal(row["numerator"]), Decimal(row["denominator"])) == (vacant, vacant + fte[~agency].sum())
    holders = in_post[in_post["org_role"].isin(["4", "5"])]
    inv = table(small, "ssd_involvements")
    allocated = inv[(inv["invo_professional_role_id"].str.strip().str.upper() == "ALLOCATED CASE WORKER")
                    & (inv["invo_involvement_start_date"].str[:10] <= d)
                    & ((inv["invo_involvement_end_date"] == "") | (inv["invo_involvement_end_date"].str[:10] > d))
                    & inv["invo_professional_id"].isin(set(holders["worker_id"]))]
    row = day_value(truth, "CASELOAD_AVG")
    assert row["numerator"] == str(allocated["invo_person_id"].nunique())
    assert Decimal(row["denominator"]) == holders["fte"].map(Decimal).sum()


def _months(day: pd.Timestamp, n: int) -> pd.Timestamp:
    return day + pd.DateOffset(months=n)  # clamps to the month's last day, as PostgreSQL does


def test_review_timeliness_recomputed_review_by_review(small):
    """Walk each plan's and each period of care's reviews in order (a different algorithm from the truth's)."""
    truth = indicators(small)
    d = pd.Timestamp("2025-03-31")
    holidays = pd.read_csv(PROJECT_ROOT / "dbt_project" / "seeds" / "reference" / "bank_holidays.csv")["date"]
    calendar = np.array(holidays, dtype="datetime64[D]")

    def working_days(a, b):
        return int(np.busday_count(np.datetime64(a.date()) + 1, np.datetime64(b.date()) + 1, holidays=calendar)) \
            if b > a else 0

    def on_time(start, reviews, first_ok, second_months):
        """Every review held by D met its deadline, and the next deadline has not passed by D."""
        held = sorted(r for r in reviews if start <= r <= d)
        if held and not first_ok(held[0]):
            return False
        for n in range(1, len(held)):
            if held[n] > _months(held[n - 1], second_months if n == 1 else 6):
                return False
        if not held:
            return first_ok(d)
        return d <= _months(held[-1], second_months if len(held) == 1 else 6)

    plans = table(small, "ssd_cp_plans")
    reviews = table(small, "ssd_cp_reviews")
    reviews = reviews[reviews["cppr_cp_review_date"] != ""]
    by_plan = reviews.groupby("cppr_cp_plan_id")["cppr_cp_review_date"].apply(
        lambda s: [pd.Timestamp(x[:10]) for x in s]).to_dict()
    cohort, timely = 0, 0
    for plan in plans.itertuples():
        start = pd.Timestamp(plan.cppl_cp_plan_start_date[:10])
        end = plan.cppl_cp_plan_end_date
        if start > d or (end and pd.Timestamp(end[:10]) <= d) or _months(start, 3) > d:
            continue
        cohort += 1
        timely += on_time(start, by_plan.get(plan.cppl_cp_plan_id, []), lambda r, s=start: r <= _months(s, 3), 6)
    row = day_value(truth, "CPP_REVIEW_TIMELY")
    assert (row["numerator"], row["denominator"]) == (str(timely), str(cohort))

    episodes = table(small, "ssd_cla_episodes")
    legal = table(small, "ssd_legal_status")
    period_start = episodes.groupby("clae_cla_id")["clae_cla_episode_start_date"].min()
    open_ep = episodes[(episodes["clae_cla_episode_start_date"].str[:10] <= "2025-03-31")
                       & ((episodes["clae_cla_episode_ceased_date"] == "")
                          | (episodes["clae_cla_episode_ceased_date"].str[:10] > "2025-03-31"))]
    statuses = legal[(legal["lega_legal_status_start_date"].str[:10] <= "2025-03-31")
                     & ((legal["lega_legal_status_end_date"] == "")
                        | (legal["lega_legal_status_end_date"].str[:10] > "2025-03-31"))]
    breaks_only = statuses.groupby("lega_person_id")["lega_legal_status"].agg(lambda s: set(s) <= {"V3", "V4"})
    open_ep = open_ep[~open_ep["clae_person_id"].isin(set(breaks_only[breaks_only].index))]
    cla_reviews = table(small, "ssd_cla_reviews")
    cla_reviews = cla_reviews[(cla_reviews["clar_cla_review_cancelled"] != "Y")
                              & (cla_reviews["clar_cla_review_date"] != "")]
    by_period = cla_reviews.groupby("clar_cla_id")["clar_cla_review_date"].apply(
        lambda s: [pd.Timestamp(x[:10]) for x in s]).to_dict()
    children = {}
    for episode in open_ep.itertuples():
        start = pd.Timestamp(period_start[episode.clae_cla_id][:10])
        ok = on_time(start, by_period.get(episode.clae_cla_id, []),
                     lambda r, s=start: working_days(s, r) <= 20, 3)
        children[episode.clae_person_id] = children.get(episode.clae_person_id, True) and ok
    row = day_value(truth, "CLA_REVIEW_TIMELY")
    assert (row["numerator"], row["denominator"]) == (str(sum(children.values())), str(len(children)))
