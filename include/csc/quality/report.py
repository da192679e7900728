"""The data-quality report: one self-contained HTML page per run that a performance lead can open without internet.

Inline CSS and inline SVG (no scripts, fonts or images from elsewhere). It answers, in this order: can tonight's data
be trusted (outcome), what is wrong (blocking, then warning rules, with the records to look at), what changed since
the previous night, where the practice backlogs sit (teams), and how the figures moved (volume). Written to
``<outputs>/dq/<la>/<extract date>/report.html``; it lists case-management ids, so it stays inside the LA.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jinja2

from csc.ingest.changes import read_changes
from csc.quality import history
from csc.quality.catalogue import load_catalogue
from csc.settings import Settings
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect

TEMPLATE_DIR = Path(__file__).with_name("templates")
log = logging.getLogger(__name__)


def sparkline(points: list[tuple[date, int | None]], width: int = 120, height: int = 24) -> str:
    """A tiny inline SVG of failing counts over recent nights (the last point is tonight)."""
    values = [v or 0 for _, v in points]
    if len(values) < 2:
        return ""
    top = max(values) or 1
    step = width / (len(values) - 1)
    coords = " ".join(f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values))
    last_x, last_y = coords.split()[-1].split(",")
    title = ", ".join(f"{d:%d %b}: {v}" for d, v in points)
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
            f"<title>{jinja2.utils.markupsafe.escape(title)}</title>"
            f'<polyline fill="none" stroke="#1d70b8" stroke-width="1.5" points="{coords}"/>'
            f'<circle cx="{last_x}" cy="{last_y}" r="2.5" fill="#d4351c"/></svg>')


def trend_chart(nights: list[dict], width: int = 640, height: int = 160) -> str:
    """Bars of failing rules per night (blocking in red, warning in amber) with the count of flagged records."""
    if not nights:
        return ""
    top = max(n["block"] + n["warn"] for n in nights) or 1
    bar = width / len(nights)
    parts = [f'<svg width="{width}" height="{height + 30}" viewBox="0 0 {width} {height + 30}" role="img">'
             "<title>Rules failing per night</title>"]
    for i, n in enumerate(nights):
        x = i * bar + bar * 0.15
        w = bar * 0.7
        warn_h = n["warn"] / top * height
        block_h = n["block"] / top * height
        parts.append(f'<rect x="{x:.1f}" y="{height - warn_h - block_h:.1f}" width="{w:.1f}" height="{warn_h:.1f}" '
                     f'fill="#f47738"><title>{n["extract_date"]}: {n["warn"]} warning rules</title></rect>')
        parts.append(f'<rect x="{x:.1f}" y="{height - block_h:.1f}" width="{w:.1f}" height="{block_h:.1f}" '
                     f'fill="#d4351c"><title>{n["extract_date"]}: {n["block"]} blocking rules</title></rect>')
        parts.append(f'<text x="{x + w / 2:.1f}" y="{height + 14}" font-size="10" text-anchor="middle">'
                     f'{n["extract_date"]:%d %b}</text>')
        parts.append(f'<text x="{x + w / 2:.1f}" y="{height + 26}" font-size="9" text-anchor="middle" fill="#505a5f">'
                     f'{n["fault_records"] or 0}</text>')
    parts.append("</svg>")
    return "".join(parts)


def write_report(result, settings: Settings) -> Path:
    """Write the run's report; returns its path."""
    from csc.quality.runner import report_dir

    catalogue = load_catalogue(settings)
    with connect(settings, role=LOADER) as conn:
        run = history.run_info(conn, result.dq_run_id)
        rules = history.rule_rows(conn, run.dq_run_id)
        series = history.trends(conn, run)
        changes = history.changes_since(conn, run)
        nights = history.run_trend(conn, run)
        teams = history.top_teams(conn, run, "exception", limit=10)
        fault_teams = history.top_teams(conn, run, "fault", limit=10)
        measures = history.measures_compared(conn, run)
        accepted = history.accepted_findings(conn, run)
        shape = extract_shape(conn, run.batch_id)
        reading = conn.execute(
            "select system, allocation_flag_column from ops.batch_source_systems where batch_id = %s",
            (run.batch_id,)).fetchone()
        extract_changes = read_changes(conn, run.batch_id)
        total_records = conn.execute(
            "select coalesce(sum(value), 0) from ops.dq_batch_measures where batch_id = %s and measure like 'rows:%%'",
            (run.batch_id,)).fetchone()[0]
    for row in rules:
        row.trend = series.get(row.rule_id, [])
    readiness = return_readiness(settings, run.la_code, run.extract_date)
    meta = catalogue.by_id
    failing = [r for r in rules if r.status in ("fail", "error")]
    # How the extract was read: its source-system profile, and whether allocation had to be approximated.
    approximated = next((r for r in failing if r.rule_id == "ALLOC_APPROXIMATED" and r.status == "fail"), None)
    allocation_note = " ".join(str(k).split(": ", 1)[-1] for k in approximated.sample_keys) if approximated else None
    path = report_dir(settings, run.la_code, run.extract_date) / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["sparkline"] = lambda points: jinja2.utils.markupsafe.Markup(sparkline(points))
    html = env.get_template("report.html.j2").render(
        run=run, result=result, la_name=la_name(settings, run.la_code), rules=rules, meta=meta,
        blocking=[r for r in failing if r.kind == "fault" and r.severity == "block"],
        warning=[r for r in failing if r.kind == "fault" and r.severity == "warn"],
        exceptions=[r for r in failing if r.kind == "exception"],
        errors=[r for r in rules if r.status == "error"],
        families=catalogue.families, family_title=catalogue.family_title,
        changes=changes, nights=nights, trend_svg=jinja2.utils.markupsafe.Markup(trend_chart(nights)),
        teams=teams, fault_teams=fault_teams, measures=measures, total_records=int(total_records), accepted=accepted,
        shape=shape, extract_changes=extract_changes,
        data_docs=_relative(result.data_docs_path, path.parent),
        system=reading[0] if reading else "generic", allocation_note=allocation_note, readiness=readiness)
    temporary = path.with_suffix(".html.part")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(path)
    return path


