"""Nightly return readiness for real: the nightly DAG (``dag.test()`` through ``csc backfill``) on two generated tiny
nights, the DfE validators in their own environment, the DQ report and the performance leads' e-mails (real SMTP on
loopback).

1. night 1: the ``readiness`` step runs after ``purge`` and before ``finish``, validates the 2026-27 903 and CIN files,
   does not fail the night although the validators report errors, and the report and the leads' e-mail carry the
   "Return readiness" section (errors by rule, first run, children to fix per team). The errors have a known cause, as a
   fault-free extract's year in progress passes both validators (tests/integration/statutory): each night's extract
   gets one fault of its own before it is landed, a missing period of the year recorded twice (a second row, its own
   id), which DfE rule 574 refuses (missing periods must not overlap);
2. night 2: new and resolved errors since night 1 (night 1's stored issues of one rule are renamed, so that rule's
   errors are new tonight and the renamed ones resolved), in the report and the e-mail; the night's DQ e-mail, sent
   before publication, carries night 1's readiness;
3. without the validators' environment the step records and reports "not run", never a pass.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from orch_helpers import LA, PERFORMANCE

pytestmark = [pytest.mark.integration, pytest.mark.dags, pytest.mark.slow]

LAST = date(2026, 7, 1)
NIGHTS = [LAST - timedelta(days=1), LAST]
RULE = "574"  # the DfE 903 rule the injected fault breaks: a child's missing periods must not overlap


def overlap_a_missing_period(extract: Path) -> str:
    """Record the first closed missing period of the year in progress (2026-27) twice in the extract (a second row
    with its own id), keeping the manifest true to the file; return the child's id."""
    path = extract / "ssd_missing.csv"
    raw = path.read_bytes()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    head = rows[0]
    start, end = head.index("miss_missing_episode_start_date"), head.index("miss_missing_episode_end_date")
    row = next(r for r in rows[1:] if "2026-04-01" <= r[start][:10] < r[end][:10])
    copy = list(row)
    copy[head.index("miss_table_id")] = "57999999"
    rows.append(copy)
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, lineterminator="\r\n" if b"\r\n" in raw else "\n").writerows(rows)
    content = path.read_bytes()
    manifest = json.loads((extract / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["files"] if e["name"] == path.name)
    entry.update(rows=entry["rows"] + 1, bytes=len(content), sha256=hashlib.sha256(content).hexdigest())
    (extract / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return row[head.index("miss_person_id")]


def steps_of(orch, night: date) -> list[tuple[str, str]]:
    return orch.query("select s.step, s.status from ops.pipeline_steps s join ops.pipeline_runs r using (run_id) "
                      "where r.detail->>'extract_date' = %s order by s.started_at", (night.isoformat(),))


def report_of(orch, night: date) -> str:
    return (orch.settings.outputs_dir / "dq" / LA / night.isoformat() / "report.html").read_text(encoding="utf-8")


def run_night(orch, night: date):
    done = orch.csc("backfill", "--la", LA, "--from", night.isoformat(), "--to", night.isoformat())
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def nights(orchestration):
    from csc.statutory.validate import VALIDATORS_DIR

    assert (VALIDATORS_DIR / ".venv" / "bin" / "python").is_file(), "run `make validators` (make test does)"
    orch = orchestration
    orch.write_las(statutory_readiness=True, ons_code="E10000014", dfe_code="850")
    faulty = set()
    for extract in orch.generate(LAST, nights=2):
        faulty.add(overlap_a_missing_period(extract))
        orch.land(extract)
    assert len(faulty) == 1, "the same child's period, both nights"
    run_night(orch, NIGHTS[0])
    first = SimpleNamespace(steps=steps_of(orch, NIGHTS[0]), report=report_of(orch, NIGHTS[0]),
                            emails=list(orch.emails("[CSC return readiness]")),
                            alerts=orch.query("select alert_key, status, subject, last_error from ops.alerts"),
                            detail=orch.query("select detail from ops.pipeline_steps where step = 'readiness'"),
                            runs=orch.query("select return_kind, validation_run_id from ops.statutory_validation_runs "
                                            "order by validation_run_id"))
    # Night 1 as if the fault's errors had been another rule's: tonight they are new, and the renamed ones resolved.
    run_903 = dict(first.runs)["903"]
    first.errors = orch.query("select i.rule_code, i.child_id from ops.statutory_issues i "
                              "join ops.statutory_rule_results r using (validation_run_id, rule_code) "
                              "where validation_run_id = %s and r.status = 'failed' and r.severity = 'error' "
                              "group by 1, 2 order by 1, 2", (run_903,))
    rule = RULE
    orch.query("with moved as (update ops.statutory_issues set rule_code = 'GONE' where validation_run_id = %s "
               "and rule_code = %s returning 1) "
               "insert into ops.statutory_rule_results (validation_run_id, rule_code, description, severity, status) "
               "values (%s, 'GONE', 'a rule of last night', 'error', 'failed') returning 1", (run_903, rule, run_903))
    run_night(orch, NIGHTS[1])
    return SimpleNamespace(orch=orch, first=first, rule=rule, run_903=run_903, faulty=faulty)


def test_the_readiness_step_runs_after_publication_and_does_not_fail_the_night(nights):
    orch = nights.orch
    assert nights.first.steps[-2:] == [("purge", "success"), ("readiness", "success")]
    assert orch.query("select detail->>'extract_date', status from ops.pipeline_runs order by run_id") == \
        [(d.isoformat(), "success") for d in NIGHTS]
    rows = orch.query("select extract_date, collection_year, status, cardinality(validation_run_ids) "
                      "from ops.statutory_readiness order by readiness_id")
    assert rows == [(d, "2026-27", "done", 2) for d in NIGHTS]
    assert [k for k, _ in nights.first.runs] == ["903", "cin"]
    detail = orch.query("select s.detail from ops.pipeline_steps s join ops.pipeline_runs r using (run_id) "
                        "where s.step = 'readiness' and r.detail->>'extract_date' = %s", (NIGHTS[0].isoformat(),))
    returns = detail[0][0]["returns"]
    assert returns["903"]["errors"] > 0, "the injected fault gives the 903 errors; the night succeeded"
    # the fault's rule fails on the fault's children, and on them alone
    assert {child for code, child in nights.first.errors if code == RULE} == nights.faulty
    # The CIN census carries the LA's DfE number (las.yml dfe_code) as its LEA. Only the latest night's files are kept.
    folders = [Path(r[0]) for r in orch.query("select files_folder from ops.statutory_validation_runs "
                                              "where return_kind = 'cin' order by validation_run_id")]
    assert not folders[0].exists()
    assert "<LEA>850</LEA>" in folders[1].read_text(encoding="utf-8")
    assert [p.name for p in (orch.settings.outputs_dir / "statutory" / LA).iterdir()] == [folders[1].parents[1].name]


def test_the_first_night_shows_return_readiness_in_the_report_and_the_leads_email(nights):
    report = nights.first.report
    assert 'id="return-readiness"' in report and "Collection year 2026-27" in report
    assert "(first run: nothing to compare with)" in report
    assert f"<code>{nights.rule}</code>" in report and "Children to fix" in report
    # the CIN validator has no 2026-27 rules yet: the census ran on 2025-26's, and the report says so
    assert "Rules of another year: the validator has no 2026-27 rules yet: checked on the 2025-26 rules" in report
    assert len(nights.first.emails) == 1, (nights.first.alerts, nights.first.detail,
                                           [m.subject for m in nights.orch.sink.messages])
    email = nights.first.emails[0]
    assert email.recipients == [PERFORMANCE]
    assert email.message["X-CSC-Alert-Key"].startswith(f"readiness:{LA}:")
    body = email.body()
    assert "903 (lac2026_27):" in body and "(first run: no previous night)" in body
    assert "errors by rule" in body and nights.rule in body and "children to fix per team" in body
    assert "cin (" in body.lower()
    assert "rules of another year" in body and "checked on the 2025-26 rules (cin2025_26)" in body


def test_the_second_night_shows_new_and_resolved_errors(nights):
    orch = nights.orch
    from csc.statutory.readiness import latest

    tonight = latest(orch.settings, LA)
    ssda = next(r for r in tonight.readiness.returns if r.kind == "903")
    assert ssda.previous_run_id == nights.run_903
    assert nights.rule in {code for code, *_ in ssda.new}
    assert {code for code, *_ in ssda.resolved} >= {"GONE"}
    report = report_of(orch, NIGHTS[1])
    assert f"{len(ssda.new)} new and {len(ssda.resolved)} resolved since the previous night" in report
    assert "<td>resolved</td><td><code>GONE</code>" in report
    emails = orch.emails("[CSC return readiness]")
    assert len(emails) == 2
    assert f"{len(ssda.new):,} new, {len(ssda.resolved):,} resolved since the previous night" in emails[1].body()
    # The night's data-quality e-mail goes out before publication: it carries the latest readiness, night 1's.
    dq = [m for m in orch.emails("[CSC data quality]") if NIGHTS[1].strftime("%d %b %Y") in m.subject]
    assert len(dq) == 1 and "Return readiness (DfE validators)" in dq[0].body()
    assert f"after the publication of the extract of {NIGHTS[0]:%d %b %Y}" in dq[0].body()


def test_without_the_validators_environment_the_step_says_not_run(nights, tmp_path, monkeypatch):
    """An install whose validators' environment is missing: "not run" in ops, the step and the report."""
    orch = nights.orch
    import csc.statutory.validate as validate
    from csc.pipeline import readiness_step, start_run
    from csc.statutory.readiness import latest

    monkeypatch.setattr(validate, "VALIDATORS_DIR", tmp_path / "no-validators")
    batch_id = orch.query("select batch_id from ops.extract_batches where extract_date = %s", (NIGHTS[1],))[0][0]
    run = start_run(LA, NIGHTS[1], settings=orch.settings)  # a run of its own (a re-run of night 2 would skip)
    out = readiness_step(run, batch_id, orch.settings)
    assert out["status"] == "not_run" and "make validators" in out["reason"]
    step = orch.query("select status, detail->>'reason' from ops.pipeline_steps where run_id = %s "
                      "and step = 'readiness'", (run.run_id,))
    assert step == [("skipped", out["reason"])]
    now = latest(orch.settings, LA)
    assert now.status == "not_run" and now.readiness is None
    assert any("NOT RUN" in head for head, _ in now.alert_lines())
    assert "<strong>Not run:</strong>" in report_of(orch, NIGHTS[1])


def test_a_crash_of_the_readiness_is_not_run_and_the_published_night_succeeds(nights):
    """A third night whose readiness crashes (its files' folder cannot be made: a file stands where it goes): the
    night is published and succeeds, the readiness is "not run" with the crash as its reason, in ops, the step, the
    report and the leads' e-mail. Last in this module: it makes the crashed night the LA's latest."""
    import shutil

    orch = nights.orch
    night = LAST + timedelta(days=1)
    statutory = orch.settings.outputs_dir / "statutory" / LA
    shutil.rmtree(statutory, ignore_errors=True)
    statutory.write_text("not a folder", encoding="utf-8")
    try:
        for extract in orch.generate(night):
            orch.land(extract)
        run_night(orch, night)
    finally:
        statutory.unlink()
    assert orch.query("select status from ops.pipeline_runs where detail->>'extract_date' = %s",
                      (night.isoformat(),)) == [("success",)]
    assert orch.query("select status from ops.extract_batches where extract_date = %s", (night,)) == [("published",)]
    steps = steps_of(orch, night)
    assert ("publish", "success") in steps and ("readiness", "skipped") in steps, steps
    recorded = orch.query("select status, detail, cardinality(validation_run_ids) from ops.statutory_readiness "
                          "where extract_date = %s", (night,))
    assert len(recorded) == 1 and recorded[0][0] == "not_run" and recorded[0][2] == 0, recorded
    reason = recorded[0][1]
    assert reason.startswith("crashed (") and "Error" in reason, reason
    step = orch.query("select s.detail->>'reason' from ops.pipeline_steps s join ops.pipeline_runs r using (run_id) "
                      "where s.step = 'readiness' and r.detail->>'extract_date' = %s", (night.isoformat(),))
    assert step == [(reason,)]
    assert "<strong>Not run:</strong>" in report_of(orch, night)
    assert any("NOT RUN" in m.body() and "crashed (" in m.body() for m in orch.emails("[CSC return readiness]"))
