"""Alert e-mails are Jinja templates beside the report templates; the modules that send them only gather facts."""

from __future__ import annotations

import re
from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from csc.alerts.templates import render_alert
from csc.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

SENDERS = ["include/csc/quality/notify.py", "include/csc/orchestration/callbacks.py",
           "include/csc/orchestration/lateness.py", "include/csc/orchestration/sensors.py",
           "include/csc/orchestration/failures.py"]


def test_no_module_writes_an_alert_body_or_subject_itself():
    for path in SENDERS:
        source = (PROJECT_ROOT / path).read_text(encoding="utf-8")
        assert not re.search(r"\b(subject|body|text_lines|html)\s*=\s*\(?f?[\"']", source), path


def test_every_alert_renders_its_subject_and_body():
    deadline = datetime(2026, 10, 1, 7, 0, tzinfo=ZoneInfo("Europe/London"))
    run = SimpleNamespace(extract_date=date(2026, 9, 30), la_code="999", batch_id=3, dq_run_id=4)
    rendered = {
        "failure": render_alert("failure", dag_id="csc_nightly_999", night=" for 2026-09-30", what="failed",
                                task_id="build", la_name="Demoshire", la_code="999", run_id="r1", error="Boom",
                                blocked=False),
        "late_run": render_alert("late_run", la_name="Demoshire", la_code="999", extract_date=date(2026, 9, 30),
                                 deadline=deadline, where="build", dag_id="csc_nightly_999", run_id="r1",
                                 checked_at=deadline),
        "late_extract": render_alert("late_extract", la_name="Demoshire", la_code="999",
                                     extract_date=date(2026, 9, 30), waited=True, extract_wait="PT6H",
                                     folder="/landing/999/2026-09-30", dag_id="csc_nightly_999", run_id="r1"),
        "dq_blocked": render_alert("dq_blocked", "csc.quality", la_code="999", extract_date=date(2026, 9, 30),
                                   batch_id=3, blocking_rules=("STR_PK_UNIQUE.ssd_person",),
                                   report="/outputs/report.html", dq_run_id=4),
        "dq_alert": render_alert("dq_alert", "csc.quality", la_name="Demoshire", run=run, outcome="passed",
                                 blocking=0, warning=1, exception_records=1234,
                                 sections=[("Outcome", [("passed", "<published>")]), ("Blocking rules failing", [])]),
    }
    assert rendered["failure"].subject == "[CSC] csc_nightly_999 for 2026-09-30 failed at build: Demoshire (999)"
    assert "Error: Boom" in rendered["failure"].text and "not transient" in rendered["failure"].text
    assert rendered["late_run"].subject.endswith("not finished by 07:00")
    assert "07:00 BST on Thursday 01 October 2026" in rendered["late_run"].text
    assert "waited PT6H for the extract of 2026-09-30" in rendered["late_extract"].text
    assert "  STR_PK_UNIQUE.ssd_person\n" in rendered["dq_blocked"].text
    dq = rendered["dq_alert"]
    assert dq.subject.endswith("1 warning rules failing, 1,234 practice exceptions")
    assert "Outcome\n  passed - <published>\n\nBlocking rules failing\n  none" in dq.text
    assert "<strong>passed</strong> &lt;published&gt;" in dq.html, "the HTML alternative escapes what it shows"
    assert all(not alert.text.startswith("Subject") and "\n" not in alert.subject for alert in rendered.values())
