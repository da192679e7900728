"""An LA's import set: its imported returns, combined into one history and loaded as one SSD-shaped batch.

Each import is kept per LA, kind and period (``ops.return_imports``; the parsed rows owner-only under
``CSC_HOME/imports/<la>/<sha256>.json.gz``, since they are child-level and ``ops`` is read by the DQ reader). An
import identical to the current one for its LA, kind and period changes nothing; a different one replaces it.

**Combination** (:func:`combine`) depends only on the set, never on the order the returns came in: the returns are
ranked by window end, then window start, then kind (Annex A, CIN, 903), and taken from the highest rank down. A
record is kept unless a higher-ranked return already gave a record with the same id (generated ids are stable:
:mod:`csc.imports.ids`), or it concerns a child that a higher-ranked return of the same table also holds and its
date falls inside that return's window: there the later return wins, including by leaving a record out. A person
appears once, the later return's values first, the earlier ones filling its blanks.

**An Annex A with the DfE returns.** An Annex A is a summary drawn up for an inspection (one row per child and list:
the latest placement, review, visit; no history), the 903 and CIN census the record of every event. So the DfE
returns are taken first, whatever the dates (an Annex A ranks below every 903 and CIN), and an Annex A adds to them
only what they cannot hold: for a child a DfE return holds in a table, the Annex A's records of that table dated up
to that return's window end are left out (the return's own records stand, and an Annex A's episode begun before the
return's 31 March is the return's episode again, under another id), while what the Annex A dates after it (the
months since the last 31 March) is kept; the children and tables no DfE return holds come from the Annex A. Two
Annex As of one LA combine like two years: the later as-of date wins inside its six-month window. A record of a DfE
return left open at its 31 March is not closed by a later Annex A episode of the same child (the next year's return
closes it). The 903 care tables are cut
again from the combined episode rows (:func:`csc.imports.ssda903.care_tables`), so a placement that runs across
31 March is one placement, and reviews are linked to the combined periods of care.

**The batch.** Each change of the set is a *revision* (``ops.return_import_revisions``), rendered into the LA's
landing folder as an extract (every contract table as CSV, ``manifest.json`` with ``source_kind: returns``,
owner-only) and loaded by :func:`csc.ingest.load_extract`, so imports get the loader's verification, quarantine,
idempotency, lineage and batch lifecycle. Its dates are chosen for the loader's rules:

- ``extract_date`` is the latest window end of the set (31 March of the latest year imported): what the history is
  complete up to, and the same whichever order the years came in;
- ``extracted_at`` is the end of that day in the LA's time zone (the moment the history is complete to, so the
  freshness rule, which compares the two, holds for a history as it does for a nightly extract), or one second
  after the LA's previous revision when that is not earlier; it is stored with the revision (the time the set
  really changed is its ``created_at``). So each revision is newer than the last (``older_than_loaded`` never
  refuses the import of an earlier year after a later one) and replaces the LA's unpublished candidate
  (``replaced``) like a corrected extract; an unchanged set renders the same bytes with the same ``extracted_at``,
  whose identity the loader finds already loaded (``skipped``: ``duplicates`` are impossible);
- an SSD extract of the LA loaded with a later extract date stays: the returns' batch is then refused as older
  (returns do not overwrite a newer SSD extract).

**Nothing stored changes when an import is refused.** The new revision is loaded first, under the LA's import lock,
on a connection whose transaction records the import set only after the load succeeded; a parse refusal stops
before any of it, a refused load rolls the set back (the loader records and quarantines the rendered extract as it
does any refused extract).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from csc.contract import Contract, Table, load_contract
from csc.imports import ssda903
from csc.imports.model import ParsedReturn
from csc.settings import Settings

KIND_RANK = {"annex-a": 0, "cin": 1, "903": 2}
SOURCE_SYSTEM = "statutory returns"


class ImportSetError(Exception):
    """The import set cannot take this import (the message says why and what to do); nothing stored changed."""


@dataclass
class ImportResult:
    la_code: str
    status: str  # 'loaded' (a new batch), 'skipped' (the loader had it), 'unchanged' (nothing new to load)
    message: str
    changes: dict[str, str] = field(default_factory=dict)  # "903 2025-26" -> new | replaced | unchanged
    revision_id: int | None = None
    batch_id: int | None = None
    extract_date: date | None = None
    extracted_at: datetime | None = None
    load: object | None = None  # csc.ingest.LoadResult


def period_of(parsed: ParsedReturn) -> str:
    return parsed.year if parsed.year is not None else (parsed.as_of.isoformat() if parsed.as_of else "")


def _iso(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def serialise(parsed: ParsedReturn) -> bytes:
    """The parsed rows as canonical JSON (dates ISO): the same return always gives the same bytes."""
    document = {
        "kind": parsed.kind, "la_code": parsed.la_code, "year": parsed.year, "as_of": _iso(parsed.as_of),
        "window": [_iso(parsed.window[0]), _iso(parsed.window[1])],
        "tables": {name: [{k: _iso(v) for k, v in row.items()} for row in rows]
                   for name, rows in sorted(parsed.tables.items())},
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def deserialise(payload: bytes) -> ParsedReturn:
    document = json.loads(payload)
    return ParsedReturn(kind=document["kind"], la_code=document["la_code"], year=document["year"],
                        as_of=date.fromisoformat(document["as_of"]) if document["as_of"] else None,
                        window=(date.fromisoformat(document["window"][0]), date.fromisoformat(document["window"][1])),
                        tables=document["tables"])


# -- combination ------------------------------------------------------------------------------------------------------
# The date a record happens on, where the contract's first required date is not it.
EVENT_DATES = {"ssd_cla_reviews": "clar_cla_review_date", "ssd_cla_visits": "clav_cla_visit_date"}


def _keys(contract: Contract, table_name: str) -> tuple[tuple[str, ...], str | None, str | None]:
    """(id columns, date column, person column) of a table of the parsed returns. A private table of a parser
    (``_name``) keeps its rows by ``id``, dated by ``date`` and owned by ``person`` when its rows have them."""
    if table_name == ssda903.EPISODES:
        return ("id",), "decom", "child"
    if table_name not in contract.tables:
        return ("id",), "date", "person"
    table: Table = contract.table(table_name)
    dates = [c for c in table.columns if c.type == "datetime"]
    required_dates = [c for c in dates if c.required]
    event = next((c for c in dates if c.name == EVENT_DATES.get(table_name)), None)
    on = event or (required_dates or dates or [None])[0]
    if table_name == "ssd_person":
        person = "pers_person_id"
    else:
        person = next((c.name for c in table.columns if c.identifies == "person"), None)
    return table.primary_key, on.name if on is not None else None, person


def _rank(parsed: ParsedReturn) -> tuple:
    return (_iso(parsed.window[1]), _iso(parsed.window[0]), KIND_RANK[parsed.kind], period_of(parsed))


def _order(parsed: ParsedReturn) -> tuple:
    """The order returns are taken in, highest first: the DfE returns (903, CIN) by rank, then the Annex As by rank."""
    return (parsed.kind != "annex-a", _rank(parsed))


def combine(la_code: str, returns: list[ParsedReturn]) -> dict[str, list[dict[str, object]]]:
    """The LA's combined history from its current imports (see the module's docstring). Rows sorted by id."""
    contract = load_contract()
    kept: dict[str, dict[tuple, dict]] = {}
    # (table, child) -> the windows of the returns that hold the child in that table, and whether each is a DfE
    # return's (903, CIN) or an Annex A's
    claims: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
    for parsed in sorted(returns, key=_order, reverse=True):
        summary = parsed.kind == "annex-a"
        tables = {name: rows for name, rows in parsed.tables.items()
                  if not (parsed.kind == "903" and name in ssda903.DERIVED_TABLES)}
        window = (_iso(parsed.window[0]), _iso(parsed.window[1]))
        people: set[str] = set()
        for name, rows in tables.items():
            ids, on, person = _keys(contract, name)
            into = kept.setdefault(name, {})
            for row in rows:
                if person and row.get(person):
                    people.add(str(row[person]))
                key = tuple(str(row.get(c) or "") for c in ids)
                if key in into:
                    if name == "ssd_person":  # the later return's values first; its blanks from the earlier
                        into[key] = {**{k: v for k, v in row.items() if v is not None}, **{
                            k: v for k, v in into[key].items() if v is not None}}
                    continue
                day = _iso(row.get(on)) if on else None
                owner = str(row.get(person) or "") if person else ""
                if day and owner and any(
                        start <= day <= end or (summary and not by_summary and day <= end)
                        for start, end, by_summary in claims.get((name, owner), ())):
                    continue
                into[key] = dict(row)
        claimed = [*tables, *(ssda903.DERIVED_TABLES if ssda903.EPISODES in tables else ())]
        for name in claimed:  # (a 903's episode rows stand for the care tables cut from them)
            for person_id in people:
                claims.setdefault((name, person_id), []).append((*window, summary))
    combined = {name: [rows[k] for k in sorted(rows)] for name, rows in kept.items()}
    episodes = combined.pop(ssda903.EPISODES, None)
    if episodes is not None:
        for name, rows in ssda903.care_tables(la_code, episodes).items():
            known = {r[contract.table(name).primary_key[0]] for r in combined.get(name, [])}
            combined[name] = combined.get(name, []) + [r for r in rows if r[contract.table(name).primary_key[0]]
                                                        not in known]
        if "ssd_cla_reviews" in combined:
            combined["ssd_cla_reviews"] = ssda903.link_reviews(combined["ssd_cla_reviews"],
                                                               combined["ssd_cla_episodes"])
    return combined


# -- the rendered extract ---------------------------------------------------------------------------------------------
def _cell(value: object) -> str:
    if value is None:
        return ""
    return str(_iso(value))


def render_extract(folder: Path, la_code: str, la_name: str, tables: dict[str, list[dict[str, object]]],
                   extract_date: date, extracted_at: datetime) -> Path:
    """Write the combined history as an extract of every contract table (CSV, header only where the returns hold
    none) with its manifest; folder 0700, files 0600."""
    contract = load_contract()
    folder.mkdir(mode=0o700, parents=True)
    folder.chmod(0o700)
    files = []
    for table in contract:
        rows = tables.get(table.name, [])
        path = folder / table.file_name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(table.column_names)
            writer.writerows([_cell(row.get(c)) for c in table.column_names] for row in rows)
        path.chmod(0o600)
        content = path.read_bytes()
        files.append({"name": table.file_name, "table": table.name, "rows": len(rows),
                      "sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)})
    manifest = {"la_code": la_code, "la_name": la_name, "extract_date": extract_date.isoformat(),
                "extracted_at": extracted_at.isoformat(), "source_system": SOURCE_SYSTEM, "source_kind": "returns",
                "files": files}
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return folder


# -- the import --------------------------------------------------------------------------------------------------------
def _stored_path(settings: Settings, la_code: str, sha256: str) -> Path:
    return settings.home / "imports" / la_code / f"{sha256}.json.gz"


def _store(settings: Settings, la_code: str, sha256: str, payload: bytes) -> Path:
    path = _stored_path(settings, la_code, sha256)
    if path.exists():
        return path
    for folder in (settings.home / "imports", path.parent):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
    partial = path.with_suffix(".partial")
    partial.write_bytes(gzip.compress(payload, mtime=0))
    partial.chmod(0o600)
    partial.replace(path)
    return path


def _read_stored(path: Path, sha256: str) -> ParsedReturn:
    payload = gzip.decompress(path.read_bytes())
    if hashlib.sha256(payload).hexdigest() != sha256:
        raise ImportSetError(f"{path}: the stored import is not the one recorded (sha256 differs): import that "
                             "return again")
    return deserialise(payload)


def revision_time(extract_date: date, timezone: str, previous: datetime | None) -> datetime:
    """The ``extracted_at`` of a new revision: the end of its extract date in the LA's time zone (the moment the
    history is complete to), or one second after the LA's previous revision when that is not earlier."""
    end_of_day = datetime.combine(extract_date + timedelta(days=1), time(0), tzinfo=ZoneInfo(timezone))
    if previous is not None and end_of_day <= previous:
        return previous + timedelta(seconds=1)
    return end_of_day


