"""The simulated LA as a whole: every record it will ever hold up to the last extract night, in contract tables.

Rows carry three hidden columns the snapshot uses and never writes: ``_case`` (the case a row belongs to, -1 for
none), ``_appear`` (the day the row is first in an extract: the event date, a few days later for late-recorded
visits) and ``_until`` (for rows outside any case: the last day that keeps them within the six-year history).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csc_synthetic import allocation, care, casework, ids, names, outcomes, postcodes, workforce
from csc_synthetic.calendar import (
    add_months,
    add_years,
    as_days,
    completed_years,
    next_working_day_on_or_after,
)
from csc_synthetic.context import Context
from csc_synthetic.full_ssd import simulated_contract
from csc_synthetic.sampling import choose, days, integers, intervals_with_lateness, recurring

NAT = np.datetime64("NaT", "D")
HIDDEN = ("_case", "_appear", "_until")
Progress = Callable[[str], None]


@dataclass
class World:
    tables: dict[str, pd.DataFrame]
    case_start: np.ndarray     # per case: first day (referral date, or the day a care leaver left care)
    case_end: np.ndarray       # per case: closure (true, possibly after the last night)
    care_leavers: pd.DataFrame  # care-leaver spells with their attributes (the table is built per night)
    workers: pd.DataFrame      # every worker (professionals; HR rows where in_hr)
    teams: pd.DataFrame


def build(ctx: Context, progress: Progress) -> World:
    children, cases = casework.simulate(ctx)
    progress(f"simulated {len(children):,} children and {len(cases):,} referrals")
    rng = ctx.rng("world")
    dob_of = as_days(children["dob"])

    care_cases = cases[cases["cla_start"].notna()]
    periods = pd.DataFrame({"case": care_cases.index.to_numpy(), "child": care_cases["child"].to_numpy(),
                            "start": as_days(care_cases["cla_start"]), "end": as_days(care_cases["cla_end"]),
                            "exit_reason": care_cases["cla_exit_reason"].to_numpy(),
                            "kind": care_cases["exit_kind"].to_numpy()})
    periods["dob"] = dob_of[periods["child"].to_numpy()]
    spells = care.care_leaver_spells(periods, int(ctx.p.care.care_leaver_min_days_in_care))
    first_spell_case = len(cases)
    phase_rows = allocation.phases(cases, spells, first_spell_case)
    demand = allocation.demand(ctx, phase_rows)
    reviewing = demand.get("children_in_care", 0) + 0.3 * demand.get("safeguarding", 0)
    teams, workers, establishment = workforce.build(ctx, demand, reviewing)
    progress(f"staffed {len(teams):,} teams with {len(workers):,} workers over the years")

    case_start = np.concatenate([as_days(cases["referral_date"]), as_days(spells["start"])])
    case_end = np.concatenate([as_days(cases["close_date"]), as_days(spells["end"])])
    earliest_window = ctx.window_start(ctx.first_night)
    included = (case_end > earliest_window) & (case_start <= ctx.as_of)
    cases_in = cases[included[: len(cases)]]
    progress(f"{len(cases_in):,} referrals within the history window")
    periods_in = periods[included[periods["case"].to_numpy()]].reset_index(drop=True)
    phases_in = phase_rows[included[phase_rows["case"].to_numpy()]]
    involvements = pd.concat([allocation.allocate(ctx, phases_in, workers),
                              allocation.other_roles(ctx, cases_in, workers)], ignore_index=True)
    progress(f"allocated {len(involvements):,} involvements")

    builder = _Builder(ctx, rng, children, cases, cases_in, workers, teams, involvements)
    builder.workforce_tables(establishment)
    builder.referral_tables()
    builder.cin_plan_tables(cases_in)
    builder.cp_tables(cases_in)
    builder.care_tables(periods_in, cases_in)
    builder.involvement_table()
    builder.contact_table()
    builder.person_tables(spells["child"].to_numpy())
    spells = builder.care_leaver_spells(spells, first_spell_case)
    largest = sorted(builder.tables.items(), key=lambda item: -len(item[1]))[:4]
    progress(f"built {len(builder.tables)} tables; largest: " + ", ".join(f"{n} {len(t):,}" for n, t in largest))
    return World(tables=builder.finish(), case_start=case_start, case_end=case_end, care_leavers=spells,
                 workers=builder.worker_rows, teams=builder.team_rows)


class _Builder:
    """Turns the simulation's frames into contract tables (columns named and checked against the contract)."""

    def __init__(self, ctx: Context, rng: np.random.Generator, children: pd.DataFrame, all_cases: pd.DataFrame,
                 cases: pd.DataFrame, workers: pd.DataFrame, teams: pd.DataFrame, involvements: pd.DataFrame):
        """``cases``: the cases within the history window of the first night (their rows are built);
        ``all_cases``: every simulated referral (ids are numbered over them, so they never change)."""
        self.ctx = ctx
        self.rng = rng
        self.children = children
        self.all_cases = all_cases
        self.cases = cases
        self.involvements = involvements
        self.contract = simulated_contract()
        self.tables: dict[str, pd.DataFrame] = {}
        self.person_id = ids.numbered("person", len(children))
        self.looked_after_children = np.zeros(0, dtype=np.int64)
        self.referral_id = ids.numbered("referral", len(all_cases))
        self.team_rows = teams.assign(team_id=ids.padded("T", np.arange(len(teams)) + 101, 4))
        team_id_of = dict(zip(self.team_rows["key"], self.team_rows["team_id"], strict=True))
        self.worker_rows = workers.assign(worker_id=ids.numbered("worker", len(workers)),
                                          team_id=workers["team"].map(team_id_of))
        self.horizon = ctx.as_of

    # --- helpers -----------------------------------------------------------------------------------------------
    def put(self, table: str, columns: dict, case=None, appear=None, until=None) -> None:
        """Store a contract table: every contract column must be given, nothing else."""
        expected = self.contract.table(table).column_names
        missing = [c for c in expected if c not in columns]
        extra = [c for c in columns if c not in expected]
        if missing or extra:
            raise AssertionError(f"{table}: columns missing {missing} or unknown {extra}")
        n = len(next(iter(columns.values())))
        frame = pd.DataFrame({c: columns[c] for c in expected})
        frame["_case"] = np.full(n, -1, dtype=np.int64) if case is None else np.asarray(case, dtype=np.int64)
        frame["_appear"] = as_days(np.full(n, NAT) if appear is None else appear)
        frame["_until"] = as_days(np.full(n, NAT) if until is None else until)
        self.tables[table] = frame

    def recent(self, dates: np.ndarray) -> np.ndarray:
        """Visits older than the history window (with a quarter's margin) are not in any extract."""
        return as_days(dates) >= self.ctx.window_start(self.ctx.first_night) - np.timedelta64(92, "D")

    def lag(self, dates: np.ndarray) -> np.ndarray:
        """When an event is recorded: mostly the same day, sometimes a few days late."""
        n = len(dates)
        late = self.rng.random(n) < float(self.ctx.p.nights.late_recording_share)
        delay = np.where(late, integers(self.rng, self.ctx.p.nights.late_recording_days, n), 0)
        return as_days(dates) + days(delay)

    def worker_on(self, case: np.ndarray, on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(worker id, team id) of the case's allocation open on a date, else its first allocation; blank if none."""
        inv = self.involvements[self.involvements["role"] == allocation.ALLOCATED]
        inv = inv.sort_values("start")
        query = pd.DataFrame({"case": np.asarray(case, dtype=np.int64), "on": as_days(on),
                              "row": np.arange(len(case))})
        known = query[query["on"].notna()].sort_values("on")
        found = pd.merge_asof(known, inv[["case", "start", "worker"]].rename(columns={"start": "on"}), on="on",
                              by="case", direction="backward")
        first = inv.groupby("case")["worker"].first()
        worker = pd.Series(-1, index=query["row"])
        worker.loc[found["row"].to_numpy()] = found["worker"].fillna(-1).astype(np.int64).to_numpy()
        worker = worker.to_numpy().copy()
        fallback = worker < 0
        worker[fallback] = first.reindex(query["case"].to_numpy()[fallback]).fillna(-1).astype(np.int64).to_numpy()
        has = worker >= 0
        wid = np.where(has, self.worker_rows["worker_id"].to_numpy()[np.maximum(worker, 0)], "").astype(object)
        tid = np.where(has, self.worker_rows["team_id"].to_numpy()[np.maximum(worker, 0)], "").astype(object)
        return wid, tid

    def finish(self) -> dict[str, pd.DataFrame]:
        order = [t.name for t in self.contract]
        missing = [t for t in order if t not in self.tables and t != "ssd_care_leavers"]
        if missing:
            raise AssertionError(f"tables not built: {missing}")
        return {t: self.tables[t] for t in order if t in self.tables}

    # --- workforce ---------------------------------------------------------------------------------------------
    def workforce_tables(self, establishment: pd.DataFrame) -> None:
        w = self.worker_rows
        rng = self.rng
        n = len(w)
        team_name = dict(zip(self.team_rows["team_id"], self.team_rows["name"], strict=True))
        sex = np.where(rng.random(n) < 0.8, "F", "M")
        fore = names.forenames(rng, sex)
        sur = names.surnames(rng, n)
        w["name"] = (pd.Series(sur) + ", " + pd.Series(fore)).to_numpy(dtype=object)
        swe = np.where(w["in_hr"], ids.registration_numbers(rng, n), "").astype(object)
        fte_text = w["fte"].to_numpy(dtype=object)
        self.put("ssd_professionals", {
            "prof_professional_id": w["worker_id"].to_numpy(),
            "prof_staff_id": ids.padded("E", 100_000 + np.arange(n) * 7 % 900_000, 6),
            "prof_professional_name": w["name"].to_numpy(),
            "prof_social_worker_registration_no": swe,
            "prof_professional_job_title": w["job_title"].to_numpy(),
            "prof_professional_caseload": np.full(n, "", dtype=object),  # filled per night (previous 30 Sept)
            "prof_professional_department": w["team_id"].map(team_name).to_numpy(),
            "prof_full_time_equivalency": fte_text,
            "prof_agency_worker_flag": w["agency"].to_numpy(),
        }, appear=as_days(w["start"]), until=as_days(w["end"]) + np.timedelta64(1, "D"))
        hr = w[w["in_hr"]]
        self.put("hr_workers", {
            "worker_id": hr["worker_id"].to_numpy(),
            "swe_registration_no": swe[w["in_hr"].to_numpy()],
            "agency_worker": hr["agency"].to_numpy(),
            "fte": hr["fte"].to_numpy(dtype=object),
            "org_role": hr["org_role"].to_numpy(),
            "team_id": hr["team_id"].to_numpy(),
            "role_start_date": as_days(hr["start"]),
            "role_end_date": as_days(hr["end"]),
            "start_origin": hr["start_origin"].to_numpy(),
            "reason_leave": hr["reason_leave"].to_numpy(),
            "qualification_date": as_days(hr["qualification_date"]),
        }, appear=as_days(hr["start"]), until=as_days(hr["end"]) + np.timedelta64(1, "D"))
        t = self.team_rows
        parent_id = t["parent"].map(dict(zip(t["key"], t["team_id"], strict=True)))
        self.put("ssd_department", {
            "dept_team_id": t["team_id"].to_numpy(),
            "dept_team_name": t["name"].to_numpy(),
            "dept_team_parent_id": parent_id.fillna("").to_numpy(dtype=object),
            "dept_team_parent_name": parent_id.map(dict(zip(t["team_id"], t["name"], strict=True))).fillna(
                "").to_numpy(dtype=object),
        }, appear=np.full(len(t), self.ctx.sim_start))
        team_of = dict(zip(t["key"], t["team_id"], strict=True))
        est = establishment.sort_values(["team", "effective_from"])
        # a row stays in the history while it is the one in force; the next row's date ends it
        next_from = est.groupby("team")["effective_from"].shift(-1)
        fte = est["funded_fte"].map(lambda v: f"{v:g}")
        self.put("hr_establishment", {
            "team_id": est["team"].map(team_of).to_numpy(),
            "effective_from": as_days(est["effective_from"]),
            "funded_sw_fte": fte.to_numpy(dtype=object),
        }, appear=as_days(est["effective_from"]), until=as_days(next_from.to_numpy()))

    # --- referrals, assessments, S47s, conferences --------------------------------------------------------------
    def referral_tables(self) -> None:
        c = self.cases
        rng = self.rng
        n = len(c)
        case = c.index.to_numpy()
        child = c["child"].to_numpy()
        person = self.person_id[child]
        pathway = c["pathway"].to_numpy()
        nfa = c["nfa"].to_numpy()
        code_desc = _code_descriptions()
        worker, team = self.worker_on(case, as_days(c["referral_date"]))
        source = c["source"].to_numpy()
        self.put("ssd_cin_episodes", {
            "cine_referral_id": self.referral_id[case],
            "cine_person_id": person,
            "cine_referral_date": as_days(c["referral_date"]),
            "cine_cin_primary_need_code": c["need"].to_numpy(),
            "cine_referral_source_code": source,
            "cine_referral_source_desc": np.array([code_desc[("referral_source", s)] for s in source], dtype=object),
            "cine_referral_outcome_json": outcomes.json_objects(outcomes.REFERRAL, {
                "SINGLE_ASSESSMENT_FLAG": outcomes.flag(~nfa & (pathway != "duplicate")),
                "NFA_FLAG": outcomes.flag(nfa),
                "STRATEGY_DISCUSSION_FLAG": outcomes.flag(c["s47_start"].notna().to_numpy()),
                "CLA_REQUEST_FLAG": outcomes.flag(pathway == "care_direct"),
                "CP_TRANSFER_IN_FLAG": outcomes.flag(c["transfer_in"].to_numpy(dtype=bool)),
                "CP_CONFERENCE_FLAG": outcomes.flag(c["icpc_date"].notna().to_numpy()),
                "OTHER_OUTCOMES_EXIST_FLAG": np.full(n, "N", dtype=object),
            }, n),
            "cine_referral_nfa": outcomes.flag(nfa),
            "cine_close_reason": c["close_reason"].to_numpy(dtype=object),
            "cine_close_date": as_days(c["close_date"]),
            "cine_referral_team": team,
            "cine_referral_worker_id": worker,
        }, case=case, appear=as_days(c["referral_date"]))

        a = c[c["assessment_start"].notna()]
        na = len(a)
        self.assessment_id = pd.Series(ids.numbered("assessment", na), index=a.index)
        a_case = a.index.to_numpy()
        a_path = a["pathway"].to_numpy()
        outcome_nfa = np.isin(a_path, ["assess_close", "s47_no_conference", "conference_no_plan"]) & a[
            "cin_start"].isna().to_numpy() & a["cla_start"].isna().to_numpy()
        worker, team = self.worker_on(a_case, as_days(a["assessment_start"]))
        comments = np.array(outcomes.COMMENTS, dtype=object)[rng.integers(0, len(outcomes.COMMENTS), na)]
        self.put("ssd_cin_assessments", {
            "cina_assessment_id": self.assessment_id.to_numpy(),
            "cina_person_id": self.person_id[a["child"].to_numpy()],
            "cina_referral_id": self.referral_id[a_case],
            "cina_assessment_start_date": as_days(a["assessment_start"]),
            "cina_assessment_child_seen": outcomes.flag(
                rng.random(na) < float(self.ctx.p.assessments.child_seen_share)),
            "cina_assessment_auth_date": as_days(a["assessment_auth"]),
            "cina_assessment_outcome_json": outcomes.json_objects(outcomes.ASSESSMENT, {
                "NFA_FLAG": outcomes.flag(outcome_nfa),
                "STRATEGY_DISCUSSION_FLAG": outcomes.flag(a["s47_start"].notna().to_numpy()),
                "CLA_REQUEST_FLAG": outcomes.flag(a["cla_start"].notna().to_numpy()),
                "PROV_OF_SERVICES_FLAG": outcomes.flag(~outcome_nfa),
                "REFERRAL_TO_OTHER_AGENCY_FLAG": outcomes.flag(a["close_reason"].to_numpy() == "RC9"),
                "TOTAL_NO_OF_OUTCOMES": np.full(na, "1", dtype=object),
                "COMMENTS": comments,
            }, na),
            "cina_assessment_outcome_nfa": outcomes.flag(outcome_nfa),
            "cina_assessment_team": team,
            "cina_assessment_worker_id": worker,
        }, case=a_case, appear=as_days(a["assessment_start"]))
        self.put("ssd_assessment_factors", {
            "cinf_table_id": ids.numbered("factors", na),
            "cinf_assessment_id": self.assessment_id.to_numpy(),
            "cinf_assessment_factors_json": _assessment_factors(rng, a_path, outcome_nfa),
        }, case=a_case, appear=as_days(a["assessment_auth"]))

        s = c[c["s47_start"].notna()]
        ns = len(s)
        self.s47_id = pd.Series(ids.numbered("s47", ns), index=s.index)
        s_path = s["pathway"].to_numpy()
        conference = s["icpc_date"].notna().to_numpy()
        s_nfa = ~conference & s["cin_start"].isna().to_numpy()
        worker, team = self.worker_on(s.index.to_numpy(), as_days(s["s47_start"]))
        self.put("ssd_s47_enquiry", {
            "s47e_s47_enquiry_id": self.s47_id.to_numpy(),
            "s47e_referral_id": self.referral_id[s.index.to_numpy()],
            "s47e_person_id": self.person_id[s["child"].to_numpy()],
            "s47e_s47_start_date": as_days(s["s47_start"]),
            "s47e_s47_end_date": as_days(s["s47_end"]),
            "s47e_s47_nfa": outcomes.flag(s_nfa),
            "s47e_s47_outcome_json": outcomes.json_objects(outcomes.S47, {
                "NFA_FLAG": outcomes.flag(s_nfa),
                "PROV_OF_SERVICES_FLAG": outcomes.flag(~s_nfa & ~conference),
                "CP_CONFERENCE_FLAG": outcomes.flag(conference),
                "NFA_CONTINUE_SINGLE_FLAG": outcomes.flag(s_path == "s47_no_conference"),
                "TOTAL_NO_OF_OUTCOMES": np.full(ns, "1", dtype=object),
            }, ns),
            "s47e_s47_completed_by_worker_id": worker,
            "s47e_s47_completed_by_team": team,
        }, case=s.index.to_numpy(), appear=as_days(s["s47_start"]))

        i = c[c["icpc_date"].notna()]
        ni = len(i)
        self.icpc_id = pd.Series(ids.numbered("icpc", ni), index=i.index)
        plan = i["cp_start"].notna().to_numpy()
        cp_rows = c[c["cp_start"].notna()]
        self.cp_plan_id = pd.Series(ids.numbered("cp_plan", len(cp_rows)), index=cp_rows.index)
        worker, team = self.worker_on(i.index.to_numpy(), as_days(i["icpc_date"]))
        self.put("ssd_initial_cp_conference", {
            "icpc_icpc_id": self.icpc_id.to_numpy(),
            "icpc_icpc_meeting_id": ids.numbered("icpc_meeting", ni),
            "icpc_s47_enquiry_id": self.s47_id.reindex(i.index).fillna("").to_numpy(dtype=object),
            "icpc_person_id": self.person_id[i["child"].to_numpy()],
            "icpc_cp_plan_id": self.cp_plan_id.reindex(i.index).fillna("").to_numpy(dtype=object),
            "icpc_referral_id": self.referral_id[i.index.to_numpy()],
            "icpc_icpc_transfer_in": outcomes.flag(i["transfer_in"].to_numpy(dtype=bool)),
            "icpc_icpc_target_date": as_days(i["icpc_target"]),
            "icpc_icpc_date": as_days(i["icpc_date"]),
            "icpc_icpc_outcome_cp_flag": outcomes.flag(plan),
            "icpc_icpc_outcome_json": outcomes.json_objects(outcomes.ICPC, {
                "NFA_FLAG": outcomes.flag(~plan & i["cin_start"].isna().to_numpy()),
                "PROV_OF_SERVICES_FLAG": outcomes.flag(~plan & i["cin_start"].notna().to_numpy()),
                "CP_FLAG": outcomes.flag(plan),
                "TOTAL_NO_OF_OUTCOMES": np.full(ni, "1", dtype=object),
            }, ni),
            "icpc_icpc_team": team,
            "icpc_icpc_worker_id": worker,
        }, case=i.index.to_numpy(), appear=as_days(i["icpc_date"]))

    # --- CIN plans and visits ------------------------------------------------------------------------------------
    def cin_plan_tables(self, cases_in: pd.DataFrame) -> None:
        rng = self.rng
        c = self.cases[self.cases["cin_start"].notna()]
        worker, team = self.worker_on(c.index.to_numpy(), as_days(c["cin_start"]))
        self.put("ssd_cin_plans", {
            "cinp_cin_plan_id": ids.numbered("cin_plan", len(c)),
            "cinp_referral_id": self.referral_id[c.index.to_numpy()],
            "cinp_person_id": self.person_id[c["child"].to_numpy()],
            "cinp_cin_plan_start_date": as_days(c["cin_start"]),
            "cinp_cin_plan_end_date": as_days(c["cin_end"]),
            "cinp_cin_plan_team": team,
            "cinp_cin_plan_worker_id": worker,
        }, case=c.index.to_numpy(), appear=as_days(c["cin_start"]))
        p = self.ctx.p.cin_plans
        plans = cases_in[cases_in["cin_start"].notna()]
        start = as_days(plans["cin_start"])
        stop = np.minimum(as_days(plans["cin_end"]), self.horizon + np.timedelta64(1, "D"))
        owner, date, _ = recurring(rng, start, stop, integers(rng, (3, 10), len(plans)),
                                   lambda m: intervals_with_lateness(rng, p.visit_interval_days, p.late_visit, m))
        date = next_working_day_on_or_after(date)
        keep = (date < stop[owner]) & self.recent(date)
        owner, date = owner[keep], date[keep]
        n = len(owner)
        seen = rng.random(n) < 0.92
        age = completed_years(as_days(self.children["dob"])[plans["child"].to_numpy()[owner]], date)
        self.put("ssd_cin_visits", {
            "cinv_cin_visit_id": ids.numbered("cin_visit", n),
            "cinv_person_id": self.person_id[plans["child"].to_numpy()[owner]],
            "cinv_cin_visit_date": date,
            "cinv_cin_visit_seen": outcomes.flag(seen),
            "cinv_cin_visit_seen_alone": outcomes.flag(seen & (age >= 8) & (rng.random(n) < 0.6)),
            "cinv_cin_visit_bedroom": outcomes.flag(seen & (rng.random(n) < 0.5)),
        }, case=plans.index.to_numpy()[owner], appear=self.lag(date))

    # --- child protection -------------------------------------------------------------------------------------------
    def cp_tables(self, cases_in: pd.DataFrame) -> None:
        rng = self.rng
        p = self.ctx.p.cp_plans
        c = self.cases[self.cases["cp_start"].notna()]
        n = len(c)
        initial = choose(rng, p.category, n)
        latest = np.where(rng.random(n) < float(p.category_change_share), choose(rng, p.category, n), initial)
        self.put("ssd_cp_plans", {
            "cppl_cp_plan_id": self.cp_plan_id.to_numpy(),
            "cppl_referral_id": self.referral_id[c.index.to_numpy()],
            "cppl_icpc_id": self.icpc_id.reindex(c.index).to_numpy(dtype=object),
            "cppl_person_id": self.person_id[c["child"].to_numpy()],
            "cppl_cp_plan_start_date": as_days(c["cp_start"]),
            "cppl_cp_plan_end_date": as_days(c["cp_end"]),
            "cppl_cp_plan_initial_category": initial,
            "cppl_cp_plan_ola": outcomes.flag(rng.random(n) < float(p.ola_share)),
            "cppl_cp_plan_latest_category": latest.astype(object),
        }, case=c.index.to_numpy(), appear=as_days(c["cp_start"]))

        plans = cases_in[cases_in["cp_start"].notna()]
        plan_id = self.cp_plan_id.reindex(plans.index).to_numpy(dtype=object)
        start = as_days(plans["cp_start"])
        stop = np.minimum(as_days(plans["cp_end"]), self.horizon + np.timedelta64(1, "D"))
        child = plans["child"].to_numpy()
        owner, date, _ = recurring(rng, start, stop, integers(rng, (1, 5), len(plans)),
                                   lambda m: intervals_with_lateness(rng, p.visit_interval_days, p.late_visit, m))
        date = next_working_day_on_or_after(date)
        keep = (date < stop[owner]) & self.recent(date)
        owner, date = owner[keep], date[keep]
        nv = len(owner)
        seen = rng.random(nv) < float(p.visit_seen_share)
        age = completed_years(as_days(self.children["dob"])[child[owner]], date)
        self.put("ssd_cp_visits", {
            "cppv_cp_visit_id": ids.numbered("cp_visit", nv),
            "cppv_person_id": self.person_id[child[owner]],
            "cppv_cp_plan_id": plan_id[owner],
            "cppv_cp_visit_date": date,
            "cppv_cp_visit_seen": outcomes.flag(seen),
            "cppv_cp_visit_seen_alone": outcomes.flag(seen & (age >= 8) & (rng.random(nv) < 0.6)),
            "cppv_cp_visit_bedroom": outcomes.flag(seen & (rng.random(nv) < 0.45)),
        }, case=plans.index.to_numpy()[owner], appear=self.lag(date))

        first = as_days(plans["cp_start"]) + days(intervals_with_lateness(rng, p.first_review_days,
                                                                            p.late_first_review, len(plans)))
        first = next_working_day_on_or_after(first)
        held = first < stop
        owner, date, ordinal = recurring(
            rng, first[held], stop[held], intervals_with_lateness(rng, p.review_interval_days, p.late_review,
                                                                  int(held.sum())),
            lambda m: intervals_with_lateness(rng, p.review_interval_days, p.late_review, m))
        date = next_working_day_on_or_after(date)
        held_idx = np.flatnonzero(held)
        owner_all = np.concatenate([held_idx, held_idx[owner]])
        date_all = np.concatenate([first[held], date])
        order = np.lexsort((date_all, owner_all))
        owner_all, date_all = owner_all[order], date_all[order]
        keep = date_all < stop[owner_all]
        owner_all, date_all = owner_all[keep], date_all[keep]
        previous = pd.Series(date_all).groupby(owner_all).shift(1).to_numpy(dtype="datetime64[D]")
        due = np.where(np.isnat(previous), add_months(start[owner_all], 3), add_months(previous, 6))
        nr = len(owner_all)
        self.put("ssd_cp_reviews", {
            "cppr_cp_review_id": ids.numbered("cp_review", nr),
            "cppr_person_id": self.person_id[child[owner_all]],
            "cppr_cp_plan_id": plan_id[owner_all],
            "cppr_cp_review_due": due,
            "cppr_cp_review_date": date_all,
            "cppr_cp_review_meeting_id": ids.numbered("cp_review_meeting", nr),
            "cppr_cp_review_outcome_continue_cp": np.full(nr, "Y", dtype=object),
            "cppr_cp_review_quorate": outcomes.flag(rng.random(nr) < 0.95),
            "cppr_cp_review_participation": outcomes.flag(rng.random(nr) < 0.6),
        }, case=plans.index.to_numpy()[owner_all], appear=self.lag(date_all))

    # --- children in care -------------------------------------------------------------------------------------------
    def care_tables(self, periods: pd.DataFrame, cases_in: pd.DataFrame) -> None:
        ctx, rng = self.ctx, self.rng
        sb_cases = cases_in[cases_in["pathway"] == "short_breaks"]
        breaks = care.short_breaks(ctx, rng, sb_cases, self.horizon)
        sb = pd.DataFrame({"case": sb_cases.index.to_numpy()[breaks["case_row"].to_numpy()],
                           "child": sb_cases["child"].to_numpy()[breaks["case_row"].to_numpy()],
                           "start": breaks["start"].to_numpy(), "end": breaks["end"].to_numpy(),
                           "exit_reason": "E8", "kind": "short_break"})
        sb["dob"] = as_days(self.children["dob"])[sb["child"].to_numpy()]
        all_periods = pd.concat([periods, sb], ignore_index=True)
        regular = (all_periods["kind"] != "short_break").to_numpy()
        period_id = ids.numbered("cla_period", len(all_periods))

        regular_periods = all_periods[regular].reset_index(drop=True)
        pl = care.placements(ctx, rng, regular_periods)
        legal = care.legal_statuses(ctx, rng, regular_periods, pl)
        pl = care.fit_to_legal_status(ctx, rng, pl, legal)
        pl["period"] = np.flatnonzero(regular)[pl["period"].to_numpy()]
        sb_idx = np.flatnonzero(~regular)
        sb_pl = pd.DataFrame({"period": sb_idx, "start": as_days(all_periods["start"])[sb_idx],
                              "end": as_days(all_periods["end"])[sb_idx], "move": "first", "last": True,
                              "type": np.where(rng.random(sb_idx.size) < 0.5, "K2", "U6"), "provider": "PR1",
                              "change_reason": "", "urn": "", "age": 0})
        sb_pl["distance"] = np.round(rng.exponential(6.0, sb_idx.size) + 0.3, 1)
        # short breaks with the LA's own carers (foster carers, its children's home), in its area
        sb_pl["postcode"] = postcodes.placement_postcodes(rng, ctx.la, np.ones(sb_idx.size, dtype=bool))
        sb_pl["urn"] = np.where(sb_pl["type"] == "K2", ids.padded("SC9", rng.integers(0, 100_000, sb_idx.size), 5),
                                f"SC8{ctx.la.code}01")
        pl = pd.concat([pl, sb_pl], ignore_index=True).sort_values(["period", "start"]).reset_index(drop=True)
        legal["period"] = np.flatnonzero(regular)[legal["period"].to_numpy()]
        legal = pd.concat([legal, pd.DataFrame({"period": sb_idx, "status": "V3",
                                                "start": as_days(all_periods["start"])[sb_idx],
                                                "end": as_days(all_periods["end"])[sb_idx]})], ignore_index=True)
        legal = legal.sort_values(["period", "start"]).reset_index(drop=True)
        ep = care.episodes(all_periods, pl, legal)
        self.looked_after_children = np.unique(all_periods["child"].to_numpy()).astype(np.int64)

        p_case = all_periods["case"].to_numpy()
        p_child = all_periods["child"].to_numpy()
        placement_id = ids.numbered("placement", len(pl))
        pl_period = pl["period"].to_numpy()
        self.put("ssd_cla_placement", {
            "clap_cla_placement_id": placement_id,
            "clap_cla_placement_start_date": as_days(pl["start"]),
            "clap_cla_placement_type": pl["type"].to_numpy(dtype=object),
            "clap_cla_placement_urn": pl["urn"].to_numpy(dtype=object),
            "clap_cla_placement_distance": pl["distance"].map(lambda v: f"{v:.1f}").to_numpy(dtype=object),
            "clap_cla_id": period_id[pl_period],
            "clap_cla_placement_provider": pl["provider"].to_numpy(dtype=object),
            "clap_cla_placement_postcode": pl["postcode"].to_numpy(dtype=object),
            "clap_cla_placement_end_date": as_days(pl["end"]),
            "clap_cla_placement_change_reason": pl["change_reason"].to_numpy(dtype=object),
            "clap_person_id": self.person_id[p_child[pl_period]],
        }, case=p_case[pl_period], appear=as_days(pl["start"]))

        e_period = ep["period"].to_numpy()
        need = self.all_cases["need"].to_numpy()[p_case[e_period]]
        # a looked-after child's category of need is one of N1-N8: N0 (not stated) and N9 (case other than child in
        # need) are CIN census codes the SSDA903 refuses, and the need is assessed by the time a child is in care
        cla_need = choose(ctx.rng("cla_need"), {k: v for k, v in vars(ctx.p.referrals.primary_need).items()
                                                 if k not in ("N0", "N9")}, len(all_periods))[e_period]
        need = np.where(np.isin(need, ["N0", "N9"]), cla_need, need).astype(object)
        self.put("ssd_cla_episodes", {
            "clae_cla_episode_id": ids.numbered("cla_episode", len(ep)),
            "clae_person_id": self.person_id[p_child[e_period]],
            "clae_cla_episode_start_date": as_days(ep["start"]),
            "clae_cla_episode_start_reason": ep["reason_new"].to_numpy(dtype=object),
            "clae_cla_primary_need_code": need,
            "clae_cla_episode_ceased_date": as_days(ep["end"]),
            "clae_cla_episode_ceased_reason": ep["ceased_reason"].to_numpy(dtype=object),
            "clae_cla_id": period_id[e_period],
            "clae_referral_id": self.referral_id[p_case[e_period]],
            "clae_cla_placement_id": placement_id[ep["placement_row"].to_numpy()],
            "clae_entered_care_date": as_days(all_periods["start"])[e_period],
            "clae_cla_last_iro_contact_date": np.full(len(ep), NAT),  # filled per night from the reviews
        }, case=p_case[e_period], appear=as_days(ep["start"]))

        l_period = legal["period"].to_numpy()
        self.put("ssd_legal_status", {
            "lega_legal_status_id": ids.numbered("legal_status", len(legal)),
            "lega_person_id": self.person_id[p_child[l_period]],
            "lega_legal_status": legal["status"].to_numpy(dtype=object),
            "lega_legal_status_start_date": as_days(legal["start"]),
            "lega_legal_status_end_date": as_days(legal["end"]),
        }, case=p_case[l_period], appear=as_days(legal["start"]))

        reg = all_periods[regular].reset_index(drop=True)
        reg_index = np.flatnonzero(regular)
        rv = care.reviews(ctx, rng, reg, self.horizon)
        r_period = reg_index[rv["period"].to_numpy()]
        self.put("ssd_cla_reviews", {
            "clar_cla_review_id": ids.numbered("cla_review", len(rv)),
            "clar_cla_id": period_id[r_period],
            "clar_cla_person_id": self.person_id[p_child[r_period]],
            "clar_cla_review_due_date": as_days(rv["due"]),
            "clar_cla_review_date": as_days(rv["date"]),
            "clar_cla_review_cancelled": rv["cancelled"].to_numpy(dtype=object),
            "clar_cla_review_participation": rv["participation"].to_numpy(dtype=object),
        }, case=p_case[r_period], appear=self.lag(as_days(rv["date"])))

        vs = care.visits(ctx, rng, reg, self.horizon)
        vs = vs[self.recent(vs["date"])]
        v_period = reg_index[vs["period"].to_numpy()]
        self.put("ssd_cla_visits", {
            "clav_cla_visit_id": ids.numbered("cla_visit", len(vs)),
            "clav_cla_id": period_id[v_period],
            "clav_person_id": self.person_id[p_child[v_period]],
            "clav_cla_visit_date": as_days(vs["date"]),
            "clav_cla_visit_seen": vs["seen"].to_numpy(dtype=object),
            "clav_cla_visit_seen_alone": vs["seen_alone"].to_numpy(dtype=object),
        }, case=p_case[v_period], appear=self.lag(as_days(vs["date"])))

        ms = care.missing_episodes(ctx, rng, reg, self.horizon)
        m_period = reg_index[ms["period"].to_numpy()]
        self.put("ssd_missing", {
            "miss_table_id": ids.numbered("missing", len(ms)),
            "miss_person_id": self.person_id[p_child[m_period]],
            "miss_missing_episode_start_date": as_days(ms["start"]),
            "miss_missing_episode_type": ms["type"].to_numpy(dtype=object),
            "miss_missing_episode_end_date": as_days(ms["end"]),
            "miss_missing_rhi_offered": ms["rhi_offered"].to_numpy(dtype=object),
            "miss_missing_rhi_accepted": ms["rhi_accepted"].to_numpy(dtype=object),
        }, case=p_case[m_period], appear=as_days(ms["start"]))

    # --- involvements --------------------------------------------------------------------------------------------
    def involvement_table(self) -> None:
        inv = self.involvements.sort_values(["start", "case", "role"], kind="stable").reset_index(drop=True)
        self.involvements = inv
        worker = inv["worker"].to_numpy()
        case = inv["case"].to_numpy()
        n_cases = len(self.all_cases)
        referral = np.where(case < n_cases, self.referral_id[np.minimum(case, n_cases - 1)], "")
        self.put("ssd_involvements", {
            "invo_involvements_id": ids.numbered("involvement", len(inv)),
            "invo_professional_id": self.worker_rows["worker_id"].to_numpy()[worker],
            "invo_professional_role_id": inv["role"].to_numpy(dtype=object),
            "invo_professional_team": self.worker_rows["team_id"].to_numpy()[worker],
            "invo_involvement_start_date": as_days(inv["start"]),
            "invo_involvement_end_date": as_days(inv["end"]),
            "invo_worker_change_reason": inv["change_reason"].to_numpy(dtype=object),
            "invo_person_id": self.person_id[inv["child"].to_numpy()],
            "invo_referral_id": referral.astype(object),
        }, case=case, appear=as_days(inv["start"]))

    # --- contacts ---------------------------------------------------------------------------------------------------
    def contact_table(self) -> None:
        """Contacts within the history window: one for each referral, and contacts that led to no referral (about
        known children, or children known only through contacts)."""
        ctx, rng = self.ctx, self.rng
        p = ctx.p.contacts
        window_from = ctx.window_start(ctx.first_night)
        c = self.cases[~self.cases["duplicate"] & (self.cases["pathway"] != "short_breaks")]
        dob = as_days(self.children["dob"])
        ref_child = c["child"].to_numpy()
        ref_date = as_days(c["referral_date"]) - days(np.where(rng.random(len(c)) < 0.8, 0,
                                                             integers(rng, (1, 2), len(c))))
        ref_date = np.maximum(ref_date, dob[ref_child])
        in_window = ref_date >= window_from
        ref_child, ref_date = ref_child[in_window], ref_date[in_window]
        n_extra = rng.poisson(float(p.extra_contacts_per_referral) * len(ref_child))
        new_child = rng.random(n_extra) < float(p.extra_contacts_new_child_share)
        n_new = int(new_child.sum())
        span = int((ctx.as_of - window_from).astype(np.int64))
        new_dates = window_from + days(rng.integers(0, span + 1, n_new))
        extra_children = casework.new_children(ctx, rng, new_dates)
        extra_children["eighteenth"] = add_years(as_days(extra_children["dob"]), 18)
        extra_children["short_breaks"] = False
        first_new = len(self.children)
        self.children = pd.concat([self.children, extra_children], ignore_index=True)
        self.person_id = ids.numbered("person", len(self.children))
        dob = as_days(self.children["dob"])
        # a contact about a known child falls in the years around their referrals, before 18 and any death
        known_pool = np.unique(self.cases["child"].to_numpy())
        known = known_pool[rng.integers(0, len(known_pool), n_extra - n_new)] if len(known_pool) else np.array(
            [], dtype=np.int64)
        died = self.all_cases.groupby("child")["death_date"].max().reindex(range(first_new)).to_numpy(
            dtype="datetime64[D]")
        last_day = np.minimum(as_days(self.children["eighteenth"])[known] - np.timedelta64(1, "D"), ctx.as_of)
        last_day = np.where(np.isnat(died[known]), last_day, np.minimum(last_day, died[known]))
        first_day = np.maximum(dob[known], as_days(self.children["first_date"])[known] - np.timedelta64(730, "D"))
        first_day = np.maximum(first_day, window_from)
        width = np.maximum(0, (last_day - first_day).astype(np.int64))
        known_dates = first_day + days((rng.random(known.size) * (width + 1)).astype(np.int64))
        valid = first_day <= last_day
        extra_child = np.concatenate([known[valid], first_new + np.arange(n_new)])
        extra_date = np.concatenate([known_dates[valid], new_dates])
        self.contact_children = np.unique(np.concatenate([ref_child, extra_child]))

        child = np.concatenate([ref_child, extra_child])
        date = np.concatenate([ref_date, extra_date])
        is_referral = np.concatenate([np.ones(len(ref_child), bool), np.zeros(len(extra_child), bool)])
        order = np.lexsort((child, date))
        child, date, is_referral = child[order], date[order], is_referral[order]
        n = len(child)
        open_case = _open_referral_on(self.cases, child, date) & ~is_referral
        outcome = choose(rng, {"NFA_FLAG": 0.55, "ADVICE_FLAG": 0.35, "CP_ENQUIRY_FLAG": 0.02,
                               "PRIVATE_FOSTERING_FLAG": 0.01, "MISSING_FLAG": 0.04, "OLA_CP_FLAG": 0.03}, n)
        values = {k: outcomes.flag(~is_referral & ~open_case & (outcome == k)) for k in outcomes.CONTACT}
        values["NEW_REFERRAL_FLAG"] = outcomes.flag(is_referral)
        values["EXISTING_REFERRAL_FLAG"] = outcomes.flag(open_case)
        source = choose(rng, ctx.p.referrals.source, n)
        code_desc = _code_descriptions()
        desc = np.array([code_desc[("referral_source", s)] for s in source], dtype=object)
        free = rng.random(n) < float(p.free_text_share)
        desc[free] = np.array(FREE_TEXT, dtype=object)[rng.integers(0, len(FREE_TEXT), int(free.sum()))]
        hours = integers(rng, p.time_of_day_hours, n)
        stamp = date.astype("datetime64[s]") + (hours * 3600 + rng.integers(0, 3600, n)).astype("timedelta64[s]")
        self.put("ssd_contacts", {
            "cont_contact_id": ids.numbered("contact", n),
            "cont_person_id": self.person_id[child],
            "cont_contact_date": stamp,
            "cont_contact_source_code": source,
            "cont_contact_source_desc": desc,
            "cont_contact_outcome_json": outcomes.json_objects(outcomes.CONTACT, values, n),
        }, appear=date, until=date + np.timedelta64(1, "D"))

    # --- people -------------------------------------------------------------------------------------------------
    def person_tables(self, spell_children: np.ndarray) -> None:
        """People the extract can refer to: children of the window's cases, care leavers, contacts' children."""
        ctx, rng = self.ctx, self.rng
        referenced = np.unique(np.concatenate([self.cases["child"].to_numpy(), spell_children,
                                               self.contact_children])).astype(np.int64)
        ch = self.children.iloc[referenced].reset_index(drop=True)
        n = len(ch)
        sex = ch["sex"].to_numpy(dtype=object)
        # a looked-after child's sex is known (the SSDA903 refuses U, rule 232)
        looked_after = np.isin(referenced, self.looked_after_children)
        known = np.where(ctx.rng("cla_sex").random(n) < 0.51, "M", "F")
        sex = np.where(looked_after & (sex == "U"), known, sex).astype(object)
        dob = as_days(ch["dob"])
        fore = names.forenames(rng, sex)
        sur = names.surnames(rng, n)
        # no two people share a name and date of birth (that is the duplicate-person fault)
        for _ in range(50):
            key = pd.Series(fore).str.lower() + "|" + pd.Series(sur).str.lower() + "|" + pd.Series(dob.astype(str))
            clash = key.duplicated(keep="first").to_numpy()
            if not clash.any():
                break
            sur[clash] = names.surnames(rng, int(clash.sum()))
        death = self.all_cases.groupby("child")["death_date"].max().reindex(referenced).to_numpy(
            dtype="datetime64[D]")
        first = as_days(ch["first_date"])
        age_first = completed_years(dob, first)
        # UN1 (not of school age): only a child under 4 on the extract date; an older child has started school and
        # has a UPN (or another reason it is not known)
        under_school_age = completed_years(dob, np.full(n, self.horizon)) < 4
        upn = np.where(under_school_age, "UN1", np.where(rng.random(n) < 0.05, choose(rng, {
            "UN2": 0.3, "UN3": 0.1, "UN4": 0.3, "UN5": 0.3}, n), ""))
        legacy = np.where(rng.random(n) < float(ctx.p.children.legacy_id_share),
                          np.char.add("L", (500_000 + referenced).astype(str)), "")
        mother = (sex == "F") & (age_first >= 15) & (rng.random(n) < float(ctx.p.children.mother_share_girls_15_plus))
        ethnicity = choose(rng, ctx.p.children.ethnicity, n)
        gender = np.select([sex == "M", sex == "F"], ["Male", "Female"], "Not known")
        self.put("ssd_person", {
            "pers_person_id": self.person_id[referenced],
            "pers_forename": fore,
            "pers_surname": sur,
            "pers_sex": sex,
            "pers_gender": gender.astype(object),
            "pers_ethnicity": ethnicity,
            "pers_dob": dob,
            "pers_single_unique_id": ids.nhs_numbers(rng, n),
            "pers_legacy_id": legacy.astype(object),
            "pers_upn": np.where(upn == "", ids.upns(ctx.rng("upn"), n, ctx.la.dfe_code), ""),
            "pers_upn_unknown": upn.astype(object),
            "pers_send_flag": outcomes.flag(rng.random(n) < float(ctx.p.children.send_share)),
            "pers_expected_dob": np.full(n, NAT),
            "pers_death_date": death,
            "pers_is_mother": outcomes.flag(mother),
            "pers_nationality": np.full(n, "", dtype=object),
        }, appear=dob)
        disabled = (rng.random(n) < float(ctx.p.children.disability_share)) | ch["short_breaks"].fillna(False).to_numpy(
            dtype=bool)
        who = np.flatnonzero(disabled)
        k = np.where(rng.random(who.size) < 0.3, 2, 1)
        owner = np.repeat(who, k)
        codes = choose(rng, {"LD": 0.25, "AUT": 0.25, "COMM": 0.15, "BEH": 0.1, "MOB": 0.07, "HEAR": 0.04,
                             "VIS": 0.03, "PC": 0.03, "HAND": 0.02, "INC": 0.02, "CON": 0.02, "DDA": 0.02},
                       owner.size)
        frame = pd.DataFrame({"owner": owner, "code": codes}).drop_duplicates()
        self.put("ssd_disability", {
            "disa_person_id": self.person_id[referenced][frame["owner"].to_numpy()],
            "disa_table_id": ids.numbered("disability", len(frame)),
            "disa_disability_code": frame["code"].to_numpy(dtype=object),
        }, appear=dob[frame["owner"].to_numpy()])

    def care_leaver_spells(self, spells: pd.DataFrame, first_spell_case: int) -> pd.DataFrame:
        """Care leavers' fixed attributes; the table itself is made per night (latest contact on or before it)."""
        rng = self.rng
        n = len(spells)
        out = spells.copy()
        out["case"] = first_spell_case + np.arange(n)
        out["table_id"] = ids.numbered("care_leaver", n)
        out["person_id"] = self.person_id[spells["child"].to_numpy()]
        out["in_touch"] = choose(rng, {"YES": 0.86, "NO": 0.06, "REFU": 0.04, "RHOM": 0.04}, n)
        out["activity"] = choose(rng, {"F1": 0.07, "P1": 0.01, "F2": 0.22, "P2": 0.05, "F4": 0.15, "P4": 0.07,
                                        "F5": 0.02, "P5": 0.01, "G4": 0.1, "G5": 0.24, "G6": 0.06}, n)
        out["accommodation"] = choose(rng, {"Supported lodgings": 0.2, "Staying put with former foster carer": 0.2,
                                            "Independent tenancy (rent £95 pw)": 0.2,
                                            "Semi-independent, transitional accommodation": 0.2,
                                            "With parents or relatives": 0.15, "Custody": 0.05}, n)
        out["suitable"] = np.where(out["accommodation"] == "Custody", "Not suitable",
                                   np.where(rng.random(n) < 0.9, "Suitable", "Not suitable"))
        out["contact_every"] = integers(rng, self.ctx.p.care.care_leaver_contact_interval_days, n)
        out["contact_phase"] = rng.integers(0, 30, n)
        return out


# ---------------------------------------------------------------------------------------------------------------
FREE_TEXT = (
    'Call from school: "she said she didn\'t want to go home"\nDSL to follow up',
    "Police PPN - DA incident, children present.\r\nNo injuries seen.",
    'Neighbour reports "shouting every night"; caller wants to stay anonymous',
    "Text from GP surgery \U0001F4F1 re: missed immunisations",
    "Health visitor concern - home conditions (\"very cold, no heating\")",
    "Mum self-referred \U0001F64F asking for help with housing\nand food",
)


def _open_referral_on(cases: pd.DataFrame, child: np.ndarray, date: np.ndarray) -> np.ndarray:
    """Whether the child had a referral open on the date (contacts then record an existing referral)."""
    real = cases[~cases["duplicate"]].sort_values("referral_date")
    query = pd.DataFrame({"child": child, "on": as_days(date), "row": np.arange(len(child))}).sort_values("on")
    found = pd.merge_asof(query, real[["child", "referral_date", "close_date"]].rename(
        columns={"referral_date": "on"}), on="on", by="child", direction="backward")
    is_open = found["close_date"].notna() & (as_days(found["close_date"]) > as_days(found["on"]))
    out = np.zeros(len(child), dtype=bool)
    out[found["row"].to_numpy()] = is_open.to_numpy()
    return out


def _assessment_factors(rng: np.random.Generator, pathway: np.ndarray, outcome_nfa: np.ndarray) -> np.ndarray:
    """JSON arrays of CIN census factors: one to four per assessment, no repeats, '21' (none identified) only on its
    own."""
    pool = {"3B": 0.14, "4B": 0.12, "1B": 0.05, "2B": 0.06, "16A": 0.09, "17A": 0.08, "18C": 0.04, "19C": 0.02,
            "3A": 0.05, "4A": 0.05, "14A": 0.03, "10A": 0.02, "24A": 0.02, "11A": 0.02, "5A": 0.02, "6B": 0.03,
            "3C": 0.03, "20": 0.05, "7A": 0.02, "15A": 0.02, "18B": 0.01, "13A": 0.01, "8E": 0.005, "22A": 0.003,
            "23A": 0.002, "9A": 0.005, "5B": 0.02, "6A": 0.02}
    n = len(pathway)
    k = rng.choice([1, 2, 3, 4], size=n, p=[0.35, 0.35, 0.2, 0.1])
    codes = np.stack([choose(rng, pool, n) for _ in range(4)], axis=1)
    keep = np.arange(4)[None, :] < k[:, None]
    for j in range(1, 4):  # a factor already listed in the row is not repeated
        keep[:, j] &= ~(codes[:, :j] == codes[:, j:j + 1]).any(axis=1)
    text = np.full(n, "", dtype=object)
    for j in range(4):
        piece = np.where(keep[:, j], '"' + codes[:, j].astype(object) + '"', "")
        separator = np.where(keep[:, j] & (text != ""), ",", "")
        text = text + separator + piece
    out = "[" + text + "]"
    none_found = outcome_nfa & (rng.random(n) < 0.3)
    out[none_found] = '["21"]'
    return out.astype(object)


def _code_descriptions() -> dict[tuple[str, str], str]:
    from csc_synthetic.codes import code_lists

    return {(r.code_list, r.code): r.description for r in code_lists().itertuples()}
