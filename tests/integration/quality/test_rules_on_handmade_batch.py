"""Every kind of fault of DATA_QUALITY.md, made by hand in an otherwise clean batch, is flagged by its rule - on
exactly the records the convention of docs/INTERFACES.md names - and no other fault rule fails. Faults the loader
would refuse (a duplicate key, a table missing, a row-count mismatch) are written straight into raw."""

from __future__ import annotations

import pytest

from csc.quality import run_checks
from csc.warehouse.connection import connect

from dq_helpers import flagged, results
from handmade import EXPECTED, EXPECTED_BATCH_FAILURES, EXPECTED_BLOCKING, broken_tables, register_batch

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def broken_run(module_settings):
    batch_id = register_batch(module_settings, broken_tables(), missing_files=("ssd_missing",),
                              manifest_rows={"ssd_department": 3}, wrong_checksums=("ssd_professionals",))
    return run_checks(batch_id, module_settings, send_alerts=False)


def test_every_fault_is_flagged_on_exactly_its_records(broken_run, module_settings):
    found = flagged(module_settings, broken_run.dq_run_id)
    wrong = {rule: (found.get(rule, set()), expected) for rule, expected in EXPECTED.items()
             if found.get(rule, set()) != expected}
    assert not wrong, "rule: (flagged, expected)\n" + "\n".join(f"{r}: {v}" for r, v in wrong.items())


def test_no_other_fault_rule_fails(broken_run, module_settings):
    statuses = results(module_settings, broken_run.dq_run_id)
    unexpected = {rule: (r["status"], r["sample_keys"]) for rule, r in statuses.items()
                  if r["status"] in ("fail", "error") and rule not in EXPECTED and rule not in EXPECTED_BATCH_FAILURES}
    assert not unexpected
    assert {rule for rule in EXPECTED_BATCH_FAILURES if statuses[rule]["status"] == "fail"} == EXPECTED_BATCH_FAILURES
    assert statuses["STR_TABLES_PRESENT"]["sample_keys"] == ["ssd_missing: no loaded file for this table"]
    assert statuses["STR_MANIFEST_ROWS"]["sample_keys"] == ["ssd_department: manifest 3, in the warehouse 2"]
    assert statuses["STR_MANIFEST_CHECKSUM"]["sample_keys"][0].startswith("ssd_professionals.csv: loaded with sha256 ")


def test_blocking_faults_block_the_batch(broken_run, module_settings):
    assert broken_run.outcome == "block"
    assert set(broken_run.blocking_rules) == EXPECTED_BLOCKING
    assert not broken_run.error_rules
    with connect(module_settings) as conn:
        status, reason = conn.execute("select status, status_reason from ops.extract_batches where batch_id = %s",
                                      (broken_run.batch_id,)).fetchone()
    assert status == "blocked"
    assert "STR_PK_UNIQUE.ssd_contacts" in reason


def test_exceptions_are_stored_apart_from_faults(broken_run, module_settings):
    assert broken_run.exceptions == {"EXC_ASSESSMENT_OVER_45_WORKING_DAYS": 1,
                                     "EXC_S47_NO_CONFERENCE_15_WORKING_DAYS": 1}
    with connect(module_settings) as conn:
        kinds = dict(conn.execute(
            "select rule_id, kind from ops.dq_failing_records where dq_run_id = %s and rule_id like 'EXC_%%'",
            (broken_run.dq_run_id,)).fetchall())
    assert set(kinds.values()) == {"exception"}
    assert broken_run.exception_records == 2


def test_results_keep_counts_samples_and_teams(broken_run, module_settings):
    statuses = results(module_settings, broken_run.dq_run_id)
    duplicate = statuses["STR_PK_UNIQUE.ssd_contacts"]
    assert (duplicate["rows_failing"], duplicate["rows_evaluated"], duplicate["sample_keys"]) == (2, 8, ["K1"])
    assert statuses["TL_CIN_PLAN_DURING_CP_PLAN"]["sample_keys"] == ["CP1", "ssd_cp_plans: P1"]
    assert statuses["ALLOC_OPEN_CASE_UNALLOCATED"]["team_counts"] == {"T1": 1}
    assert statuses["ALLOC_WORKER_NOT_IN_POST"]["team_counts"] == {"T2": 1}
    assert statuses["CODE.ssd_person.pers_sex"]["status"] == "pass"
    assert all(r["status"] == "skipped" for rule, r in statuses.items() if rule.startswith("VOL_"))


def test_unallocated_measure_counts_departed_and_non_case_holding_workers(broken_run, module_settings):
    with connect(module_settings) as conn:
        measures = dict(conn.execute("select measure, value from ops.dq_batch_measures where batch_id = %s",
                                     (broken_run.batch_id,)).fetchall())
    # C3 (worker left), C5 (no worker), C6 (a manager) - as UNALLOCATED counts them
    assert (measures["unallocated"], measures["open_cases"], measures["rows:ssd_contacts"]) == (3, 5, 8)
