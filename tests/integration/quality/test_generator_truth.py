"""The checks against the generator's ground truth, at `small` size, loaded by the real loader:

- an extract with every loadable fault type (`--faults default`): every fault of truth/faults.csv is reported by a
  rule of its family, on the record faults.csv names (recall 100% per fault type);
- a clean extract (`--faults none`, rendered messily): no fault rule fails, and the exception rules find exactly the
  records of truth/exceptions.csv.

Two known disagreements with the generator are asserted precisely rather than hidden (see the report of issue 5):
open_case_no_allocation lists the open case records where docs/INTERFACES.md names the child (ssd_person), and the
generator closes S47 and conference-only cases with RC8, which CIN rule 2990 forbids.
"""

from __future__ import annotations

import collections
import csv
import re
from datetime import date

import pytest

from csc.ingest.loader import load_extract
from csc.quality import run_checks
from csc.warehouse.connection import connect
from csc_synthetic import generate

pytestmark = [pytest.mark.integration, pytest.mark.slow]

AS_OF = date(2026, 9, 30)
FAMILIES = {"structure": 1, "codes": 2, "referential_integrity": 3, "timelines": 4, "allocation": 5, "timeliness": 6,
            "volume_freshness": 7}
EXCEPTION_RULES = {
    "assessment_overdue": "EXC_ASSESSMENT_OVER_45_WORKING_DAYS",
    "s47_without_conference": "EXC_S47_NO_CONFERENCE_15_WORKING_DAYS",
    "cp_review_overdue": "EXC_CP_REVIEW_OVERDUE",
    "cp_visit_overdue": "EXC_CP_VISIT_OVERDUE",
    "cla_review_overdue": "EXC_CLA_REVIEW_OVERDUE",
    "cla_visit_overdue": "EXC_CLA_VISIT_OVERDUE",
}
# Where INTERFACES.md puts the subject on the child, the case record's child column.
CASE_PERSON = {"ssd_cin_episodes": ("cine_referral_id", "cine_person_id"),
               "ssd_cp_plans": ("cppl_cp_plan_id", "cppl_person_id"),
               "ssd_cla_episodes": ("clae_cla_episode_id", "clae_person_id"),
               "ssd_care_leavers": ("clea_table_id", "clea_person_id")}


def key_as_truth_writes_it(key: str) -> str:
    """faults.csv writes the date parts of composite keys as yyyy-mm-dd; record keys keep them as extracted."""
    parts = []
    for part in key.split("|"):
        iso = re.match(r"^\s*(\d{4}-\d{2}-\d{2})(?:[ T].*)?\s*$", part)
        uk = re.match(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?: .*)?\s*$", part)
        parts.append(iso.group(1) if iso else f"{uk.group(3)}-{int(uk.group(2)):02}-{int(uk.group(1)):02}" if uk
                     else part)
    return "|".join(parts)


def checked_extract(settings, la_code: str, faults: str, messy: bool):
    night = generate(la_code, "small", 7, AS_OF, settings.landing_dir, faults=faults, messy=messy).nights[-1]
    loaded = load_extract(night.extract_dir, settings)
    result = run_checks(loaded.batch_id, settings, send_alerts=False)
    with connect(settings) as conn:
        flagged = collections.defaultdict(set)
        for rule, family, kind, table, key in conn.execute(
                "select f.rule_id, r.family, f.kind, f.table_name, f.record_key from ops.dq_failing_records f "
                "join ops.dq_results r using (dq_run_id, rule_id) where f.dq_run_id = %s", (result.dq_run_id,)):
            flagged[(table, key_as_truth_writes_it(key))].add((rule, FAMILIES[family], kind))
        people = {}
        for table, (key_column, person_column) in CASE_PERSON.items():
            people.update({(table, key): person for key, person in conn.execute(
                f"select {key_column}, {person_column} from raw.{table} where _batch_id = %s", (loaded.batch_id,))})
    return {"result": result, "flagged": flagged, "people": people,
            "faults": read_csv(night.truth_dir / "faults.csv"),
            "exceptions": read_csv(night.truth_dir / "exceptions.csv")}


