"""The performance leads' "Return readiness" e-mail as rendered from a nightly readiness: a subject line, counts and
rule codes, rules that crashed as "not run" (never passed), no child ids; and the "not run" night says so."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from csc.alerts.templates import render_alert
from csc.statutory.readiness import NightlyReadiness, Readiness, ReturnReadiness
from csc.statutory.years import CollectionYear

pytestmark = pytest.mark.unit

YEAR = CollectionYear(2026)


def render(night: NightlyReadiness, errors: int | None):
    return render_alert("readiness_alert", "csc.quality", la_name="Testshire", la_code="999", readiness=night,
                        errors=errors, sections=[("Return readiness (DfE validators)", night.alert_lines())])


def test_a_done_night_lists_errors_by_rule_new_resolved_not_run_and_teams_without_child_ids():
    ssda = ReturnReadiness("903", "lac2026_27", 5, 4, {"209": ("UN1 given to a child of school age", 3)},
                           new={("209", "C0042", "Episodes", "REASON")}, resolved={("145", "C0007", "Episodes", "")},
                           not_run=["231"], children_by_team={"Team A": ["C0042"], "Team B": ["C0050", "C0051"]})
    night = NightlyReadiness("999", date(2026, 6, 30), YEAR, "done", None, Readiness("999", YEAR, [ssda]),
                             datetime.now(UTC))
    alert = render(night, ssda.errors)
    assert alert.subject == "[CSC return readiness] Testshire 2026-27, 30 Jun 2026: 3 validator errors"
    assert "903 (lac2026_27): 3 errors in 1 rules - 1 new, 1 resolved since the previous night" in alert.text
    assert "errors by rule - 209 3" in alert.text
    assert "rules not run (1, not passed) - 231" in alert.text
    assert "children to fix per team - Team B 2, Team A 1" in alert.text
    assert "C00" not in alert.text  # no child id leaves by e-mail


def test_a_night_without_the_validators_says_not_run():
    night = NightlyReadiness("999", date(2026, 6, 30), YEAR, "not_run", "run `make validators`", None,
                             datetime.now(UTC))
    alert = render(night, None)
    assert alert.subject.endswith(": NOT RUN")
    assert "Return readiness NOT RUN - run `make validators`" in alert.text
