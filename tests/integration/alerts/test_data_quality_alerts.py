"""Three nights of one LA, as the performance leads live them: a clean night (outbox, report, Data Docs), a night full
of faults (one e-mail over a real SMTP server, with the counts, the new failures, the teams; engineers told it is
blocked), and a cleaner night (the failures reported as resolved). Re-running a night's checks never e-mails again."""

from __future__ import annotations

import email
from datetime import date

import pytest

from csc.quality import run_checks
from csc.quality.notify import send_run_alerts
from csc.warehouse.connection import connect

from dq_helpers import results
from handmade import broken_tables, clean_tables, register_batch
from smtp_sink import airflow_connection, start_sink

pytestmark = pytest.mark.integration

LEADS = ["lead.one@testshire.example", "lead.two@testshire.example"]


def publish(settings, batch_id: int) -> None:
    """What the publication step does to the batch record (the marts are not the subject here)."""
    with connect(settings) as conn:
        conn.execute("update ops.extract_batches set status = 'published', published_at = now() where batch_id = %s",
                     (batch_id,))


def fault_records(settings, dq_run_id: int) -> int:
    with connect(settings) as conn:
        return conn.execute("select count(*) from ops.dq_failing_records where dq_run_id = %s and kind = 'fault'",
                            (dq_run_id,)).fetchone()[0]


@pytest.fixture(scope="module")
def smtp():
    sink, controller = start_sink()
    yield sink, controller
    controller.stop()


@pytest.fixture(scope="module")
def nights(module_settings, smtp):
    sink, controller = smtp
    settings = module_settings.model_copy(update={"dq_volume_min_change": 0})
    monkeypatch = pytest.MonkeyPatch()
    try:
        monkeypatch.delenv("AIRFLOW_CONN_CSC_SMTP", raising=False)
        first_batch = register_batch(settings, clean_tables(), extract_date=date(2025, 3, 31))
        first = run_checks(first_batch, settings.model_copy(update={"dq_data_docs": True}))
        first_again = run_checks(first_batch, settings)
        publish(settings, first_batch)

        monkeypatch.setenv("AIRFLOW_CONN_CSC_SMTP", airflow_connection(controller.port))
        faulty = broken_tables()
        next(a for a in faulty["ssd_cin_assessments"] if a["cina_assessment_id"] == "A4")["cina_assessment_team"] = "T2"
        second_batch = register_batch(settings, faulty, extract_date=date(2025, 4, 1))
        second = run_checks(second_batch, settings)
        messages_after_second = len(sink.messages)
        second_again = send_run_alerts(second, settings)  # what a retried task would send: nothing

        third_batch = register_batch(settings, clean_tables(), extract_date=date(2025, 4, 2))
        third = run_checks(third_batch, settings, expected_extract_date=date(2025, 4, 3))
    finally:
        monkeypatch.undo()
    return {"first": first, "first_again": first_again, "second": second, "second_again": second_again,
            "third": third, "messages_after_second": messages_after_second, "settings": settings}


def leads_messages(sink):
    return [m for m in sink.messages if sorted(m.recipients) == LEADS]


def test_clean_night_passes_and_writes_one_eml(nights, module_settings):
    first = nights["first"]
    assert (first.outcome, first.blocking_rules, first.warning_rules, first.exceptions) == ("pass", (), (), {})
    assert first.fault_records == 0
    files = sorted(module_settings.outbox_dir.glob("dq_999_*.eml"))
    assert [f.name for f in files] == [f"dq_999_{first.batch_id}.eml"]
    message = email.message_from_bytes(files[0].read_bytes())
    assert message["To"] == ", ".join(LEADS)
    assert "passed" in message["Subject"]
    assert [a.status for a in nights["first_again"].alerts] == ["already sent"]
    assert nights["first_again"].dq_run_id != first.dq_run_id


def test_report_is_self_contained_and_data_docs_are_built(nights):
    first = nights["first"]
    html = first.report_path.read_text()
    assert first.report_path.name == "report.html" and "2025-03-31" in str(first.report_path)
    assert "Passed." in html and "<style>" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert first.data_docs_path.is_file()
    docs = "".join(p.read_text(errors="replace") for p in first.data_docs_path.parent.rglob("*.html"))
    assert "postgresql" not in docs and "host=" not in docs  # the connection string stays out of the docs


def test_faulty_night_mails_the_leads_once_with_counts_and_new_failures(nights, smtp):
    sink, _ = smtp
    second = nights["second"]
    assert second.outcome == "block"
    mails = leads_messages(sink)
    assert len(mails) == 2  # the faulty night and the cleaner night: one each
    mail = mails[0]
    body = mail.body()
    assert mail.subject.startswith("[CSC data quality] Testshire 01 Apr 2025: BLOCKED")
    assert f"{len(second.blocking_rules)} blocking, {len(second.warning_rules)} warning rules failing" in mail.subject
    for rule in second.blocking_rules + second.warning_rules:
        assert rule in body
    assert f"New failing records: {fault_records(nights['settings'], second.dq_run_id):,}" in body
    assert "Resolved failing records: 0" in body
    assert "T2 Children in Care: 1" in body  # top teams by exception count
    assert str(second.report_path) in body
    engineers = [m for m in sink.messages if m.recipients == ["engineers@testshire.example"]]
    assert len(engineers) == 2 and "blocked by data quality" in engineers[0].subject
    assert nights["messages_after_second"] == 2
    assert [a.status for a in nights["second_again"]] == ["already sent", "already sent"]


def test_volume_rules_compare_with_the_published_night(nights):
    second = results(nights["settings"], nights["second"].dq_run_id)
    assert second["VOL_ROWS.ssd_contacts"]["status"] == "fail"
    assert second["VOL_ROWS.ssd_contacts"]["observed"]["rows"] == 8
    assert second["VOL_STOCK_CHANGE"]["sample_keys"] == ["open_cases: from 3 to 5", "unallocated: from 0 to 3"]
    third = results(nights["settings"], nights["third"].dq_run_id)
    assert third["VOL_STOCK_CHANGE"]["status"] == "pass"
    assert third["VOL_ROWS.ssd_contacts"]["status"] == "pass"


def test_cleaner_night_reports_the_failures_as_resolved(nights, smtp):
    sink, _ = smtp
    third = nights["third"]
    # a clean extract, but not the night the pipeline expected: freshness blocks it
    assert (third.outcome, third.blocking_rules, third.warning_rules) == ("block", ("FRESH_EXPECTED_NIGHT",), ())
    body = leads_messages(sink)[1].body()
    resolved = fault_records(nights["settings"], nights["second"].dq_run_id)
    assert f"Resolved failing records: {resolved:,}" in body
    assert "New failing records: 0" in body
    assert "extract dated 2025-04-02, expected 2025-04-03" in results(
        nights["settings"], third.dq_run_id)["FRESH_EXPECTED_NIGHT"]["sample_keys"][0]
    html = third.report_path.read_text()
    assert "Now passing:" in html and "<svg" in html
