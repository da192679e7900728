"""The contract as the current SSD has it (issue 11): required columns say what needs them, the SSD's own keys,
optional HR tables, the SystemC bcp column order, and the Python twin of ops.outcome_json used by csc profile."""

from __future__ import annotations

import csv

import pytest

from csc.contract import SYSTEMC_COLUMNS_PATH, column_order, load_contract
from csc.ingest.profiling import outcome_flags
from csc.ingest.shape import system_named

pytestmark = pytest.mark.unit


def test_every_required_column_says_what_needs_it():
    contract = load_contract()
    for table in contract:
        for column in table.columns:
            assert (column.needed_by is not None) == column.required, f"{table.name}.{column.name}"
    factors = contract.table("ssd_assessment_factors")
    assert factors.primary_key == ("cinf_table_id", "cinf_assessment_id")
    assert not factors.column("cinf_table_id").required, "Mosaic writes it blank"
    returns_tables = {"ssd_address", "ssd_immigration_status", "ssd_mother", "ssd_cla_health", "ssd_cla_immunisations",
                      "ssd_cla_substance_misuse", "ssd_cla_convictions", "ssd_sdq_scores", "ssd_permanence",
                      "ssd_cla_previous_permanence", "ssd_cla_care_plan", "ssd_early_help_episodes", "ssd_family",
                      "ssd_linked_identifiers", "ssd_pre_proceedings"}
    assert {t.name for t in contract if t.optional} == {"hr_workers", "hr_establishment"} | returns_tables, (
        "the HR files and the SSD tables the statutory returns read")
    identifying = {(t.name, c.name) for t in contract for c in t.columns if c.personal}
    assert {("ssd_address", "addr_address_postcode"), ("ssd_address", "addr_address_json"),
            ("ssd_person", "pers_upn"), ("ssd_linked_identifiers", "link_identifier_value"),
            ("ssd_mother", "moth_childs_dob")} <= identifying, "postcodes, addresses and UPNs restricted like names"


def test_systemc_bcp_order_is_the_v145_ddl_then_the_rest():
    contract = load_contract()
    with SYSTEMC_COLUMNS_PATH.open(encoding="utf-8", newline="") as f:
        deployed = [(r["table"], r["column"].lower()) for r in csv.DictReader(f)]
    for table in contract:
        order = column_order(table, "1.4.5", "systemc")
        assert sorted(order) == sorted(table.column_names), table.name
        ddl = [c for t, c in deployed if t == table.name and c in table.column_names]
        assert list(order[:len(ddl)]) == ddl, table.name
        assert column_order(table, "1.4.5", "mosaic") == tuple(table.column_names)
        assert column_order(table, None, None) == tuple(table.column_names)
    person = column_order(contract.table("ssd_person"), "1.4.5", "systemc")
    assert person[:3] == ("pers_legacy_id", "pers_person_id", "pers_upn")


def test_manifest_source_system_names_a_profile_only_exactly():
    assert system_named("mosaic") == "mosaic" and system_named(" systemc ") == "systemc"
    assert system_named("SystemC LCS") is None and system_named(None) is None


@pytest.mark.parametrize(("written", "read"), [
    ('{"NFA_FLAG": "Y"}', {"NFA_FLAG": "Y"}),
    ('{"A_FLAG": "Y", "NUMBER_OF_OUTCOMES": 2, "COMMENTS": "said "no" \\ and\nmore"}',
     {"A_FLAG": "Y", "NUMBER_OF_OUTCOMES": "2", "COMMENTS": "said "}),
    ("garbage", None), ("[1]", None), ("", None), (None, None),
])
def test_outcome_flags_twin_of_ops_outcome_json(written, read):
    assert outcome_flags(written) == read
