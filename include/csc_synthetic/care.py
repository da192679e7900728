"""Periods of care: how long a child is looked after, where they live (placements), under which legal status, the
episodes those changes make, reviews, visits, missing episodes, short breaks and care leavers.

Placement codes follow the year they were valid in (code_lists.csv): H5 and P2 only for placements that start and
end before April 2024, K3 only from April 2024 and only for young people aged 16 or more.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csc_synthetic import ids, postcodes
from csc_synthetic.calendar import add_months, add_working_days, add_years, as_days, completed_years
from csc_synthetic.context import Context
from csc_synthetic.sampling import choose, days, integers, intervals_with_lateness, lognormal, recurring

NAT = np.datetime64("NaT", "D")
CODE_YEAR_2024 = np.datetime64("2024-04-01")
KINDS = np.array(["short", "adoption", "sgo", "long"], dtype=object)
CLOSURE_FOR_EXIT = {"E11": "RC1", "E12": "RC1", "E2": "RC2", "E41": "RC3", "E45": "RC4", "E46": "RC4",
                    "E47": "RC4", "E48": "RC4", "E3": "RC5", "E7": "RC6"}


def period_outcomes(ctx: Context, rng: np.random.Generator, start: np.ndarray, dob: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """End, reason ceased and kind (short, adoption, sgo, long) of each period of care starting on ``start``."""
    c = ctx.p.care
    n = len(start)
    known = ~np.isnat(start)
    age = np.where(known, completed_years(dob, np.where(known, start, dob)), 0)
    kind = np.full(n, "short", dtype=object)
    u = rng.random(n)
    for band in c.outcome_by_age:
        lo, hi, *shares = band
        in_band = (age >= lo) & (age <= hi)
        cum = np.cumsum(np.array(shares, dtype=float) / sum(shares))
        kind = np.where(in_band, KINDS[np.minimum((u[:, None] > cum).sum(axis=1), 3)], kind)
    eighteenth = add_years(dob, 18)
    length = np.round(lognormal(rng, float(c.short_median_days), float(c.short_sigma), n)).astype(np.int64)
    length = np.where(kind == "adoption", integers(rng, c.adoption_days, n), length)
    length = np.where(kind == "sgo", integers(rng, c.sgo_days, n), length)
    end = np.where(known, start + days(np.maximum(1, length)), NAT)
    end = np.where(kind == "long", eighteenth, end)
    reaches_18 = known & (end >= eighteenth)
    end = np.where(reaches_18, eighteenth, end)
    kind = np.where(reaches_18, "long", kind)
    reason = choose(rng, c.short_exit, n)
    reason = np.where(kind == "adoption", np.where(rng.random(n) < 0.7, "E11", "E12"), reason)
    reason = np.where(kind == "sgo", choose(rng, {"E45": 0.35, "E46": 0.1, "E47": 0.4, "E48": 0.15}, n), reason)
    reason = np.where(kind == "long", choose(rng, c.long_exit, n), reason)
    return end, reason.astype(object), kind


def closure_reason_for_exit(exit_reason: np.ndarray) -> np.ndarray:
    return np.array([CLOSURE_FOR_EXIT.get(r, "RC7") for r in exit_reason], dtype=object)


# ---------------------------------------------------------------------------------------------------------------
def placements(ctx: Context, rng: np.random.Generator, periods: pd.DataFrame) -> pd.DataFrame:
    """Placements of each period of care: moves early on, fewer later, a move at 16 and into an adoptive home."""
    c = ctx.p.care
    n = len(periods)
    start = as_days(periods["start"])
    end = as_days(periods["end"])
    dob = as_days(periods["dob"])
    length = (end - start).astype(np.int64)
    owner, offset, kind_of_move = [], [], []

    early_span = np.minimum(length, 365)
    k = rng.poisson(float(c.early_moves_per_year) * early_span / 365)
    idx = np.repeat(np.arange(n), k)
    owner.append(idx)
    offset.append((rng.random(idx.size) * early_span[idx]).astype(np.int64))
    kind_of_move.append(np.full(idx.size, "move", dtype=object))

    late_span = np.maximum(0, length - 365)
    k = rng.poisson(float(c.later_moves_per_year) * late_span / 365)
    idx = np.repeat(np.arange(n), k)
    owner.append(idx)
    offset.append(365 + (rng.random(idx.size) * late_span[idx]).astype(np.int64))
    kind_of_move.append(np.full(idx.size, "move", dtype=object))

    sixteenth = add_years(dob, 16)
    at_16 = ((periods["kind"] == "long").to_numpy() & (sixteenth > start) & (sixteenth < end)
             & (rng.random(n) < float(c.move_to_semi_independent_at_16)))
    idx = np.flatnonzero(at_16)
    owner.append(idx)
    offset.append((sixteenth[idx] - start[idx]).astype(np.int64) + integers(rng, (0, 120), idx.size))
    kind_of_move.append(np.full(idx.size, "sixteen", dtype=object))

    adoption = (periods["kind"] == "adoption").to_numpy()
    idx = np.flatnonzero(adoption)
    before = integers(rng, c.adoption_placement_days_before_exit, idx.size)
    owner.append(idx)
    offset.append(np.maximum(length[idx] - before, 30))
    kind_of_move.append(np.full(idx.size, "adoption", dtype=object))

    moves = pd.DataFrame({"period": np.concatenate(owner), "offset": np.concatenate(offset),
                          "move": np.concatenate(kind_of_move)})
    moves = moves[(moves["offset"] > 0) & (moves["offset"] < length[moves["period"].to_numpy()])]
    moves = moves.sort_values(["period", "offset", "move"]).drop_duplicates(["period", "offset"], keep="last")
    first = pd.DataFrame({"period": np.arange(n), "offset": 0, "move": "first"})
    rows = pd.concat([first, moves], ignore_index=True).sort_values(["period", "offset"], kind="stable")
    rows = rows.reset_index(drop=True)
    # once placed for adoption, a child is not moved again before the order
    rows = rows[~_after_adoption(rows)]
    p_idx = rows["period"].to_numpy()
    rows["start"] = start[p_idx] + days(rows["offset"].to_numpy())
    rows = _spans(rows, end, dob)
    rows["type"] = _placement_types(rng, rows)
    rows = _temporary_returns(rng, rows, end, dob)
    reason = choose(rng, {"CARPL": 0.38, "CREQB": 0.15, "CREQO": 0.08, "STAND": 0.05, "ALLEG": 0.02,
                          "CHILD": 0.06, "LAREQ": 0.08, "CLOSE": 0.03, "PLACE": 0.05, "OTHER": 0.1}, len(rows))
    # the reason a placement ended is the reason of the move that follows it; a temporary placement (T0-T4) and
    # the placement it interrupts have none (the child is away for a few days, then returns)
    following = rows.groupby("period")["move"].shift(-1).fillna("")
    reason = np.where(following.isin(["adoption", "sixteen"]), "CARPL", reason)
    temporary = rows["type"].isin(TEMPORARY).to_numpy()
    before_temporary = rows.groupby("period")["type"].shift(-1).isin(TEMPORARY).to_numpy()
    rows["change_reason"] = np.where(rows["last"] | temporary | before_temporary, "", reason)
    rows["distance"] = np.round(rng.exponential(11.0, len(rows)) + 0.3, 1)
    return rows.drop(columns=["offset"]).reset_index(drop=True)


TEMPORARY = ["T0", "T1", "T2", "T3", "T4"]
# placement types that need the Ofsted URN of the provider (DfE SSDA903 rules 218 and 222): all but these
NO_URN = {"P1", "P3", "R1", "R2", "R5", "T0", "T1", "T2", "T3", "T4", "Z11", "Z12", "Z13", "Z14"}


def _spans(rows: pd.DataFrame, end: np.ndarray, dob: np.ndarray) -> pd.DataFrame:
    """End (the next placement's start, else the period's end), last-of-period flag and age at start."""
    rows = rows.sort_values(["period", "start"], kind="stable").reset_index(drop=True)
    p_idx = rows["period"].to_numpy()
    next_start = rows.groupby("period")["start"].shift(-1)
    rows["end"] = np.where(next_start.isna(), end[p_idx], as_days(next_start.to_numpy()))
    rows["last"] = next_start.isna().to_numpy()
    rows["age"] = completed_years(dob[p_idx], as_days(rows["start"]))
    return rows


def _temporary_returns(rng: np.random.Generator, rows: pd.DataFrame, end: np.ndarray, dob: np.ndarray
                       ) -> pd.DataFrame:
    """A temporary placement (T4) lasts 1-7 days; then the child returns to the placement it interrupted (the same
    carer, type and address: ``returns_to`` names that placement's row)."""
    rows = rows.copy()
    rows["returns_to"] = -1
    home = pd.Series(np.where(rows["type"].isin(TEMPORARY), np.nan, np.arange(len(rows), dtype=float)))
    home = home.groupby(rows["period"].to_numpy()).ffill().shift(1)
    same_period = rows["period"].shift(1) == rows["period"]
    temporary = rows["type"].isin(TEMPORARY).to_numpy() & same_period.to_numpy() & home.notna().to_numpy()
    away = integers(rng, (1, 7), len(rows))
    back = as_days(rows["start"]) + days(away)
    fits = back < as_days(rows["end"])
    # a temporary placement too short to return from and followed by a move is an ordinary placement
    ordinary = temporary & ~fits & ~rows["last"].to_numpy()
    rows["type"] = np.where(ordinary, np.where(rows["age"].to_numpy() >= 12, "K2", "U6"), rows["type"])
    idx = np.flatnonzero(temporary & fits)
    if idx.size == 0:
        return rows
    returns = pd.DataFrame({"period": rows["period"].to_numpy()[idx], "offset": 0, "move": "return",
                            "start": back[idx], "home_row": home.to_numpy()[idx].astype(np.int64)})
    rows["home_row"] = np.arange(len(rows))
    merged = pd.concat([rows.drop(columns=["returns_to"]), returns], ignore_index=True)
    merged = _spans(merged, end, dob)
    is_return = (merged["move"] == "return").to_numpy()
    position = pd.Series(np.arange(len(merged)), index=merged["home_row"].where(~is_return, -1).to_numpy())
    position = position[position.index >= 0]
    returns_to = np.full(len(merged), -1, dtype=np.int64)
    returns_to[is_return] = position.reindex(merged["home_row"].to_numpy()[is_return]).to_numpy()
    merged["returns_to"] = returns_to
    merged["type"] = np.where(is_return, merged["type"].to_numpy()[np.maximum(returns_to, 0)], merged["type"])
    return merged.drop(columns=["home_row"])


def fit_to_legal_status(ctx: Context, rng: np.random.Generator, rows: pd.DataFrame, legal: pd.DataFrame
                        ) -> pd.DataFrame:
    """Placement types as the legal status allows them, then provider, Ofsted URN and address of each placement.

    No child accommodated under section 20 (V2) is placed with parents (P1); a placement for adoption with the
    current foster carers (A5) starts with the placement order (the carers do not change, the legal basis does); a
    temporary placement (T4) is a placement move alone, never the start of a period or of a legal status."""
    rows = rows.reset_index(drop=True).copy()
    starts = set(zip(legal["period"].to_numpy().tolist(), as_days(legal["start"]).astype(str).tolist(), strict=True))
    key = list(zip(rows["period"].to_numpy().tolist(), as_days(rows["start"]).astype(str).tolist(), strict=True))
    with_legal_change = np.array([k in starts for k in key], dtype=bool)
    types = rows["type"].to_numpy(dtype=object).copy()
    types = np.where((types == "A5") & ~with_legal_change, "A6", types)
    types = np.where(np.isin(types, TEMPORARY) & with_legal_change, "U6", types)
    v2 = legal[legal["status"] == "V2"][["period", "start", "end"]]
    spans = rows[["period", "start", "end"]].assign(row=np.arange(len(rows)))
    overlap = spans.merge(v2, on="period", suffixes=("", "_ls"))
    overlap = overlap[(as_days(overlap["start_ls"]) < as_days(overlap["end"]))
                      & (as_days(overlap["end_ls"]) > as_days(overlap["start"]))]
    under_s20 = np.zeros(len(rows), dtype=bool)
    under_s20[overlap["row"].to_numpy()] = True
    types = np.where((types == "P1") & under_s20, "U6", types)
    returns_to = rows["returns_to"].to_numpy()
    is_return = returns_to >= 0
    home_type = types[np.maximum(returns_to, 0)]
    back_home = is_return & ~((home_type == "P1") & under_s20) & ~np.isin(home_type, TEMPORARY)
    types = np.where(back_home, home_type, types)
    returns_to = np.where(back_home, returns_to, -1)
    rows["type"] = types.astype(object)
    rows["returns_to"] = returns_to
    rows["provider"] = _providers(rng, types)
    own = rows["provider"].to_numpy() == "PR1"
    # the LA's own fostering service and adoption agency have one URN each; other providers their own
    service = np.where(np.char.startswith(types.astype(str), "A"), "02", "01")
    own_urn = np.char.add(f"SC8{ctx.la.code}", service)
    urn = np.where(own & (np.char.startswith(types.astype(str), "U") | np.isin(types, ["A5", "A6"])), own_urn,
                   ids.padded("SC9", rng.integers(0, 100_000, len(rows)), 5))
    rows["urn"] = np.where(np.isin(types, list(NO_URN)), "", urn).astype(object)
    # own provision and supported accommodation (K3) are in the LA's area; others mostly
    inside = own | (types == "K3") | (rng.random(len(rows)) < float(ctx.p.care.placed_inside_share))
    rows["postcode"] = postcodes.placement_postcodes(rng, ctx.la, inside)
    # a return is to the same carer at the same address
    back = np.flatnonzero(returns_to >= 0)
    for column in ("provider", "urn", "postcode", "distance"):
        values = rows[column].to_numpy().copy()
        values[back] = values[returns_to[back]]
        rows[column] = values
    return rows.drop(columns=["returns_to"])


def _after_adoption(rows: pd.DataFrame) -> pd.Series:
    is_adoption = (rows["move"] == "adoption").astype(int)
    seen = is_adoption.groupby(rows["period"]).cumsum() - is_adoption
    return seen > 0


def _placement_types(rng: np.random.Generator, rows: pd.DataFrame) -> np.ndarray:
    n = len(rows)
    age = rows["age"].to_numpy()
    start = as_days(rows["start"])
    end = as_days(rows["end"])
    young = choose(rng, {"U6": 0.45, "U4": 0.2, "U3": 0.12, "U1": 0.06, "P1": 0.05, "K2": 0.02, "R1": 0.01,
                         "U5": 0.02, "U2": 0.01, "S1": 0.005, "Z1": 0.005, "T4": 0.01}, n)
    teen = choose(rng, {"U6": 0.35, "U4": 0.2, "K2": 0.22, "U3": 0.08, "U1": 0.04, "P1": 0.04, "K1": 0.01,
                        "S1": 0.02, "R5": 0.01, "Z1": 0.01, "T4": 0.02}, n)
    types = np.where(age >= 12, teen, young)
    sixteen_plus = age >= 16
    new_code_year = start >= CODE_YEAR_2024
    old_code_year = end < CODE_YEAR_2024
    semi = np.where(new_code_year, "K3", np.where(old_code_year, np.where(rng.random(n) < 0.85, "H5", "P2"), "K2"))
    move = rows["move"].to_numpy()
    to_semi = sixteen_plus & ((move == "sixteen") | (rng.random(n) < 0.25))
    types = np.where(to_semi, semi, types)
    types = np.where(move == "adoption", np.where(rng.random(n) < 0.4, "A5", "A6"), types)
    # a period of care never starts in a temporary placement (T0-T4)
    types = np.where((move == "first") & np.isin(types, TEMPORARY), np.where(age >= 12, "K2", "U6"), types)
    # no temporary (T4) or K1 placement as the first one of an infant
    types = np.where((age < 1) & ~np.isin(types, ["A5", "A6"]), np.where(rng.random(n) < 0.7, "U6", "U3"), types)
    return types.astype(object)


def _providers(rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    n = len(types)
    foster = choose(rng, {"PR1": 0.65, "PR4": 0.33, "PR5": 0.02}, n)
    home = choose(rng, {"PR4": 0.75, "PR1": 0.2, "PR5": 0.05}, n)
    out = np.where(np.char.startswith(types.astype(str), "U"), foster, home)
    out = np.where(np.isin(types, ["P1"]), "PR0", out)
    out = np.where(np.isin(types, ["A5", "A6"]), np.where(rng.random(n) < 0.7, "PR1", "PR2"), out)
    out = np.where(np.isin(types, ["R1", "R5"]), "PR3", out)
    out = np.where(np.isin(types, ["T4"]), "PR1", out)
    return out.astype(object)


# ---------------------------------------------------------------------------------------------------------------
def legal_statuses(ctx: Context, rng: np.random.Generator, periods: pd.DataFrame,
                   placement_rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Legal status spells of each period: emergency protection first, interim then full care orders, placement
    orders before adoption; accommodation under section 20 for many older children.

    With ``placement_rows`` (of the same periods), a child placed for adoption (A5, A6) is placed under a placement
    order (E1): made on the day of the placement when the current foster carers adopt (A5), else at the latest that
    day (a placement order made at the final hearing replaces the full care order)."""
    c = ctx.p.care
    n = len(periods)
    start = as_days(periods["start"])
    end = as_days(periods["end"])
    age = completed_years(as_days(periods["dob"]), start)
    kind = periods["kind"].to_numpy()
    first = np.where(age < 1, choose(rng, c.legal_status_start.infant, n),
                     np.where(age >= 13, choose(rng, c.legal_status_start.teen, n),
                              choose(rng, c.legal_status_start.child, n))).astype(object)
    first = np.where(kind == "adoption", np.where(np.isin(first, ["L1", "L2"]), first, "C1"), first)
    steps = [(np.zeros(n, dtype=np.int64), first)]
    status = first.copy()
    t = np.zeros(n, dtype=np.int64)

    emergency = np.isin(status, ["L1", "L2"])
    # police protection (L1) lasts at most 72 hours, an emergency protection order (L2) at most 8 days
    t = np.where(emergency, np.where(status == "L1", integers(rng, c.police_protection_days, n),
                                     integers(rng, c.emergency_to_next_days, n)), t)
    to = np.where((kind == "adoption") | (rng.random(n) < 0.7), "C1", "V2")
    steps.append((np.where(emergency, t, -1), to))
    status = np.where(emergency, to, status)

    s20_to_order = (status == "V2") & (rng.random(n) < float(c.s20_to_interim_share)) & (kind != "adoption")
    t = np.where(s20_to_order, t + integers(rng, (30, 200), n), t)
    steps.append((np.where(s20_to_order, t, -1), np.full(n, "C1", dtype=object)))
    status = np.where(s20_to_order, "C1", status)

    to_full = status == "C1"
    t = np.where(to_full, t + integers(rng, c.interim_to_full_order_days, n), t)

    length = (end - start).astype(np.int64)
    placement_order = (kind == "adoption") & to_full
    t_e1 = np.maximum(t + 30, length - integers(rng, (200, 400), n))
    in_time = t_e1 < length - 30
    if placement_rows is not None:
        adoption = placement_rows[placement_rows["type"].isin(["A5", "A6"])].drop_duplicates("period")
        placed_on = np.full(n, -1, dtype=np.int64)
        placed_on[adoption["period"].to_numpy()] = (as_days(adoption["start"])
                                                    - start[adoption["period"].to_numpy()]).astype(np.int64)
        with_carers = np.zeros(n, dtype=bool)
        with_carers[adoption["period"].to_numpy()] = (adoption["type"] == "A5").to_numpy()
        placed = placement_order & (placed_on > 0)
        t_e1 = np.where(placed, np.where(with_carers, placed_on, np.minimum(t_e1, placed_on)), t_e1)
        in_time = np.where(placed, True, in_time)
    steps.append((np.where(to_full & ~(placement_order & in_time & (t_e1 <= t)), t, -1),
                  np.full(n, "C2", dtype=object)))
    steps.append((np.where(placement_order & in_time, t_e1, -1), np.full(n, "E1", dtype=object)))

    frames = []
    for offset, code in steps:
        keep = (offset >= 0) & (offset < length)
        frames.append(pd.DataFrame({"period": np.flatnonzero(keep), "offset": offset[keep], "status": code[keep]}))
    rows = pd.concat(frames, ignore_index=True).sort_values(["period", "offset"], kind="stable")
    rows = rows.drop_duplicates(["period", "offset"], keep="last")
    rows = rows[rows["status"] != rows.groupby("period")["status"].shift(1)].reset_index(drop=True)
    p_idx = rows["period"].to_numpy()
    rows["start"] = start[p_idx] + days(rows["offset"].to_numpy())
    next_start = rows.groupby("period")["start"].shift(-1)
    rows["end"] = np.where(next_start.isna(), end[p_idx], as_days(next_start.to_numpy()))
    return rows.drop(columns="offset")


def episodes(periods: pd.DataFrame, placement_rows: pd.DataFrame, legal_rows: pd.DataFrame) -> pd.DataFrame:
    """One episode per change of placement or legal status (reason new episode P, L or B); X1 between them."""
    changes = pd.concat([
        pd.DataFrame({"period": placement_rows["period"], "start": placement_rows["start"], "placement": True,
                      "legal": False}),
        pd.DataFrame({"period": legal_rows["period"], "start": legal_rows["start"], "placement": False,
                      "legal": True}),
    ], ignore_index=True)
    rows = changes.groupby(["period", "start"], as_index=False)[["placement", "legal"]].any()
    rows = rows.sort_values(["period", "start"]).reset_index(drop=True)
    p_idx = rows["period"].to_numpy()
    first = rows["start"].to_numpy() == as_days(periods["start"])[p_idx]
    reason = np.where(rows["placement"] & rows["legal"], "B", np.where(rows["placement"], "P", "L"))
    rows["reason_new"] = np.where(first, "S", reason)
    next_start = rows.groupby("period")["start"].shift(-1)
    rows["end"] = np.where(next_start.isna(), as_days(periods["end"])[p_idx], as_days(next_start.to_numpy()))
    rows["ceased_reason"] = np.where(next_start.isna(), periods["exit_reason"].to_numpy()[p_idx], "X1")
    # the placement the child is in when the episode starts
    pl = placement_rows[["period", "start"]].assign(placement_row=np.arange(len(placement_rows)))
    rows = pd.merge_asof(rows.sort_values("start"), pl.sort_values("start"), on="start", by="period")
    return rows.sort_values(["period", "start"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------------
def reviews(ctx: Context, rng: np.random.Generator, periods: pd.DataFrame, horizon: np.datetime64) -> pd.DataFrame:
    """Statutory reviews: first within 20 working days, second within 3 months, then every 6 months (mostly)."""
    c = ctx.p.care
    n = len(periods)
    start = as_days(periods["start"])
    stop = np.minimum(as_days(periods["end"]), horizon + np.timedelta64(1, "D"))
    first_wd = intervals_with_lateness(rng, c.first_review_wd, c.late_first_review, n)
    first = add_working_days(start, first_wd)
    held = first < stop
    second_gap = intervals_with_lateness(rng, c.second_review_days, c.late_second_review, n)
    owner, date, ordinal = recurring(
        rng, first[held], stop[held], second_gap[held],
        lambda m: intervals_with_lateness(rng, c.review_interval_days, c.late_review, m))
    owners = np.concatenate([np.flatnonzero(held), np.flatnonzero(held)[owner]])
    dates = np.concatenate([first[held], date])
    ordinals = np.concatenate([np.zeros(held.sum(), dtype=np.int64), ordinal + 1])
    rows = pd.DataFrame({"period": owners, "date": dates, "ordinal": ordinals}).sort_values(["period", "date"])
    rows = rows.reset_index(drop=True)
    previous = rows.groupby("period")["date"].shift(1)
    prev = as_days(previous.to_numpy())
    p_idx = rows["period"].to_numpy()
    rows["due"] = np.where(rows["ordinal"] == 0, add_working_days(start[p_idx], 20),
                           np.where(rows["ordinal"] == 1, add_months(prev, 3), add_months(prev, 6)))
    age = completed_years(as_days(periods["dob"])[p_idx], as_days(rows["date"]))
    participation = choose(rng, {"PN1": 0.42, "PN2": 0.1, "PN3": 0.05, "PN4": 0.05, "PN5": 0.14, "PN6": 0.14,
                                 "PN7": 0.1}, len(rows))
    rows["participation"] = np.where(age < 4, "PN0", participation)
    rows["cancelled"] = "N"
    # a few reviews are first booked, cancelled and held a little later: the cancelled booking is kept
    cancelled = rows[rng.random(len(rows)) < float(c.cancelled_review_share)].copy()
    cancelled["date"] = as_days(cancelled["date"]) - days(integers(rng, (1, 14), len(cancelled)))
    cancelled = cancelled[as_days(cancelled["date"]) > start[cancelled["period"].to_numpy()]]
    cancelled["cancelled"] = "Y"
    cancelled["participation"] = ""
    return pd.concat([rows, cancelled], ignore_index=True).sort_values(["period", "date", "cancelled"]).reset_index(
        drop=True)


def visits(ctx: Context, rng: np.random.Generator, periods: pd.DataFrame, horizon: np.datetime64) -> pd.DataFrame:
    """Social worker visits to looked-after children: every few weeks, some overdue."""
    c = ctx.p.care
    n = len(periods)
    start = as_days(periods["start"])
    stop = np.minimum(as_days(periods["end"]), horizon + np.timedelta64(1, "D"))
    owner, date, _ = recurring(rng, start, stop, integers(rng, (1, 7), n),
                               lambda m: intervals_with_lateness(rng, c.visit_interval_days, c.late_visit, m))
    rows = pd.DataFrame({"period": owner, "date": date})
    rows["seen"] = np.where(rng.random(len(rows)) < 0.95, "Y", "N")
    age = completed_years(as_days(periods["dob"])[owner], date)
    rows["seen_alone"] = np.where((rows["seen"] == "Y") & (age >= 8) & (rng.random(len(rows)) < 0.7), "Y", "N")
    return rows


def missing_episodes(ctx: Context, rng: np.random.Generator, periods: pd.DataFrame,
                     horizon: np.datetime64) -> pd.DataFrame:
    c = ctx.p.care
    start = as_days(periods["start"])
    stop = np.minimum(as_days(periods["end"]), horizon + np.timedelta64(1, "D"))
    eleventh = add_years(as_days(periods["dob"]), 11)
    from_ = np.maximum(start, eleventh)
    span = np.maximum(0, (stop - from_).astype(np.int64))
    prone = rng.random(len(periods)) < float(c.missing_prone_share_11_plus)
    k = np.where(prone, rng.poisson(float(c.missing_per_year) * span / 365.25), 0)
    owner = np.repeat(np.arange(len(periods)), k)
    begin = from_[owner] + days((rng.random(owner.size) * span[owner]).astype(np.int64))
    rows = pd.DataFrame({"period": owner, "start": begin})
    rows["end"] = begin + days(integers(rng, c.missing_days, owner.size))
    rows = rows.sort_values(["period", "start"]).drop_duplicates(["period", "start"]).reset_index(drop=True)
    m = len(rows)
    rows["type"] = np.where(rng.random(m) < 0.7, "M", "A")
    offered = rng.random(m) < 0.8
    rows["rhi_offered"] = np.where(offered, "Y", "N")
    rows["rhi_accepted"] = np.where(offered, np.where(rng.random(m) < 0.55, "Y", "N"), "")
    # a child is missing once at a time: an episode ends at the latest on the day the child's next one starts
    # (DfE SSDA903 rule 574; no random draw, so every other row stays as drawn)
    owner_of = periods["child"].to_numpy() if "child" in periods.columns else np.arange(len(periods))
    by_child = rows.assign(_child=owner_of[rows["period"].to_numpy()]).sort_values(["_child", "start"])
    next_start = by_child.groupby("_child")["start"].shift(-1).reindex(rows.index)
    rows["end"] = rows["end"].where(next_start.isna() | (rows["end"] <= next_start), next_start)
    return rows


def short_breaks(ctx: Context, rng: np.random.Generator, cases: pd.DataFrame, horizon: np.datetime64
                 ) -> pd.DataFrame:
    """Short breaks of disabled children: each break its own period of care under legal status V3."""
    c = ctx.p.care
    start = as_days(cases["cin_start"])
    stop = np.minimum(as_days(cases["close_date"]) - np.timedelta64(7, "D"), horizon + np.timedelta64(1, "D"))
    owner, date, _ = recurring(rng, start, stop, integers(rng, (5, 40), len(cases)),
                               lambda m: integers(rng, c.short_break_interval_days, m))
    rows = pd.DataFrame({"case_row": owner, "start": date})
    rows["end"] = date + days(integers(rng, c.short_break_days, len(rows)))
    return rows


def care_leaver_spells(periods: pd.DataFrame, min_days: int) -> pd.DataFrame:
    """Young people who left care at 18 after at least 13 weeks: care leavers until their 21st birthday."""
    length = (as_days(periods["end"]) - as_days(periods["start"])).astype(np.int64)
    eighteenth = add_years(as_days(periods["dob"]), 18)
    leaves_at_18 = (as_days(periods["end"]) == eighteenth) & (length >= min_days)
    rows = periods.loc[leaves_at_18, ["child", "case"]].copy()
    rows["period"] = np.flatnonzero(leaves_at_18)
    rows["start"] = eighteenth[leaves_at_18]
    rows["end"] = add_years(as_days(periods["dob"])[leaves_at_18], 21)
    return rows.reset_index(drop=True)