def return_readiness(settings: Settings, la_code: str, extract_date: date):
    """The report's "Return readiness": the LA's latest nightly readiness of this night or before (None when it has
    never run; a failure to read it is logged and shown as not available, never breaking the report)."""
    from csc.statutory.readiness import latest

    try:
        return latest(settings, la_code, extract_date)
    except Exception:
        log.exception("return readiness of LA %s could not be read for the report", la_code)
        return None


def rewrite_report(settings: Settings, batch_id: int) -> Path | None:
    """Write the batch's latest data-quality report again (the nightly readiness step, after publication, so that the
    report carries that night's "Return readiness"). None when the batch has no data-quality run."""
    from csc.quality.runner import CheckResult

    with connect(settings, role=LOADER) as conn:
        row = conn.execute(
            "select r.dq_run_id, r.outcome, r.detail ->> 'data_docs', b.la_code, b.extract_date "
            "from ops.dq_runs r join ops.extract_batches b using (batch_id) "
            "where r.batch_id = %s and r.outcome is not null order by r.dq_run_id desc limit 1", (batch_id,)).fetchone()
    if row is None:
        return None
    dq_run_id, outcome, docs, la_code, extract_date = row
    result = CheckResult(batch_id=batch_id, dq_run_id=dq_run_id, la_code=la_code, extract_date=extract_date,
                         outcome=outcome, blocking_rules=(), warning_rules=(),
                         data_docs_path=Path(docs) if docs else None)
    return write_report(result, settings)


@dataclass(frozen=True)
class ShapeRow:
    kind: str
    table_name: str
    column_name: str | None
    columns: list[str] | None
    rows: int | None
    detail: str | None


@dataclass(frozen=True)
class ExtractShape:
    profile: str | None
    rows: list[ShapeRow]


def extract_shape(conn, batch_id: int) -> ExtractShape:
    """The batch's source-system profile and what its extract carried beyond or short of the contract, as the
    loader recorded it (ops.extract_shape): the report's "Extract shape"."""
    profile = conn.execute("select source_profile from ops.extract_batches where batch_id = %s",
                           (batch_id,)).fetchone()
    rows = [ShapeRow(*r) for r in conn.execute(
        "select kind, table_name, column_name, columns, rows, detail from ops.extract_shape where batch_id = %s "
        "order by table_name, column_name nulls first", (batch_id,))]
    return ExtractShape(profile[0] if profile else None, rows)


def la_name(settings: Settings, la_code: str) -> str:
    from csc.las import la_registry

    try:
        registry = la_registry(settings)
        return registry.get(la_code).name if la_code in registry else f"LA {la_code}"
    except FileNotFoundError:
        return f"LA {la_code}"


def _relative(target: Path | None, base: Path) -> str | None:
    if target is None:
        return None
    try:
        return str(target.relative_to(base))
    except ValueError:
        return str(target)
