"""Retention: how long each local store keeps an LA's files, and ``csc purge``, which deletes what is older.

Stores (docs/DATA_PROTECTION.md says what each holds and why it is kept that long), and what is deleted as one
unit, of which LA:

* archive: ``<archive>/<la>/<YYYY-MM-DD>/`` (the batch zips of one night);
* quarantine: ``<quarantine>/<la>/<name>--<time>/`` (one refusal; LA ``unknown``: the install's);
* dq_reports: ``<outputs>/dq/<la>/<YYYY-MM-DD>/``;
* returns: ``<outputs>/returns/<la>/<quarter>/``;
* statutory: ``<outputs>/statutory/<la>/<kind>-<label>-<time>/`` (the SSDA903, CIN census, Annex A and validated
  files of ``csc statutory`` and of the nightly return readiness: they carry the LA's child ids), by the LA's
  ``dq_reports`` retention (a record-level verdict on the LA's data, as a data-quality report is);
* outbox: ``<outbox>/<alert key>.eml`` (the LA the key names, else the install's);
* logs: an Airflow run's task logs (``dag_id=csc_…_<la>/run_id=…/``, the DAG's LA), a backfill's log (its LA),
  every other file under ``<logs>`` and dbt's logs (the install's).

A unit's age is the time since anything in it was last written (its newest modification time). It is deleted
once older than the retention of its store for its LA (``retention:`` in config/las.yml, else the install default
``CSC_<STORE>_RETENTION_DAYS``). Never deleted, whatever their age: the current night's and the last published
extract's archive, quarantined copies and data-quality reports (by extract date, per LA, from ``ops.extract_batches``
and the night the caller names), each LA's latest quarterly return and its latest night's return readiness files.

In ``ops``, the source ids the data-quality checks keep (``ops.dq_failing_records`` and the sample keys of
``ops.dq_results``) follow the ``dq_reports`` retention of their LA, by the run's end, except for the protected
batches; the counts stay, so trends and history keep working. So do the DfE validators' issues of the statutory
returns (``ops.statutory_issues``: rule, child id, field), by the validation run's end: the runs, their rules' results
and counts, and the nightly readiness records stay; the latest run of each return and year, and the runs of the LA's
latest nightly readiness (which the DQ report and the leads' alert show, and the next night compares with), are kept.

The nightly DAG runs the purge for its LA after publication (``csc.pipeline.purge_step``); ``csc purge`` by hand.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from csc.settings import Settings

log = logging.getLogger(__name__)

STORES = ("archive", "quarantine", "dq_reports", "returns", "outbox", "logs")
OPS_STORE = "ops_dq_keys"  # the source ids of failing records in ops (rows, not files)
STATUTORY_STORE = "statutory"  # the statutory return files (child ids), under the LA's dq_reports retention
OPS_STATUTORY_STORE = "ops_statutory"  # the DfE validators' issues (child ids) in ops (rows, not files)
# A store without a retention setting of its own follows another's days.
RETENTION_OF = {STATUTORY_STORE: "dq_reports", OPS_STATUTORY_STORE: "dq_reports"}
ROW_STORES = (OPS_STORE, OPS_STATUTORY_STORE)

_DATE = re.compile(r"^(\d{4}-\d\d-\d\d)(?:\.zip)?(?:--.*)?$")
_LA_CODE = r"[0-9A-Za-z]{1,10}"
# Outbox names are alert keys with other characters made "_" (csc.alerts.channels.write_outbox).
_OUTBOX_LA = re.compile(rf"^(?:dq|dq-blocked)_({_LA_CODE})_\d+\.eml(?:\.part)?$"
                        rf"|_csc_(?:nightly|quarterly_return)_({_LA_CODE})_")
_DAG_LA = re.compile(rf"^dag_id=csc_(?:nightly|quarterly_return)_({_LA_CODE})$")
_BACKFILL_LA = re.compile(rf"^backfill-({_LA_CODE})-")


def retention_days(settings: Settings, la_code: str | None) -> dict[str, int]:
    """Days each store keeps the files of ``la_code`` (None, or an LA no longer configured: the install defaults)."""
    from csc.las import la_registry

    days = {store: int(getattr(settings, f"{store}_retention_days")) for store in STORES}
    if la_code is not None and Path(settings.las_config).exists():
        registry = la_registry(settings)
        if la_code in registry:
            configured = registry.get(la_code).retention
            days.update({s: v for s in STORES if (v := getattr(configured, s)) is not None})
    return days


@dataclass(frozen=True)
class Unit:
    """One thing the purge deletes or keeps as a whole: a folder or a file."""

    store: str
    la_code: str | None  # None: not of one LA (the install's defaults apply)
    path: Path
    modified: float  # newest modification time within (epoch seconds)
    size: int
    protected: str | None = None  # why it is kept whatever its age


@dataclass
class StoreSummary:
    store: str
    la_code: str | None
    days: int
    deleted: int = 0
    kept: int = 0
    protected: int = 0
    bytes: int = 0  # freed (or, in a dry run, that would be)
    rows: int = 0  # ops rows cleared (OPS_STORE)
    paths: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class PurgeReport:
    dry_run: bool
    summaries: dict[tuple[str, str | None], StoreSummary] = field(default_factory=dict)

    def summary(self, store: str, la_code: str | None, days: int) -> StoreSummary:
        return self.summaries.setdefault((store, la_code), StoreSummary(store, la_code, days))

    @property
    def deleted(self) -> list[Path]:
        return [p for s in self.summaries.values() for p in s.paths]

    @property
    def errors(self) -> list[str]:
        return [e for s in self.summaries.values() for e in s.errors]

    def rows(self) -> list[StoreSummary]:
        order = {s: i for i, s in enumerate((*STORES, STATUTORY_STORE, OPS_STORE, OPS_STATUTORY_STORE))}
        return sorted(self.summaries.values(), key=lambda s: (s.la_code or "~", order[s.store]))

    def as_detail(self) -> dict[str, object]:
        """A short JSON-able summary (the nightly step's record)."""
        return {"dry_run": self.dry_run,
                "deleted": {f"{s.store}:{s.la_code or '-'}": s.deleted for s in self.rows() if s.deleted},
                "ops_rows_cleared": sum(s.rows for s in self.summaries.values()),
                "bytes_freed": sum(s.bytes for s in self.summaries.values()),
                "errors": self.errors[:20]}

    def table(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        lines = [f"{'store':<12} {'LA':<10} {'keep days':>9} {verb:>12} {'kept':>6} {'protected':>9} {'freed':>10}"]
        for s in self.rows():
            freed = f"{s.rows} rows" if s.store in ROW_STORES else _size(s.bytes)
            lines.append(f"{s.store:<12} {s.la_code or '(install)':<10} {s.days:>9} {s.deleted:>12} {s.kept:>6} "
                         f"{s.protected:>9} {freed:>10}")
        return "\n".join(lines)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


# --- what is protected ------------------------------------------------------------------------------------------
def protected_nights(settings: Settings) -> dict[str, dict[date, str]]:
    """Per LA, the extract dates never purged: the latest received (the current night) and the last published."""
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    nights: dict[str, dict[date, str]] = {}
    with connect(settings, role=LOADER, application="csc purge") as conn:
        for la_code, extract_date in conn.execute(
                "select la_code, max(extract_date) from ops.extract_batches group by la_code"):
            nights.setdefault(la_code, {})[extract_date] = "the current night's extract"
        for la_code, extract_date in conn.execute(
                "select distinct on (la_code) la_code, extract_date from ops.extract_batches "
                "where status = 'published' order by la_code, published_at desc nulls last, batch_id desc"):
            nights.setdefault(la_code, {})[extract_date] = "the last published extract"
    return nights


# --- the units of each store ------------------------------------------------------------------------------------
def _newest(path: Path) -> tuple[float, int]:
    """Newest modification time and total size of a file or of everything in a folder (symbolic links not
    followed)."""
    st = os.lstat(path)
    newest, size = st.st_mtime, st.st_size if not path.is_dir() else 0
    if path.is_dir() and not path.is_symlink():
        for dirpath, dirnames, filenames in os.walk(path):
            for name in dirnames + filenames:
                try:
                    s = os.lstat(os.path.join(dirpath, name))
                except FileNotFoundError:
                    continue
                newest = max(newest, s.st_mtime)
                if name in filenames:
                    size += s.st_size
    return newest, size


def _children(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _unit(store: str, la_code: str | None, path: Path, protected: str | None = None) -> Unit:
    modified, size = _newest(path)
    return Unit(store, la_code, path, modified, size, protected)


def _la_of_folder(name: str) -> str | None:
    return None if name == "unknown" else name


def _dated_units(store: str, root: Path, nights: dict[str, dict[date, str]]) -> Iterator[Unit]:
    """``<root>/<la>/<YYYY-MM-DD…>`` entries, protected when their date is a protected night of their LA."""
    for la_dir in _children(root):
        if not la_dir.is_dir():
            continue
        la_code = _la_of_folder(la_dir.name)
        for entry in _children(la_dir):
            if entry.name.endswith(".partial"):
                continue  # being written
            match = _DATE.match(entry.name)
            reason = None
            if match:
                with contextlib.suppress(ValueError):  # not a real date: no night to protect
                    reason = nights.get(la_code or "", {}).get(date.fromisoformat(match.group(1)))
            yield _unit(store, la_code, entry, reason)


def units(settings: Settings, nights: dict[str, dict[date, str]]) -> Iterator[Unit]:
    """Every unit of every store (see the module docstring)."""
    from csc.transform.environment import dbt_work_dir

    yield from _dated_units("archive", settings.archive_dir, nights)
    yield from _dated_units("quarantine", settings.quarantine_dir, nights)
    yield from _dated_units("dq_reports", settings.outputs_dir / "dq", nights)
    for la_dir in _children(settings.outputs_dir / "returns"):
        quarters = [q for q in _children(la_dir) if q.is_dir()]
        for quarter in quarters:
            latest = quarter == max(quarters, key=lambda q: q.name)
            yield _unit("returns", la_dir.name, quarter, "the LA's latest return" if latest else None)
    for path in _children(settings.outbox_dir):
        if path.is_file():
            match = _OUTBOX_LA.search(path.name)
            yield _unit("outbox", (match.group(1) or match.group(2)) if match else None, path)
    for la_dir in _children(settings.outputs_dir / "statutory"):
        folders = [f for f in _children(la_dir) if f.is_dir()]
        readiness = [f for f in folders if f.name.startswith("readiness-")]
        latest = max(readiness, key=lambda f: f.name, default=None)  # named by time: the last is the newest
        for folder in folders:
            yield _unit(STATUTORY_STORE, la_dir.name, folder,
                        "the latest night's return readiness" if folder == latest else None)
    yield from _log_units(settings.logs_dir)
    dbt_logs = dbt_work_dir(settings) / "logs"
    for path in _children(dbt_logs):
        if path.is_file():
            yield _unit("logs", None, path)


def _log_units(root: Path) -> Iterator[Unit]:
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dag = _DAG_LA.match(here.name)
        if dag:  # one unit per Airflow run: dag_id=…/run_id=…/
            for run in sorted(dirnames):
                yield _unit("logs", dag.group(1), here / run)
            for name in sorted(filenames):
                yield _unit("logs", dag.group(1), here / name)
            dirnames.clear()
            continue
        for name in sorted(filenames):
            backfill = _BACKFILL_LA.match(name)
            yield _unit("logs", backfill.group(1) if backfill else None, here / name)


# --- the purge --------------------------------------------------------------------------------------------------
def purge(settings: Settings, *, la_codes: Iterable[str] | None = None, dry_run: bool = False,
          nights: dict[str, dict[date, str]] | None = None, also_protect: dict[str, date] | None = None,
          now: float | None = None, ops_rows: bool = True) -> PurgeReport:
    """Delete every unit older than its retention (only those of ``la_codes`` when given; else every LA's and the
    install's own). ``nights``: the protected extract dates per LA (default: :func:`protected_nights`, from the
    warehouse); ``also_protect``: a night per LA protected as well (the run calling the purge). Never raises for
    one unit that cannot be deleted: the error is in the report."""
    nights = {la: dict(d) for la, d in (protected_nights(settings) if nights is None else nights).items()}
    for la_code, night in (also_protect or {}).items():
        nights.setdefault(la_code, {})[night] = "the current night's extract"
    wanted = None if la_codes is None else set(la_codes)
    now = time.time() if now is None else now
    report = PurgeReport(dry_run=dry_run)
    days_of: dict[str | None, dict[str, int]] = {}
    for unit in units(settings, nights):
        if wanted is not None and unit.la_code not in wanted:
            continue
        days = days_of.setdefault(unit.la_code, retention_days(settings, unit.la_code))[
            RETENTION_OF.get(unit.store, unit.store)]
        summary = report.summary(unit.store, unit.la_code, days)
        if unit.protected:
            summary.protected += 1
            continue
        if unit.modified >= now - days * 86400:
            summary.kept += 1
            continue
        if not dry_run:
            try:
                _delete(unit.path)
            except OSError as exc:
                summary.errors.append(f"{unit.path}: {exc.strerror or exc}")
                log.warning("retention: could not delete %s: %s", unit.path, exc)
                continue
            log.info("retention: deleted %s (%s, LA %s, older than %d days)", unit.path, unit.store,
                     unit.la_code or "-", days)
        summary.deleted += 1
        summary.bytes += unit.size
        summary.paths.append(unit.path)
    if not dry_run:
        _remove_empty_folders(settings)
    if ops_rows:
        _purge_ops_rows(settings, report, wanted, nights, now, days_of)
        _purge_statutory_rows(settings, report, wanted, now, days_of)
    return report


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _remove_empty_folders(settings: Settings) -> None:
    """Folders the purge emptied (an LA's archive, a DAG's log folder), below each store's root."""
    for root in (settings.archive_dir, settings.quarantine_dir, settings.outputs_dir / "dq",
                 settings.outputs_dir / "returns", settings.outputs_dir / "statutory", settings.logs_dir):
        if not root.is_dir():
            continue
        for dirpath, _dirnames, _filenames in os.walk(root, topdown=False):
            if Path(dirpath) != root:
                with contextlib.suppress(OSError):  # not empty
                    os.rmdir(dirpath)


def _purge_ops_rows(settings: Settings, report: PurgeReport, wanted: set[str] | None,
                    nights: dict[str, dict[date, str]], now: float, days_of: dict[str | None, dict[str, int]]) -> None:
    """Clear the failing records' source ids of the data-quality runs older than the LA's ``dq_reports`` days."""
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    with connect(settings, role=LOADER, application="csc purge") as conn:
        las = [r[0] for r in conn.execute("select distinct la_code from ops.extract_batches order by 1")]
        for la_code in las:
            if wanted is not None and la_code not in wanted:
                continue
            days = days_of.setdefault(la_code, retention_days(settings, la_code))["dq_reports"]
            cutoff = datetime.fromtimestamp(now, UTC) - timedelta(days=days)
            kept_dates = list(nights.get(la_code, {}))
            runs = [r[0] for r in conn.execute(
                "select r.dq_run_id from ops.dq_runs r join ops.extract_batches b using (batch_id) "
                "where b.la_code = %s and coalesce(r.finished_at, r.started_at) < %s "
                "and not b.extract_date = any(%s::date[])", (la_code, cutoff, kept_dates))]
            summary = report.summary(OPS_STORE, la_code, days)
            if not runs:
                continue
            if report.dry_run:
                summary.rows = conn.execute(
                    "select (select count(*) from ops.dq_failing_records where dq_run_id = any(%s)) + "
                    "(select count(*) from ops.dq_results where dq_run_id = any(%s) and sample_keys <> '[]')",
                    (runs, runs)).fetchone()[0]
            else:
                summary.rows = conn.execute(
                    "delete from ops.dq_failing_records where dq_run_id = any(%s)", (runs,)).rowcount
                summary.rows += conn.execute(
                    "update ops.dq_results set sample_keys = '[]' where dq_run_id = any(%s) "
                    "and sample_keys <> '[]'", (runs,)).rowcount
            summary.deleted = len(runs) if summary.rows else 0


# The validation runs never cleared: each LA's latest of every return and year (the next run compares with it) and
# those of its latest nightly readiness (the DQ report and the leads' alert show them).
KEPT_VALIDATION_RUNS_SQL = """
select max(validation_run_id) from ops.statutory_validation_runs where la_code = %(la)s
group by return_kind, collection_year
union
select unnest(validation_run_ids) from (
    select validation_run_ids from ops.statutory_readiness where la_code = %(la)s
    order by extract_date desc, readiness_id desc limit 1) latest
"""


def _purge_statutory_rows(settings: Settings, report: PurgeReport, wanted: set[str] | None, now: float,
                          days_of: dict[str | None, dict[str, int]]) -> None:
    """Delete the DfE validators' issues (child ids) of the validation runs that ended before the LA's
    ``dq_reports`` days; the runs, their rules' results and counts stay."""
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    with connect(settings, role=LOADER, application="csc purge") as conn:
        las = [r[0] for r in conn.execute("select distinct la_code from ops.statutory_validation_runs order by 1")]
        for la_code in las:
            if wanted is not None and la_code not in wanted:
                continue
            days = days_of.setdefault(la_code, retention_days(settings, la_code))[RETENTION_OF[OPS_STATUTORY_STORE]]
            cutoff = datetime.fromtimestamp(now, UTC) - timedelta(days=days)
            kept = [r[0] for r in conn.execute(KEPT_VALIDATION_RUNS_SQL, {"la": la_code}) if r[0] is not None]
            runs = [r[0] for r in conn.execute(
                "select v.validation_run_id from ops.statutory_validation_runs v where v.la_code = %s "
                "and v.finished_at < %s and not v.validation_run_id = any(%s::bigint[]) "
                "and exists (select 1 from ops.statutory_issues i where i.validation_run_id = v.validation_run_id)",
                (la_code, cutoff, kept))]
            summary = report.summary(OPS_STATUTORY_STORE, la_code, days)
            summary.protected = len(kept)
            if not runs:
                continue
            if report.dry_run:
                summary.rows = conn.execute("select count(*) from ops.statutory_issues where validation_run_id = "
                                            "any(%s)", (runs,)).fetchone()[0]
            else:
                summary.rows = conn.execute("delete from ops.statutory_issues where validation_run_id = any(%s)",
                                            (runs,)).rowcount
            summary.deleted = len(runs)
