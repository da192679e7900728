"""Issue 16: three faults the checks did not see, and two shapes of real extracts that must warn, not block.

Each is made by hand in the otherwise clean batch of handmade.py and checked by the real checks (Great Expectations
on PostgreSQL):
- a referral dated on or after the child's 18th birthday (timelines);
- an involvement written twice under two ids, same worker, child, role and dates (allocation);
- an allocation starting before the worker's start in post, or after the last day in post, per HR (allocation);
- a worker column holding a name, and a team-only involvement with no professional: warnings naming the column.
"""

from __future__ import annotations

import pytest

from csc.quality import run_checks
from csc.quality.catalogue import load_catalogue

from dq_helpers import flagged, results
from handmade import _row, clean_tables, register_batch

pytestmark = pytest.mark.integration

ACW = "ALLOCATED CASE WORKER"


def real_extract_tables() -> dict[str, list[dict]]:
    t = clean_tables()
    # a young adult: 19 on the extract date (2025-03-31), 18 on 2024-01-10
    t["ssd_person"].append({"pers_person_id": "C8", "pers_forename": "Gus", "pers_surname": "Gray",
                            "pers_sex": "M", "pers_ethnicity": "WBRI", "pers_dob": "2006-01-10"})
    referral = {"cine_person_id": "C8", "cine_cin_primary_need_code": "N9", "cine_referral_source_code": "2A",
                "cine_referral_nfa": "Y", "cine_referral_team": "T1", "cine_close_reason": "RC7"}
    t["ssd_cin_episodes"] += [
        {**referral, "cine_referral_id": "R9", "cine_referral_date": "2024-01-09", "cine_close_date": "2024-01-09"},
        {**referral, "cine_referral_id": "R10", "cine_referral_date": "10/01/2024", "cine_close_date": "10/01/2024"},
        {**referral, "cine_referral_id": "R11", "cine_referral_date": "2025-02-03", "cine_close_date": "2025-02-03"},
    ]
    closed = {"invo_professional_role_id": ACW, "invo_professional_team": "T1"}
    t["ssd_involvements"] += [
        # the same closed involvement twice (dates written two ways), and a third that differs in its end only
        {**closed, "invo_involvements_id": "IN7", "invo_professional_id": "W1", "invo_person_id": "C2",
         "invo_involvement_start_date": "2024-06-03", "invo_involvement_end_date": "2024-06-10"},
        {**closed, "invo_involvements_id": "IN8", "invo_professional_id": "W1", "invo_person_id": "C2",
         "invo_professional_role_id": "Allocated Case Worker",
         "invo_involvement_start_date": "03/06/2024", "invo_involvement_end_date": "10/06/2024"},
        {**closed, "invo_involvements_id": "IN9", "invo_professional_id": "W1", "invo_person_id": "C2",
         "invo_involvement_start_date": "2024-06-03", "invo_involvement_end_date": "2024-06-11"},
        # W3 left on 2024-12-31 (the last day in post): an allocation starting after it, one starting on it
        {**closed, "invo_involvements_id": "IN10", "invo_professional_id": "W3", "invo_person_id": "C2",
         "invo_involvement_start_date": "2025-01-02", "invo_involvement_end_date": "2025-01-20"},
        {**closed, "invo_involvements_id": "IN11", "invo_professional_id": "W3", "invo_person_id": "C2",
         "invo_involvement_start_date": "2024-12-31", "invo_involvement_end_date": "2025-01-01"},
        # W1 started on 2020-01-06: an allocation starting before it
        {**closed, "invo_involvements_id": "IN12", "invo_professional_id": "W1", "invo_person_id": "C3",
         "invo_involvement_start_date": "2019-12-02", "invo_involvement_end_date": "2020-02-03"},
        # a team-only involvement (SystemC: no professional when a team holds the case), closed
        {**closed, "invo_involvements_id": "IN13", "invo_professional_id": None, "invo_person_id": "C3",
         "invo_involvement_start_date": "2022-12-01", "invo_involvement_end_date": "2023-01-09"},
    ]
    # SystemC writes the referral worker's name, and the S47 worker's staff id
    _row(t, "ssd_cin_episodes", "cine_referral_id", "R1")["cine_referral_worker_id"] = "Jane Smith-Jones"
    _row(t, "ssd_s47_enquiry", "s47e_s47_enquiry_id", "S1")["s47e_s47_completed_by_worker_id"] = "STAFF/0042"
    return t


@pytest.fixture(scope="module")
def run(module_settings):
    batch_id = register_batch(module_settings, real_extract_tables())
    return run_checks(batch_id, module_settings, send_alerts=False)


def test_a_referral_on_or_after_the_18th_birthday_is_listed(run, module_settings):
    found = flagged(module_settings, run.dq_run_id)
    assert found["TL_REFERRAL_AFTER_18"] == {("ssd_cin_episodes", "R10"), ("ssd_cin_episodes", "R11")}


def test_a_duplicated_involvement_is_listed_every_copy(run, module_settings):
    found = flagged(module_settings, run.dq_run_id)
    assert found["ALLOC_DUPLICATE_INVOLVEMENT"] == {("ssd_involvements", "IN7"), ("ssd_involvements", "IN8")}


def test_an_allocation_outside_the_workers_time_in_post_is_listed(run, module_settings):
    found = flagged(module_settings, run.dq_run_id)
    assert found["ALLOC_OUTSIDE_WORKER_EMPLOYMENT"] == {("ssd_involvements", "IN10"), ("ssd_involvements", "IN12")}


def test_worker_names_staff_ids_and_team_only_involvements_warn_naming_the_column(run, module_settings):
    found = flagged(module_settings, run.dq_run_id)
    statuses = results(module_settings, run.dq_run_id)
    catalogue = load_catalogue(module_settings)
    warned = {"STR_ID_FORMAT.ssd_cin_episodes.cine_referral_worker_id": ("ssd_cin_episodes", "R1"),
              "STR_ID_FORMAT.ssd_s47_enquiry.s47e_s47_completed_by_worker_id": ("ssd_s47_enquiry", "S1"),
              "STR_REQUIRED.ssd_involvements.invo_professional_id": ("ssd_involvements", "IN13")}
    for rule_id, record in warned.items():
        assert (statuses[rule_id]["status"], statuses[rule_id]["severity"]) == ("fail", "warn"), rule_id
        assert found[rule_id] == {record}
        column = rule_id.rsplit(".", 1)[1]
        assert column in catalogue.by_id[rule_id].description
        assert rule_id in run.warning_rules and rule_id not in run.blocking_rules
    # the keys of the worker tables still block when malformed: their rules ran and passed here
    assert statuses["STR_ID_FORMAT.hr_workers.worker_id"]["severity"] == "block"
    # none of this blocks the night
    assert run.blocking_rules == () and not run.error_rules
    assert run.outcome == "warn"
