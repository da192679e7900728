"""Return readiness says when a return was checked on another year's rules: the CIN census of 2026-27 runs on the
2025-26 rules and schema until the validator and the product hold 2026-27's (issue 13), in the command's lines and
the performance leads' e-mail; a return on its own year's rules carries no note."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from csc.statutory import CollectionYear, StatutoryError
from csc.statutory.cin import latest_schema_for, schema_path
from csc.statutory.readiness import NightlyReadiness, Readiness, ReturnReadiness, ruleset_note

pytestmark = pytest.mark.unit

YEAR = CollectionYear(2026)


def _return(kind: str, ruleset: str) -> ReturnReadiness:
    return ReturnReadiness(kind, ruleset, 1, None, {}, set(), set(), [])


def test_the_cin_census_of_2026_27_says_it_ran_on_the_2025_26_rules_and_schema():
    note = ruleset_note("cin", "cin2025_26", YEAR)
    assert note and "no 2026-27 rules yet" in note and "2025-26 rules (cin2025_26)" in note
    assert "2025-26 census schema" in note and "pre-proceedings" in note
    assert ruleset_note("903", "lac2026_27", YEAR) is None
    assert ruleset_note("cin", "cin2025_26", CollectionYear(2025)) is None
    readiness = Readiness("999", YEAR, [_return("903", "lac2026_27"), _return("cin", "cin2025_26")])
    lines = readiness.lines()
    assert sum("note:" in line for line in lines) == 1
    assert any(line.startswith("  note: the validator has no 2026-27 rules yet") for line in lines)
    night = NightlyReadiness("999", date(2026, 6, 30), YEAR, "done", None, readiness, datetime.now(UTC))
    assert [label for label, _ in night.alert_lines()].count("  rules of another year") == 1


def test_the_2026_27_census_has_no_schema_of_its_own_yet_and_readiness_uses_the_latest():
    with pytest.raises(StatutoryError, match=r"no CIN census schema for 2026-27 .*cin_2025_26\.xsd"):
        schema_path(YEAR)
    assert latest_schema_for(YEAR).name == "cin_2025_26.xsd"
