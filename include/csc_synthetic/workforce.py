"""Teams, social workers and the funded establishment.

Teams are sized from the casework the simulation produced (children per case-holder FTE near the configured
caseload). Each post is held by a succession of workers with start and leave dates, some agency, some newly
qualified, with vacancy gaps between them; funded FTE per team changes each April.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from csc_synthetic.calendar import add_months, as_days
from csc_synthetic.context import Context
from csc_synthetic.sampling import choose, days, integers

NAT = np.datetime64("NaT", "D")

CASE_TEAMS = {
    "assessment": ("Front Door and Assessment Service", "Assessment Team"),
    "safeguarding": ("Safeguarding and Family Support Service", "Family Safeguarding Team"),
    "children_in_care": ("Children in Care Service", "Children in Care Team"),
    "leaving_care": ("Children in Care Service", "Leaving Care Team"),
}
AREAS = ["North", "South", "East", "West", "Central", "Coastal", "Rural", "City"]


def build(ctx: Context, demand: dict[str, float], reviewing_demand: float) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                     pd.DataFrame]:
    """(teams, workers, establishment). ``demand``: average open cases per team type over the window."""
    rng = ctx.rng("workforce")
    w = ctx.p.workforce
    teams, posts = _teams_and_posts(ctx, demand, reviewing_demand)
    workers = _occupants(ctx, rng, posts)
    workers = _worker_details(ctx, rng, workers)
    establishment = _establishment(ctx, rng, teams, posts)
    if float(w.target_caseload) <= 0:
        raise ValueError("workforce.target_caseload must be positive")
    return teams, workers, establishment


def _teams_and_posts(ctx: Context, demand: dict[str, float], reviewing_demand: float
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    w = ctx.p.workforce
    team_size = ctx.size.team_size
    teams = [{"key": "csc", "name": "Children's Social Care", "parent": None, "type": "management"}]
    services = {}
    for service in dict.fromkeys([s for s, _ in CASE_TEAMS.values()] + ["Quality Assurance and Reviewing Service",
                                                                        "Early Help Service"]):
        services[service] = f"svc{len(services)}"
        teams.append({"key": services[service], "name": service, "parent": "csc", "type": "service"})
    posts = []  # one row per post: team key, org_role, agency, type
    for team_type, (service, base_name) in CASE_TEAMS.items():
        fte_needed = max(demand.get(team_type, 0.0), 1.0) / float(w.target_caseload)
        n_posts = max(2, math.ceil(fte_needed / 0.93))
        n_teams = max(1, round(n_posts / team_size))
        for t in range(n_teams):
            area = AREAS[t % len(AREAS)] + ("" if t < len(AREAS) else f" {t // len(AREAS) + 1}")
            key = f"{team_type}{t}"
            name = base_name if n_teams == 1 else f"{base_name} {area}"
            teams.append({"key": key, "name": name, "parent": services[service], "type": team_type})
            posts.append({"team": key, "role": "3", "type": team_type, "core": t == 0})
            share = n_posts // n_teams + (1 if t < n_posts % n_teams else 0)
            for i in range(share):
                posts.append({"team": key, "role": "case", "type": team_type, "core": t == 0 and i < 2})
    reviewing = "reviewing"
    teams.append({"key": reviewing, "name": "Independent Reviewing Service",
                  "parent": services["Quality Assurance and Reviewing Service"], "type": "reviewing"})
    for _ in range(max(1, math.ceil(reviewing_demand * float(w.reviewing_officers_per_100_children) / 100))):
        posts.append({"team": reviewing, "role": "6", "type": "reviewing", "core": True})
    family_support = "family_support"
    teams.append({"key": family_support, "name": "Family Support Team",
                  "parent": services["Early Help Service"], "type": "family_support"})
    n_safeguarding = sum(1 for t in teams if t["type"] == "safeguarding")
    for _ in range(max(1, n_safeguarding * int(w.family_support_workers_per_team))):
        posts.append({"team": family_support, "role": "fsw", "type": "family_support", "core": True})
    for service_key in services.values():
        posts.append({"team": service_key, "role": "2", "type": "service", "core": True})
    for _ in range(2 if ctx.size.population_0_17 < 100_000 else 3):
        posts.append({"team": "csc", "role": "1", "type": "management", "core": True})
    teams = pd.DataFrame(teams)
    posts = pd.DataFrame(posts)
    posts["post"] = np.arange(len(posts))
    return teams, posts


def _occupants(ctx: Context, rng: np.random.Generator, posts: pd.DataFrame) -> pd.DataFrame:
    """The succession of workers in each post from before the simulation starts to after the last night."""
    w = ctx.p.workforce
    n = len(posts)
    agency_post = (posts["role"].isin(["case"]) & (rng.random(n) < float(w.agency_post_share))).to_numpy()
    agency_post = agency_post & (~posts["core"].to_numpy() | (rng.random(n) < 0.5))
    mean_tenure = np.where(agency_post, float(w.agency_mean_tenure_years), float(w.la_mean_tenure_years)) * 365.25
    start = ctx.sim_start - days(integers(rng, (0, 3000), n))
    start = np.where(agency_post, ctx.sim_start - days(integers(rng, (0, 300), n)), start)
    end = ctx.sim_start + days(np.maximum(30, rng.exponential(mean_tenure)).astype(np.int64))
    rows = []
    active = np.arange(n)
    current_start, current_end = start, end
    first = True
    while active.size:
        rows.append(pd.DataFrame({"post": active, "start": current_start, "end": current_end - np.timedelta64(1, "D"),
                                  "initial": first}))
        first = False
        gap = integers(rng, w.vacancy_gap_days, active.size)
        # posts that must never be empty on an extract night (the first two of each team type) refill at once
        core = posts["core"].to_numpy()[active]
        gap = np.where(core & ctx.nights_overlap(current_end, current_end + days(gap)), 0, gap)
        next_start = current_end + days(gap)
        tenure = np.maximum(30, rng.exponential(mean_tenure[active])).astype(np.int64)
        keep = next_start <= ctx.as_of
        active = active[keep]
        current_start = next_start[keep]
        current_end = current_start + days(tenure[keep])
    workers = pd.concat(rows, ignore_index=True).merge(posts, on="post")
    workers["agency"] = np.where(agency_post[workers["post"].to_numpy()], "Y", "N")
    return workers.sort_values(["post", "start"]).reset_index(drop=True)


def _worker_details(ctx: Context, rng: np.random.Generator, workers: pd.DataFrame) -> pd.DataFrame:
    w = ctx.p.workforce
    n = len(workers)
    la = workers["agency"].to_numpy() == "N"
    case = workers["role"].to_numpy() == "case"
    senior = case & (rng.random(n) < float(w.senior_practitioner_share))
    newly_qualified = case & la & ~senior & (rng.random(n) < float(w.newly_qualified_share_of_la_hires))
    role = np.where(case, np.where(senior, "4", "5"), workers["role"].to_numpy()).astype(object)
    start = as_days(workers["start"])
    years_qualified = np.where(senior | ~case, integers(rng, (4, 25), n), integers(rng, (2, 18), n))
    qualification = add_months(start, -12 * years_qualified - integers(rng, (0, 11), n))
    qualification = np.where(newly_qualified, start - days(integers(rng, (0, 120), n)), qualification)
    origin = choose(rng, w.start_origin_experienced, n)
    origin = np.where(newly_qualified, "1", origin)
    origin = np.where(la, origin, "")
    fte = choose(rng, w.fte, n)
    fte = np.where(la & (role != "1"), fte, "1")
    leave_reason = choose(rng, w.reason_leave, n)
    leave_reason = np.where(la, leave_reason, "9")
    is_fsw = workers["role"].to_numpy() == "fsw"
    workers["org_role"] = np.where(is_fsw, "", role)
    workers["newly_qualified"] = newly_qualified
    workers["qualification_date"] = np.where(is_fsw, NAT, qualification)
    workers["start_origin"] = np.where(is_fsw, "", origin)
    workers["fte"] = fte
    workers["reason_leave"] = np.where(is_fsw, "", leave_reason)
    workers["in_hr"] = ~is_fsw
    titles = {"1": "Head of Service", "2": "Service Manager", "3": "Team Manager", "4": "Senior Practitioner",
              "5": "Social Worker", "6": "Independent Reviewing Officer", "": "Family Support Worker"}
    title = np.array([titles[r] for r in workers["org_role"]], dtype=object)
    title = np.where(newly_qualified, "Newly Qualified Social Worker (ASYE)", title)
    title = np.where((workers["type"] == "leaving_care").to_numpy() & case, "Personal Adviser (Social Worker)",
                     title)
    title = np.where((workers["agency"] == "Y").to_numpy(), np.char.add(title.astype(str), " (Agency)"), title)
    workers["job_title"] = title
    return workers


def _establishment(ctx: Context, rng: np.random.Generator, teams: pd.DataFrame, posts: pd.DataFrame
                   ) -> pd.DataFrame:
    """Funded social worker FTE per team from each April (to 0.5 FTE), drifting a little year on year."""
    w = ctx.p.workforce
    social_work = posts[~posts["role"].isin(["fsw"])]
    per_team = social_work.groupby("team").size()
    first_year = int(str(ctx.sim_start)[:4]) - 1
    last_year = int(str(ctx.as_of)[:4])
    rows = []
    lo, hi = (float(x) for x in w.funded_ratio)
    for team, count in per_team.items():
        level = count * 0.93 * rng.uniform(lo, hi)
        for year in range(first_year, last_year + 1):
            effective = np.datetime64(f"{year}-04-01")
            if effective > ctx.as_of:
                break
            level = max(0.5, level * rng.uniform(0.97, 1.04))
            rows.append({"team": team, "effective_from": effective, "funded_fte": round(level * 2) / 2})
    return pd.DataFrame(rows)
