"""``load_extract``: verify a landed extract and COPY it into ``raw`` in one transaction, or refuse it.

The order of work, and why:

1. Safety and the manifest (``source``, ``manifest``): nothing is read from outside the landing folder.
2. Identity: an extract already loaded (same LA, extraction time and file checksums) is a no-op ("skipped"); one
   loaded and since replaced by a corrected extract is refused (``ExtractReplaced``), unless ``force``.
3. Every file is probed (size, sha256, encoding) before any record is parsed, so a file that is not the one the
   manifest describes is reported as such.
4. One transaction, under a per-LA advisory lock: the batch is inserted, the previous candidate of the LA is
   replaced (``csc.batches``, the one writer of batch status), every table is streamed with COPY while its records
   are checked, superseded and replaced batches' raw rows are purged, the batch and its files are recorded. A
   refusal anywhere rolls all of it back: raw and the published batch stay exactly as they were.
5. After commit: the landed files are archived (compressed, with checksums) and removed from landing.

A refusal quarantines the extract with its reason and is recorded in ``ops`` (``extract_batches`` when the
manifest was readable, always ``load_attempts``), then raised as ``ExtractRefused``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from csc import batches
from csc.batches import BatchStatus
from csc.contract import Contract, Table, load_contract
from csc.contract.profiles import Profile, load_profile
from csc.ingest import landing
from csc.ingest.dialects import (
    Dialect,
    DialectFile,
    DialectSource,
    detect,
    is_dash_line,
    needs_transcoding,
    sniff_encoding,
    typed_kinds,
)
from csc.ingest.dialects import dialect as make_dialect
from csc.ingest.errors import ExtractRefused, ExtractReplaced
from csc.ingest.feed import Feed
from csc.ingest.manifest import Manifest, computed_manifest, read_manifest
from csc.ingest.probe import FileProbe, probe
from csc.ingest.records import FilePlan, Regions, parse_header
from csc.ingest.shape import ShapeNote, read_extra_table, record_notes, system_named
from csc.ingest.source import MANIFEST, ExtractSource, la_landing_dir, landing_la, open_extract
from csc.las import ExportFormat, LocalAuthority, export_format, la_registry
from csc.settings import Settings
from csc.warehouse import locks
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect, is_warehouse_unavailable

log = logging.getLogger(__name__)

CANDIDATE_STATUSES = tuple(s.value for s in batches.CANDIDATE)
LIVE_STATUSES = tuple(s.value for s in batches.LIVE)
SEND_BUFFER = 4 << 20  # bytes of COPY data in flight to the server (capped by net.core.wmem_max)
JSONB_PAIRS = 50  # jsonb_build_object takes at most 100 arguments: extra columns are built 50 at a time


@dataclass
class FileLoad:
    """One file of an extract as loaded (or checked before a refusal)."""

    file_name: str
    table: str
    bytes: int
    sha256: str
    encoding: str
    rows_expected: int
    rows: int | None = None
    header: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)  # kept in the raw table's _extra
    absent_columns: list[str] = field(default_factory=list)  # missing, as the profile says the system never writes
    slow_regions: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float = 0.0


@dataclass
class LoadResult:
    batch_id: int
    la_code: str
    extract_date: date
    status: str  # 'loaded' | 'skipped'
    message: str
    rows: dict[str, int] = field(default_factory=dict)
    files: list[FileLoad] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    replaced_batch_id: int | None = None
    archive_path: Path | None = None
    attempt_id: int | None = None
    profile: str | None = None  # the source-system profile the extract was read with
    notes: list[ShapeNote] = field(default_factory=list)  # extra and missing tables and columns (ops.extract_shape)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def loaded_batch(la_code: str, extract_date: date, settings: Settings) -> tuple[int, str] | None:
    """The latest batch loaded from the LA's extract of that date (batch id, status), or None.

    A loaded extract is archived and leaves landing, so a re-run of a night whose extract is no longer waiting asks
    this to tell "already loaded" from "not arrived". A batch replaced since (by a correction or a later night)
    counts: the night was loaded, and the nightly steps find nothing left to do for it.
    """
    with connect(settings, role=LOADER, application="csc load") as conn:
        row = conn.execute(
            "select batch_id, status from ops.extract_batches where la_code = %s and extract_date = %s "
            "and status = any(%s) order by extracted_at desc, batch_id desc limit 1",
            (la_code, extract_date, [*LIVE_STATUSES, BatchStatus.REPLACED.value])).fetchone()
    return (row[0], row[1]) if row else None


def load_extract(path: Path, settings: Settings, *,
                 on_file: Callable[[FileLoad], None] | None = None, force: bool = False, dialect: str | None = None,
                 delimiter: str | None = None, system: str | None = None) -> LoadResult:
    """Verify and load one landed extract (folder or zip). Raises ExtractRefused if it cannot be loaded losslessly.

    An extract loaded before and since replaced by a corrected one raises ``ExtractReplaced`` (nothing loaded, the
    extract left in place) unless ``force``: then it is loaded again, as a new batch, the LA's candidate.
    ``dialect`` (csv, ssms, bcp) and ``delimiter`` override the LA's ``export:`` in las.yml (dialects.py);
    ``system`` (a profile of csc.contract.profiles) overrides the LA's ``system:`` and the manifest's
    ``source_system``.
    """
    return _ExtractLoad(Path(path), settings, on_file, force=force, dialect=dialect, delimiter=delimiter,
                        system=system).run()


class _ExtractLoad:
    def __init__(self, path: Path, settings: Settings, on_file: Callable[[FileLoad], None] | None, *,
                 force: bool = False, dialect: str | None = None, delimiter: str | None = None,
                 system: str | None = None):
        self.path = path
        self.system_asked = system
        if system is not None:
            load_profile(system)  # an unknown system fails before anything is read
        self.profile: Profile = load_profile(None)
        self.notes: list[ShapeNote] = []  # extra and missing tables and columns (shape.py)
        self.extra_tables: dict[str, ShapeNote] = {}  # file name -> its note
        self.file_extras: dict[str, list[str]] = {}  # file name -> its extra columns (file order)
        self.force = force
        self.reloading: tuple | None = None  # the replaced batch of this extract, when forced to load it again
        self.settings = settings
        self.on_file = on_file
        self.contract: Contract = load_contract()
        self.started_at = datetime.now(UTC)
        self.clock = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.manifest: Manifest | None = None
        self.plans: dict[str, tuple[FilePlan, list[str], str]] = {}  # plan, missing columns, header encoding
        self.headers: dict[str, list[str]] = {}  # as written: case and order kept
        self.sha256s: dict[str, str] = {}  # every file read in full (its checksum agreeing with the manifest)
        self.files: list[FileLoad] = []
        self.batch_id: int | None = None
        self.current: FileLoad | None = None  # the file being streamed (recorded if it is refused)
        self.committed = False
        self.dialect_asked = (dialect, delimiter)  # from the command line: over the LA's export settings
        self.export: ExportFormat = ExportFormat()
        self.dialect_files: dict[str, DialectFile] = {}  # files read through a DialectStream
        self.detected: Dialect | None = None  # the extract's dialect when none is declared

    # -- outline ----------------------------------------------------------------------------------------------------
    def run(self) -> LoadResult:
        try:
            source = open_extract(self.path, self.settings)
        except ExtractRefused as refusal:
            raise self._refused(refusal, movable=refusal.reason != "path_outside_landing") from None
        with ExitStack() as held:  # the LA's lock, once taken, is held until the extract is archived or quarantined
            try:
                with source:
                    return self._load(source, held)
            except ExtractReplaced as refusal:
                raise self._replaced(refusal) from None
            except ExtractRefused as refusal:
                # An export still being written (no marker yet) is left where it is for the job to finish.
                raise self._refused(refusal, movable=refusal.reason != "marker_missing") from None
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                refusal = ExtractRefused("bad_zip", f"{self.path.name} cannot be read: {exc}", file=self.path.name)
                raise self._refused(refusal, movable=True) from exc
            except Exception as exc:
                self._failed(exc)
                raise

    @contextmanager
    def _la_lock(self, la_code: str) -> Iterator[None]:
        """Serialise the loads of one LA, housekeeping included: a waiting load sees the other's finished work."""
        with connect(self.settings, role=LOADER, application="csc load (lock)") as conn:
            # A row lock no BI session can take or hold (csc.warehouse.locks), kept until the session ends.
            name = locks.load_lock_name(la_code)
            locks.ensure_lock_row(conn, name)
            conn.commit()
            locks.take(conn, name)
            yield  # released when the session ends

    def _load(self, source: ExtractSource, held: ExitStack) -> LoadResult:
        self.export = self._export_format()
        if MANIFEST not in source.names and self.export.manifest == "optional":
            self.manifest = manifest = computed_manifest(source, self._la_of_folder(), self.export)
        else:
            self.manifest = manifest = read_manifest(source)
        held.enter_context(self._la_lock(manifest.la_code))
        self._check_place(source, manifest)
        self.profile = self._choose_profile(manifest)
        tables = self._check_file_set(source, manifest)
        earlier = self._find_identity(manifest)
        if earlier is not None and earlier[1] == BatchStatus.REPLACED:
            if not self.force:
                raise self._replaced_refusal(earlier)
            self.reloading = earlier
        elif earlier is not None:
            return self._skipped(source, earlier)
        started = time.perf_counter()
        for table in tables:  # every header before the first COPY: a missing column refuses in milliseconds
            self.plans[table.file_name] = self._read_plan(source, table)
        self._read_extra_tables(source, manifest)
        self.timings["verify"] = time.perf_counter() - started
        started = time.perf_counter()
        with connect(self.settings, role=LOADER, application="csc load") as conn:
            self._check_not_older(conn, manifest)
            self.batch_id = self._insert_batch(conn, manifest, source)
            replaced_all = batches.replace_candidates(conn, manifest.la_code, self.batch_id)
            replaced = max(replaced_all) if replaced_all else None
            self._copy_files(conn, source, tables, manifest)
            self._derive_columns(conn, tables)
            self._purge_superseded_raw(conn, manifest.la_code)
            rows = {f.table: f.rows or 0 for f in self.files}
            if manifest.computed:  # counted, not verified: recorded with the batch
                extra_rows = {n.table: n.rows for n in self.extra_tables.values()}
                batches.set_computed_manifest(conn, self.batch_id, manifest.with_rows({**rows, **extra_rows}))
            self._record_loaded(conn, rows)
            batches.set_source_profile(conn, self.batch_id, self.profile.name)
            record_notes(conn, self.batch_id, self.notes)
            attempt_id = self._record_attempt(conn, "loaded", batch_id=self.batch_id)
            conn.commit()
            self.committed = True
        self.timings["load"] = time.perf_counter() - started
        started = time.perf_counter()
        archive_path = self._archive_and_clear(source, self.batch_id)
        self.timings["archive"] = time.perf_counter() - started
        self.timings["total"] = time.perf_counter() - self.clock
        message = (f"loaded batch {self.batch_id}: {sum(rows.values()):,} rows in {len(rows)} tables"
                   + (f", replacing candidate batch {replaced}" if replaced else "")
                   + (f" (forced: this extract was batch {self.reloading[0]}, replaced by batch "
                      f"{self.reloading[5]})" if self.reloading else ""))
        log.info("%s (%s %s)", message, manifest.la_code, manifest.extract_date)
        return LoadResult(self.batch_id, manifest.la_code, manifest.extract_date, "loaded", message, rows,
                          self.files, self.timings, replaced, archive_path, attempt_id, self.profile.name,
                          list(self.notes))

    # -- checks before loading ------------------------------------------------------------------------------------
    def _check_place(self, source: ExtractSource, manifest: Manifest) -> None:
        """The extract must sit where its manifest says: <la landing folder>/<extract_date>[.zip]."""
        name = source.path.name.removesuffix(".zip").removesuffix(".ZIP")
        expected_folder = la_landing_dir(self.settings, manifest.la_code).resolve()
        if source.path.parent != expected_folder:
            raise ExtractRefused(
                "misfiled", f"the manifest says LA {manifest.la_code}, but the extract is in {source.path.parent}, "
                            f"not in that LA's landing folder {expected_folder}", file=MANIFEST, column="$.la_code")
        if name != manifest.extract_date.isoformat():
            raise ExtractRefused(
                "misfiled", f"the manifest says extract date {manifest.extract_date}, but the extract is named "
                            f"{source.path.name}", file=MANIFEST, column="$.extract_date")

    def _check_file_set(self, source: ExtractSource, manifest: Manifest) -> list[Table]:
        """The contract tables to load: every one listed and present, optional ones (HR) possibly missing.

        A table the contract does not hold (the SSD has about 46; the contract reads 23) is accepted, recorded and
        skipped (``_read_extra_tables``), listed in the manifest or not. Any other file is refused.
        """
        for entry in manifest.files:
            expected = (self.contract.table(entry.table).file_name if entry.table in self.contract.tables
                        else f"{entry.table}.csv")
            if entry.name != expected:
                raise ExtractRefused("manifest_invalid", f"table {entry.table} must be in {expected}, not "
                                                         f"{entry.name}", file=MANIFEST, column="$.files")
        listed = {entry.name for entry in manifest.files}
        marker = {self.export.marker} if manifest.computed else set()
        unlisted = sorted(set(source.names) - listed - {MANIFEST} - marker)
        strange = [n for n in unlisted if not _is_table_file(n)]
        if strange:
            raise ExtractRefused("unknown_file", f"not a table of the extract (<table>.csv) and not in the manifest: "
                                                 f"{', '.join(strange)}", file=strange[0])
        contract_unlisted = [n for n in unlisted if n[:-4] in self.contract.tables]
        if contract_unlisted:
            raise ExtractRefused("unknown_file", f"not in the manifest: {', '.join(contract_unlisted)} (the manifest "
                                                 "must list every file of the contract it carries)",
                                 file=contract_unlisted[0])
        absent = [entry.name for entry in manifest.files if entry.name not in source.names]
        if absent:
            raise ExtractRefused("file_missing", f"listed in the manifest but not in the extract: "
                                                 f"{', '.join(absent)}", file=absent[0])
        for name in [*(e.name for e in manifest.files if e.table not in self.contract.tables), *unlisted]:
            self.extra_tables[name] = ShapeNote("extra_table", name[:-4])
        tables_listed = {entry.table for entry in manifest.files}
        missing = [t for t in self.contract if t.name not in tables_listed]
        required = [t.name for t in missing if not t.optional]
        if required:
            raise ExtractRefused("missing_table", f"the extract has no {', '.join(required)} (every SSD table of the "
                                                  "contract feeds an indicator or a return; only the HR files are "
                                                  "optional)", file=self.contract.table(required[0]).file_name)
        for table in missing:
            self.notes.append(ShapeNote("missing_table", table.name, rows=0, detail=(
                "no HR extract: the workforce indicators are not available" if table.source == "hr" else None)))
        return [t for t in self.contract if t.name in tables_listed]

    def _read_extra_tables(self, source: ExtractSource, manifest: Manifest) -> None:
        """Record each extra table's header and record count (and checksum: it is part of the extract)."""
        if not self.extra_tables:
            return
        chosen = self._dialect_of(source, next(iter(self.contract)))
        for name, note in list(self.extra_tables.items()):
            columns, rows, sha256, size = read_extra_table(source, name, chosen)
            entry = manifest.file(name)
            if entry is not None and not manifest.computed and entry.sha256 != sha256:
                raise ExtractRefused("sha256_mismatch", f"sha256 {sha256} where the manifest says {entry.sha256} "
                                                        "(the file is not the one the manifest describes)", file=name)
            self.sha256s[name] = sha256
            detail = None if entry is not None else "not in the manifest"
            self.extra_tables[name] = note = ShapeNote("extra_table", note.table, columns=columns, rows=rows,
                                                       detail=detail)
            self.notes.append(note)

    def _la_config(self, la_code: str) -> LocalAuthority | None:
        path = Path(self.settings.las_config)
        if not path.exists():
            return None
        registry = la_registry(path)
        return registry.get(la_code) if la_code in registry else None

    def _choose_profile(self, manifest: Manifest) -> Profile:
        """``--system``, else the LA's ``system:`` (las.yml), else the manifest's ``source_system`` when it is a
        profile's name, else generic; with the LA's ``vocabulary:`` applied."""
        la = self._la_config(manifest.la_code)
        name = (self.system_asked or (la.system if la is not None else None)
                or system_named(manifest.source_system))
        profile = load_profile(name)
        return profile.with_vocabulary(la.vocabulary) if la is not None else profile

    def _find_identity(self, manifest: Manifest) -> tuple | None:
        with connect(self.settings, role=LOADER, application="csc load") as conn:
            # A live batch of this extract first (loading it again is a no-op); else its latest replaced batch.
            return conn.execute(
                "select batch_id, status, extract_date, loaded_at, archive_path, superseded_by "
                "from ops.extract_batches where content_sha256 = %s and status = any(%s) "
                "order by (status = %s), case when status = %s then -batch_id else batch_id end limit 1",
                (manifest.content_sha256, [*LIVE_STATUSES, BatchStatus.REPLACED.value], BatchStatus.REPLACED.value,
                 BatchStatus.REPLACED.value)).fetchone()

    def _replaced_refusal(self, earlier: tuple) -> ExtractReplaced:
        batch_id, _, extract_date, loaded_at, _, replaced_by = earlier
        with connect(self.settings, role=LOADER, application="csc load") as conn:
            by = conn.execute("select status, loaded_at, extract_date from ops.extract_batches where batch_id = %s",
                              (replaced_by,)).fetchone() if replaced_by else None
        if by is not None:
            by_status, by_loaded, by_date = by
            when = f" on {by_loaded.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if by_loaded else ""
            by_text = f"batch {replaced_by} ({by_date}, {by_status}){when}"
        else:
            by_text = "a later extract"
        loaded = f", loaded {loaded_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if loaded_at else ""
        return ExtractReplaced(
            "replaced",
            f"this extract ({extract_date}) was loaded as batch {batch_id}{loaded} and replaced by {by_text}: "
            f"nothing loaded, the extract is left at {self.path}. `csc load --force {self.path}` loads it again as "
            "the LA's candidate", file=MANIFEST, replaced_by=replaced_by)

    def _probe_file(self, source: ExtractSource, name: str) -> FileProbe:
        """The exact pass (encoding, line of a bad byte) over a file PostgreSQL or the slow path found not UTF-8."""
        with source.open(name) as stream:
            found = probe(stream)
        if found.problem is not None:
            raise ExtractRefused(found.problem.reason, found.problem.message, file=name, line=found.problem.line)
        return found

    def _read_plan(self, source: ExtractSource, table: Table) -> tuple[FilePlan, list[str], str]:
        """The header's plan, read from the file's first bytes (UTF-8, else Windows-1252, else the exact probe)."""
        with source.open(table.file_name) as stream:
            head = stream.read(64 << 10)
        chosen = self._dialect_of(source, table)
        if needs_transcoding(head, chosen):
            return self._read_dialect_plan(table, head, chosen)
        with source.open(table.file_name) as stream:
            header = Regions(stream, region_size=64 << 10).header()
        encoding = "utf-8"
        try:
            text = header.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"
            text = header.decode("cp1252", errors="replace")
        if "\0" in text or "\ufffd" in text or header.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = self._probe_file(source, table.file_name).encoding
        return (*self._plan(table, header, encoding), encoding)

    # -- export dialects (dialects.py) -------------------------------------------------------------------------------
    def _la_of_folder(self) -> str | None:
        return landing_la(self.settings, self.path)

    def _export_format(self) -> ExportFormat:
        """The export settings of the LA whose landing folder holds the extract (defaults if it has none)."""
        return export_format(self.settings.las_config, self._la_of_folder())

    def _dialect_of(self, source: ExtractSource, table: Table) -> Dialect:
        """The dialect asked (command line), else declared (las.yml), else detected, else csv.

        Detected: bcp when some file's first line is unmistakably a headerless bcp record (``dialects.detect``);
        an extract comes from one export job, so then every file is read as bcp (an empty one has no line to
        tell), and a file that does start with a header is refused.
        """
        name, delimiter = self.dialect_asked
        name = name or self.export.dialect
        delimiter = delimiter or self.export.delimiter
        try:
            if name is not None:
                return make_dialect(name, delimiter)
        except ValueError as exc:
            raise ExtractRefused("bad_dialect", str(exc), file=table.file_name) from None
        if self.detected is None:
            self.detected = make_dialect("csv")
            for other in self.contract:
                if other.file_name not in source.names:
                    continue
                with source.open(other.file_name) as stream:
                    head = stream.read(64 << 10)
                encoding, bom = sniff_encoding(head, "utf-8")
                codec = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
                first = head[bom:].decode(codec, errors="replace").split("\n", 1)[0]
                found = detect(first.encode("utf-8"), other)
                if found is not None:
                    self.detected = found
                    log.info("%s: no dialect declared; %s is a headerless bcp file, so the extract is read as bcp",
                             self.path, other.file_name)
                    break
        return self.detected

    def _read_dialect_plan(self, table: Table, head: bytes, chosen: Dialect) -> tuple[FilePlan, list[str], str]:
        """The plan of a file read through a DialectStream: its header (bcp: the profile's column order)."""
        encoding, bom = sniff_encoding(head, "utf-8")
        body = head[bom:]
        codec = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
        try:
            text = body.decode(codec) if codec.startswith("utf-16") else body.decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            if codec.startswith("utf-16") and exc.start < len(body) - 4:
                raise ExtractRefused("undecodable_bytes", f"bytes {exc.object[exc.start:exc.end].hex(' ')} are not "
                                     f"{encoding.upper()} (the file starts with a UTF-16 byte-order mark)",
                                     file=table.file_name, line=body[:exc.start].decode(codec, "replace").count("\n")
                                     + 1) from None
            text = body[:exc.start].decode(codec) if codec.startswith("utf-16") else body.decode("cp1252", "replace")
            if not codec.startswith("utf-16"):
                encoding = "cp1252"
        lines = text.split("\n")
        first = lines[0].rstrip("\r")
        skip = 0
        if not chosen.header:
            version = self.manifest.ssd_version or self.export.ssd_version
            columns = self.profile.file_columns(table, version)
            bare = self.profile.file_columns(table, version, with_extras=False)
            if first and len(bare) != len(columns) and len(first.split(chosen.delimiter)) == len(bare):
                columns = bare  # the export left out the system's optional extra columns
            fields = [f.strip().lower() for f in first.split(chosen.delimiter)]
            if first and set(fields) & set(table.column_names) and len(fields) > 1:
                raise ExtractRefused("bad_header", f"a {chosen.name} file has no header, but line 1 holds column "
                                     "names: export without a header, or declare the ssms dialect",
                                     file=table.file_name, line=1, column=next(f for f in fields
                                                                             if f in table.column_names))
            header = (",".join(columns) + "\n").encode("utf-8")
        else:
            if not first.strip() and len(lines) <= 1:
                raise ExtractRefused("empty_file", "the file is empty: no header line", file=table.file_name, line=1)
            if chosen.quoted:  # csv in UTF-16: the header as written
                header = (lines[0] + "\n").encode("utf-8")
            else:
                header = (",".join(f'"{f}"' if ("," in f or '"' in f) else f
                                   for f in first.split(chosen.delimiter)) + "\n").encode("utf-8")
                if len(lines) > 2 and is_dash_line(lines[1]):
                    skip = 1  # sqlcmd underlines the header with dashes
        plan, missing = self._plan(table, header, "utf-8")
        if not chosen.header:
            self.headers[table.file_name] = list(plan.columns)
        plan = replace(plan, first_line=1 if not chosen.header else 2 + skip)
        kinds = typed_kinds(table, plan.columns) if chosen.typed else {}
        self.dialect_files[table.file_name] = DialectFile(chosen, plan.columns, kinds, skip)
        return plan, missing, encoding

    def _check_not_older(self, conn: psycopg.Connection, manifest: Manifest) -> None:
        # Forced reload of a replaced extract: the correction of the same night that replaced it may be newer.
        extracted_at = manifest.extracted_at if self.reloading is None else datetime.max.replace(tzinfo=UTC)
        newer = conn.execute(
            "select batch_id, status, extract_date, extracted_at from ops.extract_batches "
            "where la_code = %s and status = any(%s) and (extract_date, extracted_at) > (%s, %s) "
            "order by extract_date desc, extracted_at desc limit 1",
            (manifest.la_code, [BatchStatus.PUBLISHED.value, *CANDIDATE_STATUSES], manifest.extract_date,
             extracted_at)).fetchone()
        if newer is not None:
            batch, status, newer_date, newer_at = newer
            raise ExtractRefused(
                "older_than_loaded",
                f"this extract ({manifest.extract_date}, extracted {manifest.extracted_at.isoformat()}) is older "
                f"than batch {batch} ({status}: {newer_date}, extracted {newer_at.isoformat()}); loading it would "
                "replace newer data with older", file=MANIFEST, column="$.extracted_at")

    # -- the transaction ------------------------------------------------------------------------------------------
    def _insert_batch(self, conn: psycopg.Connection, manifest: Manifest, source: ExtractSource) -> int:
        return batches.register_loading(conn, manifest, str(source.path), self.started_at)

    def _plan(self, table: Table, raw: bytes, encoding: str) -> tuple[FilePlan, list[str]]:
        """Match the header to the contract (any case, any order) and decide what to check per field."""
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip(b"\r\n"):
            raise ExtractRefused("empty_file", "the file is empty: no header line", file=table.file_name, line=1)
        try:
            header = parse_header(raw.decode(encoding).encode("utf-8"))
            self.headers[table.file_name] = header
        except (ValueError, UnicodeDecodeError) as exc:
            raise ExtractRefused("bad_header", str(exc), file=table.file_name, line=1) from None
        aliases = {alias: c.name for c in table.columns for alias in c.aliases}
        renames = self.profile.renames_for(table.name)
        names = [aliases.get(renames.get(n, n), renames.get(n, n)) for n in (h.strip().lower() for h in header)]
        for index, name in enumerate(names):
            if not name:
                raise ExtractRefused("bad_header", f"column {index + 1} of the header has no name",
                                     file=table.file_name, line=1)
            if names.index(name) != index:
                raise ExtractRefused("bad_header", f"column {name} is named twice (columns {names.index(name) + 1} "
                                                   f"and {index + 1})", file=table.file_name, line=1, column=name)
        contract_columns = set(table.column_names)
        extras = [n for n in names if n not in contract_columns]
        missing_required = [c for c in table.required_columns
                            if c not in names and self.profile.derivation(table.name, c) is None]
        if missing_required:
            hint = ""
            if any(("\t" in u or ";" in u or "|" in u) for u in extras):
                hint = (" (the header is not comma-delimited: declare the export dialect, ssms or bcp, and its "
                        "delimiter in las.yml or with csc load --dialect/--delimiter)")
            needs = "; ".join(f"{c} is needed by {table.column(c).needed_by}" for c in missing_required)
            raise ExtractRefused("missing_required_column",
                                 f"required column {', '.join(missing_required)} is missing from the header "
                                 f"({needs}){hint}", file=table.file_name, line=1, column=missing_required[0])
        missing = [c for c in table.column_names if c not in names]
        if table.file_name not in self.file_extras:  # once per file (a cp1252 re-read plans it again)
            self.file_extras[table.file_name] = extras
            for name in extras:
                self.notes.append(ShapeNote("extra_column", table.name, name))
            for name in missing:
                expected = self.profile.is_absent(table.name, name) or self.profile.derivation(table.name, name)
                self.notes.append(ShapeNote("absent_column" if expected else "missing_column", table.name, name))
        plan = FilePlan(
            file_name=table.file_name,
            columns=tuple(names),
            date_fields=tuple(i for i, n in enumerate(names)
                              if n in contract_columns and table.column(n).type == "datetime"),
            key_fields=(tuple(names.index(k) for k in table.primary_key)
                        if all(k in names for k in table.primary_key) else ()),
        )
        if raw.count(b"\n") > 1:
            raise ExtractRefused("bad_header", "the header spans more than one line", file=table.file_name, line=1)
        return plan, missing

    def _copy_files(self, conn: psycopg.Connection, source: ExtractSource, tables: list[Table],
                    manifest: Manifest) -> None:
        """Stream every file into raw, in contract order, each checked on the way (``feed.py`` reads ahead).

        UTF-8 is assumed and PostgreSQL checks it; a file it rejects is rolled back to its savepoint, probed
        exactly, and streamed again (with the files after it) as Windows-1252, or refused naming the line of the
        bad bytes.
        """
        _widen_send_buffer(conn)
        encodings = {t.file_name: self.plans[t.file_name][2] for t in tables}
        if self.dialect_files:  # those files reach the scanner as UTF-8 CSV (the stream decodes them)
            source = DialectSource(source, self.dialect_files, encodings)
        first = 0
        while first < len(tables):
            jobs = [(self.plans[t.file_name][0],
                     "utf-8" if t.file_name in self.dialect_files else encodings[t.file_name]) for t in tables[first:]]
            with Feed(source, jobs, self.batch_id) as feed:
                for index in range(first, len(tables)):
                    table = tables[index]
                    try:
                        load = self._copy_file(conn, feed, table, manifest, encodings[table.file_name])
                    except (psycopg.errors.CharacterNotInRepertoire, UnicodeDecodeError) as not_utf8:
                        feed.close()
                        found = self._probe_file(getattr(source, "inner", source), table.file_name)
                        if found.encoding != "cp1252" or encodings[table.file_name] == "cp1252":
                            raise RuntimeError(f"{table.file_name}: rejected as {encodings[table.file_name]} "
                                               f"({not_utf8}), but its bytes are {found.encoding}") from not_utf8
                        encodings[table.file_name] = "cp1252"
                        first = index
                        break
                    self.files.append(load)
                    if self.on_file:
                        self.on_file(load)
                else:
                    first = len(tables)

    def _copy_file(self, conn: psycopg.Connection, feed: Feed, table: Table, manifest: Manifest,
                   encoding: str) -> FileLoad:
        """COPY one file's framed records from the feed; refuse it if it is not what the manifest describes."""
        entry = manifest.file(table.file_name)
        plan, missing, _ = self.plans[table.file_name]
        extras = self.file_extras.get(table.file_name) or []
        load = FileLoad(entry.name, table.name, 0, "", encoding, entry.rows if not manifest.computed else None,
                        started_at=datetime.now(UTC), missing_columns=missing, extra_columns=list(extras),
                        absent_columns=[c for c in missing if self.profile.is_absent(table.name, c)
                                        or self.profile.derivation(table.name, c)])
        self.current = load
        clock = time.perf_counter()
        if extras:  # through a temporary table, so the extra columns become _extra (only such files pay for it)
            fields = [sql.Identifier(f"f{i}") for i in range(len(plan.columns))]
            target = sql.Identifier(f"_load_{table.name}")
            columns = sql.SQL(", ").join(fields)
        else:
            target = sql.SQL("raw.{}").format(sql.Identifier(table.name))
            columns = sql.SQL(", ").join(map(sql.Identifier, plan.columns))
        statement = sql.SQL("copy {} (_batch_id, _line_no, {}) from stdin (format csv, force_null ({}))") \
            .format(target, columns, columns)
        with conn.transaction():
            if extras:
                conn.execute(sql.SQL("create temporary table {} (_batch_id bigint, _line_no integer, {}) "
                                     "on commit drop").format(
                    target, sql.SQL(", ").join(sql.SQL("{} text").format(f) for f in fields)))
            with conn.cursor().copy(statement) as copy:
                for records in feed.records(table.file_name):
                    copy.write(records)
                scanned = feed.scanned
                if scanned.refusal is not None:
                    load.bytes, load.sha256 = scanned.regions.bytes_read, scanned.regions.digest.hexdigest()
                    self._check_against_manifest(entry, scanned.regions, problem=scanned.refusal)
                    raise scanned.refusal
            if extras:
                conn.execute(_insert_with_extra(table, plan.columns, target))
                conn.execute(sql.SQL("drop table {}").format(target))
        regions, stats = scanned.regions, scanned.stats
        load.bytes, load.sha256, load.encoding = regions.bytes_read, regions.digest.hexdigest(), regions.encoding
        load.header = self.headers[table.file_name]
        self._check_against_manifest(entry, regions)
        if manifest.computed:
            load.rows_expected = stats.records  # counted, not verified: there is no manifest to say otherwise
        elif stats.records != entry.rows:
            raise ExtractRefused(
                "row_count_mismatch", f"{stats.records:,} records where the manifest says {entry.rows:,} "
                                      f"(the file has {stats.lines:,} lines including the header)", file=entry.name)
        if scanned.duplicate is not None:
            raise scanned.duplicate
        self.sha256s[entry.name] = load.sha256
        load.rows = stats.records
        load.slow_regions = stats.slow_regions
        load.finished_at = datetime.now(UTC)
        load.seconds = time.perf_counter() - clock
        return load

    def _check_against_manifest(self, entry, regions: Regions, problem: ExtractRefused | None = None) -> None:
        """Size and sha256 against the manifest. A file cut short explains its checksum: the truncation leads."""
        mismatches = []
        if entry.bytes is not None and entry.bytes != regions.bytes_read:
            mismatches.append(("bytes_mismatch",
                               f"{regions.bytes_read:,} bytes where the manifest says {entry.bytes:,}"))
        sha256 = regions.digest.hexdigest()
        if sha256 != entry.sha256:
            mismatches.append(("sha256_mismatch", f"sha256 {sha256} where the manifest says {entry.sha256}"))
        if not mismatches:
            return
        if problem is not None and problem.reason == "truncated_last_line":
            problem.details = [m for _, m in mismatches]
            raise problem
        reason, message = mismatches[0]
        details = [m for _, m in mismatches[1:]]
        if problem is not None:
            details.append(f"{problem.where()}: {problem.message}")
        raise ExtractRefused(reason, message + " (the file is not the one the manifest describes)",
                             file=entry.name, details=details)

    def _derive_columns(self, conn: psycopg.Connection, tables: list[Table]) -> None:
        """Fill the profile's derived columns (Mosaic's invo_person_id from the referral, ...) where the file does
        not write them, from the lookup table of the same batch, in the load's transaction."""
        loaded = {t.name: t for t in tables}
        for qualified, derivation in self.profile.derived_columns.items():
            table_name, column = qualified.split(".", 1)
            table = loaded.get(table_name)
            if table is None or derivation.lookup not in loaded:
                continue
            plan = self.plans[table.file_name][0]
            if column in plan.columns:
                continue  # the file writes it: kept as written
            via, lookup_column = derivation.via
            if via in table.column_names and via in plan.columns:
                link = sql.SQL("t.{}").format(sql.Identifier(via))
            elif via in (self.file_extras.get(table.file_name) or []):
                link = sql.SQL("(t._extra ->> {})").format(sql.Literal(via))
            else:
                self.notes.append(ShapeNote("derived_column", table_name, column, rows=0, detail=(
                    f"not filled: the file has no {via} to find the {derivation.lookup} record by")))
                continue
            filled = conn.execute(sql.SQL(
                "update raw.{} t set {} = l.{} from raw.{} l where t._batch_id = %s and l._batch_id = %s "
                "and t.{} is null and l.{} = {}").format(
                sql.Identifier(table_name), sql.Identifier(column), sql.Identifier(derivation.take),
                sql.Identifier(derivation.lookup), sql.Identifier(column), sql.Identifier(lookup_column), link),
                (self.batch_id, self.batch_id)).rowcount
            self.notes.append(ShapeNote("derived_column", table_name, column, rows=filled, detail=(
                f"filled on {filled:,} rows from {derivation.lookup}.{derivation.take} (through {via} = "
                f"{derivation.lookup}.{lookup_column})")))

    def _purge_superseded_raw(self, conn: psycopg.Connection, la_code: str) -> None:
        """Retention: raw keeps the published batch and one candidate per LA; superseded and replaced batches'
        rows go."""
        purged = batches.mark_raw_purged(conn, la_code)
        if not purged:
            return
        for table in self.contract:
            conn.execute(sql.SQL("delete from raw.{} where _batch_id = any(%s)").format(sql.Identifier(table.name)),
                         (purged,))

    def _record_loaded(self, conn: psycopg.Connection, rows: dict[str, int]) -> None:
        batches.mark_loaded(conn, self.batch_id, sum(rows.values()))
        self._record_files(conn, self.batch_id, self.files, status="loaded")

    def _record_files(self, conn: psycopg.Connection, batch_id: int, files: list[FileLoad], *, status: str,
                      message: str | None = None, refused_file: str | None = None,
                      refusal_message: str | None = None) -> None:
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into ops.file_loads (batch_id, file_name, table_name, rows_expected, rows_loaded, bytes, "
                "sha256, encoding, status, message, started_at, finished_at, header, missing_columns, slow_regions) "
                "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(batch_id, f.file_name, f.table, f.rows_expected, f.rows if status == "loaded" else None, f.bytes,
                  f.sha256, f.encoding,
                  "refused" if f.file_name == refused_file else status,
                  refusal_message if f.file_name == refused_file else message,
                  f.started_at or self.started_at, f.finished_at, f.header or None, f.missing_columns,
                  f.slow_regions) for f in files])

    def _record_attempt(self, conn: psycopg.Connection, outcome: str, *, batch_id: int | None = None,
                        refusal: ExtractRefused | None = None, message: str | None = None) -> int:
        manifest = self.manifest
        return conn.execute(
            "insert into ops.load_attempts (landing_path, la_code, extract_date, content_sha256, batch_id, outcome, "
            "reason, message, file_name, line_no, column_name, quarantine_path, started_at, finished_at) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now()) returning attempt_id",
            (str(self.path), refusal.la_code if refusal else (manifest.la_code if manifest else None),
             manifest.extract_date if manifest and batch_id else None,
             manifest.content_sha256 if manifest and batch_id else None, batch_id,
             outcome, refusal.reason if refusal else None, str(refusal) if refusal else message,
             refusal.file if refusal else None, refusal.line if refusal else None,
             refusal.column if refusal else None,
             str(refusal.quarantine_path) if refusal and refusal.quarantine_path else None,
             self.started_at)).fetchone()[0]

    # -- outcomes other than loaded ---------------------------------------------------------------------------------
    def _skipped(self, source: ExtractSource, earlier: tuple) -> LoadResult:
        batch_id, status, extract_date, loaded_at, archive_path, _ = earlier
        manifest = self.manifest
        when = f", loaded {loaded_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if loaded_at else ""
        message = f"already loaded as batch {batch_id} ({status}{when}): nothing loaded"
        archived = Path(archive_path) if archive_path else None
        if archived is None or not archived.exists():
            # Loaded but never archived (e.g. the run stopped after commit): archive it now, if it is the same bytes.
            if self._files_match_manifest(source):
                archived = landing.archive(source, manifest.la_code, manifest.extract_date, batch_id,
                                           self._sha256s(), self.settings)
                with connect(self.settings, role=LOADER, application="csc load") as conn:
                    batches.set_archive_path(conn, batch_id, str(archived))
            else:
                archived = None
        if archived is not None:
            source.close()
            landing.remove_landed(source.path)
            message += f"; its landed copy is archived at {archived}"
        else:
            message += "; the landed copy was left in place (it differs from its manifest)"
        with connect(self.settings, role=LOADER, application="csc load") as conn:
            attempt_id = self._record_attempt(conn, "skipped", batch_id=batch_id, message=message)
        log.info("%s %s: %s", manifest.la_code, manifest.extract_date, message)
        return LoadResult(batch_id, manifest.la_code, manifest.extract_date, "skipped", message,
                          timings={"total": time.perf_counter() - self.clock}, archive_path=archived,
                          attempt_id=attempt_id)

    def _files_match_manifest(self, source: ExtractSource) -> bool:
        for entry in self.manifest.files:
            if entry.name not in source.names:
                return False
            with source.open(entry.name) as stream:
                found = probe(stream)
            if found.sha256 != entry.sha256:
                return False
            self.sha256s[entry.name] = found.sha256
        return True

    def _sha256s(self) -> dict[str, str]:
        return dict(self.sha256s)

    def _archive_and_clear(self, source: ExtractSource, batch_id: int) -> Path:
        manifest = self.manifest
        sums = self._sha256s()
        for name in (MANIFEST, self.export.marker if manifest.computed else None):
            if name in source.names:
                with source.open(name) as stream:
                    sums[name] = probe(stream).sha256
        archived = landing.archive(source, manifest.la_code, manifest.extract_date, batch_id, sums, self.settings)
        source.close()
        landing.remove_landed(source.path)
        with connect(self.settings, role=LOADER, application="csc load") as conn:
            batches.set_archive_path(conn, batch_id, str(archived))
        landing.purge_archives(manifest.la_code, manifest.extract_date, self.settings)
        return archived

    def _refused(self, refusal: ExtractRefused, *, movable: bool) -> ExtractRefused:
        """Quarantine (when the extract is ours to move), record in ops, and hand back the refusal to raise."""
        refused_at = datetime.now(UTC)
        # A misfiled extract's identity is in doubt: it is recorded against the LA whose folder it landed in.
        manifest = self.manifest if refusal.reason != "misfiled" else None
        if manifest is not None:
            refusal.la_code = manifest.la_code
            refusal.extract_date = manifest.extract_date.isoformat()
        elif movable:
            refusal.la_code = landing_la(self.settings, self.path)
        if movable and (self.path.exists() or self.path.is_symlink()):
            landing.quarantine(self.path, refusal, self.settings, refused_at)
        with connect(self.settings, role=LOADER, application="csc load") as conn:
            batch_id = None
            if manifest is not None:
                batch_id = batches.record_refused(conn, manifest, str(self.path), self.started_at, str(refusal))
                files = self._checked_files(refusal)
                self._record_files(conn, batch_id, files, status="skipped",
                                   message=f"not loaded: the extract was refused ({refusal.reason})",
                                   refused_file=refusal.file, refusal_message=refusal.message)
            refusal.batch_id = batch_id
            refusal.attempt_id = self._record_attempt(conn, "refused", batch_id=batch_id, refusal=refusal)
        if refusal.quarantine_path is not None:
            _add_ids_to_reason_record(refusal)
        log.warning("extract refused: %s", refusal)
        return refusal

    def _replaced(self, refusal: ExtractReplaced) -> ExtractReplaced:
        """Record the refusal of a replaced extract (an attempt, no new batch); the extract stays where it is."""
        manifest = self.manifest
        refusal.la_code = manifest.la_code
        refusal.extract_date = manifest.extract_date.isoformat()
        with connect(self.settings, role=LOADER, application="csc load") as conn:
            refusal.attempt_id = self._record_attempt(conn, "refused", refusal=refusal)
        log.warning("extract not loaded: %s", refusal)
        return refusal

    def _checked_files(self, refusal: ExtractRefused) -> list[FileLoad]:
        """File records for a refused batch: the files streamed before it (not kept), and the file refused."""
        files = {f.file_name: f for f in self.files}
        if self.current is not None and self.current.file_name == refusal.file:
            files[self.current.file_name] = self.current
        for f in files.values():
            f.rows = None
        return list(files.values())

    def _failed(self, exc: Exception) -> None:
        """An unexpected error: record it (best effort) so the nightly run's history shows it; files stay put.

        After commit (archiving failed) the batch is loaded: only the attempt records the error, and a re-run
        skips the load and archives.
        """
        manifest = self.manifest
        try:
            with connect(self.settings, role=LOADER, application="csc load") as conn:
                batch_id = self.batch_id if self.committed else None
                if manifest is not None and not self.committed:
                    batch_id = batches.record_failed(conn, manifest, str(self.path), self.started_at,
                                                     f"{type(exc).__name__}: {exc}")
                self._record_attempt(conn, "failed", batch_id=batch_id, message=f"{type(exc).__name__}: {exc}")
        except (psycopg.Error, ConnectionError) as lost:
            if is_warehouse_unavailable(lost):  # the warehouse went away: say so in one line, restart nothing
                log.info("could not record the failed load of %s: the warehouse is unavailable", self.path)
            else:
                log.exception("could not record the failed load of %s", self.path)


