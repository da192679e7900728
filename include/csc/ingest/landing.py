"""The landing, quarantine and archive folders: what is waiting, where refused extracts go, what is kept.

* Landing: ``<landing>/<la_code>/<YYYY-MM-DD>/`` (or ``<YYYY-MM-DD>.zip``). A folder is ready once its
  ``manifest.json`` exists: senders write the manifest last.
* Quarantine: a refused extract is moved to ``<quarantine>/<la_code>/<name>--<UTC time>/`` holding the extract
  (``extract/`` or the zip), ``REFUSED.txt`` for people and ``refusal.json`` for programs.
* Archive: a loaded extract is kept as ``<archive>/<la_code>/<YYYY-MM-DD>/batch-<id>.zip`` with a ``SHA256SUMS``
  member (``sha256sum -c`` format), then removed from landing. Archives are deleted once their extract date is
  more than the LA's archive retention (``retention: archive:``, default ``archive_retention_days``) before the
  latest loaded extract of the LA (never by the clock, so re-runs and backfills behave the same); ``csc purge``
  (csc.retention) also deletes them by age, never the current night's or the last published one's.
* Quarantined extracts are made owner-only (they arrive with the sender's file modes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

from csc.ingest.errors import REASONS, ExtractRefused
from csc.ingest.source import (
    ExtractSource,
    extract_complete,
    la_landing_dir,
    landing_la,
    ready_marker,
)
from csc.settings import Settings

_DATE_NAME = re.compile(r"^(\d{4}-\d\d-\d\d)(\.zip)?$")

ADVICE: dict[str, str] = {
    "path_outside_landing": "Put the extract in the LA's landing folder and load it from there.",
    "manifest_missing": "Wait for the transfer to finish (the manifest is written last), or ask for the extract to "
                        "be sent again.",
    "manifest_invalid": "Ask the case-management team to regenerate the manifest with the extract.",
    "misfiled": "Move the extract to <landing>/<la_code>/<extract_date>/ as its manifest says, or correct the "
                "manifest.",
    "bytes_mismatch": "The file changed after the manifest was written, or the transfer was cut short: ask for the "
                      "extract to be sent again.",
    "sha256_mismatch": "The file changed after the manifest was written, or was corrupted in transfer: ask for the "
                       "extract to be sent again.",
    "row_count_mismatch": "The file and the manifest disagree: ask for the extract to be regenerated.",
    "truncated_last_line": "The file was cut short: ask for the extract to be sent again.",
    "older_than_loaded": "Nothing to do if a newer extract is already loaded. To reload old data, restore it as a "
                         "new export.",
    "duplicate_primary_key": "Ask the case-management team to fix the extract script or the duplicated record, "
                             "then send the extract again.",
    "marker_missing": "The export job has not written its completion marker: wait for it to finish (the nightly "
                      "run waits), or put the extract back once it is complete.",
    "bad_value": "A headerless (bcp) file's columns are not in the order the contract says: export the columns in "
                 "that order (README: Bringing your own SSD: export dialects), or declare the dialect that matches.",
    "wrong_field_count": "A record has more or fewer fields than the file's columns. In an unquoted export (ssms, "
                         "bcp) a value holding the delimiter or a line break does this: replace them in the export "
                         "query (README: export dialects), or export as csv.",
    "bad_dialect": "Correct the export: section of config/las.yml, or the --dialect/--delimiter given to csc load.",
}
DEFAULT_ADVICE = ("Ask the case-management team to correct the export and send the extract again; or correct the "
                  "file, update manifest.json (rows, bytes, sha256) and put the extract back in the landing folder.")


def landed_extracts(la_code: str, settings: Settings) -> list[Path]:
    """Extracts waiting in the LA's landing folder, oldest extract date first (ready ones only)."""
    folder = la_landing_dir(settings, la_code)
    if not folder.is_dir():
        return []
    waiting = []
    marker = ready_marker(settings, la_code)
    for entry in folder.iterdir():
        match = _DATE_NAME.match(entry.name)
        if not match:
            continue
        if match.group(2) and entry.is_file() or not match.group(2) and entry.is_dir() and extract_complete(entry,
                                                                                                              marker):
            waiting.append((match.group(1), entry))
    return [entry for _, entry in sorted(waiting)]


def next_extract(la_code: str, settings: Settings) -> Path | None:
    """The oldest extract waiting for the LA, or None: what the nightly run loads next."""
    waiting = landed_extracts(la_code, settings)
    return waiting[0] if waiting else None


