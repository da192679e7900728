"""Issue 16 item 9: findings known and accepted. A performance lead accepts three findings of a faulty night (a
warning, a timeliness exception, and a warning accepted only until the next night) with ``csc dq accept``. The next
night's e-mail (over a real SMTP server) no longer repeats them; the night after, the warning whose record changed
and the one whose acceptance expired are back, the exception is still left out. The report lists them all, with
their state. ``csc dq accepted`` lists them, ``csc dq revoke`` ends one, and refusals are clear."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from csc.cli import cli
from csc.quality import run_checks
from csc.quality.notify import compose_dq_alert
from csc.warehouse.connection import connect

from handmade import broken_tables, clean_tables, register_batch
from smtp_sink import airflow_connection, start_sink

pytestmark = pytest.mark.integration

LEADS = ["lead.one@testshire.example", "lead.two@testshire.example"]
ETHNICITY = "CODE.ssd_person.pers_ethnicity"      # ssd_person C1: accepted until the end of April
WEEKEND = "TL_ICPC_WEEKEND"                        # ssd_initial_cp_conference I1: accepted for one night only
S47 = "EXC_S47_NO_CONFERENCE_15_WORKING_DAYS"      # ssd_s47_enquiry S2 (an exception): accepted until April's end


def csc(settings, *args):
    env = {"CSC_HOME": str(settings.home), "CSC_WAREHOUSE_URL": settings.warehouse_url.get_secret_value(),
           "CSC_AIRFLOW_DATABASE": settings.airflow_database, "CSC_LAS_CONFIG": str(settings.las_config)}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def leads_bodies(sink) -> list[tuple[str, str]]:
    return [(m.subject, m.body()) for m in sink.messages if sorted(m.recipients) == LEADS]


@pytest.fixture(scope="module")
def nights(module_settings):
    sink, controller = start_sink()
    settings = module_settings.model_copy(update={"dq_volume_min_change": 0})
    monkeypatch = pytest.MonkeyPatch()
    try:
        first = register_batch(settings, clean_tables(), extract_date=date(2025, 3, 31))
        run_checks(first, settings, send_alerts=False)
        with connect(settings) as conn:  # what publication does to the batch record (the marts are not the subject)
            conn.execute("update ops.extract_batches set status = 'published', published_at = now() "
                         "where batch_id = %s", (first,))
        monkeypatch.setenv("AIRFLOW_CONN_CSC_SMTP", airflow_connection(controller.port))
        faulty = run_checks(register_batch(settings, broken_tables(), extract_date=date(2025, 4, 1)), settings)

        refusals = {
            "not flagged": csc(settings, "dq", "accept", "--la", "999", "--rule", ETHNICITY, "--record", "C2",
                               "--reason", "x", "--by", "Pat Lead", "--until", "2025-04-30"),
            "past": csc(settings, "dq", "accept", "--la", "999", "--rule", ETHNICITY, "--record", "C1",
                        "--reason", "x", "--by", "Pat Lead", "--until", "2025-03-01"),
        }
        accepts = [
            csc(settings, "dq", "accept", "--la", "999", "--rule", ETHNICITY, "--record", "C1", "--reason",
                "Recorded as the family asked; agreed with the IRO", "--by", "Pat Lead", "--until", "2025-04-30"),
            csc(settings, "dq", "accept", "--la", "999", "--rule", WEEKEND, "--record", "I1", "--reason",
                "Emergency conference on a Saturday", "--by", "Pat Lead", "--until", "2025-04-02"),
            csc(settings, "dq", "accept", "--la", "999", "--rule", S47, "--record", "S2", "--reason",
                "Conference delayed at the family's request", "--by", "Sam Manager", "--until", "2025-04-30"),
        ]
        listing = csc(settings, "dq", "accepted", "--la", "999", "--all")  # 2025's dates: expired by today

        accepted_night = run_checks(register_batch(settings, broken_tables(), extract_date=date(2025, 4, 2)),
                                    settings)
        changed = broken_tables()
        next(p for p in changed["ssd_person"] if p["pers_person_id"] == "C1")["pers_forename"] = "Ann-Marie"
        later_night = run_checks(register_batch(settings, changed, extract_date=date(2025, 4, 3)), settings)
        messages = leads_bodies(sink)
    finally:
        monkeypatch.undo()
        controller.stop()
    return {"settings": settings, "faulty": faulty, "accepted": accepted_night, "later": later_night,
            "refusals": refusals, "accepts": accepts, "listing": listing, "messages": messages}


def test_accept_records_the_finding_and_lists_it(nights):
    for result in nights["accepts"]:
        assert result.exit_code == 0, result.output
        assert result.output.startswith("accepted (")
    listing = nights["listing"].output
    assert nights["listing"].exit_code == 0
    for rule, record in ((ETHNICITY, "ssd_person: C1"), (WEEKEND, "ssd_initial_cp_conference: I1"),
                         (S47, "ssd_s47_enquiry: S2")):
        line = next(line for line in listing.splitlines() if rule in line)
        assert record in line
    assert "Conference delayed at the family's request" in listing and "Sam Manager" in listing


def test_accept_refuses_what_is_not_a_current_finding(nights):
    not_flagged, past = nights["refusals"]["not flagged"], nights["refusals"]["past"]
    assert not_flagged.exit_code == 1
    assert f"rule {ETHNICITY} did not flag record 'C2'" in not_flagged.output
    assert past.exit_code == 1 and "--until 2025-03-01 is before the extract date" in past.output


def test_the_alert_stops_repeating_accepted_findings(nights):
    faulty, accepted = nights["faulty"], nights["accepted"]
    (faulty_subject, faulty_body), (subject, body), _ = nights["messages"]
    for rule in (ETHNICITY, WEEKEND, S47):
        assert rule in faulty_body  # before acceptance: reported
        assert rule not in body, f"{rule} is accepted: the e-mail must not repeat it"
    assert accepted.warning_rules == faulty.warning_rules, "the checks themselves are unchanged"
    assert f"{len(faulty.warning_rules)} warning rules failing, 2 practice exceptions" in faulty_subject
    assert f"{len(accepted.warning_rules) - 2} warning rules failing, 1 practice exceptions" in subject
    assert "EXC_ASSESSMENT_OVER_45_WORKING_DAYS: 1" in body
    assert "3 not repeated here" in body
    assert "New failing records: 0" in body


def test_a_changed_record_or_an_expired_acceptance_is_reported_again(nights):
    _, _, (subject, body) = nights["messages"]
    assert f"{ETHNICITY}: 1" in body, "C1 changed since it was accepted"
    assert f"{WEEKEND}: 1" in body, "accepted until 2 April only"
    assert S47 not in body
    assert f"{len(nights['later'].warning_rules)} warning rules failing, 1 practice exceptions" in subject
    assert "1 not repeated here" in body


def test_the_report_lists_accepted_findings_with_their_state(nights):
    accepted_html = nights["accepted"].report_path.read_text()
    assert "Accepted findings" in accepted_html
    assert accepted_html.count("<td>accepted</td>") == 3
    later_html = nights["later"].report_path.read_text()
    assert "no longer accepted: record changed" in later_html and "no longer accepted: expired" in later_html
    assert later_html.count("<td>accepted</td>") == 1
    assert "Recorded as the family asked; agreed with the IRO" in later_html


def test_revoke_brings_the_finding_back(nights):
    settings = nights["settings"]
    listing = csc(settings, "dq", "accepted", "--la", "999", "--all").output
    s47_id = next(line for line in listing.splitlines() if S47 in line).split()[0]
    revoked = csc(settings, "dq", "revoke", s47_id, "--by", "Sam Manager")
    assert revoked.exit_code == 0 and f"revoked ({s47_id})" in revoked.output
    listing = csc(settings, "dq", "accepted", "--all").output
    assert "[revoked" in next(line for line in listing.splitlines() if S47 in line)
    assert "no accepted findings" in csc(settings, "dq", "accepted", "--la", "999").output  # none in force today
    _, text, _ = compose_dq_alert(nights["later"], settings)
    assert f"{S47}: 1" in text
    again = csc(settings, "dq", "revoke", s47_id, "--by", "Sam Manager")
    assert again.exit_code == 1 and "already revoked" in again.output