def read_csv(path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def faulty(module_settings):
    return checked_extract(module_settings, "999", "default", messy=True)


@pytest.fixture(scope="module")
def clean(module_settings, faulty):  # after the faulty one: each LA has its own candidate batch
    return checked_extract(module_settings, "903", "none", messy=True)


def test_every_injected_fault_is_reported_by_a_rule_of_its_family(faulty):
    flagged, recall, missed = faulty["flagged"], collections.Counter(), collections.defaultdict(list)
    for fault in faulty["faults"]:
        family, record = int(fault["family"]), (fault["table"], fault["primary_key"])
        subjects = [record]
        if fault["fault_type"] == "open_case_no_allocation" and record in faulty["people"]:
            # INTERFACES.md: an open case without allocation is reported on the child (when the child exists)
            subjects.append(("ssd_person", faulty["people"][record]))
        if any(f == family for subject in subjects for _, f, _ in flagged.get(subject, ())):
            recall[fault["fault_type"]] += 1
        else:
            missed[fault["fault_type"]].append((fault["table"], fault["primary_key"], fault["detail"]))
    totals = collections.Counter(f["fault_type"] for f in faulty["faults"])
    print("\nrecall per fault type:")
    for fault_type, n in sorted(totals.items()):
        print(f"  {fault_type:30} {recall[fault_type]:>4}/{n}  {missed.get(fault_type, [])[:3] or ''}")
    assert len(totals) >= 17  # every loadable fault type of --faults default is in the extract
    assert not missed


def test_the_faulty_extract_is_blocked_for_its_blocking_faults(faulty):
    result = faulty["result"]
    assert result.outcome == "block"
    assert not result.error_rules
    families = {rule.split(".")[0] for rule in result.blocking_rules}
    assert families <= {"STR_REQUIRED", "STR_DATE_NOT_FUTURE", "CODE", "CODE_FLAG", "STR_NUMBER"}
    assert "CODE.hr_workers.org_role" in result.blocking_rules  # invalid HR roles: allocation cannot be computed


def test_every_flagged_record_is_stored_and_each_result_keeps_a_bounded_sample(faulty, module_settings):
    """The records go to ops.dq_failing_records, all of them; a rule's result (and so the report, the alert and the
    Data Docs) keeps its counts and at most dq_sample_keys of its keys, however many records fail."""
    limit = module_settings.dq_sample_keys
    with connect(module_settings) as conn:
        results = conn.execute(
            "select r.rule_id, (r.observed ->> 'records')::int, jsonb_array_length(r.sample_keys), "
            "(select count(*) from ops.dq_failing_records f where f.dq_run_id = r.dq_run_id and f.rule_id = r.rule_id) "
            "from ops.dq_results r where r.dq_run_id = %s and r.status = 'fail' and r.observed ? 'records'",
            (faulty["result"].dq_run_id,)).fetchall()
    wrong = [(rule, records, sampled, stored) for rule, records, sampled, stored in results
             if stored != records or sampled != min(records, limit)]
    assert not wrong, "rule, records, keys sampled, records stored: " + str(wrong)
    assert any(records > limit for _, records, _, _ in results)  # the bound is exercised


def test_a_clean_extract_fails_no_fault_rule(clean):
    result = clean["result"]
    failing = set(result.blocking_rules) | set(result.warning_rules)
    assert not result.error_rules
    # Known disagreement: the generator closes S47 and conference-only cases as RC8 (closed after assessment), which
    # CIN 2990 (and DATA_QUALITY.md section 4) forbids. Every record the rule flags is such a case's S47 or ICPC.
    assert failing <= {"TL_ACTIVITY_AFTER_ASSESSMENT_CLOSURE"}
    flagged_2990 = {record for record, hits in clean["flagged"].items()
                    if any(rule == "TL_ACTIVITY_AFTER_ASSESSMENT_CLOSURE" for rule, _, _ in hits)}
    print(f"\nCIN 2990 on the clean extract: {len(flagged_2990)} records "
          f"({collections.Counter(t for t, _ in flagged_2990)})")
    assert {table for table, _ in flagged_2990} <= {"ssd_s47_enquiry", "ssd_initial_cp_conference"}
    assert result.outcome == ("warn" if failing else "pass")


def test_exception_rules_find_exactly_the_truth(clean):
    expected = {(EXCEPTION_RULES[e["exception_type"]], e["table"], e["primary_key"]) for e in clean["exceptions"]}
    found = {(rule, table, key) for (table, key), hits in clean["flagged"].items()
             for rule, _, kind in hits if kind == "exception"}
    print(f"\nexceptions: {len(expected)} in truth, {len(found)} found: "
          f"{collections.Counter(rule for rule, _, _ in found)}")
    assert expected
    assert found - expected == set()
    assert expected - found == set()