def quarantine(path: Path, refusal: ExtractRefused, settings: Settings, refused_at: datetime) -> Path:
    """Move a refused extract out of landing, beside a human-readable and a machine-readable reason."""
    la_code = landing_la(settings, path) or refusal.la_code or "unknown"
    stamp = refused_at.strftime("%Y%m%dT%H%M%SZ")
    base = settings.quarantine_dir / _safe_name(la_code) / f"{path.name}--{stamp}"
    target = base
    counter = 1
    while target.exists():
        counter += 1
        target = base.with_name(f"{base.name}-{counter}")
    target.mkdir(parents=True)
    moved = target / ("extract" if path.is_dir() else path.name)
    shutil.move(str(path), str(moved))
    refusal.quarantine_path = target
    record = refusal.as_record() | {"landing_path": str(path), "refused_at": refused_at.isoformat(),
                                    "extract": moved.name}
    (target / "refusal.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (target / "REFUSED.txt").write_text(_reason_text(path, refusal, refused_at, moved), encoding="utf-8")
    _owner_only(target)  # the moved files keep the modes they arrived with: the sender's, not ours
    return target


def _owner_only(folder: Path) -> None:
    """Make a quarantined extract owner-only (folders 0700, files 0600; symbolic links left as they are)."""
    os.chmod(folder, 0o700)
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames:
            if not os.path.islink(os.path.join(dirpath, name)):
                os.chmod(os.path.join(dirpath, name), 0o700)
        for name in filenames:
            if not os.path.islink(os.path.join(dirpath, name)):
                os.chmod(os.path.join(dirpath, name), 0o600)


def _reason_text(path: Path, refusal: ExtractRefused, refused_at: datetime, moved: Path) -> str:
    lines = [
        f"Extract refused: {path}",
        f"Refused at:      {refused_at.isoformat()}",
        f"LA / date:       {refusal.la_code or 'unknown'} / {refusal.extract_date or 'unknown'}",
        f"Reason:          {refusal.reason} ({REASONS[refusal.reason]})",
        f"Where:           {refusal.where() or 'the extract as a whole'}",
        f"Problem:         {refusal.message}",
    ]
    lines += [f"Also:            {detail}" for detail in refusal.details]
    lines += [
        "",
        f"What to do: {ADVICE.get(refusal.reason, DEFAULT_ADVICE)}",
        f"The extract as received is in {moved.name}. Nothing from it was loaded; the data already in the "
        "warehouse is unchanged.",
        "",
    ]
    return "\n".join(lines)


def archive(source: ExtractSource, la_code: str, extract_date: date, batch_id: int, sha256s: dict[str, str],
            settings: Settings) -> Path:
    """Keep a compressed copy of the landed files and their checksums; returns the archive's path."""
    folder = settings.archive_dir / _safe_name(la_code) / extract_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"batch-{batch_id}.zip"
    partial = target.with_suffix(".zip.partial")
    sums = "".join(f"{sha256s[name]}  {name}\n" for name in sorted(sha256s))
    if source.path.is_file():
        shutil.copyfile(source.path, partial)  # already compressed: keep the zip exactly as sent
        with zipfile.ZipFile(partial, "a") as bundle:
            bundle.writestr("SHA256SUMS", sums)
    else:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as bundle:
            for name in source.names:
                with source.open(name) as src, bundle.open(name, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            bundle.writestr("SHA256SUMS", sums)
    partial.replace(target)
    return target


def remove_landed(path: Path) -> None:
    """Remove a loaded extract from landing (already gone is fine: a concurrent load of it archived it first)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def purge_archives(la_code: str, latest: date, settings: Settings) -> list[Path]:
    """Delete the LA's archives whose extract date is more than the retention period before ``latest``."""
    folder = settings.archive_dir / _safe_name(la_code)
    if not folder.is_dir():
        return []
    from csc.retention import retention_days

    oldest_kept = latest - timedelta(days=retention_days(settings, la_code)["archive"])  # the LA's (las.yml)
    removed = []
    for entry in sorted(folder.iterdir()):
        match = _DATE_NAME.match(entry.name)
        if not match or match.group(2) or not entry.is_dir():
            continue
        try:
            extract_date = date.fromisoformat(match.group(1))
        except ValueError:
            continue
        if extract_date < oldest_kept:
            shutil.rmtree(entry)
            removed.append(entry)
    return removed


def _safe_name(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]", "_", name) or "unknown"
