"""Children and their referrals: who is referred when, and what happens to each referral (its pathway).

A child's referrals form a chain: each new referral comes some time after the previous case closed, so a child never
has two open referrals, and re-referrals within a year arise the way they do in practice. Each referral follows one
pathway (no further action, assessment only, CIN plan, S47 enquiry, conference, CP plan, care), drawn with the
child's risk, and every date of the pathway is drawn in one vectorised pass per round of the chain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csc_synthetic import care
from csc_synthetic.calendar import (
    add_working_days,
    add_years,
    as_days,
    is_working_day,
    next_working_day_on_or_after,
)
from csc_synthetic.context import Context
from csc_synthetic.sampling import choose, days, integers, lognormal, weights

NAT = np.datetime64("NaT", "D")
PATHWAYS = ("nfa", "assess_close", "cin_plan", "s47_no_conference", "conference_no_plan", "cp_plan",
            "care_direct", "short_breaks")
SERIOUS = ("s47_no_conference", "conference_no_plan", "cp_plan", "care_direct")


def first_referral_dates(ctx: Context, rng: np.random.Generator) -> np.ndarray:
    """Dates of children's first referrals: population-driven, seasonal, mostly on working days."""
    p = ctx.p.referrals
    all_days = np.arange(ctx.sim_start, ctx.as_of + np.timedelta64(1, "D"), dtype="datetime64[D]")
    years = all_days.astype("datetime64[Y]").astype(np.int64) + 1970
    populations = np.array([ctx.population(int(y)) for y in range(years.min(), years.max() + 1)])[years - years.min()]
    month = all_days.astype("datetime64[M]").astype(np.int64) % 12
    factor = np.asarray(p.seasonality, dtype=float)[month]
    weekday = ((all_days.astype(np.int64) + 3) % 7)  # 0 = Monday
    factor = np.where(weekday >= 5, factor * float(p.weekend_factor), factor)
    holiday = (weekday < 5) & ~is_working_day(all_days)
    factor = np.where(holiday, factor * float(p.bank_holiday_factor), factor)
    expected = float(p.per_10000_per_year) * float(p.first_referral_share) / 10_000 * populations.sum() / 365.25
    n = rng.poisson(expected)
    w = populations * factor
    return np.sort(all_days[rng.choice(len(all_days), size=n, p=w / w.sum())])


def new_children(ctx: Context, rng: np.random.Generator, first_dates: np.ndarray) -> pd.DataFrame:
    """Children first known on the given dates, with an age drawn from the referral age profile."""
    p = ctx.p.children
    n = len(first_dates)
    ages, age_p = weights({str(i): w for i, w in enumerate(p.first_referral_age_weights)})
    age = ages[rng.choice(len(ages), size=n, p=age_p)].astype(np.int64)
    offset = ((age + rng.random(n)) * 365.25).astype(np.int64)
    dob = first_dates - days(np.maximum(offset, 1))
    return pd.DataFrame({
        "dob": dob,
        "sex": choose(rng, p.sex, n),
        "risk": rng.gamma(float(p.risk_gamma_shape), 1 / float(p.risk_gamma_shape), n),
        "first_date": first_dates,
    })


