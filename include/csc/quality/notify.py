"""After each run: one e-mail to the LA's performance leads (and, when the night is blocked, one to its data
engineers). Counts and rule names only - no child ids leave the warehouse by e-mail; the report lists them.

Findings accepted with ``csc dq accept`` (while the acceptance holds) are left out of the leads' e-mail: its counts,
its rule lists (a warning or exception rule whose every record is accepted is not listed; a blocking rule is, as it
still blocks) and its new failing records. One line says how many were left out; the report lists them."""

from __future__ import annotations

from csc.alerts import AlertResult, recipients_for, send_alert
from csc.alerts.templates import render_alert
from csc.ingest.changes import alert_section, read_changes
from csc.quality import history, report
from csc.quality.catalogue import load_catalogue
from csc.settings import Settings
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect

OUTCOME_WORDS = {"block": "BLOCKED, not published", "warn": "published with warnings", "pass": "passed"}


def report_location(result, settings: Settings) -> str:
    """Where readers find the report: under ``reports_base_url`` when configured, else the file path."""
    if result.report_path is None:
        return "(the report could not be written; see the pipeline log)"
    if settings.reports_base_url:
        relative = result.report_path.relative_to(settings.outputs_dir).as_posix()
        return settings.reports_base_url.rstrip("/") + "/" + relative
    return str(result.report_path)


def compose_dq_alert(result, settings: Settings) -> tuple[str, str, str]:
    """(subject, text, html) of the performance leads' e-mail for one run."""
    catalogue = load_catalogue(settings)
    with connect(settings, role=LOADER) as conn:
        run = history.run_info(conn, result.dq_run_id)
        accepted = history.accepted_findings(conn, run)
        rules = {r.rule_id: r for r in history.without_accepted(history.rule_rows(conn, run.dq_run_id), accepted)}
        changes = history.changes_since(conn, run, accepted)
        teams = history.top_teams(conn, run, "exception", limit=5)
        exception_records = history.record_counts(conn, run, accepted)[1]
        extract_changes = read_changes(conn, run.batch_id)
    accepted_held = sum(1 for f in accepted if f.holds)
    la_name = report.la_name(settings, run.la_code)
    fault_rules = {r for r, row in rules.items() if row.kind == "fault"}
    exception_rules = {r for r, row in rules.items() if row.kind == "exception"}

    def count(rule_id: str) -> int:
        row = rules[rule_id]
        return row.records if row.records is not None else row.rows_failing

    def described(rule_id: str) -> str:
        rule = catalogue.by_id.get(rule_id)
        return rule.description if rule else rules[rule_id].description or ""

    warning_rules = tuple(r for r in result.warning_rules if count(r) > 0)  # every record accepted: not repeated
    exceptions = {r: n - rules[r].accepted for r, n in result.exceptions.items() if n - rules[r].accepted > 0}

    sections: list[tuple[str, list[tuple[str, str]]]] = []
    sections.append(("Outcome", [(OUTCOME_WORDS[result.outcome],
                                  "Tonight's data is NOT published; the previously published night stays in place."
                                  if result.outcome == "block" else "Tonight's data is published.")]))
    sections.append((f"Blocking rules failing ({len(result.blocking_rules)})",
                     [(f"{r}: {count(r):,}", described(r)) for r in result.blocking_rules]))
    sections.append((f"Warning rules failing ({len(warning_rules)})",
                     [(f"{r}: {count(r):,}", described(r)) for r in warning_rules]))
    if result.error_rules:
        sections.append((f"Rules that could not run ({len(result.error_rules)})",
                         [(r, rules[r].error or "") for r in result.error_rules]))
    sections.append((f"Practice exceptions ({exception_records:,} records)",
                     [(f"{r}: {n:,}", described(r)) for r, n in sorted(exceptions.items())]))
    if changes.previous is None:
        sections.append(("Since the previous check", [("", "This is the first check of this LA.")]))
    else:
        lines = [("", f"Compared with the extract of {changes.previous.extract_date:%d %b %Y} "
                      f"(batch {changes.previous.batch_id}, {OUTCOME_WORDS.get(changes.previous.outcome, '')}).")]
        lines.append((f"New failing records: {changes.total_new(fault_rules):,}",
                      _by_rule(changes.new_records, fault_rules)))
        lines.append((f"Resolved failing records: {changes.total_resolved(fault_rules):,}",
                      _by_rule(changes.resolved_records, fault_rules)))
        lines.append((f"New exceptions: {changes.total_new(exception_rules):,}; resolved exceptions: "
                      f"{changes.total_resolved(exception_rules):,}", ""))
        lines.append((f"Rules newly failing: {len(changes.rules_newly_failing)}",
                      ", ".join(changes.rules_newly_failing)))
        lines.append((f"Rules resolved (now passing): {len(changes.rules_resolved)}",
                      ", ".join(changes.rules_resolved)))
        sections.append(("Since the previous check", lines))
    sections.append(alert_section(extract_changes))
    sections.append(("Top teams by exception count",
                     [(f"{team or '(no team)'} {name}: {n:,}", "") for team, name, n in teams]))
    readiness = report.return_readiness(settings, run.la_code, run.extract_date)
    if readiness is not None and readiness.status != "disabled":
        sections.append(("Return readiness (DfE validators)", readiness.alert_lines()))
    sections.append(("Where to look", [("Report", report_location(result, settings)),
                                       ("Records", f"ops.dq_failing_records, run {result.dq_run_id}")]
                     + ([("Accepted findings", f"{accepted_held:,} not repeated here (csc dq accepted; listed in "
                                               "the report)")] if accepted_held else [])))

    alert = render_alert("dq_alert", "csc.quality", la_name=la_name, run=run, outcome=OUTCOME_WORDS[result.outcome],
                         blocking=len(result.blocking_rules), warning=len(warning_rules),
                         exception_records=exception_records, sections=sections)
    return alert.subject, alert.text, alert.html or ""


