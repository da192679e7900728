"""The SSD v1.4.5 tables beyond the extract contract, with plausible rows for the simulated children.

A real SystemC, Mosaic or Eclipse SSD holds about 46 tables; the product uses 23 of them today and records the
others (accepted, not loaded). ``csc generate --full-ssd`` (the default for every system but generic) writes them
too, with the columns of the SystemC v1.4.5 deployment (``csc/contract/ssd_v1.4.5_systemc_columns.csv``) and rows
consistent with the night's contract tables: a home from birth with a real postcode of the LA's area for every person,
mothers for ``pers_is_mother``, health checks, immunisations and SDQ scores for looked-after children, permanence for
adoptions and special guardianship, SEND and EHCP records for ``pers_send_flag`` children, and so on.

Nothing here draws from the simulation's random streams: every value is a stable hash of the seed, the table and
the record, so the contract tables and the truth files are the same with or without these tables, and a record
keeps its values from one night to the next.
"""

from __future__ import annotations

import csv
import hashlib
import json
import zlib
from collections import defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import csc.contract
from csc.contract import Column, Contract, Table, load_contract
from csc_synthetic import postcodes
from csc_synthetic.config import SyntheticLA

COLUMNS_CSV = Path(csc.contract.__file__).with_name("ssd_v1.4.5_systemc_columns.csv")
NAT = np.datetime64("NaT", "D")
DAY = np.timedelta64(1, "D")


@cache
def simulated_contract() -> Contract:
    """The contract tables the simulation builds every night: all but the optional SSD tables the returns read
    (``ssd_address``, ``ssd_mother``...), which a full SSD carries and this module writes with ``--full-ssd``."""
    contract = load_contract()
    return Contract(version=contract.version,
                    tables={name: table for name, table in contract.tables.items()
                            if not (table.optional and table.source == "ssd")})


@cache
def extra_tables() -> dict[str, Table]:
    """The v1.4.5 tables beyond the simulated contract tables, in the deployment's column order: the optional
    contract tables (their contract shape) and the tables the contract does not hold (recorded, not loaded)."""
    contract = load_contract()
    simulated = simulated_contract()
    rows: dict[str, list[dict]] = defaultdict(list)
    with COLUMNS_CSV.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["table"] not in simulated.tables:
                rows[row["table"]].append(row)
    out = {}
    for name, columns in rows.items():
        if name in contract.tables:
            table = contract.table(name)
            order = [c["column"] for c in columns]
            if sorted(order) != sorted(table.column_names):
                raise AssertionError(f"{name}: the contract's columns differ from the v1.4.5 deployment's")
            out[name] = table.model_copy(update={"columns": tuple(table.column(c) for c in order)})
            continue
        out[name] = Table(
            name=name, source="ssd", description="SSD v1.4.5 table the product does not load yet",
            primary_key=tuple(c["column"] for c in columns if c["primary_key"] == "Y"),
            columns=tuple(Column(name=c["column"], type=_type(c["column"], c["sql_server_type"]),
                                 source_type=c["sql_server_type"], description=f"SSD v1.4.5 {c['sql_server_type']}")
                          for c in columns))
    return out


def _type(name: str, sql_type: str):
    if sql_type == "datetime":
        return "datetime"
    if sql_type == "int":
        return "integer"
    if name.endswith("_id"):
        return "id"
    return "text"


class _Hash:
    """Stable draws per record: the same seed, table, record and purpose give the same number every night."""

    def __init__(self, seed: int):
        self.seed = seed

    def unit(self, purpose: str, keys) -> np.ndarray:
        """Uniform in [0, 1) per key (SipHash keyed by the seed and the purpose: vectorised, stable)."""
        keys = np.asarray(keys, dtype=object)
        if keys.size == 0:
            return np.zeros(0, dtype=float)
        hash_key = hashlib.md5(f"{self.seed}|{purpose}".encode()).hexdigest()[:16]
        hashed = pd.util.hash_array(keys.astype(str).astype(object), hash_key=hash_key, categorize=False)
        return (hashed >> np.uint64(11)).astype(np.float64) / float(1 << 53)

    def pick(self, purpose: str, keys, options) -> np.ndarray:
        options = np.asarray(options, dtype=object)
        return options[(self.unit(purpose, keys) * len(options)).astype(np.int64) % len(options)]

    def days(self, purpose: str, keys, low: int, high: int) -> np.ndarray:
        return (low + (self.unit(purpose, keys) * (high - low + 1)).astype(np.int64)).astype("timedelta64[D]")


