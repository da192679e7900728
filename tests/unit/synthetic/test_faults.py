"""Injected faults: every record listed in faults.csv is found again, rule by rule, straight from the files by the
independent re-detector, and nothing else is; file-level faults likewise; truth counts them as written."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
import yaml

from csc_synthetic import generate
from csc_synthetic.full_ssd import simulated_contract

from .conftest import AS_OF, run
from .redetect import Extract, detect, file_problems

pytestmark = pytest.mark.unit

DEFAULT_TYPES = {"open_case_no_allocation", "allocation_departed_worker", "allocation_non_case_holding",
                 "orphan_foreign_key", "end_before_start", "event_before_birth", "event_after_death",
                 "before_referral", "invalid_code", "k3_under_16", "duplicate_person", "overlapping_cla_episodes",
                 "cp_start_not_icpc_date", "icpc_weekend", "future_date", "blank_required",
                 # issue 16: faults the checks once missed
                 "referral_after_18", "duplicate_involvement", "allocation_outside_employment"}
FAMILIES = {"open_case_no_allocation": "5", "allocation_departed_worker": "5", "orphan_foreign_key": "3",
            "end_before_start": "4", "invalid_code": "2", "duplicate_person": "7", "future_date": "1",
            "blank_required": "1", "duplicate_primary_key": "1", "truncated_last_line": "1",
            "referral_after_18": "4", "duplicate_involvement": "5", "allocation_outside_employment": "5"}


@pytest.fixture(scope="session")
def small_default(tmp_path_factory):
    return run(tmp_path_factory.mktemp("small_default"), la="999", seed=1, faults="default")


@pytest.fixture(scope="session")
def tiny_all(tmp_path_factory):
    return run(tmp_path_factory.mktemp("tiny_all"), seed=5, faults="all")


def listed(result) -> pd.DataFrame:
    return pd.read_csv(result.nights[0].truth_dir / "faults.csv", dtype=str, keep_default_na=False)


def by_rule(faults: pd.DataFrame) -> dict[str, set[tuple[str, str]]]:
    records = faults[faults["primary_key"] != ""]
    return {rule: set(zip(group["table"], group["primary_key"], strict=True))
            for rule, group in records.groupby("fault_type")}


def test_every_listed_fault_is_found_again_and_nothing_else(small_default):
    faults = listed(small_default)
    assert set(faults["fault_type"]) >= DEFAULT_TYPES, "every default fault type is injected at least once"
    expected = by_rule(faults)
    found = detect(small_default.nights[0].extract_dir)
    for rule in sorted(set(expected) | set(found)):
        assert found.get(rule, set()) == expected.get(rule, set()), rule


def test_each_contract_relationship_has_an_orphan(small_default):
    faults = listed(small_default)
    orphans = faults[faults["fault_type"] == "orphan_foreign_key"]["detail"].str.split(" -> ").str[0]
    relationships = {fk.column for t in simulated_contract() for fk in t.foreign_keys}
    assert relationships == set(orphans)


def test_fault_rows_carry_their_family_and_records_do_not_collide(small_default):
    faults = listed(small_default)
    for fault, family in FAMILIES.items():
        assert set(faults.loc[faults["fault_type"] == fault, "family"]) <= {family}
    # one fault per record: no (table, key) is listed by two faults
    owners = faults.groupby(["table", "primary_key"])["fault_id"].nunique()
    assert (owners == 1).all()


def test_file_level_faults_are_found_from_the_folder_and_manifest(tiny_all):
    faults = listed(tiny_all)
    file_level = faults[faults["primary_key"] == ""]
    assert set(zip(file_level["fault_type"], file_level["table"], strict=True)) == file_problems(
        tiny_all.nights[0].extract_dir)
    assert set(file_level["fault_type"]) == {"manifest_row_count_mismatch", "manifest_checksum_mismatch",
                                             "truncated_last_line", "missing_required_column", "unknown_extra_file"}
    # records of the damaged files cannot be read back; every other listed record is found again
    damaged = set(file_level["table"])
    expected = {rule: {r for r in rows if r[0] not in damaged} for rule, rows in by_rule(faults).items()}
    expected = {rule: rows for rule, rows in expected.items() if rows}
    assert "duplicate_primary_key" in expected
    assert detect(tiny_all.nights[0].extract_dir) == expected


def test_truth_counts_faulty_records_as_written(small_default):
    truth = pd.read_csv(small_default.nights[0].truth_dir / "indicators.csv", dtype=str, keep_default_na=False)
    day = truth[truth["period_type"] == "day"].set_index("indicator_id")
    faults = listed(small_default)
    extract = Extract.read(small_default.nights[0].extract_dir)
    # children left without an allocation: the open cases whose allocation ended, or went to a departed or
    # non-case-holding worker (clean extracts have every open case allocated exactly once)
    inv = extract.tables["ssd_involvements"].set_index("invo_involvements_id")["invo_person_id"]
    no_allocation = faults[(faults["fault_type"] == "open_case_no_allocation") & (faults["table"] == "ssd_person")]
    children = set(no_allocation["primary_key"])
    reassigned = faults["fault_type"].isin(["allocation_departed_worker", "allocation_non_case_holding"])
    children |= set(inv.reindex(faults.loc[reassigned, "primary_key"]))
    open_case = set()  # care leavers are allocated too, but they are not open cases of UNALLOCATED
    for table, person, start, end in (
            ("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "cine_close_date"),
            ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
            ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date")):
        s, e = extract.dates(table, start), extract.dates(table, end)
        is_open = (s <= extract.date) & (pd.isna(e) | (e > extract.date))
        open_case |= set(extract.tables[table][person][is_open])
    assert int(day.loc["UNALLOCATED", "numerator"]) == len(children & open_case) > 0
    # the record-level pass rate
    rows = sum(len(t) for t in extract.tables.values())
    failing = 0
    keyed = faults[faults["primary_key"] != ""][["table", "primary_key"]].drop_duplicates()
    for table, keys in keyed.groupby("table")["primary_key"]:
        failing += int(pd.Series(extract.keys(table)).isin(set(keys)).sum())
    assert (day.loc["DQ_PASS_RATE", "numerator"], day.loc["DQ_PASS_RATE", "denominator"]) == (
        str(rows - failing), str(rows))
    assert Decimal(day.loc["DQ_PASS_RATE", "value"]) < 100


def test_a_fault_file_selects_types_rates_and_files(tmp_path):
    spec = tmp_path / "faults.yml"
    spec.write_text(yaml.safe_dump({"rates": {"icpc_weekend": 0.05, "future_date": 0.01,
                                              "truncated_last_line": "ssd_contacts"}}))
    result = generate("999", "tiny", 2, AS_OF, tmp_path / "out", faults=spec)
    faults = listed(result)
    assert {"future_date", "truncated_last_line"} <= set(faults["fault_type"]) <= {
        "icpc_weekend", "future_date", "truncated_last_line"}
    assert ("truncated_last_line", "ssd_contacts") in file_problems(result.nights[0].extract_dir)


@pytest.mark.parametrize(("rates", "message"), [
    ({"sticky_keyboard": 0.1}, "unknown fault types sticky_keyboard"),
    ({"future_date": 2}, "between 0 and 1"),
    ({"truncated_last_line": "ssd_nowhere"}, "not a table of the extract contract"),
])
def test_a_bad_fault_file_is_refused_clearly(tmp_path, rates, message):
    spec = tmp_path / "faults.yml"
    spec.write_text(yaml.safe_dump({"rates": rates}))
    with pytest.raises(ValueError, match=message):
        generate("901", None, 1, AS_OF, tmp_path / "out", faults=spec)
