"""Allocation of social workers to children (``ssd_involvements``): phases of a case, reallocations and gaps.

A case moves between teams (assessment, then safeguarding for CIN and CP work, then children in care, then leaving
care). Each phase is covered by a succession of allocations: a new worker when the previous one leaves or the case
is transferred, sometimes after a gap during which the team manager holds the case (not an allocation). Gaps never
span an extract night, so a clean extract has every open case allocated on its extract date (DATA_QUALITY.md
family 5), while the history still shows unallocated spells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csc_synthetic.calendar import as_days
from csc_synthetic.context import Context
from csc_synthetic.sampling import choose, days, integers

NAT = np.datetime64("NaT", "D")
ALLOCATED = "ALLOCATED CASE WORKER"


def phases(cases: pd.DataFrame, spells: pd.DataFrame, first_spell_case: int) -> pd.DataFrame:
    """Spans of a case held by one kind of team: [start, end) with the team type."""
    real = cases[~cases["duplicate"] & (as_days(cases["close_date"]) > as_days(cases["referral_date"]))]
    ref = as_days(real["referral_date"])
    close = as_days(real["close_date"])
    plan_dates = np.stack([as_days(real[c]) for c in ("cin_start", "cp_start", "cla_start")])
    plan_dates = np.where(np.isnat(plan_dates), np.datetime64("2262-01-01"), plan_dates)
    first_plan = plan_dates.min(axis=0)
    first_plan = np.where(first_plan >= np.datetime64("2262-01-01"), NAT, first_plan)
    cla = as_days(real["cla_start"])
    case = real.index.to_numpy()
    child = real["child"].to_numpy()
    parts = []

    def add(mask, start, end, team_type):
        keep = mask & (end > start)
        parts.append(pd.DataFrame({"case": case[keep], "child": child[keep], "start": start[keep],
                                   "end": end[keep], "type": team_type}))

    no_plan = np.isnat(first_plan)
    add(no_plan, ref, close, "assessment")
    add(~no_plan, ref, np.where(no_plan, ref, first_plan), "assessment")
    with_care = ~np.isnat(cla)
    add(~no_plan & with_care, np.where(no_plan, ref, first_plan), np.where(with_care, cla, ref), "safeguarding")
    add(~no_plan & ~with_care, np.where(no_plan, ref, first_plan), close, "safeguarding")
    add(with_care, np.where(with_care, cla, ref), close, "children_in_care")
    if len(spells):
        parts.append(pd.DataFrame({"case": first_spell_case + np.arange(len(spells)), "child": spells["child"],
                                   "start": spells["start"], "end": spells["end"], "type": "leaving_care"}))
    out = pd.concat(parts, ignore_index=True).sort_values(["case", "start"]).reset_index(drop=True)
    out["case_end"] = out.groupby("case")["end"].transform("max")
    return out


def demand(ctx: Context, phase_rows: pd.DataFrame) -> dict[str, float]:
    """Average open phases per team type at month ends of the window: the caseload the teams must carry."""
    month_ends = (np.arange(ctx.window_start(ctx.first_night).astype("datetime64[M]"),
                            ctx.as_of.astype("datetime64[M]")) + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    out = {}
    for team_type, rows in phase_rows.groupby("type"):
        start = as_days(rows["start"])
        end = as_days(rows["end"])
        counts = [int(((start <= d) & (end > d)).sum()) for d in month_ends[:: max(1, len(month_ends) // 24)]]
        out[str(team_type)] = float(np.mean(counts)) if counts else 0.0
    return out


class WorkerPicker:
    """Draws workers in post on given dates from a pool (by team type and role), weighted by FTE."""

    def __init__(self, workers: pd.DataFrame, rng: np.random.Generator):
        self.workers = workers
        self.rng = rng

    def pick(self, mask: np.ndarray, dates: np.ndarray, pool_key: np.ndarray | None = None,
             keys: np.ndarray | None = None) -> np.ndarray:
        """Row numbers of ``workers`` (or -1): for each date a worker of the pool (``mask``, and ``pool_key`` ==
        the date's key when given) in post on that date."""
        dates = as_days(dates)
        chosen = np.full(len(dates), -1, dtype=np.int64)
        if keys is None:
            groups = {None: np.arange(len(dates))}
        else:
            groups = {k: np.flatnonzero(keys == k) for k in np.unique(keys)}
        start = as_days(self.workers["start"])
        end = as_days(self.workers["end"])
        weight = self.workers["fte"].astype(float).to_numpy() * np.where(self.workers["newly_qualified"], 0.8, 1.0)
        for key, todo_all in groups.items():
            pool = np.flatnonzero(mask if key is None else mask & (pool_key == key))
            if pool.size == 0:
                continue
            todo = todo_all
            for _ in range(80):
                if todo.size == 0:
                    break
                cand = pool[self.rng.integers(0, pool.size, todo.size)]
                ok = (start[cand] <= dates[todo]) & (end[cand] >= dates[todo]) & (
                    self.rng.random(todo.size) < weight[cand])
                chosen[todo[ok]] = cand[ok]
                todo = todo[~ok]
            for i in todo:  # rare: few workers of the pool were in post that day
                in_post = pool[(start[pool] <= dates[i]) & (end[pool] >= dates[i])]
                if in_post.size:
                    chosen[i] = in_post[self.rng.integers(0, in_post.size)]
        return chosen


def allocate(ctx: Context, phase_rows: pd.DataFrame, workers: pd.DataFrame) -> pd.DataFrame:
    """Involvements: allocated case workers over every phase, and team managers holding cases in the gaps."""
    rng = ctx.rng("allocation")
    w = ctx.p.workforce
    picker = WorkerPicker(workers, rng)
    case_holder = workers["org_role"].isin(["4", "5"]).to_numpy()
    team_type = workers["type"].to_numpy()
    worker_end = as_days(workers["end"])
    rows = []
    gaps = []
    pending = phase_rows.assign(seg_start=_after_gap(ctx, rng, as_days(phase_rows["start"]),
                                                     as_days(phase_rows["end"]), first=True))
    gaps.append(pending.assign(gap_end=pending["seg_start"])[["case", "child", "type", "start", "gap_end"]])
    for _ in range(200):
        pending = pending[as_days(pending["seg_start"]) < as_days(pending["end"])]
        if pending.empty:
            break
        seg_start = as_days(pending["seg_start"])
        phase_end = as_days(pending["end"])
        chosen = picker.pick(case_holder, seg_start, team_type, pending["type"].to_numpy())
        missing = chosen < 0
        if missing.any():  # no worker of that team type in post: any case holder
            chosen[missing] = picker.pick(case_holder, seg_start[missing])
        found = chosen >= 0
        pending, seg_start, phase_end, chosen = pending[found], seg_start[found], phase_end[found], chosen[found]
        transfer_after = np.maximum(14, rng.exponential(365.25 / float(w.reallocation_per_year),
                                                        len(pending))).astype(np.int64)
        transfer = seg_start + days(transfer_after)
        leaves = worker_end[chosen] + np.timedelta64(1, "D")
        seg_end = np.minimum(np.minimum(phase_end, leaves), transfer)
        case_end = as_days(pending["case_end"])
        reason = np.where(seg_end == phase_end, np.where(phase_end < case_end, "TSPROC", ""),
                          np.where(seg_end == leaves, "LEFTRL",
                                   choose(rng, {"MANAGE": 0.45, "ORGRST": 0.15, "ABSENC": 0.15, "CHCHAN": 0.1,
                                                "OTHERS": 0.15}, len(pending))))
        rows.append(pd.DataFrame({"case": pending["case"].to_numpy(), "child": pending["child"].to_numpy(),
                                  "worker": chosen, "role": ALLOCATED, "start": seg_start, "end": seg_end,
                                  "change_reason": reason}))
        cont = seg_end < phase_end
        nxt = pending[cont].copy()
        next_start = _after_gap(ctx, rng, seg_end[cont], phase_end[cont], first=False)
        gaps.append(pd.DataFrame({"case": nxt["case"].to_numpy(), "child": nxt["child"].to_numpy(),
                                  "type": nxt["type"].to_numpy(), "start": seg_end[cont], "gap_end": next_start}))
        nxt["seg_start"] = next_start
        pending = nxt
    allocations = pd.concat(rows, ignore_index=True)
    managers = _team_managers_in_gaps(ctx, rng, picker, workers, pd.concat(gaps, ignore_index=True))
    return pd.concat([allocations, managers], ignore_index=True)


def _after_gap(ctx: Context, rng: np.random.Generator, start: np.ndarray, end: np.ndarray, first: bool
               ) -> np.ndarray:
    """When the next allocation starts: at once, or after a short or long gap that never spans an extract night."""
    w = ctx.p.workforce
    n = len(start)
    kind = choose(rng, w.allocation_gap, n)
    gap = np.where(kind == "short", integers(rng, w.allocation_gap_short_days, n),
                   np.where(kind == "long", integers(rng, w.allocation_gap_long_days, n), 0))
    if not first:
        gap = gap // 2
    gap = np.where(ctx.nights_overlap(start, start + days(gap)), 0, gap)
    return np.minimum(start + days(gap), end)


def _team_managers_in_gaps(ctx: Context, rng: np.random.Generator, picker: WorkerPicker, workers: pd.DataFrame,
                           gaps: pd.DataFrame) -> pd.DataFrame:
    """While a case waits for a social worker, the team manager often holds it: recorded, but not an allocation."""
    gaps = gaps[as_days(gaps["gap_end"]) > as_days(gaps["start"])]
    gaps = gaps[rng.random(len(gaps)) < float(ctx.p.workforce.team_manager_covers_gap_share)]
    manager = workers["org_role"].to_numpy() == "3"
    chosen = picker.pick(manager, as_days(gaps["start"]), workers["type"].to_numpy(), gaps["type"].to_numpy())
    keep = chosen >= 0
    gaps = gaps[keep]
    return pd.DataFrame({"case": gaps["case"].to_numpy(), "child": gaps["child"].to_numpy(), "worker": chosen[keep],
                         "role": "TEAM MANAGER", "start": as_days(gaps["start"]), "end": as_days(gaps["gap_end"]),
                         "change_reason": "MANAGE"})


def other_roles(ctx: Context, cases: pd.DataFrame, workers: pd.DataFrame) -> pd.DataFrame:
    """Reviewing officers for periods of care, conference chairs for CP plans, family support workers for some CIN
    plans: involvements that are not allocations (their role is not ALLOCATED CASE WORKER)."""
    rng = ctx.rng("other_roles")
    picker = WorkerPicker(workers, rng)
    reviewing = workers["org_role"].to_numpy() == "6"
    family_support = (workers["type"] == "family_support").to_numpy()
    parts = []
    for role, start_col, end_col, mask, share in (
            ("INDEPENDENT REVIEWING OFFICER", "cla_start", "cla_end", reviewing, 1.0),
            ("CHILD PROTECTION CHAIR", "cp_start", "cp_end", reviewing, 1.0),
            ("FAMILY SUPPORT WORKER", "cin_start", "cin_end", family_support,
             float(ctx.p.cin_plans.family_support_worker_share))):
        rows = cases[cases[start_col].notna() & (rng.random(len(cases)) < share)]
        start = as_days(rows[start_col])
        chosen = picker.pick(mask, start)
        keep = chosen >= 0
        parts.append(pd.DataFrame({"case": rows.index.to_numpy()[keep], "child": rows["child"].to_numpy()[keep],
                                   "worker": chosen[keep], "role": role, "start": start[keep],
                                   "end": as_days(rows[end_col])[keep], "change_reason": ""}))
    return pd.concat(parts, ignore_index=True)
