"""Which quarterly return is due: the latest quarter complete at the LA's latest published extract, if not written."""

from __future__ import annotations

import logging
from typing import Any

from csc.settings import Settings, get_settings

log = logging.getLogger(__name__)


def due_quarter(la_code: str, settings: Settings | None = None) -> tuple[Any, Any] | tuple[None, str]:
    """(quarter, extract date) of the return due, or (None, why nothing is due)."""
    from csc.returns import WORKBOOK, FinancialQuarter, return_folder
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    settings = settings or get_settings()
    with connect(settings, role=LOADER) as conn:
        row = conn.execute("select max(extract_date) from ops.extract_batches where la_code = %s "
                           "and status = 'published'", (la_code,)).fetchone()
    published = row[0] if row else None
    if published is None:
        return None, f"LA {la_code} has no published marts yet"
    quarter = FinancialQuarter.latest_complete(published)
    folder = return_folder(settings, la_code, quarter)
    if (folder / WORKBOOK).exists():
        return None, (f"the return of LA {la_code} for {quarter.name} (latest quarter complete at the published "
                      f"extract of {published}) is already written: {folder}")
    return quarter, published


def write_due_return(la_code: str, settings: Settings | None = None) -> dict[str, Any]:
    from csc.returns import write_return

    settings = settings or get_settings()
    quarter, published = due_quarter(la_code, settings)
    if quarter is None:
        log.info("no quarterly return due: %s", published)
        return {"written": False, "reason": published}
    files = write_return(la_code, quarter, settings)
    log.info("quarterly return of LA %s for %s (extract %s) written to %s", la_code, quarter.name, published,
             files.folder)
    return {"written": True, "quarter": quarter.name, "extract_date": str(published), "folder": str(files.folder)}