def _is_table_file(name: str) -> bool:
    """A file that can be a table of the extract: ``<table>.csv``, a plain lower-case name."""
    stem, dot, suffix = name.rpartition(".")
    return bool(dot) and suffix == "csv" and stem.replace("_", "").isalnum() and stem == stem.lower()


def _insert_with_extra(table: Table, columns: tuple[str, ...], loaded: sql.Identifier) -> sql.Composed:
    """Move a file's records from its temporary table into raw: contract columns as they are, the others as
    ``_extra`` (lower-case name -> text; nulls left out; NULL when the record has none)."""
    contract = set(table.column_names)
    kept = [(name, sql.Identifier(f"f{i}")) for i, name in enumerate(columns) if name in contract]
    extra = [(name, sql.Identifier(f"f{i}")) for i, name in enumerate(columns) if name not in contract]
    objects = [sql.SQL("jsonb_build_object({})").format(sql.SQL(", ").join(
        sql.SQL("{}, {}").format(sql.Literal(name), field) for name, field in extra[i:i + JSONB_PAIRS]))
        for i in range(0, len(extra), JSONB_PAIRS)]
    extra_value = sql.SQL("nullif(jsonb_strip_nulls({}), '{{}}'::jsonb)").format(sql.SQL(" || ").join(objects))
    return sql.SQL("insert into raw.{} (_batch_id, _line_no, {}, _extra) select _batch_id, _line_no, {}, {} "
                   "from {}").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(n) for n, _ in kept),
        sql.SQL(", ").join(f for _, f in kept), extra_value, loaded)


def _add_ids_to_reason_record(refusal: ExtractRefused) -> None:
    """Add the ops ids (known only once recorded) to the quarantine's refusal.json."""
    path = refusal.quarantine_path / "refusal.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record.update(batch_id=refusal.batch_id, attempt_id=refusal.attempt_id)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _widen_send_buffer(conn: psycopg.Connection) -> None:
    """Let the connection's socket hold a few megabytes of COPY data (as the system allows): the server works
    through them while the loader's threads take turns with the GIL, instead of waiting for the next 200 KB."""
    try:
        with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:  # a duplicate descriptor: closing it is safe
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    except OSError as exc:
        log.debug("could not widen the COPY socket's send buffer: %s", exc)