def simulate(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All children referred in the simulated years and all their referrals (cases), one row per referral."""
    rng = ctx.rng("casework")
    first = first_referral_dates(ctx, rng)
    children = new_children(ctx, rng, first)
    children["eighteenth"] = add_years(as_days(children["dob"]), 18)
    batch = pd.DataFrame({"child": np.arange(len(children)), "referral_date": first})
    prior_cp = np.zeros(len(children), dtype=bool)
    ended = np.zeros(len(children), dtype=bool)  # adopted, died or left care at 18: no further referrals
    rounds = []
    p = ctx.p.referrals
    for ordinal in range(int(p.max_referrals_per_child)):
        if batch.empty:
            break
        cases = pathways(ctx, rng, batch, children, prior_cp)
        cases["ordinal"] = ordinal
        rounds.append(cases)
        prior_cp[cases.loc[cases["cp_start"].notna(), "child"].to_numpy()] = True
        stop = cases["death_date"].notna() | cases["exit_kind"].isin(["adoption", "long"])
        ended[cases.loc[stop, "child"].to_numpy()] = True
        batch = next_referrals(ctx, rng, cases, children, ended)
    cases = pd.concat(rounds, ignore_index=True)
    cases = pd.concat([cases, short_break_cases(ctx, rng, children)], ignore_index=True)
    children = children.reindex(range(int(cases["child"].max()) + 1)) if len(cases) else children
    children = _complete_short_break_children(ctx, rng, children, cases)
    cases = cases.drop(columns=[c for c in ("dob_new",) if c in cases.columns])
    cases = cases.sort_values(["referral_date", "child", "duplicate"], kind="stable").reset_index(drop=True)
    return children, cases


def next_referrals(ctx: Context, rng: np.random.Generator, cases: pd.DataFrame, children: pd.DataFrame,
                   ended: np.ndarray) -> pd.DataFrame:
    """The next referral of each child whose case closed, if there is one before the child turns 18."""
    p = ctx.p.referrals
    cases = cases[~cases["duplicate"]]
    close = as_days(cases["close_date"])
    child = cases["child"].to_numpy()
    risk = children["risk"].to_numpy()[child]
    probability = np.minimum(0.85, float(p.rereferral_probability) * (0.5 + 0.5 * risk))
    go = (close <= ctx.as_of) & (rng.random(len(cases)) < probability) & ~ended[child]
    child, close = child[go], close[go]
    quick = rng.random(len(child)) < float(p.rereferral_within_year_share)
    gap = np.where(quick, 1 + rng.exponential(float(p.rereferral_quick_mean_days), len(child)),
                   365.25 * rng.uniform(*[float(x) for x in p.rereferral_late_years], len(child)))
    date = close + days(np.maximum(1, gap.astype(np.int64)))
    snap = rng.random(len(child)) < 0.88
    date = np.where(snap, next_working_day_on_or_after(date), date)
    keep = (date <= ctx.as_of) & (date < as_days(children["eighteenth"].to_numpy()[child]))
    return pd.DataFrame({"child": child[keep], "referral_date": date[keep]})


def pathways(ctx: Context, rng: np.random.Generator, batch: pd.DataFrame, children: pd.DataFrame,
             prior_cp: np.ndarray) -> pd.DataFrame:
    """Every date of each referral's pathway, drawn column by column."""
    p = ctx.p
    n = len(batch)
    child = batch["child"].to_numpy()
    ref = as_days(batch["referral_date"])
    dob = as_days(children["dob"].to_numpy()[child])
    eighteenth = as_days(children["eighteenth"].to_numpy()[child])
    risk = children["risk"].to_numpy()[child]
    age_days = (ref - dob).astype(np.int64)

    # --- which pathway ---------------------------------------------------------------------------------------
    names, base = weights({k: getattr(p.pathways, k) for k in PATHWAYS[1:7]})
    w = np.tile(base, (n, 1))
    serious = np.isin(names, SERIOUS)
    w[:, serious] *= risk[:, None]
    w[:, list(names).index("cp_plan")] *= np.where(prior_cp[child], 3.0, 1.0)
    care_factor = np.where(age_days < 365, 1.8, np.where(age_days > 13 * 365, 1.3, 0.8))
    w[:, list(names).index("care_direct")] *= care_factor
    # a child close to 18 is not taken into care or put on a plan that would outlast childhood
    near_adult = (eighteenth - ref).astype(np.int64) < 120
    w[np.ix_(near_adult, serious)] = 0
    w /= w.sum(axis=1, keepdims=True)
    pick = (rng.random(n)[:, None] > np.cumsum(w, axis=1)).sum(axis=1)
    pathway = names[np.minimum(pick, len(names) - 1)]
    nfa = rng.random(n) < float(p.referrals.nfa_share)
    pathway = np.where(nfa, "nfa", pathway).astype(object)

    out = pd.DataFrame({"child": child, "referral_date": ref, "pathway": pathway})
    for col in ("assessment_start", "assessment_auth", "s47_start", "s47_end", "icpc_date", "icpc_target",
                "cp_start", "cp_end", "cin_start", "cin_end", "cla_start", "cla_end", "close_date", "death_date"):
        out[col] = np.full(n, NAT)

    is_ = {name: pathway == name for name in PATHWAYS}
    assessed = ~is_["nfa"]

    # --- assessment -------------------------------------------------------------------------------------------
    a = p.assessments
    a_start = np.where(assessed, add_working_days(ref, integers(rng, a.start_wd, n)), NAT)
    duration = lognormal(rng, float(a.duration_median_wd), float(a.duration_sigma), n)
    backlog_from = ctx.as_of - np.timedelta64(int(a.backlog_months) * 30, "D")
    duration = np.where(a_start >= backlog_from, duration * float(a.backlog_factor), duration)
    duration = np.maximum(1, np.round(duration)).astype(np.int64)
    out["assessment_start"] = a_start
    out["assessment_auth"] = np.where(assessed, add_working_days(a_start, duration), NAT)

    # --- S47 and conference ----------------------------------------------------------------------------------
    s = p.s47
    conference = is_["conference_no_plan"] | is_["cp_plan"]
    transfer_in = is_["cp_plan"] & (rng.random(n) < float(s.transfer_in_conference_share))
    with_s47 = (is_["s47_no_conference"] | conference) & ~transfer_in
    s47_start = np.where(with_s47, add_working_days(ref, integers(rng, s.start_wd, n)), NAT)
    icpc_wd = np.maximum(1, np.round(lognormal(rng, float(s.conference_median_wd), float(s.conference_sigma), n)))
    icpc_wd = icpc_wd.astype(np.int64)
    icpc = np.where(conference & ~transfer_in, add_working_days(s47_start, icpc_wd), NAT)
    icpc = np.where(transfer_in, add_working_days(ref, integers(rng, (3, 10), n)), icpc)
    s47_end_wd = np.where(conference, np.maximum(1, icpc_wd - integers(rng, (0, 4), n)),
                          integers(rng, s.no_conference_duration_wd, n))
    out["s47_start"] = s47_start
    out["s47_end"] = np.where(with_s47, add_working_days(s47_start, s47_end_wd), NAT)
    out["icpc_date"] = icpc
    out["icpc_target"] = np.where(conference & ~transfer_in, add_working_days(s47_start, 15),
                                  np.where(transfer_in, icpc, NAT))
    out["transfer_in"] = transfer_in
    # a conference that was planned may still decide against a plan
    no_plan = is_["cp_plan"] & ~transfer_in & (rng.random(n) > float(s.cp_plan_after_conference))
    pathway = np.where(no_plan, "conference_no_plan", pathway).astype(object)
    is_["cp_plan"] &= ~no_plan
    is_["conference_no_plan"] |= no_plan
    out["pathway"] = pathway

    # --- CP plan ------------------------------------------------------------------------------------------------
    c = p.cp_plans
    cp_days = np.maximum(int(c.min_days), np.round(lognormal(rng, float(c.duration_median_days),
                                                             float(c.duration_sigma), n))).astype(np.int64)
    cp_start = np.where(is_["cp_plan"], icpc, NAT)
    cp_end = cp_start + days(cp_days)
    # a CP plan ends when the child turns 18 at the latest
    cp_end = np.where(cp_end > eighteenth, eighteenth, cp_end)
    after = choose(rng, c.after, n)
    after = np.where(is_["cp_plan"], after, "").astype(object)
    out["cp_start"], out["cp_end"] = cp_start, cp_end
    out["cp_after"] = after

    # --- CIN plan ----------------------------------------------------------------------------------------------
    cp = p.cin_plans
    s47_to_cin = is_["s47_no_conference"] & (rng.random(n) < 0.4)
    conf_to_cin = is_["conference_no_plan"] & (rng.random(n) < 0.7)
    cin_after_assessment = is_["cin_plan"] | s47_to_cin | conf_to_cin
    ready = np.maximum(out["assessment_auth"].to_numpy(), np.where(np.isnat(out["s47_end"].to_numpy()),
                                                                   out["assessment_auth"].to_numpy(),
                                                                   out["s47_end"].to_numpy()))
    ready = np.where(np.isnat(icpc), ready, np.maximum(ready, icpc))
    cin_start = np.where(cin_after_assessment, ready + days(integers(rng, cp.start_after_assessment_days, n)), NAT)
    cin_start = np.where(after == "cin_plan", cp_end, cin_start)
    cin_days = np.maximum(14, np.round(lognormal(rng, float(cp.duration_median_days), float(cp.duration_sigma), n)))
    cin_end = cin_start + days(cin_days.astype(np.int64))
    cin_end = np.where(cin_end > eighteenth, eighteenth, cin_end)
    cin_start = np.where(cin_start >= eighteenth, NAT, cin_start)
    cin_end = np.where(np.isnat(cin_start), NAT, cin_end)
    out["cin_start"], out["cin_end"] = cin_start, cin_end

    # --- care ------------------------------------------------------------------------------------------------
    cla_start = np.where(is_["care_direct"], ref + days(integers(rng, (0, 14), n)), NAT)
    cla_start = np.where(after == "care", cp_end, cla_start)
    cla_start = np.where(cla_start >= eighteenth, NAT, cla_start)
    has_care = ~np.isnat(cla_start)
    cla_end, exit_reason, exit_kind = care.period_outcomes(ctx, rng, cla_start, dob)
    out["cla_start"] = cla_start
    out["cla_end"] = np.where(has_care, cla_end, NAT)
    out["cla_exit_reason"] = np.where(has_care, exit_reason, "").astype(object)
    out["exit_kind"] = np.where(has_care, exit_kind, "").astype(object)

    # --- closure ----------------------------------------------------------------------------------------------
    close = np.full(n, NAT)
    reason = np.full(n, "RC7", dtype=object)
    close = np.where(is_["nfa"], ref + days(integers(rng, (0, 3), n)), close)
    early_help = rng.random(n) < float(p.pathways.early_help_share)
    quick_close = is_["assess_close"] | (is_["s47_no_conference"] & ~s47_to_cin) | (
        is_["conference_no_plan"] & ~conf_to_cin)
    close = np.where(quick_close, ready + days(integers(rng, (0, 10), n)), close)
    # RC8/RC9 ("closed after assessment") only where the assessment was all that happened (CIN rule 2990); a
    # case closed after an S47 or a conference closes as RC7
    reason = np.where(is_["assess_close"], np.where(early_help, "RC9", "RC8"), reason)
    close = np.where(~np.isnat(cin_end), cin_end + days(integers(rng, cp.close_after_days, n)), close)
    close = np.where(after == "close", cp_end + days(integers(rng, (0, 20), n)), close)
    close = np.where(has_care, cla_end, close)
    reason = np.where(has_care, care.closure_reason_for_exit(exit_reason), reason)
    # nothing of the case may outlast its closure
    for col in ("assessment_auth", "s47_end", "icpc_date", "cp_end", "cin_end"):
        v = out[col].to_numpy()
        close = np.where(~np.isnat(v) & (v > close), v, close)
    death = is_["assess_close"] & (rng.random(n) < float(p.pathways.death_share)) & (close <= ctx.as_of)
    out["death_date"] = np.where(death, close, NAT)
    reason = np.where(death, "RC2", reason)
    out["close_date"] = close
    out["close_reason"] = reason
    out["nfa"] = is_["nfa"]
    out["duplicate"] = False
    out["need"] = choose(rng, p.referrals.primary_need, n)
    out["source"] = choose(rng, p.referrals.source, n)

    duplicates = out[~is_["nfa"] & (rng.random(n) < float(p.referrals.same_day_duplicate_share))]
    duplicates = _same_day_duplicates(duplicates)
    return pd.concat([out, duplicates], ignore_index=True)


def _same_day_duplicates(originals: pd.DataFrame) -> pd.DataFrame:
    """A second referral record of the child on the same day, closed that day (counted once by every indicator)."""
    dup = originals[["child", "referral_date", "need", "source"]].copy()
    dup["pathway"] = "duplicate"
    for col in originals.columns:
        if col not in dup.columns:
            dup[col] = originals[col].iloc[:0].reindex(dup.index) if len(dup) else originals[col].iloc[:0]
    dup["close_date"] = dup["referral_date"]
    dup["close_reason"] = "RC7"
    dup["nfa"] = False
    dup["duplicate"] = True
    dup["transfer_in"] = False
    dup["cp_after"] = ""
    dup["cla_exit_reason"] = ""
    dup["exit_kind"] = ""
    return dup[originals.columns]


def short_break_cases(ctx: Context, rng: np.random.Generator, children: pd.DataFrame) -> pd.DataFrame:
    """Disabled children on a long CIN plan with a series of short breaks (each its own V3 period of care)."""
    p = ctx.p
    years = (ctx.as_of - ctx.sim_start).astype(np.int64) / 365.25
    expected = float(p.care.short_breaks_per_10000) * ctx.population(int(str(ctx.as_of)[:4])) / 10_000
    # children join at a steady rate so that about `expected` are on breaks at any time (they stay about 10 years,
    # from primary school age to 18)
    n = rng.poisson(expected * years / 10)
    if n == 0 or ctx.size.population_0_17 < int(p.care.short_breaks_min_population):
        return pd.DataFrame()
    ref = ctx.sim_start + days(rng.integers(0, max(1, int((ctx.as_of - ctx.sim_start).astype(np.int64))), n))
    ref = next_working_day_on_or_after(ref)
    age = rng.integers(4, 13, n)
    dob = ref - days(((age + rng.random(n)) * 365.25).astype(np.int64))
    first_index = len(children)
    out = pd.DataFrame({"child": np.arange(first_index, first_index + n), "referral_date": ref,
                        "pathway": "short_breaks", "dob_new": dob})
    for col in ("s47_start", "s47_end", "icpc_date", "icpc_target", "cp_start", "cp_end", "cla_start", "cla_end",
                "death_date"):
        out[col] = np.full(n, NAT)
    a_start = add_working_days(ref, integers(rng, (0, 2), n))
    out["assessment_start"] = a_start
    out["assessment_auth"] = add_working_days(a_start, integers(rng, (10, 40), n))
    out["cin_start"] = as_days(out["assessment_auth"]) + days(integers(rng, (0, 10), n))
    eighteenth = add_years(dob, 18)
    out["cin_end"] = eighteenth
    out["close_date"] = eighteenth
    out["close_reason"] = "RC6"
    out["transfer_in"] = False
    out["cp_after"] = ""
    out["cla_exit_reason"] = ""
    out["exit_kind"] = ""
    out["nfa"] = False
    out["duplicate"] = False
    out["need"] = "N2"
    out["source"] = choose(rng, {"3F": 0.5, "5B": 0.3, "2B": 0.2}, n)
    out["ordinal"] = 0
    return out


def _complete_short_break_children(ctx: Context, rng: np.random.Generator, children: pd.DataFrame,
                                   cases: pd.DataFrame) -> pd.DataFrame:
    sb = cases[cases["pathway"] == "short_breaks"]
    if sb.empty:
        return children.assign(short_breaks=False)
    idx = sb["child"].to_numpy()
    children.loc[idx, "dob"] = sb["dob_new"].to_numpy()
    children.loc[idx, "sex"] = choose(rng, ctx.p.children.sex, len(idx))
    children.loc[idx, "risk"] = 1.0
    children.loc[idx, "first_date"] = sb["referral_date"].to_numpy()
    children.loc[idx, "eighteenth"] = add_years(as_days(sb["dob_new"]), 18)
    children["short_breaks"] = False
    children.loc[idx, "short_breaks"] = True
    return children