def _timezone(settings: Settings, la_code: str) -> str:
    if settings.las_config.exists():
        from csc.las import la_registry

        registry = la_registry(settings)
        if la_code in registry:
            return registry.get(la_code).timezone
    return "Europe/London"


def _left_by_an_import(folder: Path) -> bool:
    """A rendered import set that was never loaded (its manifest says ``source_kind: returns``)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("source_kind") == "returns"


def _la_name(settings: Settings, la_code: str) -> str:
    if settings.las_config.exists():
        from csc.las import la_registry

        registry = la_registry(settings)
        if la_code in registry:
            return registry.get(la_code).name or la_code
    return la_code


def _source_files(parsed: ParsedReturn) -> list[dict]:
    out = []
    for path in parsed.files:
        path = Path(path)
        if path.is_file():
            content = path.read_bytes()
            out.append({"name": path.name, "sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)})
    return out


def import_returns(settings: Settings, returns: list[ParsedReturn], *,
                   on_file: Callable | None = None) -> ImportResult:
    """Add returns (one LA's, any kinds and periods) to the LA's import set and load its combined history.

    Raises ImportSetError (nothing stored changed) or the loader's ExtractRefused (the rendered extract is
    quarantined and the refusal recorded; the import set is unchanged).
    """
    from csc.ingest import load_extract
    from csc.ingest.source import la_landing_dir
    from csc.warehouse import locks
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    if not returns:
        raise ImportSetError("no return to import")
    la_codes = {r.la_code for r in returns}
    if len(la_codes) != 1:
        raise ImportSetError(f"returns of several LAs ({', '.join(sorted(la_codes))}): import each LA's separately")
    la_code = la_codes.pop()
    keys = [(r.kind, period_of(r)) for r in returns]
    if len(set(keys)) != len(keys):
        raise ImportSetError("the same kind and period twice in one import")
    payloads = {key: serialise(r) for key, r in zip(keys, returns, strict=True)}
    shas = {key: hashlib.sha256(p).hexdigest() for key, p in payloads.items()}

    with connect(settings, role=LOADER, application="csc import") as conn:
        name = f"import:{la_code}"
        locks.ensure_lock_row(conn, name)
        conn.commit()
        locks.take(conn, name)  # held until this transaction ends: imports of one LA are serialised
        current = {(kind, period): (import_id, sha, Path(stored))
                   for import_id, kind, period, sha, stored in conn.execute(
                       "select import_id, kind, period, content_sha256, stored_path from ops.return_imports "
                       "where la_code = %s and replaced_at is null", (la_code,)).fetchall()}
        changes = {f"{kind} {period}": _change(current.get((kind, period)), shas[kind, period])
                   for kind, period in keys}
        last = conn.execute(
            "select revision_id, extracted_at, batch_id, import_ids from ops.return_import_revisions "
            "where la_code = %s order by revision_id desc limit 1", (la_code,)).fetchone()
        unchanged = all(v == "unchanged" for v in changes.values())
        if unchanged and last is not None:
            status = conn.execute("select status from ops.extract_batches where batch_id = %s",
                                  (last[2],)).fetchone() if last[2] else None
            if status is not None and status[0] in ("loaded", "checked", "blocked", "published"):
                conn.rollback()
                return ImportResult(la_code, "unchanged", f"LA {la_code}: every return is already imported, as "
                                    f"batch {last[2]} ({status[0]}): nothing to do", changes, last[0], last[2])
        # the prospective set: the current imports, with these in place of their kind and period
        members: dict[tuple[str, str], ParsedReturn] = {}
        for key, (_, sha, stored) in current.items():
            if key not in payloads:
                members[key] = _read_stored(stored, sha)
        members.update(dict(zip(keys, returns, strict=True)))
        extract_date = max(r.window[1] for r in members.values())
        if unchanged and last is not None:
            extracted_at = last[1]
        else:
            extracted_at = revision_time(extract_date, _timezone(settings, la_code), last[1] if last else None)
        folder = la_landing_dir(settings, la_code) / extract_date.isoformat()
        if folder.exists() and not _left_by_an_import(folder):
            raise ImportSetError(f"{folder} already exists (an extract of the LA waiting to be loaded): load or "
                                 "remove it, then import again")
        if folder.exists():  # a render an interrupted import left: the import set, not the render, is the record
            shutil.rmtree(folder)
        tables = combine(la_code, list(members.values()))
        for folder_above in (settings.landing_dir, folder.parent):
            folder_above.mkdir(mode=0o700, parents=True, exist_ok=True)
        render_extract(folder, la_code, _la_name(settings, la_code), tables, extract_date, extracted_at)
        # written by us as standard CSV with the contract's names, whatever the LA's own export looks like
        loaded = load_extract(folder, settings, on_file=on_file, dialect="csv", system="generic")
        revision_id = _record(conn, settings, la_code, returns, keys, payloads, shas, current, changes, members,
                              extract_date, extracted_at, loaded.batch_id, unchanged, last)
        conn.commit()
    message = (f"LA {la_code}: " + ", ".join(f"{k} {v}" for k, v in changes.items())
               + f"; {loaded.status} as batch {loaded.batch_id} (extract date {extract_date})")
    return ImportResult(la_code, loaded.status, message, changes, revision_id, loaded.batch_id, extract_date,
                        extracted_at, loaded)


def _change(current: tuple | None, sha256: str) -> str:
    if current is None:
        return "new"
    return "unchanged" if current[1] == sha256 else "replaced"


def _record(conn: psycopg.Connection, settings: Settings, la_code: str, returns: list[ParsedReturn],
            keys: list[tuple[str, str]], payloads: dict, shas: dict, current: dict, changes: dict, members: dict,
            extract_date: date, extracted_at: datetime, batch_id: int, unchanged: bool, last: tuple | None) -> int:
    """Record the import set after its batch is loaded (the caller's transaction)."""
    ids = {key: value[0] for key, value in current.items()}
    for key, parsed in zip(keys, returns, strict=True):
        if changes[f"{key[0]} {key[1]}"] == "unchanged":
            continue
        stored = _store(settings, la_code, shas[key], payloads[key])
        if key in current:  # out of the current set first (one current import per LA, kind and period)
            conn.execute("update ops.return_imports set replaced_at = now() where import_id = %s", (current[key][0],))
        new_id = conn.execute(
            "insert into ops.return_imports (la_code, kind, period, window_start, window_end, content_sha256, "
            "stored_path, source_files, rows, notices) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "returning import_id",
            (la_code, parsed.kind, key[1], parsed.window[0], parsed.window[1], shas[key], str(stored),
             Jsonb(_source_files(parsed)),
             Jsonb({t: len(rows) for t, rows in parsed.tables.items() if not t.startswith("_")}),
             Jsonb(parsed.notices))).fetchone()[0]
        if key in current:
            conn.execute("update ops.return_imports set replaced_by = %s where import_id = %s",
                         (new_id, current[key][0]))
        ids[key] = new_id
    if unchanged and last is not None:
        conn.execute("update ops.return_import_revisions set batch_id = %s where revision_id = %s",
                     (batch_id, last[0]))
        return last[0]
    return conn.execute(
        "insert into ops.return_import_revisions (la_code, import_ids, extract_date, extracted_at, batch_id) "
        "values (%s, %s, %s, %s, %s) returning revision_id",
        (la_code, sorted(ids[k] for k in members), extract_date, extracted_at, batch_id)).fetchone()[0]