def _d(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values), errors="coerce").to_numpy().astype("datetime64[D]")


def _clip(dates: np.ndarray, night: np.datetime64) -> np.ndarray:
    return np.where(np.isnat(dates) | (dates <= night), dates, night)


def _ids(prefix: str, keys) -> np.ndarray:
    return np.array([f"{prefix}{k}" for k in keys], dtype=object)


def build(tables: dict[str, pd.DataFrame], night: np.datetime64, seed: int, la: SyntheticLA
          ) -> dict[str, tuple[Table, pd.DataFrame]]:
    """Every extra table of the night: name -> (its shape, its rows in the shape's columns).

    The tables the SSDA903 reads are tied to the night's episodes, as an LA's own records are (the DfE validator
    cross-checks them): home addresses with real postcodes of the LA's area (postcodes.csv) from birth, so that every
    episode has a home the validator can place; SDQ reasons for the ages that have an SDQ; previous permanence orders
    made by the LA or a neighbour (their DfE numbers); one permanence record per adoption (see ``_permanence``)."""
    h = _Hash(seed)
    shapes = extra_tables()
    person = tables["ssd_person"].drop_duplicates("pers_person_id")
    pid = person["pers_person_id"].fillna("").astype(str).to_numpy(dtype=object)
    dob = _d(person["pers_dob"])
    episodes = tables["ssd_cla_episodes"]
    cla_person = episodes["clae_person_id"].fillna("").astype(str).to_numpy(dtype=object)
    looked_after = np.unique(cla_person[cla_person != ""])
    dob_of = pd.Series(dob, index=pid)
    dob_of = dob_of[~dob_of.index.duplicated()]
    lac_dob = _d(dob_of.reindex(looked_after).to_numpy())
    entered = (pd.DataFrame({"p": cla_person, "d": _d(episodes["clae_entered_care_date"])})
               .groupby("p")["d"].min().reindex(looked_after).to_numpy().astype("datetime64[D]"))
    ceased = _d(episodes["clae_cla_episode_ceased_date"])
    in_care_lately = set(cla_person[np.isnat(ceased) | (ceased >= night - DAY * 365)].tolist())
    year_ago = np.maximum(entered, night - DAY * 365)  # checks and scores of the last year
    out: dict[str, pd.DataFrame] = {}

    # addresses: the current home of every person, a previous one for some; a home from birth (the first address
    # starts on the date of birth), so that every episode has the home the child lived in when it started
    moved = h.unit("moved", pid) < 0.3
    since = _clip(np.where(np.isnat(dob), night - DAY * 365, dob), night)
    current = pd.DataFrame({
        "addr_table_id": _ids("A", pid), "addr_person_id": pid, "addr_address_type": "HOME",
        "addr_address_start_date": np.where(moved, _clip(since + h.days("move", pid, 200, 1500), night), since),
        "addr_address_end_date": NAT, "addr_address_postcode": postcodes.home_postcodes(h.unit("home", pid), la),
        "addr_address_json": _address_json(h, "home", pid)})
    old = pid[moved]
    previous = pd.DataFrame({
        "addr_table_id": _ids("AP", old), "addr_person_id": old, "addr_address_type": "PREVIOUS",
        "addr_address_start_date": since[moved], "addr_address_end_date": current["addr_address_start_date"][moved],
        "addr_address_postcode": postcodes.home_postcodes(h.unit("previous", old), la),
        "addr_address_json": _address_json(h, "previous", old)})
    out["ssd_address"] = pd.concat([current, previous], ignore_index=True)

    # immigration status: unaccompanied asylum-seeking children among the older looked-after children
    age_in = (entered - lac_dob).astype("timedelta64[D]").astype(float) / 365.25
    uasc = (h.unit("uasc", looked_after) < 0.08) & (age_in >= 14)
    out["ssd_immigration_status"] = pd.DataFrame({
        "immi_immigration_status_id": _ids("IM", looked_after[uasc]), "immi_person_id": looked_after[uasc],
        "immi_immigration_status_start_date": entered[uasc], "immi_immigration_status_end_date": NAT,
        "immi_immigration_status": "UASC"})

    # mothers: each pers_is_mother has a baby born after her 15th birthday and before the night
    mother = person["pers_is_mother"].fillna("").astype(str).str.upper().to_numpy() == "Y"
    mothers, mother_dob = pid[mother], dob[mother]
    birth = _clip(mother_dob + DAY * 5479 + h.days("baby", mothers, 0, 800), night)
    out["ssd_mother"] = pd.DataFrame({
        "moth_table_id": _ids("M", mothers), "moth_person_id": mothers,
        "moth_childs_person_id": _ids("9", [zlib.crc32(f"{seed}|baby|{m}".encode()) % 10**7 for m in mothers]),
        "moth_childs_dob": birth})

    # looked-after children: health checks, immunisations, substance misuse, convictions, SDQ scores, care plans
    health_date = _clip(year_ago + h.days("health", looked_after, 20, 300), night)
    dental = _clip(year_ago + h.days("dental", looked_after, 30, 330), night)
    out["ssd_cla_health"] = pd.DataFrame({
        "clah_health_check_id": np.concatenate([_ids("HA", looked_after), _ids("DC", looked_after)]),
        "clah_person_id": np.concatenate([looked_after, looked_after]),
        "clah_health_check_type": ["Health assessment"] * len(looked_after) + ["Dental check"] * len(looked_after),
        "clah_health_check_date": np.concatenate([health_date, dental]),
        "clah_health_check_status": np.concatenate([h.pick("hstatus", looked_after, ["Completed"] * 9 + ["Refused"]),
                                                    h.pick("dstatus", looked_after, ["Completed"] * 8 + ["Not due"])])})
    out["ssd_cla_immunisations"] = pd.DataFrame({
        "clai_person_id": looked_after,
        "clai_immunisations_status": h.pick("immunised", looked_after, ["Y"] * 9 + ["N"]),
        "clai_immunisations_status_date": health_date})
    age_now = (night - lac_dob).astype("timedelta64[D]").astype(float) / 365.25
    misuse = (h.unit("misuse", looked_after) < 0.05) & (age_now >= 12)
    out["ssd_cla_substance_misuse"] = pd.DataFrame({
        "clas_substance_misuse_id": _ids("SM", looked_after[misuse]), "clas_person_id": looked_after[misuse],
        "clas_substance_misuse_date": _clip(entered[misuse] + h.days("misused", looked_after[misuse], 30, 500), night),
        "clas_substance_misused": h.pick("substance", looked_after[misuse], ["Cannabis", "Alcohol", "Other"]),
        "clas_intervention_received": h.pick("intervention", looked_after[misuse], ["Y", "Y", "N"])})
    convicted = (h.unit("conviction", looked_after) < 0.03) & (age_now >= 10)
    out["ssd_cla_convictions"] = pd.DataFrame({
        "clac_cla_conviction_id": _ids("CV", looked_after[convicted]), "clac_person_id": looked_after[convicted],
        "clac_cla_conviction_date": _clip(entered[convicted] + h.days("convicted", looked_after[convicted], 60, 700),
                                          night),
        "clac_cla_conviction_offence": h.pick("offence", looked_after[convicted],
                                              ["Theft", "Criminal damage", "Common assault", "Possession"])})
    sdq = (age_now >= 4) & (age_now < 17)
    scored = looked_after[sdq]
    # no score: carers refused (SDQ2), other (SDQ4), the child refused (SDQ5); never SDQ1 (aged under 4 or over 16,
    # who have no SDQ here)
    sdq_reason = h.pick("sdq_reason", scored, ["SDQ2", "SDQ4", "SDQ5"] + [""] * 27)
    out["ssd_sdq_scores"] = pd.DataFrame({
        "csdq_table_id": _ids("SDQ", scored), "csdq_person_id": scored,
        "csdq_sdq_completed_date": _clip(year_ago[sdq] + h.days("sdq", scored, 60, 365), night),
        "csdq_sdq_score": np.where(sdq_reason == "", [str(v) for v in (h.unit("score", scored) * 30 + 2).astype(int)],
                                   ""),
        "csdq_sdq_reason": sdq_reason})
    out["ssd_cla_care_plan"] = pd.DataFrame({
        "lacp_table_id": _ids("CP", looked_after), "lacp_person_id": looked_after,
        "lacp_cla_care_plan_start_date": _clip(entered + h.days("plan", looked_after, 0, 20), night),
        "lacp_cla_care_plan_end_date": NAT,
        "lacp_cla_care_plan_json": [json.dumps({"REMAINSTAY": v}) for v in
                                    h.pick("plan_json", looked_after, ["Y", "Y", "N"])]})
    previous = h.unit("previous_permanence", looked_after) < 0.05
    prior = looked_after[previous]
    order_dates = entered[previous] - h.days("prior", prior, 200, 1500)
    out["ssd_cla_previous_permanence"] = pd.DataFrame({
        "lapp_table_id": _ids("PP", prior), "lapp_person_id": prior,
        "lapp_previous_permanence_option": h.pick("perm_option", prior, ["Adoption", "Special guardianship order",
                                                                          "Child arrangements order"]),
        # made by the LA itself or by a neighbour (its DfE number, as an SSD holds the other LA's code)
        "lapp_previous_permanence_la": np.where(
            (h.unit("perm_la", prior) < 0.5) | (len(la.neighbour_dfe_codes) == 0), "Same LA",
            h.pick("perm_other_la", prior, la.neighbour_dfe_codes or ("",))),
        "lapp_previous_permanence_order_date": [pd.Timestamp(d).strftime("%d/%m/%Y") if not np.isnat(d) else ""
                                                for d in order_dates]})

    # permanence: adoptions (a placement order, or a period of care ended by adoption) and special guardianship
    out["ssd_permanence"] = _permanence(h, episodes, tables["ssd_legal_status"], tables["ssd_cla_placement"])

    # early help, families, linked identifiers, pre-proceedings, voice of the child
    contacts = tables["ssd_contacts"]
    first_contact = (pd.DataFrame({"p": contacts["cont_person_id"].fillna("").astype(str),
                                   "d": _d(contacts["cont_contact_date"])}).groupby("p")["d"].min())
    helped = np.array(sorted(p for p in first_contact.index if p), dtype=object)
    helped = helped[h.unit("early_help", helped) < 0.25]
    eh_start = first_contact.reindex(helped).to_numpy().astype("datetime64[D]") - h.days("eh", helped, 10, 400)
    eh_end = eh_start + h.days("eh_end", helped, 60, 400)
    eh_end = np.where(eh_end > night, NAT, eh_end)
    out["ssd_early_help_episodes"] = pd.DataFrame({
        "earl_episode_id": _ids("EH", helped), "earl_person_id": helped, "earl_episode_start_date": eh_start,
        "earl_episode_end_date": eh_end,
        "earl_episode_reason": h.pick("eh_reason", helped, ["Parenting support", "School attendance",
                                                            "Domestic abuse", "Housing"]),
        "earl_episode_end_reason": np.where(np.isnat(eh_end), "", h.pick("eh_end_reason", helped,
                                                                        ["Needs met", "Stepped up to social care",
                                                                         "Family disengaged"])),
        "earl_episode_organisation": h.pick("eh_org", helped, ["Family hub", "School", "Health visiting"]),
        "earl_episode_worker_id": ""})
    family = _ids("F", 1_000_000 + (h.unit("family", pid) * max(2, len(pid) * 2 // 3)).astype(np.int64))
    out["ssd_family"] = pd.DataFrame({"fami_table_id": _ids("FA", pid), "fami_family_id": family,
                                      "fami_person_id": pid})
    upn = person["pers_upn"].fillna("").astype(str).to_numpy(dtype=object)
    former = (upn != "") & (h.unit("former_upn", pid) < 0.1)
    legacy = person["pers_legacy_id"].fillna("").astype(str).to_numpy(dtype=object)
    has_legacy = legacy != ""
    out["ssd_linked_identifiers"] = pd.concat([
        pd.DataFrame({"link_table_id": _ids("LU", pid[former]), "link_person_id": pid[former],
                      "link_identifier_type": "Former Unique Pupil Number",
                      "link_identifier_value": np.array([u[:-3] + f"{int(u[-3:]) + 1:03d}"[-3:] for u in upn[former]],
                                                        dtype=object),
                      "link_valid_from_date": NAT, "link_valid_to_date": _clip(dob[former] + DAY * 2000, night)}),
        pd.DataFrame({"link_table_id": _ids("LL", pid[has_legacy]), "link_person_id": pid[has_legacy],
                      "link_identifier_type": "Legacy system id", "link_identifier_value": legacy[has_legacy],
                      "link_valid_from_date": NAT, "link_valid_to_date": NAT})], ignore_index=True)
    legal = tables["ssd_legal_status"]
    court = legal[legal["lega_legal_status"].fillna("").astype(str).isin(["C1"])].drop_duplicates("lega_person_id")
    cp_key = court["lega_person_id"].fillna("").astype(str).to_numpy(dtype=object)
    issued = _d(court["lega_legal_status_start_date"])
    out["ssd_pre_proceedings"] = pd.DataFrame({
        "prep_table_id": _ids("PR", cp_key), "prep_person_id": cp_key,
        "prep_plo_family_id": [f"PLO{zlib.crc32(k.encode()) % 10**6:06d}" for k in cp_key],
        "prep_pre_pro_decision_date": issued - h.days("plo", cp_key, 60, 150),
        "prep_initial_pre_pro_meeting_date": issued - h.days("plo_meeting", cp_key, 30, 55),
        "prep_pre_pro_outcome": "Issue care proceedings", "prep_agree_stepdown_issue_date": issued,
        "prep_cp_plans_referral_period": h.pick("cp_count", cp_key, ["0", "1", "1", "2"]),
        "prep_legal_gateway_outcome": "Proceed to PLO", "prep_prev_pre_proc_child": h.pick("prev_pre", cp_key,
                                                                                          ["0", "0", "1"]),
        "prep_prev_care_proc_child": h.pick("prev_care", cp_key, ["0", "0", "0", "1"]),
        "prep_pre_pro_letter_date": issued - h.days("letter", cp_key, 25, 29),
        "prep_care_pro_letter_date": issued - h.days("care_letter", cp_key, 1, 7),
        "prep_pre_pro_meetings_num": h.pick("meetings", cp_key, ["1", "2", "3"]),
        "prep_pre_pro_parents_legal_rep": h.pick("rep", cp_key, ["Y", "Y", "N"]),
        "prep_parents_legal_rep_point_of_issue": h.pick("rep_issue", cp_key, ["Y", "N"]),
        "prep_court_reference": [f"ZW{zlib.crc32(f'court|{k}'.encode()) % 10**6:06d}" for k in cp_key],
        "prep_care_proc_court_hearings": h.pick("hearings", cp_key, ["2", "3", "4", "5"]),
        "prep_care_proc_short_notice": h.pick("short", cp_key, ["N", "N", "N", "Y"]),
        "prep_proc_short_notice_reason": "", "prep_la_inital_plan_approved": "Y",
        "prep_la_initial_care_plan": h.pick("initial_plan", cp_key, ["Return home", "Special guardianship",
                                                                     "Adoption", "Long-term fostering"]),
        "prep_la_final_plan_approved": "", "prep_la_final_care_plan": ""})
    cp = tables["ssd_cp_plans"].drop_duplicates("cppl_person_id")
    voiced = cp["cppl_person_id"].fillna("").astype(str).to_numpy(dtype=object)
    voiced = voiced[(voiced != "") & (h.unit("voice", voiced) < 0.5)]
    out["ssd_voice_of_child"] = pd.DataFrame({
        "voch_table_id": _ids("V", voiced), "voch_person_id": voiced,
        **{c: h.pick(c, voiced, ["Y", "Y", "N"]) for c in ("voch_explained_worries", "voch_story_help_understand",
                                                            "voch_agree_worker", "voch_plan_safe",
                                                            "voch_tablet_help_explain")}})
    placements = tables["ssd_cla_placement"]
    open_placement = placements[placements["clap_cla_placement_end_date"].isna()]
    pl = open_placement["clap_cla_placement_id"].fillna("").astype(str).to_numpy(dtype=object)
    out["ssd_s251_finance"] = pd.DataFrame({
        "s251_table_id": _ids("S", pl), "s251_cla_placement_id": pl,
        "s251_placeholder_1": [f"{int(v)}" for v in h.unit("weekly_cost", pl) * 3000 + 400],
        "s251_placeholder_2": "", "s251_placeholder_3": "", "s251_placeholder_4": ""})

    # SEND and EHCPs (usually held by the education system, and present in SSDs that link them)
    send = person["pers_send_flag"].fillna("").astype(str).str.upper().to_numpy() == "Y"
    sp = pid[send]
    out["ssd_send"] = pd.DataFrame({
        "send_table_id": _ids("SE", sp), "send_person_id": sp, "send_upn": upn[send], "send_uln": "",
        "send_upn_unknown": person["pers_upn_unknown"].fillna("").astype(str).to_numpy(dtype=object)[send]})
    asked = sp[h.unit("ehcp_request", sp) < 0.6]
    asked_on = _clip(_d(dob_of.reindex(asked).to_numpy()) + h.days("ehcp_on", asked, 900, 3500), night)
    agreed = h.unit("ehcp_agreed", asked) < 0.75
    out["ssd_ehcp_requests"] = pd.DataFrame({
        "ehcr_ehcp_request_id": _ids("ER", asked), "ehcr_send_table_id": _ids("SE", asked),
        "ehcr_ehcp_req_date": asked_on, "ehcr_ehcp_req_outcome_date": _clip(asked_on + DAY * 42, night),
        "ehcr_ehcp_req_outcome": np.where(agreed, "A", "R")})
    assessed = asked[agreed]
    plan = h.unit("ehcp_plan", assessed) < 0.85
    out["ssd_ehcp_assessment"] = pd.DataFrame({
        "ehca_ehcp_assessment_id": _ids("EA", assessed), "ehca_ehcp_request_id": _ids("ER", assessed),
        "ehca_ehcp_assessment_outcome_date": _clip(asked_on[agreed] + DAY * 112, night),
        "ehca_ehcp_assessment_outcome": np.where(plan, "Y", "N"), "ehca_ehcp_assessment_exceptions": ""})
    planned = assessed[plan]
    out["ssd_ehcp_named_plan"] = pd.DataFrame({
        "ehcn_named_plan_id": _ids("EN", planned), "ehcn_ehcp_asmt_id": _ids("EA", planned),
        "ehcn_named_plan_start_date": _clip(asked_on[agreed][plan] + DAY * 140, night),
        "ehcn_named_plan_ceased_date": NAT, "ehcn_named_plan_ceased_reason": ""})
    out["ssd_ehcp_active_plans"] = pd.DataFrame({
        "ehcp_active_ehcp_id": _ids("EP", planned), "ehcp_ehcp_request_id": _ids("ER", planned),
        "ehcp_active_ehcp_last_review_date": _clip(asked_on[agreed][plan] + DAY * 505, night)})
    out["ssd_sen_need"] = pd.DataFrame({
        "senn_table_id": _ids("SN", planned), "senn_active_ehcp_id": _ids("EP", planned),
        "senn_active_ehcp_need_type": h.pick("need", planned, ["ASD", "SEMH", "SLCN", "MLD", "SPLD", "PD"]),
        "senn_active_ehcp_need_rank": "1"})

    for name, column in (("ssd_cla_health", "clah_person_id"), ("ssd_cla_immunisations", "clai_person_id"),
                         ("ssd_sdq_scores", "csdq_person_id"), ("ssd_cla_care_plan", "lacp_person_id")):
        out[name] = out[name][out[name][column].isin(in_care_lately)]
    known = set(pid.tolist())
    result = {}
    for name, table in shapes.items():
        frame = out[name]
        missing = [c for c in table.column_names if c not in frame.columns]
        extra = [c for c in frame.columns if c not in table.column_names]
        if missing or extra:
            raise AssertionError(f"{name}: columns missing {missing} or unknown {extra}")
        for column in table.column_names:  # only children of the extract (not an orphan id a fault made)
            if column.endswith("_person_id") and column != "moth_childs_person_id":
                frame = frame[frame[column].isin(known)]
        frame = frame[table.column_names].reset_index(drop=True)
        for column in table.columns:
            if column.type == "datetime":
                frame[column.name] = pd.to_datetime(pd.Series(frame[column.name]), errors="coerce")
            else:
                frame[column.name] = frame[column.name].fillna("").astype(str).astype(object)
        result[name] = (table, frame)
    return result


ADOPTION_ENDS = ("E11", "E12")
GUARDIANSHIP_ENDS = ("E41", "E45", "E46", "E47", "E48")
WITH_CARERS = ("A3", "A5")  # placed for adoption with the current foster carers (A4, A6: with other adopters)
# adopters: (number, sex, legal status) as the DfE codes go together (rules 175-177, 511, 514, 517-520, 524)
ADOPTERS = (("2", "MF", "L11"), ("2", "MF", "L11"), ("2", "MF", "L11"), ("2", "MF", "L3"), ("2", "FF", "L12"),
            ("2", "MM", "L12"), ("2", "FF", "L4"), ("1", "F1", "L0"), ("1", "F1", "L0"), ("1", "M1", "L0"))


def _permanence(h: _Hash, episodes: pd.DataFrame, legal: pd.DataFrame, placements: pd.DataFrame) -> pd.DataFrame:
    """One ssd_permanence record per period of care with a placement order (legal status E1) or ended by adoption
    (E11, E12), dated as the episodes are (the DfE validator cross-checks them): the decision that the child should be
    placed for adoption within the period, on or before the placement order and the placement for adoption; matched
    with the adopters on or before that placement (the episode the adoption ends); adopted by the foster carers when
    the child was placed with them (A3, A5); number, sex and legal status of the adopters that go together. A period
    still open under a placement order has its record without an order date. Periods ended by special guardianship
    (and the other orders of ``GUARDIANSHIP_ENDS``) have theirs, with only the order."""
    ep = pd.DataFrame({
        "period": episodes["clae_cla_id"].fillna("").astype(str).to_numpy(dtype=object),
        "person": episodes["clae_person_id"].fillna("").astype(str).to_numpy(dtype=object),
        "episode": episodes["clae_cla_episode_id"].fillna("").astype(str).to_numpy(dtype=object),
        "placement": episodes["clae_cla_placement_id"].fillna("").astype(str).to_numpy(dtype=object),
        "start": _d(episodes["clae_cla_episode_start_date"]), "ceased": _d(episodes["clae_cla_episode_ceased_date"]),
        "reason": episodes["clae_cla_episode_ceased_reason"].fillna("").astype(str).to_numpy(dtype=object)})
    ep = ep[(ep["period"] != "") & ep["start"].notna()].sort_values(["period", "start"], kind="stable")
    periods = ep.groupby("period", sort=True).agg(person=("person", "first"), first_start=("start", "min"),
                                                  final_start=("start", "last"), ceased=("ceased", "last"),
                                                  reason=("reason", "last"), placement=("placement", "last"))
    status = legal["lega_legal_status"].fillna("").astype(str).str.strip().str.upper().to_numpy()
    e1 = pd.DataFrame({"person": legal["lega_person_id"].fillna("").astype(str).to_numpy(dtype=object)[status == "E1"],
                       "start": _d(legal["lega_legal_status_start_date"])[status == "E1"]})
    # a legal status change starts an episode: the placement order's period is that of the episode starting with it
    e1 = e1.merge(ep[["person", "start", "period"]], on=["person", "start"]).groupby("period")["start"].min()
    pl_type = placements["clap_cla_placement_type"].fillna("").astype(str).str.strip().str.upper()
    pl = pd.DataFrame({"period": placements["clap_cla_id"].fillna("").astype(str).to_numpy(dtype=object),
                       "id": placements["clap_cla_placement_id"].fillna("").astype(str).to_numpy(dtype=object),
                       "type": pl_type.to_numpy(dtype=object),
                       "urn": placements["clap_cla_placement_urn"].fillna("").astype(str).to_numpy(dtype=object),
                       "start": _d(placements["clap_cla_placement_start_date"])})
    type_of = pd.Series(pl["type"].to_numpy(), index=pl["id"].to_numpy())
    type_of = type_of[~type_of.index.duplicated()]
    adoptive = (pl[pl["type"].isin(["A3", "A4", "A5", "A6"]) & pl["start"].notna()].sort_values(["period", "start"])
                .drop_duplicates("period").set_index("period"))

    adopted = periods["reason"].isin(ADOPTION_ENDS).to_numpy()
    order_e1 = e1.reindex(periods.index).to_numpy().astype("datetime64[D]")
    adoption = adopted | ~np.isnat(order_e1)
    guardianship = periods["reason"].isin(GUARDIANSHIP_ENDS).to_numpy() & ~adoption
    periods = periods[adoption | guardianship]
    order_e1, adopted = order_e1[adoption | guardianship], adopted[adoption | guardianship]
    adoption = adoption[adoption | guardianship]
    key = periods.index.to_numpy(dtype=object)
    first_start = periods["first_start"].to_numpy().astype("datetime64[D]")
    final_start = periods["final_start"].to_numpy().astype("datetime64[D]")
    ceased = periods["ceased"].to_numpy().astype("datetime64[D]")
    placed = adoptive["start"].reindex(key).to_numpy().astype("datetime64[D]")
    placed = np.where(adoption, placed, NAT)
    final_type = type_of.reindex(periods["placement"].to_numpy()).fillna("").to_numpy(dtype=object)
    placed_type = adoptive["type"].reindex(key).fillna("").to_numpy(dtype=object)
    with_carers = np.isin(np.where(adopted, final_type, placed_type), WITH_CARERS)

    # the decision: 30 to 120 days before the first of the placement order, the placement for adoption (and the
    # adoption), never before the period started
    anchor = np.fmin(np.fmin(order_e1, placed), np.where(adopted, final_start, NAT))
    decided = np.where(adoption, np.fmax(first_start, anchor - h.days("adm", key, 30, 120)), NAT)
    # matched: up to 60 days before the placement for adoption (or the adoption's last episode), after the decision
    # and the placement order (which is made on or before the placement)
    match_by = np.where(np.isnat(placed), np.where(adopted, final_start, NAT), placed)
    matched = np.fmax(np.fmax(decided, order_e1), match_by - h.days("matched", key, 0, 60))
    matched = np.where(np.isnat(match_by), NAT, matched)
    known = ~np.isnat(matched)
    adopters = np.array(ADOPTERS, dtype=object)[(h.unit("adopters", key) * len(ADOPTERS)).astype(np.int64)]
    urn = adoptive["urn"].reindex(key).fillna("").to_numpy(dtype=object)
    return pd.DataFrame({
        "perm_table_id": _ids("PM", key), "perm_person_id": periods["person"].to_numpy(dtype=object),
        "perm_cla_id": key,
        "perm_adm_decision_date": decided,
        "perm_part_of_sibling_group": h.pick("siblings", key, ["Y", "N", "N"]),
        "perm_siblings_placed_together": h.pick("together", key, ["0", "1"]),
        "perm_siblings_placed_apart": h.pick("apart", key, ["0", "0", "1"]),
        "perm_ffa_cp_decision_date": NAT,
        "perm_placement_order_date": order_e1,
        "perm_matched_date": matched,
        "perm_adopter_sex": np.where(known, adopters[:, 1], ""),
        "perm_adopter_legal_status": np.where(known, adopters[:, 2], ""),
        "perm_number_of_adopters": np.where(known, adopters[:, 0], ""),
        "perm_placed_for_adoption_date": placed,
        "perm_adopted_by_carer_flag": np.where(known, np.where(with_carers, "Y", "N"), ""),
        "perm_placed_foster_carer_date": NAT, "perm_placed_ffa_cp_date": NAT,
        "perm_placement_provider_urn": np.where(adoption, urn, ""),
        "perm_decision_reversed_date": NAT, "perm_decision_reversed_reason": "",
        "perm_permanence_order_date": np.where(adopted | ~adoption, ceased, NAT),
        "perm_permanence_order_type": np.where(adoption, "Adoption", "Special guardianship order"),
        "perm_adoption_worker_id": ""})


STREETS = ("Mill Lane", "Church Street", "Station Road", "Victoria Road", "Park Avenue", "Green Close",
           "Orchard Way", "School Lane", "The Crescent", "Meadow View")


def _address_json(h: _Hash, purpose: str, keys) -> np.ndarray:
    numbers = (h.unit(f"{purpose}|house", keys) * 120 + 1).astype(int)
    streets = h.pick(f"{purpose}|street", keys, STREETS)
    return np.array([json.dumps({"ROOM": "", "FLOOR": "", "FLAT": "", "BUILDING": "", "HOUSE": str(n),
                                 "STREET": s, "TOWN": ""}) for n, s in zip(numbers, streets, strict=True)],
                    dtype=object)
