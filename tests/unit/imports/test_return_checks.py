"""include/csc/imports/return_checks.yml (issue 14, item 4) stays true to what it names: the tables each kind of
return holds are the contract's (and the CIN and Annex A parsers' own lists), every catalogue rule of a pair is in
the catalogue, every DfE rule of a pair is a rule of the pinned validator; and a returns batch's not-applicable rules
are those that read a table its returns cannot hold."""

from __future__ import annotations

import re
from datetime import date

import pytest

from csc.contract import load_contract
from csc.imports import annex_a, cin
from csc.imports.validation import PairAgreement, return_checks
from csc.quality.catalogue import BatchContext, load_catalogue
from csc.settings import Settings
from csc.statutory.validate import VALIDATORS_DIR

pytestmark = pytest.mark.unit

RULES = VALIDATORS_DIR / ".venv" / "lib" / "python3.11" / "site-packages"


def test_the_tables_each_return_holds_are_contract_tables_and_the_parsers_own():
    holds = return_checks()["holds"]
    assert set(holds) == {"903", "cin", "annex-a"}
    contract = load_contract()
    for kind, tables in holds.items():
        assert set(tables) <= set(contract.tables), kind
    assert set(holds["cin"]) == set(cin.TABLES)
    assert set(holds["annex-a"]) == set(annex_a.TABLES)


def test_every_pair_names_catalogue_rules_and_dfe_rules_that_exist(tmp_path):
    catalogue = load_catalogue(Settings(home=tmp_path))
    pairs = return_checks()["pairs"]
    assert len({p["id"] for p in pairs}) == len(pairs)
    for pair in pairs:
        assert set(pair["ours"]) <= set(catalogue.by_id), pair["id"]
        assert pair["dfe"]["kind"] in ("903", "cin") and pair["dfe"]["rules"], pair["id"]
    if not RULES.is_dir():
        pytest.skip("the DfE validators' environment is not set up (make validators)")
    codes = {"903": set(), "cin": set()}
    for kind, package in (("903", "lac_validator"), ("cin", "cin_validator")):
        for path in (RULES / package / "rules").rglob("rule_*.py"):
            codes[kind] |= set(re.findall(r'code="([^"]+)"', path.read_text(encoding="utf-8")))
            codes[kind].add(path.stem.removeprefix("rule_"))
    for pair in pairs:
        assert set(map(str, pair["dfe"]["rules"])) <= codes[pair["dfe"]["kind"]], pair["id"]


def test_a_returns_batch_leaves_out_the_rules_that_read_what_no_return_holds(tmp_path):
    catalogue = load_catalogue(Settings(home=tmp_path))
    holds = return_checks()["holds"]["903"]
    not_held = frozenset(t.name for t in load_contract() if t.name not in holds)
    returns = BatchContext(batch_id=1, extract_date=date(2026, 3, 31), return_kinds=("903",), not_held=not_held)
    extract = BatchContext(batch_id=1, extract_date=date(2026, 3, 31))
    by_id = catalogue.by_id
    for rule_id in ("ALLOC_OPEN_CASE_UNALLOCATED", "EXC_CLA_VISIT_OVERDUE", "REF_HR_EXTRACT_AVAILABLE",
                    "STR_REQUIRED.ssd_cin_episodes.cine_referral_date", "TL_BEFORE_REFERRAL.ssd_cin_assessments"):
        assert returns.not_applicable(by_id[rule_id]).startswith("not applicable"), rule_id
        assert extract.not_applicable(by_id[rule_id]) is None
    for rule_id in ("TL_END_BEFORE_START.ssd_cla_episodes", "CODE_K3_UNDER_16", "EXC_CLA_REVIEW_OVERDUE",
                    "CODE_UNMAPPED", "STR_TABLES_PRESENT"):  # CODE_UNMAPPED: inputs any
        assert returns.not_applicable(by_id[rule_id]) is None, rule_id


def test_a_pair_sorts_its_children_into_both_only_ours_and_only_the_dfe():
    pair = PairAgreement("p", "fault", ("R",), "903", ("356",), "fail", "failed",
                         frozenset({"A", "B"}), frozenset({"B", "C"}))
    assert pair.by_child() == {"A": "only ours", "B": "both", "C": "only DfE"}
    assert pair.agree is False
    same = PairAgreement("p", "fault", ("R",), "903", ("356",), "pass", "passed")
    assert same.agree is True and same.by_child() == {}
    assert PairAgreement("p", "fault", ("R",), "cin", ("1103",), "not applicable", "passed").agree is None
