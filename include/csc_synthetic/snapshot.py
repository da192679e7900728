"""One night's extract from the simulated world: what the case-management system held on that date.

Rows appear once recorded; an end date after the night is not yet known (blank, with what depends on it, such as a
closure reason); cases that closed before the six-year history window are gone; people and workers are in the
extract when a row of it refers to them (workers also while in post within the window).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csc_synthetic.allocation import ALLOCATED
from csc_synthetic.calendar import add_months, as_days
from csc_synthetic.context import Context
from csc_synthetic.full_ssd import simulated_contract
from csc_synthetic.world import HIDDEN, World

NAT = np.datetime64("NaT", "D")

# end date -> the columns only known once the record has ended
ENDS = {
    "ssd_person": {"pers_death_date": []},
    "ssd_cin_episodes": {"cine_close_date": ["cine_close_reason"]},
    "ssd_cin_assessments": {"cina_assessment_auth_date": ["cina_assessment_outcome_json",
                                                          "cina_assessment_outcome_nfa"]},
    "ssd_cin_plans": {"cinp_cin_plan_end_date": []},
    "ssd_s47_enquiry": {"s47e_s47_end_date": ["s47e_s47_nfa", "s47e_s47_outcome_json"]},
    "ssd_cp_plans": {"cppl_cp_plan_end_date": []},
    "ssd_cla_episodes": {"clae_cla_episode_ceased_date": ["clae_cla_episode_ceased_reason"]},
    "ssd_cla_placement": {"clap_cla_placement_end_date": ["clap_cla_placement_change_reason"]},
    "ssd_legal_status": {"lega_legal_status_end_date": []},
    "ssd_missing": {"miss_missing_episode_end_date": ["miss_missing_rhi_offered", "miss_missing_rhi_accepted"]},
    "ssd_involvements": {"invo_involvement_end_date": ["invo_worker_change_reason"]},
    "hr_workers": {"role_end_date": ["reason_leave"]},
}
PEOPLE_AND_STAFF = {"ssd_person", "ssd_disability", "ssd_professionals", "hr_workers", "ssd_department"}


def take(ctx: Context, world: World, night: np.datetime64) -> dict[str, pd.DataFrame]:
    """The extract tables of one night (contract columns only, in contract order)."""
    contract = simulated_contract()
    window_start = ctx.window_start(night)
    case_in = (world.case_start <= night) & (world.case_end > window_start)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in world.tables.items():
        if name in PEOPLE_AND_STAFF:
            continue
        case = frame["_case"].to_numpy()
        appear = as_days(frame["_appear"])
        until = as_days(frame["_until"])
        with_case = case >= 0
        keep = appear <= night
        keep &= np.where(with_case, case_in[np.maximum(case, 0)], np.isnat(until) | (until > window_start))
        out[name] = _blank_unknown_ends(name, frame.loc[keep], night)

    out["ssd_care_leavers"] = _care_leavers(world, out["ssd_involvements"], night)
    people = _referenced(contract, out, "person")
    persons = world.tables["ssd_person"]
    out["ssd_person"] = _blank_unknown_ends("ssd_person", persons[persons["pers_person_id"].isin(people)], night)
    disability = world.tables["ssd_disability"]
    out["ssd_disability"] = disability[disability["disa_person_id"].isin(people)]

    staff = _referenced(contract, out, "worker")
    for name, id_col in (("ssd_professionals", "prof_professional_id"), ("hr_workers", "worker_id")):
        frame = world.tables[name]
        appear = as_days(frame["_appear"])
        until = as_days(frame["_until"])
        in_window = (appear <= night) & (until > window_start)
        out[name] = _blank_unknown_ends(name, frame[in_window | frame[id_col].isin(staff)], night)
    out["ssd_department"] = world.tables["ssd_department"]
    out["ssd_professionals"] = _with_caseloads(out["ssd_professionals"], out["hr_workers"],
                                               out["ssd_involvements"], night)
    out["ssd_cla_episodes"] = _with_last_iro_contact(out["ssd_cla_episodes"], out["ssd_cla_reviews"], night)
    return {t.name: out[t.name].drop(columns=[c for c in HIDDEN if c in out[t.name].columns]).reset_index(drop=True)
            for t in contract}


def _blank_unknown_ends(name: str, frame: pd.DataFrame, night: np.datetime64) -> pd.DataFrame:
    frame = frame.copy()
    for end_col, dependents in ENDS.get(name, {}).items():
        later = (as_days(frame[end_col]) > night)
        if later.any():
            frame.loc[later, end_col] = pd.NaT
            for col in dependents:
                frame.loc[later, col] = ""
    return frame


def _referenced(contract, tables: dict[str, pd.DataFrame], kind: str) -> set:
    """Ids of people (or workers) any row of the night's extract refers to."""
    found: set = set()
    for name, frame in tables.items():
        for column in contract.table(name).columns:
            if column.identifies == kind and column.name in frame.columns:
                found.update(frame[column.name].dropna().unique().tolist())
    found.discard("")
    return found