def _by_rule(counts: dict[str, int], rules: set[str]) -> str:
    parts = sorted(((r, n) for r, n in counts.items() if r in rules), key=lambda x: (-x[1], x[0]))
    return ", ".join(f"{r} {n:,}" for r, n in parts[:10]) + (" ..." if len(parts) > 10 else "")


def send_run_alerts(result, settings: Settings) -> list[AlertResult]:
    """The performance leads' e-mail (key ``dq:<la>:<batch>``) and, when blocked, the engineers' (``dq-blocked``)."""
    subject, text, html = compose_dq_alert(result, settings)
    sent = [send_alert("data_quality", f"dq:{result.la_code}:{result.batch_id}",
                       recipients_for(result.la_code, "data_quality", settings), subject, text, settings,
                       html=html, la_code=result.la_code, batch_id=result.batch_id)]
    if result.outcome == "block":
        blocked = render_alert("dq_blocked", "csc.quality", la_code=result.la_code, extract_date=result.extract_date,
                               batch_id=result.batch_id, blocking_rules=result.blocking_rules,
                               report=report_location(result, settings), dq_run_id=result.dq_run_id)
        sent.append(send_alert(
            "dq_blocked", f"dq-blocked:{result.la_code}:{result.batch_id}",
            recipients_for(result.la_code, "failures", settings), blocked.subject, blocked.text, settings,
            la_code=result.la_code, batch_id=result.batch_id))
    return sent


def send_readiness_alert(settings: Settings, la_code: str, batch_id: int | None, report_path) -> AlertResult | None:
    """After the nightly readiness: the performance leads' "Return readiness" e-mail (key ``readiness:<la>:<batch>``),
    counts and rule codes only; the report lists the children."""
    readiness = report.return_readiness(settings, la_code, None)
    if readiness is None:
        return None
    location = "(the report could not be written; see the pipeline log)"
    if report_path is not None:
        location = (settings.reports_base_url.rstrip("/") + "/" + report_path.relative_to(settings.outputs_dir)
                    .as_posix()) if settings.reports_base_url else str(report_path)
    errors = sum(r.errors for r in readiness.readiness.returns) if readiness.readiness else None
    alert = render_alert("readiness_alert", "csc.quality", la_name=report.la_name(settings, la_code),
                         la_code=la_code, readiness=readiness, errors=errors,
                         sections=[("Return readiness (DfE validators)", readiness.alert_lines()),
                                   ("Where to look", [("Report", location + "#return-readiness")])])
    return send_alert("data_quality", f"readiness:{la_code}:{batch_id}",
                      recipients_for(la_code, "data_quality", settings), alert.subject, alert.text,
                      settings, la_code=la_code, batch_id=batch_id)
