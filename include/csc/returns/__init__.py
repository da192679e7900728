"""The quarterly return and the improvement-board report of one LA, straight from the published marts.

``write_return`` is what the CLI (``csc return``) and the quarterly DAG call. It writes, to
``<outputs_dir>/returns/<la>/<quarter>/``:

- ``quarterly_return.xlsx``: Indicators, Trend (8 quarters), Teams, Data quality, Definitions, Provenance;
- ``quarterly_return.csv``: the Indicators sheet; ``quarterly_return_teams.csv``: the Teams sheet;
- ``report.html``: the self-contained report; ``report.pdf``: the same for print.

Re-running for the same quarter replaces the set atomically. ``suppress_small`` hides counts of 1 to N-1 (and the
rates built on them) as ``[c]`` in every file, for sharing outside the LA.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from csc.privacy import share_returns
from csc.returns.csv_files import write_csv
from csc.returns.files import replacing_files
from csc.returns.model import (
    NoPublishedMarts,
    QuarterlyReturn,
    QuarterNotComplete,
    ReturnError,
    UnknownLocalAuthority,
)
from csc.returns.pdf import write_pdf
from csc.returns.quarters import FinancialQuarter
from csc.returns.report import build_view, render_html
from csc.returns.sources import read_return
from csc.returns.suppression import DEFAULT_THRESHOLD, SUPPRESSED, SmallNumberSuppression
from csc.returns.tables import ReturnTables
from csc.returns.workbook import write_workbook
from csc.settings import Settings

__all__ = ["DEFAULT_THRESHOLD", "FinancialQuarter", "NoPublishedMarts", "QuarterNotComplete", "ReturnError",
           "ReturnFiles", "UnknownLocalAuthority", "return_folder", "write_return"]

log = logging.getLogger(__name__)

WORKBOOK = "quarterly_return.xlsx"
INDICATORS_CSV = "quarterly_return.csv"
TEAMS_CSV = "quarterly_return_teams.csv"
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"


@dataclass(frozen=True)
class ReturnFiles:
    folder: Path
    workbook: Path
    indicators_csv: Path
    teams_csv: Path
    report_html: Path
    report_pdf: Path
    seconds: float

    @property
    def paths(self) -> list[Path]:
        return [self.workbook, self.indicators_csv, self.teams_csv, self.report_html, self.report_pdf]

    def __str__(self) -> str:
        return str(self.folder)


def return_folder(settings: Settings, la_code: str, quarter: str | FinancialQuarter) -> Path:
    quarter = quarter if isinstance(quarter, FinancialQuarter) else FinancialQuarter.parse(quarter)
    return settings.outputs_dir / "returns" / la_code / quarter.name


def _headings(ret: QuarterlyReturn, suppression: SmallNumberSuppression) -> tuple[str, str, str]:
    p = ret.provenance
    title = f"Quarterly return: {p.la_name} ({p.la_code}), {ret.quarter.label}"
    subtitle = (f"From the published marts of the extract of {p.extract_date:%d %B %Y} (batch {p.batch_id}), "
                f"csc-pipeline {p.product_version}.")
    if suppression.active:
        notice = (f"Small numbers suppressed for sharing outside the LA: counts from 1 to below "
                  f"{suppression.threshold}, and the rates built on them, are shown as {SUPPRESSED}, and so are the "
                  "figures beside them that a total would give back.")
    else:
        notice = ("For use inside the LA: small numbers are not suppressed. Write the return with --suppress-small "
                  "before sharing it outside the LA.")
    return title, subtitle, notice


def write_return(la_code: str, quarter: str | FinancialQuarter, settings: Settings, *,
                 suppress_small: int | None = None) -> ReturnFiles:
    """Write the return and the report of ``la_code`` for ``quarter`` (e.g. ``2025Q1`` = April-June 2025).

    Raises a :class:`ReturnError` whose message says what to do: unknown LA, quarter not complete in the published
    extract, or no published marts yet.
    """
    started = time.monotonic()
    quarter = quarter if isinstance(quarter, FinancialQuarter) else FinancialQuarter.parse(quarter)
    suppression = SmallNumberSuppression(suppress_small)
    generated_at = datetime.now(UTC).replace(microsecond=0)
    ret = read_return(settings, la_code, quarter, generated_at)
    tables = ReturnTables(ret, suppression)
    title, subtitle, notice = _headings(ret, suppression)
    sheets = tables.sheets()
    view = build_view(ret, tables, sheets, title=title, subtitle=subtitle, notice=notice)
    html = render_html(view)
    folder = return_folder(settings, la_code, quarter)
    with replacing_files(folder) as files:
        workbook = files.write(WORKBOOK, lambda path: write_workbook(
            list(sheets.values()), path, title=title, subtitle=subtitle, notice=notice, generated_at=generated_at))
        indicators_csv = files.write(INDICATORS_CSV, lambda path: write_csv(sheets["Indicators"], path))
        teams_csv = files.write(TEAMS_CSV, lambda path: write_csv(sheets["Teams"], path))
        report_html = files.write(REPORT_HTML, lambda path: path.write_text(html, encoding="utf-8"))
        report_pdf = files.write(REPORT_PDF, lambda path: write_pdf(view, path))
    share_returns(settings)  # owner-only, or shared with CSC_SHARED_GROUP when set (csc.privacy)
    seconds = time.monotonic() - started
    log.info("quarterly return of LA %s for %s written to %s in %.1f s", la_code, quarter.name, folder, seconds)
    return ReturnFiles(folder, workbook, indicators_csv, teams_csv, report_html, report_pdf, seconds)