def _care_leavers(world: World, involvements: pd.DataFrame, night: np.datetime64) -> pd.DataFrame:
    """Care leavers on the night: left care at 18 after 13 weeks or more, not yet 21; their latest contact and
    pathway plan review on or before the night; their personal adviser is the allocated worker that night."""
    s = world.care_leavers
    s = s[(as_days(s["start"]) <= night) & (as_days(s["end"]) > night)]
    start = as_days(s["start"])
    since = (night - start).astype(np.int64) - s["contact_phase"].to_numpy()
    latest = np.where(since >= 0, start + (s["contact_phase"].to_numpy() + since // s["contact_every"].to_numpy()
                                            * s["contact_every"].to_numpy()).astype("timedelta64[D]"), start)
    months = ((night.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(np.int64) // 6) * 6
    review = add_months(start, months)
    review = np.where(review > night, add_months(start, np.maximum(months - 6, 0)), review)
    allocated = involvements[(involvements["invo_professional_role_id"] == ALLOCATED)
                             & involvements["invo_involvement_end_date"].isna()]
    by_person = allocated.drop_duplicates("invo_person_id").set_index("invo_person_id")
    worker = by_person["invo_professional_id"].reindex(s["person_id"]).fillna("").to_numpy(dtype=object)
    team = by_person["invo_professional_team"].reindex(s["person_id"]).fillna("").to_numpy(dtype=object)
    names = world.workers.set_index("worker_id")["name"]
    adviser = names.reindex(worker).fillna("").to_numpy(dtype=object)
    frame = pd.DataFrame({
        "clea_table_id": s["table_id"].to_numpy(),
        "clea_person_id": s["person_id"].to_numpy(),
        "clea_care_leaver_eligibility": "Former relevant",
        "clea_care_leaver_in_touch": s["in_touch"].to_numpy(),
        "clea_care_leaver_latest_contact": latest,
        "clea_care_leaver_accommodation": s["accommodation"].to_numpy(),
        "clea_care_leaver_accom_suitable": s["suitable"].to_numpy(),
        "clea_care_leaver_activity": s["activity"].to_numpy(),
        "clea_pathway_plan_review_date": review,
        "clea_care_leaver_personal_advisor": adviser,
        "clea_care_leaver_allocated_team": team,
        "clea_care_leaver_worker_id": worker,
    })
    return frame


def _with_caseloads(professionals: pd.DataFrame, hr: pd.DataFrame, involvements: pd.DataFrame,
                    night: np.datetime64) -> pd.DataFrame:
    """Cases held on the previous 30 September (children allocated), for case-holding workers."""
    year = int(str(night)[:4])
    census = np.datetime64(f"{year}-09-30")
    if census > night:
        census = np.datetime64(f"{year - 1}-09-30")
    inv = involvements[involvements["invo_professional_role_id"] == ALLOCATED]
    start = as_days(inv["invo_involvement_start_date"])
    end = as_days(inv["invo_involvement_end_date"])
    open_then = (start <= census) & (np.isnat(end) | (end > census))
    counts = inv[open_then].groupby("invo_professional_id")["invo_person_id"].nunique()
    case_holders = set(hr.loc[hr["org_role"].isin(["4", "5"]), "worker_id"])
    started = hr.set_index("worker_id")["role_start_date"]
    out = professionals.copy()
    holder = out["prof_professional_id"].isin(case_holders).to_numpy().copy()
    began = as_days(started.reindex(out["prof_professional_id"]).to_numpy())
    holder &= began <= census
    count = counts.reindex(out["prof_professional_id"]).fillna(0).astype(np.int64).astype(str).to_numpy(dtype=object)
    out["prof_professional_caseload"] = np.where(holder, count, "")
    return out


def _with_last_iro_contact(episodes: pd.DataFrame, reviews: pd.DataFrame, night: np.datetime64) -> pd.DataFrame:
    """The latest review of the period of care held while the episode was open (by the night)."""
    held = reviews[reviews["clar_cla_review_cancelled"] == "N"][["clar_cla_id", "clar_cla_review_date"]]
    held = held.rename(columns={"clar_cla_id": "clae_cla_id", "clar_cla_review_date": "on"}).sort_values("on")
    end = as_days(episodes["clae_cla_episode_ceased_date"])
    last_day = np.where(np.isnat(end), night, end - np.timedelta64(1, "D"))
    query = pd.DataFrame({"clae_cla_id": episodes["clae_cla_id"].to_numpy(), "on": last_day,
                          "row": np.arange(len(episodes)),
                          "start": as_days(episodes["clae_cla_episode_start_date"])}).sort_values("on")
    found = pd.merge_asof(query, held.assign(review=held["on"]), on="on", by="clae_cla_id", direction="backward")
    review = as_days(found["review"].to_numpy())
    review = np.where(review >= as_days(found["start"].to_numpy()), review, np.datetime64("NaT"))
    out = episodes.copy()
    values = np.full(len(episodes), NAT)
    values[found["row"].to_numpy()] = review
    out["clae_cla_last_iro_contact_date"] = values
    return out
