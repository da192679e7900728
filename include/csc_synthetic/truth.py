"""Ground truth of one extract: every indicator of INDICATORS.md for every period, and the practice exceptions.

Computed with pandas/numpy from the extract's records exactly as written (faults included), never from the
simulation's own knowledge, so that it checks the dbt models independently. Each indicator follows the Conventions
of INDICATORS.md; where a definition needed interpretation the function says so ("Interpretation:") and
docs/INDICATOR_RULES.md records the same decision for the dbt models.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

import numpy as np
import pandas as pd

from csc_synthetic.calendar import add_months, add_working_days, as_days, completed_years, financial_year_start
from csc_synthetic.calendar import working_days_between as wd
from csc_synthetic.full_ssd import simulated_contract

DAY = np.timedelta64(1, "D")
ALLOCATED_ROLE = "ALLOCATED CASE WORKER"
CASE_HOLDING_ROLES = ("4", "5")
CASELOAD_THRESHOLD = 20
# the records that make a case open (Conventions): (table, person, start, end) of referrals, CP plans and
# looked-after episodes
CASE_RECORDS = (("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "cine_close_date"),
                ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
                ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date"))
QUANTUM = Decimal("0.0001")
SHIFT = 10_000_000          # person code * SHIFT + day number: one sortable key per (child, date)
EPOCH_OFFSET = 1_000_000     # keeps day numbers of dates before 1970 positive

# id -> (kind, unit); kind: flow | stock | rolling (flow over the 12 months to the period end)
CATALOGUE = {
    "REF_RATE": ("flow", "rate"),
    "REREF_12M": ("flow", "percent"),
    "REF_NFA": ("flow", "percent"),
    "ASMT_45WD": ("flow", "percent"),
    "ASMT_OVERDUE": ("stock", "count"),
    "S47_RATE": ("flow", "rate"),
    "ICPC_15WD": ("flow", "percent"),
    "CPP_RATE": ("stock", "rate"),
    "CPP_REPEAT_EVER": ("flow", "percent"),
    "CPP_REPEAT_2Y": ("flow", "percent"),
    "CPP_2YR_ENDED": ("flow", "percent"),
    "CPP_REVIEW_TIMELY": ("stock", "percent"),
    "CPP_VISIT_10WD": ("stock", "percent"),
    "CLA_RATE": ("stock", "rate"),
    "CLA_3PLUS_PLACEMENTS": ("stock", "percent"),
    "CLA_LONG_TERM_STABILITY": ("stock", "percent"),
    "CLA_REVIEW_TIMELY": ("stock", "percent"),
    "CLA_VISIT_TIMELY": ("stock", "percent"),
    "CIN_RATE": ("stock", "rate"),
    "UNALLOCATED": ("stock", "count"),
    "UNALLOCATED_CP": ("stock", "count"),
    "UNALLOCATED_DAYS_MEDIAN": ("stock", "median"),
    "CASELOAD_AVG": ("stock", "ratio"),
    "CASELOAD_OVER_THRESHOLD": ("stock", "percent"),
    "WF_VACANCY_RATE": ("stock", "percent"),
    "WF_AGENCY_RATE": ("stock", "percent"),
    "WF_TURNOVER": ("rolling", "percent"),
    "WF_NQSW_SHARE": ("stock", "percent"),
    "DQ_PASS_RATE": ("stock", "percent"),
}
INDICATOR_COLUMNS = ["la_code", "indicator_id", "period_type", "period_start", "period_end", "numerator",
                     "denominator", "value"]
EXCEPTION_COLUMNS = ["exception_type", "table", "primary_key", "detail"]


# ---------------------------------------------------------------------------------------------------------------
# Periods
@dataclass(frozen=True)
class Periods:
    """Months, quarters and financial years inside the history window that end on or before the extract date."""

    kind: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def covering(cls, window_start: np.datetime64, night: np.datetime64) -> Periods:
        kinds, starts, ends = [], [], []
        months = np.arange(window_start.astype("datetime64[M]"), night.astype("datetime64[M]") + 1)
        for m in months:
            start = m.astype("datetime64[D]")
            end = (m + 1).astype("datetime64[D]") - DAY
            if start >= window_start and end <= night:
                kinds.append("month")
                starts.append(start)
                ends.append(end)
            month_number = int(m.astype(np.int64) % 12) + 1
            if month_number in (4, 7, 10, 1):
                q_end = (m + 3).astype("datetime64[D]") - DAY
                if start >= window_start and q_end <= night:
                    kinds.append("quarter")
                    starts.append(start)
                    ends.append(q_end)
            if month_number == 4:
                y_end = (m + 12).astype("datetime64[D]") - DAY
                if start >= window_start and y_end <= night:
                    kinds.append("financial_year")
                    starts.append(start)
                    ends.append(y_end)
        order = np.lexsort((np.array(starts, dtype="datetime64[D]"),
                            np.array([{"month": 0, "quarter": 1, "financial_year": 2}[k] for k in kinds])))
        return cls(np.array(kinds, dtype=object)[order], np.array(starts, dtype="datetime64[D]")[order],
                   np.array(ends, dtype="datetime64[D]")[order])

    def with_day(self, night: np.datetime64) -> Periods:
        return Periods(np.append(self.kind, "day"), np.append(self.start, night), np.append(self.end, night))


def flow_counts(event_dates: np.ndarray, periods: Periods) -> np.ndarray:
    """Events whose date lies in each period, both ends inclusive (blank dates never count)."""
    d = np.sort(as_days(event_dates)[~np.isnat(as_days(event_dates))])
    return np.searchsorted(d, periods.end, side="right") - np.searchsorted(d, periods.start, side="left")


def open_on(start: np.ndarray, end: np.ndarray, on: np.datetime64) -> np.ndarray:
    """Conventions: open on D when start <= D and (end is blank or end > D); a blank start is never open."""
    start, end = as_days(start), as_days(end)
    return (start <= on) & (np.isnat(end) | (end > on))


# ---------------------------------------------------------------------------------------------------------------
class Records:
    """The extract's tables as the indicators read them: dates as dates, codes trimmed, flags upper-case, and
    person and worker ids as integer codes (the same code for the same id text in every table)."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.t = tables
        self._columns: dict[tuple, np.ndarray] = {}
        self._by_date: dict[tuple, object] = {}

    def col(self, table: str, column: str) -> np.ndarray:
        key = (table, column)
        if key not in self._columns:
            values = self.t[table][column]
            if pd.api.types.is_datetime64_any_dtype(values):
                self._columns[key] = as_days(values.to_numpy())
            else:
                self._columns[key] = values.fillna("").astype(str).str.strip().to_numpy(dtype=object)
        return self._columns[key]

    def upper(self, table: str, column: str) -> np.ndarray:
        key = (table, column, "upper")
        if key not in self._columns:
            self._columns[key] = pd.Series(self.col(table, column)).str.upper().to_numpy(dtype=object)
        return self._columns[key]

    @cached_property
    def _people(self) -> pd.Index:
        values: set[str] = set()
        for table in simulated_contract():
            for column in table.columns:
                if column.identifies == "person":
                    values.update(self.col(table.name, column.name))
        values.discard("")
        return pd.Index(sorted(values))

    @cached_property
    def _workers(self) -> pd.Index:
        values = set(self.col("hr_workers", "worker_id")) | set(self.col("ssd_involvements", "invo_professional_id"))
        values.discard("")
        return pd.Index(sorted(values))

    def pcol(self, table: str, column: str) -> np.ndarray:
        """Person ids as codes; -1 for a blank id."""
        key = (table, column, "person")
        if key not in self._columns:
            self._columns[key] = self._people.get_indexer(self.col(table, column))
        return self._columns[key]

    def wcol(self, table: str, column: str) -> np.ndarray:
        key = (table, column, "worker")
        if key not in self._columns:
            self._columns[key] = self._workers.get_indexer(self.col(table, column))
        return self._columns[key]

    def on_date(self, name: str, d: np.datetime64, compute: Callable[[], object]):
        """Memoise a per-date result: several indicators read the same stock on the same day."""
        key = (name, d)
        if key not in self._by_date:
            self._by_date[key] = compute()
        return self._by_date[key]

    @cached_property
    def dob(self) -> np.ndarray:
        """Date of birth per person code (NaT if the person has no row or no date; the first row of a duplicated
        id)."""
        out = np.full(len(self._people), np.datetime64("NaT"), dtype="datetime64[D]")
        codes = self.pcol("ssd_person", "pers_person_id")
        dates = self.col("ssd_person", "pers_dob")
        first = ~pd.Series(codes).duplicated(keep="first").to_numpy() & (codes >= 0)
        out[codes[first]] = dates[first]
        return out

    @cached_property
    def hr(self) -> pd.DataFrame:
        t = "hr_workers"
        fte = pd.Series(self.col(t, "fte")).map(_decimal_or_zero)
        return pd.DataFrame({
            "worker": self.wcol(t, "worker_id"), "team": self.col(t, "team_id"),
            "start": self.col(t, "role_start_date"), "end": self.col(t, "role_end_date"),
            "role": self.col(t, "org_role"), "agency": self.upper(t, "agency_worker") == "Y",
            "fte": fte.to_numpy(dtype=object), "qualified": self.col(t, "qualification_date"),
        })

    def hr_in_post(self, on: np.datetime64) -> pd.DataFrame:
        """Conventions: in post on D when role_start_date <= D and role_end_date is blank or >= D."""
        hr = self.hr
        start, end = as_days(hr["start"]), as_days(hr["end"])
        return self.on_date("hr", on, lambda: hr[(start <= on) & (np.isnat(end) | (end >= on))])

    @cached_property
    def allocations(self) -> pd.DataFrame:
        """Involvements whose role is ALLOCATED CASE WORKER (case-insensitive, trimmed)."""
        t = "ssd_involvements"
        inv = pd.DataFrame({"person": self.pcol(t, "invo_person_id"), "worker": self.wcol(t, "invo_professional_id"),
                            "start": self.col(t, "invo_involvement_start_date"),
                            "end": self.col(t, "invo_involvement_end_date"),
                            "role": self.upper(t, "invo_professional_role_id")})
        return inv[(inv["role"] == ALLOCATED_ROLE) & (inv["person"] >= 0)].reset_index(drop=True)

    @cached_property
    def _allocation_arrays(self) -> tuple[np.ndarray, ...]:
        a = self.allocations
        end = as_days(a["end"])
        return (a["person"].to_numpy(), a["worker"].to_numpy(), as_days(a["start"]),
                np.where(np.isnat(end), np.datetime64("9999-12-31"), end))

    def allocated_on(self, on: np.datetime64) -> pd.DataFrame:
        """(person, worker) pairs allocated on D: allocation open on D to a worker in post on D in a case-holding
        role (org_role 4 or 5). Interpretation: the worker may have any HR row meeting that (ids are unique in a
        sound extract)."""
        def compute():
            person, worker, start, end = self._allocation_arrays
            is_open = (start <= on) & (end > on)
            holders = self.hr_in_post(on)
            holding = np.zeros(len(self._workers) + 1, dtype=bool)
            codes = holders.loc[holders["role"].isin(CASE_HOLDING_ROLES), "worker"].to_numpy()
            holding[codes[codes >= 0]] = True
            w = worker[is_open]
            keep = holding[w]  # a worker code of -1 (blank id) reads the spare last slot, which stays False
            return pd.DataFrame({"person": person[is_open][keep], "worker": w[keep]})

        return self.on_date("allocated", on, compute)

    def open_children(self, table: str, person: str, start: str, end: str, on: np.datetime64) -> np.ndarray:
        def compute():
            p = self.pcol(table, person)
            mask = open_on(self.col(table, start), self.col(table, end), on) & (p >= 0)
            return np.unique(p[mask])

        return self.on_date(table, on, compute)

    def cin_open(self, on) -> np.ndarray:
        return self.open_children("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "cine_close_date", on)

    def cp_open(self, on) -> np.ndarray:
        return self.open_children("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date",
                                  "cppl_cp_plan_end_date", on)

    @cached_property
    def cla_episodes(self) -> pd.DataFrame:
        t = "ssd_cla_episodes"
        return pd.DataFrame({"person": self.pcol(t, "clae_person_id"), "id": self.col(t, "clae_cla_episode_id"),
                             "cla_id": self.col(t, "clae_cla_id"),
                             "start": self.col(t, "clae_cla_episode_start_date"),
                             "end": self.col(t, "clae_cla_episode_ceased_date")})

    def cla_open_episodes(self, on) -> pd.DataFrame:
        ep = self.cla_episodes
        return self.on_date("cla_episodes", on,
                            lambda: ep[open_on(ep["start"], ep["end"], on) & (ep["person"] >= 0)])

    def looked_after(self, on) -> np.ndarray:
        """Children looked after on D: an open CLA episode, unless every legal status open on D is a short break
        (V3 or V4). Interpretation: a child with no legal status open on D counts as looked after."""
        def compute():
            children = np.unique(self.cla_open_episodes(on)["person"].to_numpy())
            t = "ssd_legal_status"
            person = self.pcol(t, "lega_person_id")
            is_open = open_on(self.col(t, "lega_legal_status_start_date"),
                              self.col(t, "lega_legal_status_end_date"), on) & (person >= 0)
            if not is_open.any():
                return children
            short_break = np.isin(self.upper(t, "lega_legal_status"), ["V3", "V4"])
            size = len(self._people)
            open_count = np.bincount(person[is_open], minlength=size)
            break_count = np.bincount(person[is_open & short_break], minlength=size)
            only_breaks = (open_count > 0) & (open_count == break_count)
            return children[~only_breaks[children]]

        return self.on_date("looked_after", on, compute)

    @cached_property
    def period_of_care_start(self) -> pd.Series:
        """Start of each period of care: the earliest episode start of the CLA id."""
        t = "ssd_cla_episodes"
        ep = pd.DataFrame({"cla_id": self.col(t, "clae_cla_id"), "start": self.col(t, "clae_cla_episode_start_date")})
        return ep[ep["cla_id"] != ""].groupby("cla_id")["start"].min()

    def latest_on_or_before(self, table: str, person: str, date: str, on: np.datetime64, children: np.ndarray,
                            only: tuple[str, str] | None = None) -> np.ndarray:
        """Per child (code): the latest date of the table's rows on or before D (NaT if none); ``only`` keeps the
        rows whose (column) is (value), upper-cased."""
        key = (table, person, date, "latest", only)
        if key not in self._columns:
            p, d = self.pcol(table, person), self.col(table, date)
            keep = (p >= 0) & ~np.isnat(d)
            if only is not None:
                keep &= self.upper(table, only[0]) == only[1]
            combined = p[keep].astype(np.int64) * SHIFT + (d[keep].astype(np.int64) + EPOCH_OFFSET)
            self._columns[key] = np.sort(combined)
        combined = self._columns[key]
        target = children.astype(np.int64) * SHIFT + (np.int64(on.astype(np.int64)) + EPOCH_OFFSET)
        idx = np.searchsorted(combined, target, side="right") - 1
        found = (idx >= 0) & (combined[np.maximum(idx, 0)] // SHIFT == children)
        out = np.full(len(children), np.datetime64("NaT"), dtype="datetime64[D]")
        out[found] = (combined[idx[found]] % SHIFT - EPOCH_OFFSET).astype("datetime64[D]")
        return out


def _decimal_or_zero(text: str) -> Decimal:
    """Interpretation: an FTE that is blank or not a number counts as 0."""
    try:
        value = Decimal(str(text).strip())
    except ArithmeticError:
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Value:
    numerator: object      # int | Decimal | None
    denominator: object    # int | Decimal | None


class IndicatorTruth:
    """All indicators for one extract. ``population(year)`` is the LA's 0-17 mid-year estimate."""

    def __init__(self, tables: dict[str, pd.DataFrame], night: np.datetime64, window_start: np.datetime64,
                 population: Callable[[int], int], faulty_keys: set[tuple[str, str]], table_keys: dict[str, list]):
        self.r = Records(tables)
        self.night = night
        self.periods = Periods.covering(window_start, night)
        self.population = population
        self.faulty_keys = faulty_keys
        self.table_keys = table_keys
        # stock dates: every period end (months' ends include quarters' and years') and the extract date
        self.stock_dates = np.unique(np.append(self.periods.end, night))

    # --- output ---------------------------------------------------------------------------------------------
    def rows(self, la_code: str) -> pd.DataFrame:
        out = []
        all_periods = self.periods.with_day(self.night)
        for indicator, (kind, unit) in CATALOGUE.items():
            values = self.compute(indicator)
            for i in range(len(all_periods.kind)):
                period_kind = all_periods.kind[i]
                if period_kind == "day" and kind != "stock":
                    continue
                key = (all_periods.start[i], all_periods.end[i])
                if key not in values:
                    continue
                value = values[key]
                out.append({"la_code": la_code, "indicator_id": indicator, "period_type": period_kind,
                            "period_start": str(all_periods.start[i]), "period_end": str(all_periods.end[i]),
                            **_formatted(value, unit)})
        return pd.DataFrame(out, columns=INDICATOR_COLUMNS)

    def compute(self, indicator: str) -> dict[tuple, Value]:
        kind, unit = CATALOGUE[indicator]
        method = getattr(self, indicator.lower())
        if kind in ("flow", "rolling"):
            return method()
        per_date = method()
        out = {}
        all_periods = self.periods.with_day(self.night)
        for start, end in zip(all_periods.start, all_periods.end, strict=True):
            if end in per_date:
                out[(start, end)] = per_date[end]
        return out

    def _flow(self, numerator: np.ndarray, denominator: np.ndarray) -> dict[tuple, Value]:
        return {(s, e): Value(int(n), int(d))
                for s, e, n, d in zip(self.periods.start, self.periods.end, numerator, denominator, strict=True)}

    def _rate_denominator(self, period_end: np.datetime64) -> Decimal:
        """Population rule: the mid-year estimate of the year the financial year containing the period end starts."""
        year = int(financial_year_start(np.array([period_end]))[0])
        return Decimal(self.population(year)) / Decimal(10_000)

    def _rate_flow(self, counts: np.ndarray) -> dict[tuple, Value]:
        return {(s, e): Value(int(n), self._rate_denominator(e))
                for s, e, n in zip(self.periods.start, self.periods.end, counts, strict=True)}

    def _stock(self, per_date: Callable[[np.datetime64], Value]) -> dict[np.datetime64, Value]:
        return {d: per_date(d) for d in self.stock_dates}

    # --- referrals ---------------------------------------------------------------------------------------------
    @cached_property
    def referrals(self) -> pd.DataFrame:
        """One row per child and referral date: duplicated referrals of a child on the same day count once.
        Interpretation: such a referral ends in NFA when any of its records has the NFA flag Y."""
        t = "ssd_cin_episodes"
        frame = pd.DataFrame({"person": self.r.col(t, "cine_person_id"), "date": self.r.col(t, "cine_referral_date"),
                              "nfa": self.r.upper(t, "cine_referral_nfa") == "Y"})
        frame = frame[(frame["person"] != "") & frame["date"].notna()]
        unit = frame.groupby(["person", "date"], as_index=False)["nfa"].any().sort_values(["person", "date"])
        previous = unit.groupby("person")["date"].shift(1)
        within = add_months(as_days(previous.to_numpy()), 12)
        unit["rereferral"] = previous.notna().to_numpy() & (as_days(unit["date"]) <= within)
        return unit

    def ref_rate(self):
        return self._rate_flow(flow_counts(self.referrals["date"], self.periods))

    def reref_12m(self):
        ref = self.referrals
        return self._flow(flow_counts(ref.loc[ref["rereferral"], "date"], self.periods),
                          flow_counts(ref["date"], self.periods))

    def ref_nfa(self):
        ref = self.referrals
        return self._flow(flow_counts(ref.loc[ref["nfa"], "date"], self.periods),
                          flow_counts(ref["date"], self.periods))

    # --- assessments ------------------------------------------------------------------------------------------
    def asmt_45wd(self):
        """Interpretation: an assessment without a start date is left out (its duration is unknown); one authorised
        before its start has duration 0 (no working day lies between), so it is within 45."""
        t = "ssd_cin_assessments"
        start, auth = self.r.col(t, "cina_assessment_start_date"), self.r.col(t, "cina_assessment_auth_date")
        known = ~np.isnat(start)
        within = known & (wd(np.where(known, start, auth), auth) <= 45)
        return self._flow(flow_counts(auth[within & ~np.isnat(auth)], self.periods),
                          flow_counts(auth[known], self.periods))

    def asmt_overdue(self):
        t = "ssd_cin_assessments"
        start, auth = self.r.col(t, "cina_assessment_start_date"), self.r.col(t, "cina_assessment_auth_date")

        def on(d):
            is_open = open_on(start, auth, d)
            return Value(int((is_open & (wd(np.where(is_open, start, d), d) > 45)).sum()), None)

        return self._stock(on)

    def s47_rate(self):
        return self._rate_flow(flow_counts(self.r.col("ssd_s47_enquiry", "s47e_s47_start_date"), self.periods))

    def icpc_15wd(self):
        """ICPCs held in the period with a linked S47 (an S47 id found in the extract with a start date); those
        dated before the S47 started are left out of both."""
        t = "ssd_initial_cp_conference"
        s47 = pd.Series(self.r.col("ssd_s47_enquiry", "s47e_s47_start_date"),
                        index=self.r.col("ssd_s47_enquiry", "s47e_s47_enquiry_id"))
        s47 = s47[~s47.index.duplicated(keep="first") & (s47.index != "")]
        held = self.r.col(t, "icpc_icpc_date")
        s47_start = as_days(s47.reindex(self.r.col(t, "icpc_s47_enquiry_id")).to_numpy())
        linked = ~np.isnat(s47_start) & ~np.isnat(held) & (held >= s47_start)
        within = linked & (wd(np.where(linked, s47_start, held), held) <= 15)
        return self._flow(flow_counts(held[within], self.periods), flow_counts(held[linked], self.periods))

    # --- child protection -------------------------------------------------------------------------------------
    @cached_property
    def cp_plans(self) -> pd.DataFrame:
        t = "ssd_cp_plans"
        plans = pd.DataFrame({"id": self.r.col(t, "cppl_cp_plan_id"), "person": self.r.pcol(t, "cppl_person_id"),
                              "start": self.r.col(t, "cppl_cp_plan_start_date"),
                              "end": self.r.col(t, "cppl_cp_plan_end_date")})
        return plans[(plans["person"] >= 0) & plans["start"].notna()].reset_index(drop=True)

    def cpp_rate(self):
        return self._stock(lambda d: Value(len(self.r.cp_open(d)), self._rate_denominator(d)))

    def _repeat_plans(self, within_two_years: bool):
        """For each child starting a CP plan in the period: the first start in the period; the child counts if an
        earlier plan started before it (and, for 2Y, ended on or after the date 2 years before that start;
        Interpretation: an earlier plan still open, with no end, counts as within 2 years)."""
        plans = self.cp_plans
        start = as_days(plans["start"])
        numerators, denominators = [], []
        for p_start, p_end in zip(self.periods.start, self.periods.end, strict=True):
            in_period = plans[(start >= p_start) & (start <= p_end)]
            first = in_period.groupby("person")["start"].min()
            earlier = plans[plans["person"].isin(first.index)].merge(first.rename("first"), left_on="person",
                                                                     right_index=True)
            earlier = earlier[as_days(earlier["start"]) < as_days(earlier["first"])]
            if within_two_years:
                end = as_days(earlier["end"])
                earlier = earlier[np.isnat(end) | (end >= add_months(as_days(earlier["first"]), -24))]
            numerators.append(earlier["person"].nunique())
            denominators.append(len(first))
        return self._flow(np.array(numerators), np.array(denominators))

    def cpp_repeat_ever(self):
        return self._repeat_plans(False)

    def cpp_repeat_2y(self):
        return self._repeat_plans(True)

    def cpp_2yr_ended(self):
        t = "ssd_cp_plans"
        start, end = self.r.col(t, "cppl_cp_plan_start_date"), self.r.col(t, "cppl_cp_plan_end_date")
        two_years = ~np.isnat(start) & ~np.isnat(end) & (end >= add_months(start, 24))
        return self._flow(flow_counts(end[two_years], self.periods), flow_counts(end, self.periods))

    @cached_property
    def cp_review_breach(self) -> pd.Series:
        """Per CP plan: the first day on which its reviews stop being on time (first review within 3 months of the
        start, then at most 6 months apart; a review not held by its deadline is late from the next day).
        Reviews dated before the plan start are ignored."""
        plans = self.cp_plans.drop_duplicates("id")
        t = "ssd_cp_reviews"
        rv = pd.DataFrame({"id": self.r.col(t, "cppr_cp_plan_id"), "date": self.r.col(t, "cppr_cp_review_date")})
        rv = rv.merge(plans[["id", "start"]], on="id")
        rv = rv[rv["date"].notna() & (as_days(rv["date"]) >= as_days(rv["start"]))]
        return _review_breach(plans.set_index("id")["start"], rv, first_deadline=lambda s: add_months(s, 3),
                              second_months=6)

    def cpp_review_timely(self):
        """Children on a CP plan on D whose plan has been open 3 months or more (start + 3 months <= D); on time
        when every such open plan of the child is still on time on D."""
        plans = self.cp_plans
        breach = as_days(self.cp_review_breach.reindex(plans["id"]).to_numpy())

        def on(d):
            is_open = open_on(plans["start"], plans["end"], d) & (add_months(as_days(plans["start"]), 3) <= d)
            rows = plans[is_open].assign(ok=breach[is_open] > d)
            per_child = rows.groupby("person")["ok"].all()
            return Value(int(per_child.sum()), len(per_child))

        return self._stock(on)

    def cpp_visit_10wd(self):
        """Children on a CP plan on D seen (visit with child seen = Y) within the last 10 working days: counting from
        the latest such visit on or before D, or from the plan start when later (Interpretation: the earliest start
        of the child's plans open on D), the working-day duration to D is at most 10."""
        return self._stock(lambda d: Value(int(self.cp_seen_on_time(d).sum()), len(self.cp_seen_on_time(d))))

    def cp_seen_on_time(self, d) -> pd.Series:
        """Per child on a CP plan on D: seen within the last 10 working days (see cpp_visit_10wd)."""
        def compute():
            plans = self.cp_plans
            open_plans = plans[open_on(plans["start"], plans["end"], d)]
            since = open_plans.groupby("person")["start"].min()
            children = since.index.to_numpy()
            seen = self.r.latest_on_or_before("ssd_cp_visits", "cppv_person_id", "cppv_cp_visit_date", d, children,
                                              only=("cppv_cp_visit_seen", "Y"))
            start = as_days(since.to_numpy())
            ref = np.where(np.isnat(seen) | (start > seen), start, seen)
            return pd.Series(wd(ref, d) <= 10, index=children)

        return self.r.on_date("cp_seen", d, compute)

    # --- children looked after ---------------------------------------------------------------------------------
    def cla_rate(self):
        return self._stock(lambda d: Value(len(self.r.looked_after(d)), self._rate_denominator(d)))

    @cached_property
    def placements(self) -> pd.DataFrame:
        t = "ssd_cla_placement"
        pl = pd.DataFrame({"person": self.r.pcol(t, "clap_person_id"),
                           "start": self.r.col(t, "clap_cla_placement_start_date"),
                           "end": self.r.col(t, "clap_cla_placement_end_date")})
        return pl[(pl["person"] >= 0) & pl["start"].notna()]

    def cla_3plus_placements(self):
        """Placements of the child (by clap_person_id) that started on or before D and had not ended by the date 12
        months before D (end blank or end > D - 12 months) number 3 or more."""
        pl = self.placements

        def on(d):
            children = self.r.looked_after(d)
            end = as_days(pl["end"])
            counted = pl[(as_days(pl["start"]) <= d) & (np.isnat(end) | (end > add_months(np.array([d]), -12)[0]))]
            n = counted.groupby("person").size().reindex(children).fillna(0)
            return Value(int((n >= 3).sum()), len(children))

        return self._stock(on)

    def _care_start_on(self, d) -> pd.Series:
        """Per looked-after child on D: start of the period of care (earliest start of the CLA ids of the child's
        open episodes)."""
        ep = self.r.cla_open_episodes(d)
        start = self.r.period_of_care_start.reindex(ep["cla_id"]).to_numpy()
        ep = ep.assign(period_start=np.where(ep["cla_id"] == "", ep["start"], start))
        return ep.groupby("person")["period_start"].min()

    def cla_long_term_stability(self):
        """CLA under 16 on D (age from ssd_person; a child with no date of birth is left out), looked after since
        the period of care started at least 2.5 years before (start + 30 months <= D); in the same placement: a
        placement of the child open on D that started at least 2 years before (start + 24 months <= D)."""
        pl = self.placements

        def on(d):
            children = self.r.looked_after(d)
            since = self._care_start_on(d).reindex(children)
            dob = self.r.dob[children]
            known = ~np.isnat(dob)
            under_16 = np.zeros(len(children), dtype=bool)
            under_16[known] = completed_years(dob[known], d) < 16
            long_enough = add_months(as_days(since.to_numpy()), 30) <= d
            cohort = children[under_16 & long_enough]
            stable = pl[open_on(pl["start"], pl["end"], d) & (add_months(as_days(pl["start"]), 24) <= d)]
            return Value(int(np.isin(cohort, stable["person"].unique()).sum()), len(cohort))

        return self._stock(on)

    @cached_property
    def cla_review_breach(self) -> pd.Series:
        """Per period of care: first day its reviews stop being on time (first within 20 working days of the start,
        second within 3 months of the first, then at most 6 months apart). Cancelled reviews and reviews dated
        before the period started are ignored."""
        t = "ssd_cla_reviews"
        starts = self.r.period_of_care_start
        rv = pd.DataFrame({"id": self.r.col(t, "clar_cla_id"), "date": self.r.col(t, "clar_cla_review_date"),
                           "cancelled": self.r.upper(t, "clar_cla_review_cancelled") == "Y"})
        rv = rv[~rv["cancelled"] & rv["date"].notna()].merge(starts.rename("start"), left_on="id", right_index=True)
        rv = rv[as_days(rv["date"]) >= as_days(rv["start"])]
        return _review_breach(starts, rv, first_deadline=lambda s: add_working_days(s, 21) - DAY,
                              second_months=3)

    def cla_review_timely(self):
        breach = self.cla_review_breach

        def on(d):
            children = self.r.looked_after(d)
            ep = self.r.cla_open_episodes(d)
            ep = ep[ep["person"].isin(children)]
            ok = as_days(breach.reindex(ep["cla_id"]).to_numpy()) > d
            per_child = ep.assign(ok=ok).groupby("person")["ok"].all().reindex(children).fillna(False)
            return Value(int(per_child.sum()), len(children))

        return self._stock(on)

    def cla_visit_timely(self):
        """CLA on D visited within 6 weeks: D minus the later of the latest visit on or before D (by clav_person_id,
        any visit record) and the start of the period of care is at most 42 days."""
        return self._stock(lambda d: Value(int(self.cla_visited_on_time(d).sum()), len(self.cla_visited_on_time(d))))

    def cla_visited_on_time(self, d) -> pd.Series:
        """Per looked-after child on D: visited within 42 days (see cla_visit_timely)."""
        def compute():
            children = self.r.looked_after(d)
            since = as_days(self._care_start_on(d).reindex(children).to_numpy())
            seen = self.r.latest_on_or_before("ssd_cla_visits", "clav_person_id", "clav_cla_visit_date", d, children)
            ref = np.where(np.isnat(seen) | (since > seen), since, seen)
            return pd.Series((d - ref).astype(np.int64) <= 42, index=children)

        return self.r.on_date("cla_visited", d, compute)

    def cin_rate(self):
        return self._stock(lambda d: Value(len(self.r.cin_open(d)), self._rate_denominator(d)))

    # --- allocation and caseloads ---------------------------------------------------------------------------------
    def _unallocated(self, d) -> tuple[np.ndarray, set]:
        def compute():
            open_case = np.union1d(np.union1d(self.r.cin_open(d), self.r.cp_open(d)),
                                   self.r.cla_open_episodes(d)["person"].to_numpy())
            return np.setdiff1d(open_case, self.r.allocated_on(d)["person"].to_numpy()), open_case

        return self.r.on_date("unallocated", d, compute)

    def unallocated(self):
        return self._stock(lambda d: Value(len(self._unallocated(d)[0]), None))

    def unallocated_cp(self):
        def on(d):
            unallocated, _ = self._unallocated(d)
            return Value(int(np.isin(unallocated, self.r.cp_open(d)).sum()), None)

        return self._stock(on)

    @cached_property
    def _valid_allocation_spells(self) -> pd.DataFrame:
        """Per allocation: the days it was a real allocation: [max(start, role start), min(end, role end + 1))
        for a case-holding worker; empty otherwise."""
        alloc = self.r.allocations
        hr = self.r.hr[self.r.hr["role"].isin(CASE_HOLDING_ROLES)]
        spells = alloc.merge(hr[["worker", "start", "end"]].rename(columns={"start": "role_start", "end": "role_end"}),
                             on="worker")
        s = np.maximum(as_days(spells["start"]), as_days(spells["role_start"]))
        end = as_days(spells["end"])
        role_end = as_days(spells["role_end"]) + DAY
        e = np.where(np.isnat(end), role_end, np.where(np.isnat(role_end), end, np.minimum(end, role_end)))
        spells = pd.DataFrame({"person": spells["person"].to_numpy(), "valid_start": s, "valid_end": e})
        return spells[~np.isnat(spells["valid_start"]) & ~np.isnat(spells["valid_end"])
                      & (spells["valid_end"] > spells["valid_start"])]

    def unallocated_days_median(self):
        """Median over unallocated children of D minus the later of (a) the start of the case: the earliest start
        among the child's referral, CP plan and CLA episode open on D, and (b) the day the child's last real
        allocation ended (see _valid_allocation_spells), if on or before D. Even count: mean of the two middle
        values. No unallocated child: blank."""
        spells = self._valid_allocation_spells
        starts = []
        for table, person, start, end in CASE_RECORDS:
            starts.append(pd.DataFrame({"person": self.r.pcol(table, person), "start": self.r.col(table, start),
                                        "end": self.r.col(table, end)}))
        case_records = pd.concat(starts, ignore_index=True)

        def on(d):
            unallocated, _ = self._unallocated(d)
            if len(unallocated) == 0:
                return Value(None, None)
            open_rec = case_records[open_on(case_records["start"], case_records["end"], d)]
            opened = as_days(open_rec.groupby("person")["start"].min().reindex(unallocated).to_numpy())
            ended = spells[as_days(spells["valid_end"]) <= d].groupby("person")["valid_end"].max()
            ended = as_days(ended.reindex(unallocated).to_numpy())
            since = np.where(np.isnat(ended) | (opened > ended), opened, ended)
            waited = np.sort((d - since).astype(np.int64))
            n = len(waited)
            if n % 2:
                median = Decimal(int(waited[n // 2]))
            else:
                median = (Decimal(int(waited[n // 2 - 1])) + Decimal(int(waited[n // 2]))) / 2
            return Value(median, None)

        return self._stock(on)

    def caseload_avg(self):
        """Children allocated on D (any child with a real allocation, care leavers included) per case-holder FTE
        in post on D."""
        def on(d):
            children = self.r.allocated_on(d)["person"].nunique()
            holders = self.r.hr_in_post(d)
            holders = holders[holders["role"].isin(CASE_HOLDING_ROLES)]
            return Value(children, sum(holders["fte"], Decimal(0)))

        return self._stock(on)

    def caseload_over_threshold(self):
        def on(d):
            holders = self.r.hr_in_post(d)
            holders = set(holders.loc[holders["role"].isin(CASE_HOLDING_ROLES), "worker"])
            per_worker = self.r.allocated_on(d).groupby("worker")["person"].nunique()
            return Value(int((per_worker.reindex(sorted(holders)).fillna(0) > CASELOAD_THRESHOLD).sum()), len(holders))

        return self._stock(on)

    # --- workforce ---------------------------------------------------------------------------------------------
    def wf_vacancy_rate(self):
        """Per team with an establishment row effective on or before D: the latest funded FTE minus the LA-employed
        FTE in post in that team, not below 0; summed. Denominator: that vacant FTE + all LA-employed FTE in post.
        Interpretation: where two rows share a team and date, the first in the file is used."""
        t = "hr_establishment"
        est = pd.DataFrame({"team": self.r.col(t, "team_id"), "from": self.r.col(t, "effective_from"),
                            "fte": pd.Series(self.r.col(t, "funded_sw_fte")).map(_decimal_or_zero)})
        est = est[est["from"].notna()]

        def on(d):
            current = est[as_days(est["from"]) <= d]
            newest = current.groupby("team")["from"].max()
            latest = current.merge(newest.rename("latest"), left_on="team", right_index=True)
            latest = latest[latest["from"] == latest["latest"]].drop_duplicates("team", keep="first")
            staff = self.r.hr_in_post(d)
            la_staff = staff[~staff["agency"]]
            la_by_team = la_staff.groupby("team")["fte"].apply(lambda s: sum(s, Decimal(0)))
            vacant = Decimal(0)
            for team, funded_fte in zip(latest["team"], latest["fte"], strict=True):
                vacant += max(funded_fte - la_by_team.get(team, Decimal(0)), Decimal(0))
            return Value(vacant, vacant + sum(la_staff["fte"], Decimal(0)))

        return self._stock(on)

    def wf_agency_rate(self):
        def on(d):
            staff = self.r.hr_in_post(d)
            agency = sum(staff.loc[staff["agency"], "fte"], Decimal(0))
            return Value(agency, sum(staff["fte"], Decimal(0)))

        return self._stock(on)

    def wf_turnover(self):
        """LA-employed FTE whose last day in post (role_end_date) is in (D - 12 months, D], over LA-employed FTE
        in post on D; D is the period end."""
        hr = self.r.hr[~self.r.hr["agency"]]
        end = as_days(hr["end"])
        out = {}
        for s, d in zip(self.periods.start, self.periods.end, strict=True):
            left = hr[~np.isnat(end) & (end > add_months(np.array([d]), -12)[0]) & (end <= d)]
            staying = self.r.hr_in_post(d)
            staying = staying[~staying["agency"]]
            out[(s, d)] = Value(sum(left["fte"], Decimal(0)), sum(staying["fte"], Decimal(0)))
        return out

    def wf_nqsw_share(self):
        """Workers in post on D (headcount) qualified less than 2 years: D - 24 months < qualification_date <= D."""
        def on(d):
            staff = self.r.hr_in_post(d)
            q = as_days(staff["qualified"])
            newly = ~np.isnat(q) & (q > add_months(np.array([d]), -24)[0]) & (q <= d)
            return Value(int(newly.sum()), len(staff))

        return self._stock(on)

    def dq_pass_rate(self):
        """Interpretation: one extract only says which records fail today, so the indicator exists as at the
        extract date (a day row, and the month/quarter/year rows that end on it): data rows of every file whose
        (table, primary key) is not in faults.csv, over all data rows."""
        total = 0
        passing = 0
        for table, keys in self.table_keys.items():
            total += len(keys)
            passing += sum(1 for k in keys if (table, k) not in self.faulty_keys)
        return {self.night: Value(passing, total)}


def _review_breach(starts: pd.Series, reviews: pd.DataFrame, first_deadline, second_months: int) -> pd.Series:
    """First late day per id: the day after a deadline passed without a review. Deadlines run from the previous
    review (whatever its own timeliness): the first from the start, the second ``second_months`` after the first
    review, later ones 6 months after the previous review."""
    rv = reviews.sort_values(["id", "date"], kind="stable")
    ids = rv["id"].to_numpy()
    dates = as_days(rv["date"])
    previous = rv.groupby("id")["date"].shift(1)
    ordinal = rv.groupby("id").cumcount().to_numpy()
    start = as_days(starts.reindex(ids).to_numpy())
    deadline = np.where(ordinal == 0, first_deadline(start),
                        np.where(ordinal == 1, add_months(as_days(previous.to_numpy()), second_months),
                                 add_months(as_days(previous.to_numpy()), 6)))
    late_from = deadline + DAY
    candidates = [pd.Series(np.where(dates >= late_from, late_from, np.datetime64("NaT")), index=ids)]
    last = rv.groupby("id").agg(last=("date", "max"), n=("date", "size"))
    pending = np.where(last["n"].to_numpy() == 1, add_months(as_days(last["last"]), second_months),
                       add_months(as_days(last["last"]), 6)) + DAY
    candidates.append(pd.Series(pending, index=last.index))
    never = starts.index.difference(last.index)
    candidates.append(pd.Series(first_deadline(as_days(starts.reindex(never).to_numpy())) + DAY, index=never))
    breach = pd.concat(candidates).dropna()
    return breach.groupby(level=0).min()


# ---------------------------------------------------------------------------------------------------------------
def _formatted(value: Value, unit: str) -> dict[str, str]:
    num, den = value.numerator, value.denominator
    if unit in ("count", "median"):
        return {"numerator": _exact(num), "denominator": "", "value": _text(_round(num))}
    if num is None or den is None or Decimal(den) == 0:
        return {"numerator": _exact(num), "denominator": _exact(den), "value": ""}
    result = Decimal(num) / Decimal(den)
    if unit == "percent":
        result *= 100
    return {"numerator": _exact(num), "denominator": _exact(den), "value": _text(_round(result))}


def _round(value) -> Decimal | None:
    """Interfaces: 4 decimal places, half away from zero."""
    if value is None:
        return None
    return Decimal(value).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def _exact(value) -> str:
    """A numerator or denominator: integer, or exact decimal without trailing zeros (664.1, 0.9538)."""
    if isinstance(value, Decimal):
        value = value.normalize()
    return _text(value)


def _text(value) -> str:
    """Decimal text without an exponent (rounded values keep their 4 places)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.as_tuple().exponent >= 0:
            return str(int(value))
        return format(value, "f")
    return str(value)


# ---------------------------------------------------------------------------------------------------------------
# The truth as a source system carries the LA's records
CARRIED_COLUMNS = ["table", "primary_key", "effect"]


def carried_failures(world: dict[str, pd.DataFrame], carried: dict[str, pd.DataFrame],
                     no_child: dict[str, np.ndarray], night: np.datetime64,
                     table_keys: dict[str, list]) -> pd.DataFrame:
    """The records that fail a warning rule only because of how a system carries them (``systems.carried``: the
    world's tables ``world`` and the same as the system carries them, ``carried``), one row per record and effect:

    - ``no_child``: the system's link reaches no child (``no_child``: per table, the rows; STR_DERIVED_LINK);
    - ``outside_case``: an allocated-worker involvement the system links to another referral than the world does
      (the world records none, or one a fault gave to someone else), whose dates it overlaps but does not lie
      within: it starts before the referral, or stays open
      after a referral closed on or before the extract date (a referral whose dates are in order; ALLOC_OUTSIDE_CASE);
    - ``unallocated``: a child with an open case on the extract date (an open referral, CP plan or looked-after
      episode, or a care leaver in ``ssd_care_leavers`` not died and still requiring services) whose only open
      allocated-worker involvements with a worker reach no child as carried: its ``ssd_person`` record, or its open
      case records when the child is not in ``ssd_person`` (ALLOC_OPEN_CASE_UNALLOCATED).

    Read with the Conventions' "open on D": start <= D and (end blank or end > D)."""
    rows: list[tuple[str, str, str]] = []
    for table, mask in no_child.items():
        rows.extend((table, key, "no_child") for key in np.asarray(table_keys[table], dtype=object)[mask])
    t = "ssd_involvements"
    inv, as_carried = Records(world), Records(carried)
    allocated = inv.upper(t, "invo_professional_role_id") == ALLOCATED_ROLE
    start, end = inv.col(t, "invo_involvement_start_date"), inv.col(t, "invo_involvement_end_date")
    link = as_carried.col(t, "invo_referral_id")
    filled = (inv.col(t, "invo_referral_id") != link) & (link != "") & allocated
    if filled.any():
        r = "ssd_cin_episodes"
        referrals = pd.DataFrame({"link": inv.col(r, "cine_referral_id"), "opened": inv.col(r, "cine_referral_date"),
                                  "closed": inv.col(r, "cine_close_date")})
        rows_filled = pd.DataFrame({"row": np.flatnonzero(filled),
                                    "link": link[filled],
                                    "start": start[filled], "end": end[filled]})
        pairs = rows_filled.merge(referrals, on="link")
        opened, closed = as_days(pairs["opened"]), as_days(pairs["closed"])
        row_end = np.where(np.isnat(as_days(pairs["end"])), np.datetime64("9999-12-31"), as_days(pairs["end"]))
        in_order = np.isnat(closed) | (closed >= opened)
        outside = in_order & ((as_days(pairs["start"]) < opened) | ((closed <= night) & (row_end > closed)))
        keys = np.asarray(table_keys[t], dtype=object)
        rows.extend((t, key, "outside_case") for key in keys[np.unique(pairs.loc[outside, "row"].to_numpy())])
    is_open = open_on(start, end, night) & allocated & (inv.col(t, "invo_professional_id") != "")
    before = set(inv.col(t, "invo_person_id")[is_open]) - {""}
    after = set(as_carried.col(t, "invo_person_id")[is_open]) - {""}
    lost = before - after
    if lost:
        cases = []
        for table, person, opened, closed in CASE_RECORDS:
            mask = open_on(inv.col(table, opened), inv.col(table, closed), night)
            cases.append(pd.DataFrame({"person": inv.col(table, person)[mask], "table": table,
                                       "key": np.asarray(table_keys[table], dtype=object)[mask]}))
        c = "ssd_care_leavers"
        in_scope = ~pd.Series(inv.upper(c, "clea_care_leaver_in_touch")).isin(["DIED", "NREQ"]).to_numpy()
        cases.append(pd.DataFrame({"person": inv.col(c, "clea_person_id")[in_scope], "table": c,
                                   "key": np.asarray(table_keys[c], dtype=object)[in_scope]}))
        open_cases = pd.concat(cases, ignore_index=True)
        open_cases = open_cases[open_cases["person"].isin(lost)]
        people = set(inv.col("ssd_person", "pers_person_id"))
        person_keys = dict(zip(inv.col("ssd_person", "pers_person_id"), table_keys["ssd_person"], strict=True))
        for person in sorted(set(open_cases["person"])):
            if person in people:
                rows.append(("ssd_person", person_keys[person], "unallocated"))
            else:
                own = open_cases[open_cases["person"] == person]
                rows.extend((table, key, "unallocated") for table, key in zip(own["table"], own["key"], strict=True))
    return pd.DataFrame(rows, columns=CARRIED_COLUMNS).drop_duplicates().reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------------
# Practice exceptions (DATA_QUALITY.md family 6): not faults, they happen in any real service.
def exceptions(truth: IndicatorTruth) -> pd.DataFrame:
    r, night = truth.r, truth.night
    rows: list[dict] = []
    t = "ssd_cin_assessments"
    start, auth = r.col(t, "cina_assessment_start_date"), r.col(t, "cina_assessment_auth_date")
    is_open = open_on(start, auth, night)
    waited = wd(np.where(is_open, start, night), night)
    late = is_open & (waited > 45)
    for key, s, n in zip(r.col(t, "cina_assessment_id")[late], start[late], waited[late], strict=True):
        rows.append({"exception_type": "assessment_overdue", "table": t, "primary_key": key,
                     "detail": f"open since {s}: {n} working days (more than 45)"})

    t = "ssd_s47_enquiry"
    conferenced = r.col("ssd_initial_cp_conference", "icpc_s47_enquiry_id")
    start, end = r.col(t, "s47e_s47_start_date"), r.col(t, "s47e_s47_end_date")
    s47_ids = r.col(t, "s47e_s47_enquiry_id")
    known = ~np.isnat(start) & (start <= night)
    waited = wd(np.where(known, start, night), night)
    late = known & (waited > 15) & ~pd.Series(s47_ids).isin(set(conferenced)).to_numpy()
    outcome = r.col(t, "s47e_s47_outcome_json")
    for i in np.flatnonzero(late):
        if np.isnat(end[i]) or _json_flag(outcome[i], "CP_CONFERENCE_FLAG") == "Y":
            rows.append({"exception_type": "s47_without_conference", "table": t, "primary_key": s47_ids[i],
                         "detail": f"S47 started {start[i]}: {waited[i]} working days, no initial conference"})

    plans = truth.cp_plans
    open_plans = plans[open_on(plans["start"], plans["end"], night)]
    t = "ssd_cp_reviews"
    rv = pd.DataFrame({"id": r.col(t, "cppr_cp_plan_id"), "date": r.col(t, "cppr_cp_review_date")})
    rv = rv[rv["date"].notna() & (as_days(rv["date"]) <= night)]
    last = rv.merge(open_plans[["id", "start"]], on="id")
    last = last[as_days(last["date"]) >= as_days(last["start"])].groupby("id")["date"].max()
    last_review = as_days(last.reindex(open_plans["id"]).to_numpy())
    due = np.where(np.isnat(last_review), add_months(as_days(open_plans["start"]), 3), add_months(last_review, 6))
    for key, d in zip(open_plans["id"].to_numpy()[night > due], due[night > due], strict=True):
        rows.append({"exception_type": "cp_review_overdue", "table": "ssd_cp_plans", "primary_key": key,
                     "detail": f"review was due by {d}"})

    seen = truth.cp_seen_on_time(night)
    not_seen = ~open_plans["person"].map(seen).fillna(True).to_numpy(dtype=bool)
    for key in open_plans["id"].to_numpy()[not_seen]:
        rows.append({"exception_type": "cp_visit_overdue", "table": "ssd_cp_plans", "primary_key": key,
                     "detail": "child not seen within the last 10 working days"})

    children = r.looked_after(night)
    episodes = r.cla_open_episodes(night)
    episodes = episodes[np.isin(episodes["person"].to_numpy(), children)]
    t = "ssd_cla_reviews"
    rv = pd.DataFrame({"id": r.col(t, "clar_cla_id"), "date": r.col(t, "clar_cla_review_date"),
                       "cancelled": r.upper(t, "clar_cla_review_cancelled") == "Y"})
    starts = r.period_of_care_start
    rv = rv[~rv["cancelled"] & rv["date"].notna() & (as_days(rv["date"]) <= night)]
    rv = rv.merge(starts.rename("start"), left_on="id", right_index=True)
    rv = rv[as_days(rv["date"]) >= as_days(rv["start"])]
    held = rv.groupby("id")["date"].agg(["max", "size"])
    period_start = as_days(starts.reindex(episodes["cla_id"]).to_numpy())
    last_review = as_days(held["max"].reindex(episodes["cla_id"]).to_numpy())
    count = held["size"].reindex(episodes["cla_id"]).fillna(0).to_numpy()
    due_late_from = np.where(count == 0, add_working_days(period_start, 21),
                             np.where(count == 1, add_months(last_review, 3) + DAY, add_months(last_review, 6) + DAY))
    for key in episodes["id"].to_numpy()[night >= due_late_from]:
        rows.append({"exception_type": "cla_review_overdue", "table": "ssd_cla_episodes", "primary_key": key,
                     "detail": "next review of the period of care is overdue"})

    visited = truth.cla_visited_on_time(night)
    not_visited = ~episodes["person"].map(visited).fillna(True).to_numpy(dtype=bool)
    for key in episodes["id"].to_numpy()[not_visited]:
        rows.append({"exception_type": "cla_visit_overdue", "table": "ssd_cla_episodes", "primary_key": key,
                     "detail": "child not visited within 6 weeks (42 days)"})
    frame = pd.DataFrame(rows, columns=EXCEPTION_COLUMNS)
    return frame.sort_values(["exception_type", "table", "primary_key"], kind="stable").reset_index(drop=True)


def _json_flag(text: str, key: str) -> str:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return ""
    return str(value.get(key, "")).strip().upper() if isinstance(value, dict) else ""
