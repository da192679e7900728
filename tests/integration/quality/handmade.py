"""Hand-made batches for the checks' tests: a small, internally consistent extract written straight into raw (the way
the loader leaves it), which a test then breaks in one precise way - including ways the loader would refuse."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, date, datetime, timedelta

from psycopg import sql

from csc.contract import load_contract
from csc.settings import Settings
from csc.warehouse.connection import connect

EXTRACT_DATE = date(2025, 3, 31)  # a Monday

# One LA's world in miniature: two teams, three workers (two case holders in post, one who left), three children.
CLEAN: dict[str, list[dict]] = {
    "ssd_department": [
        {"dept_team_id": "T1", "dept_team_name": "Assessment North"},
        {"dept_team_id": "T2", "dept_team_name": "Children in Care"},
    ],
    "ssd_professionals": [
        {"prof_professional_id": "W1", "prof_professional_name": "Worker One", "prof_full_time_equivalency": "1",
         "prof_agency_worker_flag": "N"},
        {"prof_professional_id": "W2", "prof_professional_name": "Worker Two", "prof_full_time_equivalency": "0.8",
         "prof_agency_worker_flag": "N"},
        {"prof_professional_id": "W3", "prof_professional_name": "Worker Three", "prof_full_time_equivalency": "1",
         "prof_agency_worker_flag": "Y"},
    ],
    "hr_workers": [
        {"worker_id": "W1", "agency_worker": "N", "fte": "1", "org_role": "5", "team_id": "T1",
         "role_start_date": "2020-01-06", "start_origin": "1"},
        {"worker_id": "W2", "agency_worker": "N", "fte": "0.8", "org_role": "4", "team_id": "T2",
         "role_start_date": "2019-05-01", "start_origin": "2"},
        {"worker_id": "W3", "agency_worker": "Y", "fte": "1", "org_role": "5", "team_id": "T1",
         "role_start_date": "2021-02-01", "role_end_date": "2024-12-31", "start_origin": "4", "reason_leave": "1"},
    ],
    "hr_establishment": [
        {"team_id": "T1", "effective_from": "2020-04-01", "funded_sw_fte": "6"},
        {"team_id": "T2", "effective_from": "2020-04-01", "funded_sw_fte": "5"},
    ],
    "ssd_person": [
        {"pers_person_id": "C1", "pers_forename": "Amy", "pers_surname": "Adams", "pers_sex": "F",
         "pers_ethnicity": "WBRI", "pers_dob": "2015-06-01"},
        {"pers_person_id": "C2", "pers_forename": "Ben", "pers_surname": "Brown", "pers_sex": "M",
         "pers_ethnicity": "BAFR", "pers_dob": "2012-02-10"},
        {"pers_person_id": "C3", "pers_forename": "Cal", "pers_surname": "Cole", "pers_sex": "M",
         "pers_ethnicity": "WBRI", "pers_dob": "2008-09-15"},
    ],
    "ssd_contacts": [
        {"cont_contact_id": "K1", "cont_person_id": "C1", "cont_contact_date": "2025-01-06",
         "cont_contact_source_code": "2A", "cont_contact_outcome_json": '{"NEW_REFERRAL_FLAG": "Y"}'},
    ],
    "ssd_cin_episodes": [
        {"cine_referral_id": "R1", "cine_person_id": "C1", "cine_referral_date": "2025-01-06",
         "cine_cin_primary_need_code": "N1", "cine_referral_source_code": "2A", "cine_referral_nfa": "N",
         "cine_referral_team": "T1", "cine_referral_worker_id": "W1"},
        {"cine_referral_id": "R2", "cine_person_id": "C2", "cine_referral_date": "2024-06-03",
         "cine_cin_primary_need_code": "N1", "cine_referral_source_code": "6", "cine_referral_nfa": "N",
         "cine_referral_team": "T1"},
        {"cine_referral_id": "R3", "cine_person_id": "C3", "cine_referral_date": "2023-01-09",
         "cine_cin_primary_need_code": "N4", "cine_referral_source_code": "5C", "cine_referral_nfa": "N",
         "cine_referral_team": "T2"},
    ],
    "ssd_cin_assessments": [
        {"cina_assessment_id": "A1", "cina_person_id": "C1", "cina_referral_id": "R1",
         "cina_assessment_start_date": "2025-03-17", "cina_assessment_child_seen": "Y", "cina_assessment_team": "T1"},
        {"cina_assessment_id": "A2", "cina_person_id": "C2", "cina_referral_id": "R2",
         "cina_assessment_start_date": "2024-06-04", "cina_assessment_auth_date": "2024-07-01",
         "cina_assessment_team": "T1"},
    ],
    "ssd_assessment_factors": [
        {"cinf_table_id": "F1", "cinf_assessment_id": "A2", "cinf_assessment_factors_json": '["3A", "16A"]'},
    ],
    "ssd_s47_enquiry": [
        {"s47e_s47_enquiry_id": "S1", "s47e_referral_id": "R2", "s47e_person_id": "C2",
         "s47e_s47_start_date": "2024-07-02", "s47e_s47_end_date": "2024-07-15", "s47e_s47_nfa": "N"},
    ],
    "ssd_initial_cp_conference": [
        {"icpc_icpc_id": "I1", "icpc_s47_enquiry_id": "S1", "icpc_person_id": "C2", "icpc_cp_plan_id": "P1",
         "icpc_referral_id": "R2", "icpc_icpc_target_date": "2024-07-19", "icpc_icpc_date": "2024-07-18",
         "icpc_icpc_outcome_cp_flag": "Y", "icpc_icpc_team": "T1"},
    ],
    "ssd_cp_plans": [
        {"cppl_cp_plan_id": "P1", "cppl_referral_id": "R2", "cppl_icpc_id": "I1", "cppl_person_id": "C2",
         "cppl_cp_plan_start_date": "2024-07-18", "cppl_cp_plan_initial_category": "NEG",
         "cppl_cp_plan_latest_category": "NEG"},
    ],
    "ssd_cp_reviews": [
        {"cppr_cp_review_id": "V1", "cppr_person_id": "C2", "cppr_cp_plan_id": "P1",
         "cppr_cp_review_due": "2024-10-17", "cppr_cp_review_date": "2024-10-10"},
        {"cppr_cp_review_id": "V2", "cppr_person_id": "C2", "cppr_cp_plan_id": "P1",
         "cppr_cp_review_due": "2025-04-10", "cppr_cp_review_date": "2025-03-20"},
    ],
    "ssd_cp_visits": [
        {"cppv_cp_visit_id": "CV1", "cppv_person_id": "C2", "cppv_cp_plan_id": "P1",
         "cppv_cp_visit_date": "2025-03-26", "cppv_cp_visit_seen": "Y"},
    ],
    "ssd_cla_episodes": [
        {"clae_cla_episode_id": "E1", "clae_person_id": "C3", "clae_cla_episode_start_date": "2023-02-01",
         "clae_cla_episode_start_reason": "S", "clae_cla_primary_need_code": "N4", "clae_cla_id": "CLA1",
         "clae_referral_id": "R3", "clae_cla_placement_id": "PL2"},
    ],
    "ssd_cla_placement": [
        {"clap_cla_placement_id": "PL1", "clap_cla_placement_start_date": "2023-02-01",
         "clap_cla_placement_type": "U6", "clap_cla_id": "CLA1", "clap_cla_placement_provider": "PR1",
         "clap_cla_placement_end_date": "2024-11-01", "clap_cla_placement_change_reason": "CARPL",
         "clap_person_id": "C3"},
        {"clap_cla_placement_id": "PL2", "clap_cla_placement_start_date": "2024-11-01",
         "clap_cla_placement_type": "K3", "clap_cla_id": "CLA1", "clap_cla_placement_provider": "PR4",
         "clap_person_id": "C3"},
    ],
    "ssd_legal_status": [
        {"lega_legal_status_id": "L1", "lega_person_id": "C3", "lega_legal_status": "V2",
         "lega_legal_status_start_date": "2023-02-01"},
    ],
    "ssd_cla_reviews": [
        {"clar_cla_review_id": "CR1", "clar_cla_id": "CLA1", "clar_cla_review_date": "2023-02-20"},
        {"clar_cla_review_id": "CR2", "clar_cla_id": "CLA1", "clar_cla_review_date": "2023-05-10"},
        {"clar_cla_review_id": "CR3", "clar_cla_id": "CLA1", "clar_cla_review_date": "2023-11-01"},
        {"clar_cla_review_id": "CR4", "clar_cla_id": "CLA1", "clar_cla_review_date": "2024-04-25"},
        {"clar_cla_review_id": "CR5", "clar_cla_id": "CLA1", "clar_cla_review_date": "2024-10-20"},
        {"clar_cla_review_id": "CR6", "clar_cla_id": "CLA1", "clar_cla_review_date": "2025-03-20",
         "clar_cla_review_participation": "PN1"},
    ],
    "ssd_cla_visits": [
        {"clav_cla_visit_id": "LV1", "clav_cla_id": "CLA1", "clav_person_id": "C3", "clav_cla_visit_date": "2025-03-10",
         "clav_cla_visit_seen": "Y"},
    ],
    "ssd_involvements": [
        {"invo_involvements_id": "IN1", "invo_professional_id": "W1",
         "invo_professional_role_id": "ALLOCATED CASE WORKER", "invo_professional_team": "T1",
         "invo_involvement_start_date": "2025-01-07", "invo_person_id": "C1",
         "invo_referral_id": "R1"},
        {"invo_involvements_id": "IN2", "invo_professional_id": "W1",
         "invo_professional_role_id": "Allocated Case Worker", "invo_professional_team": "T1",
         "invo_involvement_start_date": "2024-06-03", "invo_person_id": "C2",
         "invo_referral_id": "R2"},
        {"invo_involvements_id": "IN3", "invo_professional_id": "W2",
         "invo_professional_role_id": "ALLOCATED CASE WORKER", "invo_professional_team": "T2",
         "invo_involvement_start_date": "2023-01-09", "invo_person_id": "C3",
         "invo_referral_id": "R3"},
    ],
    "ssd_missing": [],
    "ssd_care_leavers": [],
    "ssd_cin_plans": [],
    "ssd_cin_visits": [],
    "ssd_disability": [
        {"disa_person_id": "C1", "disa_table_id": "D1", "disa_disability_code": "NONE"},
    ],
}


def clean_tables() -> dict[str, list[dict]]:
    """A fresh deep copy of the clean extract, for a test to break."""
    return copy.deepcopy(CLEAN)


def register_batch(settings: Settings, tables: dict[str, list[dict]], *, la_code: str = "999",
                   extract_date: date = EXTRACT_DATE, status: str = "loaded",
                   extracted_at: datetime | None = None, missing_files: tuple[str, ...] = (),
                   manifest_rows: dict[str, int] | None = None, wrong_checksums: tuple[str, ...] = ()) -> int:
    """Register a batch in ops.extract_batches and ops.file_loads and write its rows into raw, as the loader does."""
    contract = load_contract()
    extracted_at = extracted_at or datetime.combine(extract_date + timedelta(days=1), datetime.min.time(),
                                                    tzinfo=UTC).replace(hour=2, minute=15)
    identity = hashlib.sha256(json.dumps([la_code, str(extract_date), str(extracted_at), repr(tables)],
                                         sort_keys=True).encode()).hexdigest()
    contract_files = [t for t in contract if t.name not in missing_files]
    manifest = {"la_code": la_code, "extract_date": str(extract_date), "extracted_at": extracted_at.isoformat(),
                "files": [{"name": t.file_name, "table": t.name, "rows": len(tables.get(t.name, [])),
                           "sha256": hashlib.sha256(t.name.encode()).hexdigest()} for t in contract_files]}
    with connect(settings) as conn:
        batch_id = conn.execute(
            "insert into ops.extract_batches (la_code, extract_date, extracted_at, content_sha256, landing_path, "
            "status, manifest, loaded_at, published_at) values (%s, %s, %s, %s, %s, %s, %s, now(), "
            "case when %s = 'published' then now() end) returning batch_id",
            (la_code, extract_date, extracted_at, identity, f"/landing/{la_code}/{extract_date}", status,
             json.dumps(manifest), status)).fetchone()[0]
        for table in contract:
            rows = tables.get(table.name, [])
            if table.name in missing_files:
                continue
            for line_no, row in enumerate(rows, start=2):
                unknown = set(row) - set(table.column_names)
                assert not unknown, f"{table.name}: no such columns {unknown}"
                columns = ["_batch_id", "_line_no", *row]
                conn.execute(sql.SQL("insert into raw.{} ({}) values ({})").format(
                    sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join(sql.Placeholder() * len(columns))), [batch_id, line_no, *row.values()])
            expected = (manifest_rows or {}).get(table.name, len(rows))
            conn.execute(
                "insert into ops.file_loads (batch_id, file_name, table_name, rows_expected, rows_loaded, bytes, "
                "sha256, encoding, status, started_at, finished_at) "
                "values (%s, %s, %s, %s, %s, 0, %s, 'utf-8', 'loaded', now(), now())",
                (batch_id, table.file_name, table.name, expected, len(rows),
                 hashlib.sha256((table.name + ("!" if table.name in wrong_checksums else "")).encode()).hexdigest()))
    return batch_id


# --- one instance of every fault family, and the records each rule must flag -------------------------------------
def _row(tables: dict, table: str, key_column: str, key: str) -> dict:
    return next(r for r in tables[table] if r[key_column] == key)


def broken_tables() -> dict[str, list[dict]]:
    t = clean_tables()
    contact = {"cont_person_id": "C1", "cont_contact_date": "2025-01-06", "cont_contact_source_code": "2A"}
    # 1 structure: duplicate key, blank required value, malformed id, date that does not parse, future date
    t["ssd_contacts"] += [
        {"cont_contact_id": "K1", **contact},
        {**contact, "cont_contact_id": "K2", "cont_person_id": None},
        {**contact, "cont_contact_id": "K 3!"},
        {**contact, "cont_contact_id": "K4", "cont_contact_date": "31/02/2025"},
        {**contact, "cont_contact_id": "K5", "cont_contact_date": "2025-04-02"},
        {**contact, "cont_contact_id": "K6", "cont_contact_date": "2014-01-01"},           # 4: before birth
        {**contact, "cont_contact_id": "K7", "cont_person_id": "C4", "cont_contact_date": "2024-02-01"},  # after death
    ]
    _row(t, "hr_workers", "worker_id", "W2")["fte"] = "1.5"
    _row(t, "ssd_cin_episodes", "cine_referral_id", "R3")["cine_referral_outcome_json"] = '{NFA_FLAG: Y'
    # 2 codes: unknown code, code out of its years (D1 ended 2005), K3 under 16, assessment factors, flag
    _row(t, "ssd_person", "pers_person_id", "C1")["pers_ethnicity"] = "XXXX"
    t["ssd_legal_status"] += [
        {"lega_legal_status_id": "L2", "lega_person_id": "C3", "lega_legal_status": "D1",
         "lega_legal_status_start_date": "2024-01-01"},
        {"lega_legal_status_id": "L3", "lega_person_id": "C3", "lega_legal_status": "C1",      # 4: end before start
         "lega_legal_status_start_date": "2023-06-01", "lega_legal_status_end_date": "2023-05-01"},
    ]
    t["ssd_cla_placement"].append(
        {"clap_cla_placement_id": "PL3", "clap_cla_placement_start_date": "2025-01-10", "clap_cla_placement_type": "k3",
         "clap_cla_id": "CLA1", "clap_cla_placement_provider": "PR1", "clap_person_id": "C1"})
    t["ssd_assessment_factors"] += [
        {"cinf_table_id": "F2", "cinf_assessment_id": "A1", "cinf_assessment_factors_json": '["21", "3A"]'},
        {"cinf_table_id": "F3", "cinf_assessment_id": "A2", "cinf_assessment_factors_json": '["3A", "3a"]'},
        {"cinf_table_id": "F4", "cinf_assessment_id": "A2", "cinf_assessment_factors_json": '["18A"]'},
    ]
    _row(t, "ssd_cin_assessments", "cina_assessment_id", "A2")["cina_assessment_child_seen"] = "X"
    # the messy renderings staging normalises are not faults: legacy sex, words for categories, case, UK dates
    _row(t, "ssd_person", "pers_person_id", "C2")["pers_sex"] = "1"
    _row(t, "ssd_cp_plans", "cppl_cp_plan_id", "P1").update(
        cppl_cp_plan_initial_category="Neglect", cppl_cp_plan_latest_category=" neglect ")
    _row(t, "ssd_cin_episodes", "cine_referral_id", "R2")["cine_referral_date"] = "03/06/2024"
    _row(t, "ssd_cin_episodes", "cine_referral_id", "R1")["cine_referral_nfa"] = "n"
    # 3 referential integrity: orphan by a declared key, child missing from ssd_person
    t["ssd_cp_reviews"].append({"cppr_cp_review_id": "V3", "cppr_person_id": "C2", "cppr_cp_plan_id": "P9",
                                "cppr_cp_review_date": "2024-12-01"})
    t["ssd_involvements"].append(
        {"invo_involvements_id": "IN4", "invo_professional_id": "W2",
         "invo_professional_role_id": "ALLOCATED CASE WORKER", "invo_professional_team": "T2",
         "invo_involvement_start_date": "2024-02-01", "invo_person_id": "C9"})
    # 4 timelines
    t["ssd_person"] += [
        {"pers_person_id": "C4", "pers_forename": "Dan", "pers_surname": "Dee", "pers_dob": "2010-01-01",
         "pers_death_date": "2024-01-01"},
        {"pers_person_id": "C5", "pers_forename": "Eve", "pers_surname": "Evans", "pers_dob": "2016-01-01"},
        {"pers_person_id": "C6", "pers_forename": "Fay", "pers_surname": "Fox", "pers_dob": "2014-03-03"},
        {"pers_person_id": "C7", "pers_forename": "amy", "pers_surname": "ADAMS ", "pers_dob": "01/06/2015"},  # 7
    ]
    t["ssd_cin_assessments"] += [
        {"cina_assessment_id": "A3", "cina_person_id": "C1", "cina_referral_id": "R1",              # before referral
         "cina_assessment_start_date": "2025-01-01", "cina_assessment_auth_date": "2025-01-20"},
        {"cina_assessment_id": "A4", "cina_person_id": "C4", "cina_referral_id": "R5",              # closed referral
         "cina_assessment_start_date": "2023-03-02"},
    ]
    _row(t, "ssd_cp_plans", "cppl_cp_plan_id", "P1")["cppl_cp_plan_start_date"] = "2024-07-19"   # not the ICPC date
    _row(t, "ssd_initial_cp_conference", "icpc_icpc_id", "I1")["icpc_icpc_target_date"] = "2024-07-20"  # Saturday
    t["ssd_cin_episodes"] += [
        {"cine_referral_id": "R4", "cine_person_id": "C1", "cine_referral_date": "2025-02-01"},  # second open referral
        {"cine_referral_id": "R5", "cine_person_id": "C4", "cine_referral_date": "2023-03-01",
         "cine_close_date": "2023-04-01", "cine_close_reason": "RC7"},
        {"cine_referral_id": "R6", "cine_person_id": "C4", "cine_referral_date": "2022-01-01",
         "cine_close_date": "2022-02-01", "cine_close_reason": "RC8"},
        {"cine_referral_id": "R7", "cine_person_id": "C5", "cine_referral_date": "2025-02-10",
         "cine_referral_team": "T1"},
        {"cine_referral_id": "R8", "cine_person_id": "C6", "cine_referral_date": "2025-03-03"},
    ]
    t["ssd_cin_plans"] += [
        {"cinp_cin_plan_id": "CP1", "cinp_referral_id": "R2", "cinp_person_id": "C2",             # during a CP plan
         "cinp_cin_plan_start_date": "2024-08-01"},
        {"cinp_cin_plan_id": "CP2", "cinp_referral_id": "R6", "cinp_person_id": "C4",             # after RC8
         "cinp_cin_plan_start_date": "2022-01-20", "cinp_cin_plan_end_date": "2022-01-25"},
    ]
    t["ssd_cp_plans"].append({"cppl_cp_plan_id": "P2", "cppl_person_id": "C4", "cppl_cp_plan_start_date": "2023-05-05",
                              "cppl_cp_plan_end_date": "2023-05-05"})
    t["ssd_s47_enquiry"].append({"s47e_s47_enquiry_id": "S2", "s47e_referral_id": "R5", "s47e_person_id": "C4",
                                 "s47e_s47_start_date": "2023-03-03"})
    t["ssd_cla_episodes"] += [
        {"clae_cla_episode_id": "E2", "clae_person_id": "C3", "clae_cla_episode_start_date": "2024-01-01",
         "clae_cla_episode_start_reason": "S", "clae_cla_episode_ceased_date": "2024-02-01",
         "clae_cla_episode_ceased_reason": "E8", "clae_cla_id": "CLA2"},
        {"clae_cla_episode_id": "E3", "clae_person_id": "C4", "clae_cla_episode_start_date": "2022-05-01",
         "clae_cla_episode_start_reason": "S", "clae_cla_episode_ceased_date": "2022-06-01",
         "clae_cla_episode_ceased_reason": "X1", "clae_cla_id": "CLA3"},
    ]
    # 5 allocation: two workers, departed worker, manager, unknown team, allocation before the case opened
    acw = {"invo_professional_role_id": "ALLOCATED CASE WORKER"}
    t["ssd_involvements"] += [
        {**acw, "invo_involvements_id": "IN5", "invo_professional_id": "W2", "invo_professional_team": "T2",
         "invo_involvement_start_date": "2024-09-01", "invo_person_id": "C2", "invo_referral_id": "R2"},
        {**acw, "invo_involvements_id": "IN6", "invo_professional_id": "W4", "invo_professional_team": "T9",
         "invo_involvement_start_date": "2025-03-04", "invo_person_id": "C6", "invo_referral_id": "R8"},
    ]
    _row(t, "ssd_involvements", "invo_involvements_id", "IN3")["invo_professional_id"] = "W3"
    _row(t, "ssd_involvements", "invo_involvements_id", "IN1")["invo_involvement_start_date"] = "2025-01-05"
    t["ssd_professionals"].append({"prof_professional_id": "W4", "prof_professional_name": "Worker Four"})
    t["hr_workers"].append({"worker_id": "W4", "agency_worker": "N", "fte": "1", "org_role": "3", "team_id": "T1",
                            "role_start_date": "2022-01-04"})
    return t


EXPECTED = {
    "STR_PK_UNIQUE.ssd_contacts": {("ssd_contacts", "K1")},
    "STR_REQUIRED.ssd_contacts.cont_person_id": {("ssd_contacts", "K2")},
    "STR_ID_FORMAT.ssd_contacts.cont_contact_id": {("ssd_contacts", "K 3!")},
    "STR_DATE_PARSES.ssd_contacts.cont_contact_date": {("ssd_contacts", "K4")},
    "STR_DATE_NOT_FUTURE.ssd_contacts.cont_contact_date": {("ssd_contacts", "K5")},
    "STR_NUMBER.hr_workers.fte": {("hr_workers", "W2")},
    "STR_JSON.ssd_cin_episodes.cine_referral_outcome_json": {("ssd_cin_episodes", "R3")},
    "CODE.ssd_person.pers_ethnicity": {("ssd_person", "C1")},
    "CODE.ssd_legal_status.lega_legal_status": {("ssd_legal_status", "L2")},
    "CODE_K3_UNDER_16": {("ssd_cla_placement", "PL3")},
    "CODE_ASSESSMENT_FACTOR_21_ALONE": {("ssd_assessment_factors", "F2|A1")},
    "CODE_ASSESSMENT_FACTOR_DUPLICATE": {("ssd_assessment_factors", "F3|A2")},
    "CODE_ASSESSMENT_FACTOR": {("ssd_assessment_factors", "F4|A2")},
    "CODE_FLAG.ssd_cin_assessments.cina_assessment_child_seen": {("ssd_cin_assessments", "A2")},
    "REF.ssd_cp_reviews.cppr_cp_plan_id": {("ssd_cp_reviews", "V3")},
    "REF_PERSON.ssd_involvements.invo_person_id": {("ssd_involvements", "IN4")},
    "REF.ssd_involvements.invo_professional_team": {("ssd_involvements", "IN6")},
    "TL_END_BEFORE_START.ssd_legal_status": {("ssd_legal_status", "L3")},
    "TL_BEFORE_BIRTH.ssd_contacts": {("ssd_contacts", "K6")},
    "TL_AFTER_DEATH.ssd_contacts": {("ssd_contacts", "K7")},
    "TL_BEFORE_REFERRAL.ssd_cin_assessments": {("ssd_cin_assessments", "A3")},
    "TL_CP_START_IS_ICPC": {("ssd_cp_plans", "P1")},
    "TL_ICPC_WEEKEND": {("ssd_initial_cp_conference", "I1")},
    "TL_ONE_OPEN.ssd_cin_episodes": {("ssd_cin_episodes", "R1"), ("ssd_cin_episodes", "R4")},
    "TL_CIN_PLAN_DURING_CP_PLAN": {("ssd_cin_plans", "CP1"), ("ssd_cp_plans", "P1")},
    "TL_CP_PLAN_SAME_DAY": {("ssd_cp_plans", "P2")},
    "TL_CLOSED_REFERRAL_OPEN_ASSESSMENT": {("ssd_cin_assessments", "A4")},
    "TL_CLOSED_REFERRAL_OPEN_S47": {("ssd_s47_enquiry", "S2")},
    "TL_ACTIVITY_AFTER_ASSESSMENT_CLOSURE": {("ssd_cin_plans", "CP2")},
    "TL_CLA_EPISODES_OVERLAP": {("ssd_cla_episodes", "E1"), ("ssd_cla_episodes", "E2")},
    "TL_CLA_X1_FOLLOWED": {("ssd_cla_episodes", "E3")},
    "ALLOC_OPEN_CASE_UNALLOCATED": {("ssd_person", "C5")},
    "ALLOC_OPEN_CASE_SEVERAL_WORKERS": {("ssd_person", "C2")},
    "ALLOC_WORKER_NOT_IN_POST": {("ssd_involvements", "IN3")},
    "ALLOC_WORKER_NOT_CASE_HOLDING": {("ssd_involvements", "IN6")},
    "ALLOC_TEAM_UNKNOWN": {("ssd_involvements", "IN6")},
    "ALLOC_OUTSIDE_CASE": {("ssd_involvements", "IN1")},
    "ALLOC_WITHOUT_OPEN_CASE": {("ssd_involvements", "IN4")},
    "DUP_PERSON": {("ssd_person", "C1"), ("ssd_person", "C7")},
    "EXC_ASSESSMENT_OVER_45_WORKING_DAYS": {("ssd_cin_assessments", "A4")},
    "EXC_S47_NO_CONFERENCE_15_WORKING_DAYS": {("ssd_s47_enquiry", "S2")},
}
EXPECTED_BATCH_FAILURES = {"STR_TABLES_PRESENT", "STR_MANIFEST_ROWS", "STR_MANIFEST_CHECKSUM"}
EXPECTED_BLOCKING = {"STR_PK_UNIQUE.ssd_contacts", "STR_REQUIRED.ssd_contacts.cont_person_id",
                     "STR_ID_FORMAT.ssd_contacts.cont_contact_id", "STR_DATE_PARSES.ssd_contacts.cont_contact_date",
                     "STR_DATE_NOT_FUTURE.ssd_contacts.cont_contact_date", "STR_NUMBER.hr_workers.fte",
                     "CODE.ssd_legal_status.lega_legal_status", "STR_TABLES_PRESENT", "STR_MANIFEST_ROWS",
                     "STR_MANIFEST_CHECKSUM"}
