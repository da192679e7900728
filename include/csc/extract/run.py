"""``csc extract``: tonight's SSD read from the LA's reporting database, in one consistent snapshot, into the
landing folder as the standard extract (one CSV per contract table, manifest.json last).

The SSD is rebuilt every night by TRUNCATE and refill, so:

- a readiness query (``source: ready_query``) can say when the rebuild has finished (none by default);
- the tables are read in one snapshot: ``REPEATABLE READ READ ONLY`` on PostgreSQL, ``SNAPSHOT`` on SQL Server
  (enabled on the database by its DBA: ``ALTER DATABASE ... SET ALLOW_SNAPSHOT_ISOLATION ON``);
- a rebuild that interferes (SQL Server error 3961; on PostgreSQL, where TRUNCATE is not MVCC-safe, a table that
  reads empty tonight although it was not empty last night) makes the attempt start again after
  ``source: retry_wait``; after ``source: attempts`` an empty table refuses the extract instead of landing it.

The files are written in ``<landing>/<la>/.extracting/<date>.<pid>/`` and the folder renamed to
``<landing>/<la>/<date>/`` once complete, manifest last: a killed extract leaves nothing a loader would pick up, and
the next run clears what it left. Memory stays bounded: PostgreSQL streams each table with COPY TO STDOUT; SQL Server
rows come through a cursor in batches. Per-table rows, bytes and seconds go to ``ops.source_extract_tables``.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from csc.contract import Table, load_contract
from csc.extract.connection import SourceUrl, resolve_source
from csc.extract.errors import SourceRefused, SourceTransient, classify
from csc.extract.queries import columns_query, compile_sql, copy_statement, table_select
from csc.las import LocalAuthority, SourceDatabase
from csc.settings import Settings, get_settings

log = logging.getLogger(__name__)

PARTIAL_DIR = ".extracting"
CHUNK = 1 << 20
MSSQL_BATCH_ROWS = 5000


@dataclass(frozen=True)
class TableRead:
    table: str
    source_name: str
    rows: int
    bytes: int
    sha256: str
    seconds: float


@dataclass
class ExtractResult:
    la_code: str
    extract_date: date
    folder: Path
    status: str  # 'extracted' | 'skipped'
    message: str
    tables: list[TableRead] = field(default_factory=list)
    attempts: int = 0
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)


def wanted_tables(source: SourceDatabase | None) -> list[Table]:
    """The contract tables read from the source: the SSD's, and the HR views unless ``source: hr: false``."""
    hr = source.hr if source is not None else True
    return [t for t in load_contract() if t.source == "ssd" or hr]


def extract_source(la_code: str, extract_date: date, settings: Settings | None = None, *, url: str | None = None,
                   progress: Callable[[str], None] | None = None) -> ExtractResult:
    """Read the LA's SSD into ``<landing>/<la>/<extract_date>/`` (see the module docstring).

    Skipped when that night's extract is already in landing or already loaded. Raises :class:`SourceRefused`
    (tables missing, a table emptied, no source) or :class:`SourceTransient` (worth retrying later).
    """
    from csc.ingest import loaded_batch
    from csc.pipeline import extract_dir, local_authority

    settings = settings or get_settings()
    la = local_authority(la_code, settings)
    say = progress or (lambda message: log.info("%s", message))
    final = extract_dir(la_code, extract_date, settings)
    if (final / "manifest.json").is_file():
        return ExtractResult(la_code, extract_date, final, "skipped", f"already extracted: {final}")
    loaded = loaded_batch(la_code, extract_date, settings)
    if loaded is not None:
        return ExtractResult(la_code, extract_date, final, "skipped",
                             f"already loaded as batch {loaded[0]} ({loaded[1]})")
    source = resolve_source(la, url)
    config = la.source or SourceDatabase(connection="command_line")
    started = time.monotonic()
    with _extract_lock(final.parent) as partial_root:
        if (final / "manifest.json").is_file():  # another extract of this night finished while we waited
            return ExtractResult(la_code, extract_date, final, "skipped", f"already extracted: {final}")
        extract_id = _record_start(settings, la_code, extract_date, source.kind)
        try:
            result = _extract_with_retries(la, config, source, extract_date, final, partial_root, settings, say,
                                           extract_id)
        except SourceRefused as refusal:
            _record_end(settings, extract_id, "refused", None, [], reason=refusal.reason, error=str(refusal))
            raise
        except BaseException as exc:
            _record_end(settings, extract_id, "failed", None, [], error=f"{type(exc).__name__}: {exc}")
            raise
    result.seconds = round(time.monotonic() - started, 3)
    _record_end(settings, extract_id, "complete", final, result.tables, attempts=result.attempts,
                seconds=result.seconds)
    return result


def _extract_with_retries(la: LocalAuthority, config: SourceDatabase, source: SourceUrl, extract_date: date,
                          final: Path, partial_root: Path, settings: Settings, say, extract_id: int) -> ExtractResult:
    tables = wanted_tables(la.source)
    previous = previous_rows(settings, la.code, extract_date)
    _wait_until_ready(config, source, say)
    attempt = 0
    while True:
        attempt += 1
        partial = partial_root / f"{extract_date.isoformat()}.{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        try:
            extracted_at, reads = _read_snapshot(source, config, tables, partial, say)
            emptied = [r.table for r in reads if r.rows == 0 and previous.get(r.table, 0) > 0]
            if emptied:
                raise SourceTransient("table_emptied", "empty tonight but not in the previous extract: "
                                      + ", ".join(f"{t} ({previous[t]:,} rows then)" for t in emptied))
        except (SourceRefused, KeyboardInterrupt):
            shutil.rmtree(partial, ignore_errors=True)
            raise
        except Exception as exc:
            shutil.rmtree(partial, ignore_errors=True)
            transient = classify(exc)
            if transient is None:
                raise
            if attempt >= config.attempts:
                if transient.reason == "table_emptied":
                    raise SourceRefused("empty_table", f"{transient} after {attempt} attempt(s): refused rather than "
                                                       "loaded (a rebuild that truncated the tables, or a source "
                                                       "that lost them)") from exc
                raise transient from exc
            wait = config.retry_wait.total_seconds()
            say(f"attempt {attempt} of {config.attempts} interrupted ({transient.reason}: {transient}); "
                f"trying again in {wait:.0f} s")
            time.sleep(wait)
            continue
        synced = time.monotonic()
        _write_manifest(partial, la, source, extract_date, extracted_at, reads)
        say(f"  files synced to disk and manifest.json written in {time.monotonic() - synced:.2f} s")
        if final.exists():
            shutil.rmtree(final)  # a folder without its manifest: an incomplete delivery
        partial.rename(final)
        _fsync_dir(final.parent)
        say(f"extract complete: {final} ({sum(r.rows for r in reads):,} rows, attempt {attempt})")
        return ExtractResult(la.code, extract_date, final, "extracted", f"{len(reads)} tables read from "
                             f"{source.redacted} in one snapshot", reads, attempt)


@contextmanager
def _extract_lock(la_landing: Path) -> Iterator[Path]:
    """One extract per LA landing folder at a time (a file lock, released by the kernel if the process dies); stale
    partial folders of killed extracts are cleared once it is held."""
    partial_root = la_landing / PARTIAL_DIR
    partial_root.mkdir(parents=True, exist_ok=True)
    with (partial_root / "lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        for stale in partial_root.iterdir():
            if stale.is_dir():
                log.warning("removing %s, left by an extract that did not finish", stale)
                shutil.rmtree(stale, ignore_errors=True)
        try:
            yield partial_root
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _wait_until_ready(config: SourceDatabase, source: SourceUrl, say) -> None:
    if not config.ready_query:
        return
    give_up = time.monotonic() + config.ready_wait.total_seconds()
    while True:
        ready = _run_scalar(source, config.ready_query)
        if ready:
            say("the source says tonight's SSD rebuild has finished")
            return
        if time.monotonic() >= give_up:
            raise SourceTransient("not_ready", f"the SSD rebuild had not finished after waiting "
                                               f"{config.ready_wait} (ready_query returned {ready!r})")
        say(f"the SSD rebuild has not finished (ready_query returned {ready!r}); checking again in "
            f"{config.ready_poll.total_seconds():.0f} s")
        time.sleep(config.ready_poll.total_seconds())


def _run_scalar(source: SourceUrl, query: str):
    if source.kind == "postgresql":
        import psycopg

        with psycopg.connect(source.psycopg_conninfo(), autocommit=True) as conn:
            row = conn.execute(query).fetchone()
    else:
        from sqlalchemy import create_engine, text

        engine = create_engine(source.sqlalchemy_url())
        try:
            with engine.connect() as conn:
                row = conn.execute(text(query)).fetchone()
        finally:
            engine.dispose()
    return row[0] if row else None


def _present_columns(rows: list[tuple[str, str]], tables: list[Table], kind: str) -> dict[str, list[str]]:
    """Each table's contract columns the source has; refuses missing tables and missing required columns.

    An optional table (``optional: true`` in the contract: the HR views, the SSD tables only the returns use) that
    the source does not have is left out: the loader loads it as empty, with a notice."""
    found: dict[str, set[str]] = {}
    for table_name, column_name in rows:
        found.setdefault(str(table_name).lower(), set()).add(str(column_name).lower())
    missing = [t.name for t in tables if t.name not in found and not t.optional]
    if missing:
        hint = (" Mosaic builds its SSD in ## temporary tables, which vanish with the session that built them: the "
                "LA must persist them as permanent tables (README, \"Mosaic\")." if kind == "mssql" else "")
        raise SourceRefused("missing_tables", f"the source has no table or view {', '.join(missing)}.{hint}")
    columns = {}
    for t in tables:
        if t.name not in found:
            continue  # optional, and not in this source
        absent = [c for c in t.required_columns if c not in found[t.name]]
        if absent:
            raise SourceRefused("missing_columns", f"{t.name} in the source has no column {', '.join(absent)} "
                                                   "(required by the extract contract)")
        columns[t.name] = [c for c in t.column_names if c in found[t.name]]
    return columns


def _read_snapshot(source: SourceUrl, config: SourceDatabase, tables: list[Table], folder: Path,
                   say) -> tuple[datetime, list[TableRead]]:
    if source.kind == "postgresql":
        return _read_postgres(source, config.db_schema, tables, folder, say, config.parallel)
    return _read_mssql(source, config.db_schema, tables, folder, say)


def _read_postgres(source: SourceUrl, schema: str | None, tables: list[Table], folder: Path, say,
                   parallel: int = 2) -> tuple[datetime, list[TableRead]]:
    """COPY TO STDOUT of every table, all in one snapshot, over ``parallel`` connections.

    The first connection opens a REPEATABLE READ READ ONLY transaction and exports its snapshot
    (``pg_export_snapshot()``); the others adopt it (``SET TRANSACTION SNAPSHOT``), so every table is read as of the
    same moment while the server formats two tables at once. Each connection streams through psycopg2's
    ``copy_expert``, whose C loop hands each row to a buffered pipe without Python code per row (psycopg 3's COPY
    iterator runs Python per row: about twice psql's time on the county extract); a thread per file reads the pipe
    a megabyte at a time, hashes and writes it.
    """
    import queue

    import psycopg2

    conninfo = source.psycopg_conninfo()
    connections = [psycopg2.connect(conninfo, application_name="csc extract")]
    try:
        first = connections[0]
        first.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with first.cursor() as cur:
            cur.execute("select now(), pg_export_snapshot()")  # the snapshot starts with this statement
            now, snapshot = cur.fetchone()
            extracted_at = now.astimezone(UTC)
            cur.execute(compile_sql(columns_query("postgresql", schema, [t.name for t in tables]), "postgresql"))
            present = _present_columns(cur.fetchall(), tables, "postgresql")
            tables = [t for t in tables if t.name in present]
        for _ in range(max(1, min(parallel, len(tables))) - 1):
            conn = psycopg2.connect(conninfo, application_name="csc extract")
            conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
            with conn.cursor() as cur:
                cur.execute("set transaction snapshot %s", (snapshot,))
            connections.append(conn)
        pending: queue.SimpleQueue[Table] = queue.SimpleQueue()
        for t in tables:
            pending.put(t)
        done: dict[str, TableRead] = {}
        failures: list[BaseException] = []

        def read_tables(conn) -> None:
            with conn.cursor() as cur:
                while not failures:
                    try:
                        t = pending.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        started = time.monotonic()
                        with _HashingPipe(folder / t.file_name) as sink:
                            cur.copy_expert(copy_statement(t.name, present[t.name], schema), sink.writer)
                        read = TableRead(t.name, _qualified(schema, t.name), cur.rowcount, sink.size, sink.sha256,
                                         round(time.monotonic() - started, 3))
                    except BaseException as exc:
                        failures.append(exc)
                        return
                    done[t.name] = read
                    say(f"  {t.name:<28} {read.rows:>10,} rows {read.bytes / 1e6:>9.1f} MB {read.seconds:7.2f} s")

        workers = [threading.Thread(target=read_tables, args=(conn,), name="csc-extract-reader", daemon=True)
                   for conn in connections[1:]]
        for worker in workers:
            worker.start()
        read_tables(first)
        for worker in workers:
            worker.join()
        if failures:
            raise failures[0]
        for conn in connections:
            conn.rollback()  # read only: nothing to commit
    finally:
        for conn in connections:
            conn.close()
    return extracted_at, [done[t.name] for t in tables]


class _HashingPipe:
    """A buffered pipe (``writer``) whose bytes a thread hashes and writes to ``path``, a megabyte at a time."""

    def __init__(self, path: Path) -> None:
        read_end, write_end = os.pipe()
        with contextlib.suppress(OSError):  # the default pipe size (64 KiB) only costs more wake-ups
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, CHUNK)
        self.path = path
        self.writer = open(write_end, "wb", buffering=CHUNK)  # noqa: SIM115 (closed by __exit__)
        self._reader = open(read_end, "rb", buffering=0)  # noqa: SIM115 (closed by the thread)
        self._digest = hashlib.sha256()
        self.size = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name=f"csc-extract-{path.stem}", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        try:
            with self._reader, self.path.open("wb", buffering=0) as out:
                while count := self._reader.readinto(buffer):
                    if self._error is None:
                        try:
                            self._digest.update(view[:count])
                            out.write(view[:count])
                            self.size += count
                        except BaseException as exc:  # keep draining: the COPY must not block on a full pipe
                            self._error = exc
        except BaseException as exc:
            self._error = self._error or exc

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def __enter__(self) -> _HashingPipe:
        return self

    def __exit__(self, *exc_info) -> None:
        self.writer.close()
        self._thread.join()
        if self._error is not None and exc_info[0] is None:
            raise self._error


def _read_mssql(source: SourceUrl, schema: str | None, tables: list[Table], folder: Path,
                say) -> tuple[datetime, list[TableRead]]:
    from sqlalchemy import create_engine

    engine = create_engine(source.sqlalchemy_url(), isolation_level="SNAPSHOT")
    try:
        with engine.connect() as conn, conn.begin():
            extracted_at = datetime.now(UTC)
            present = _present_columns(list(conn.execute(columns_query("mssql", schema, [t.name for t in tables]))),
                                       tables, "mssql")
            tables = [t for t in tables if t.name in present]
            reads = []
            for t in tables:
                started = time.monotonic()
                columns = present[t.name]
                result = conn.execution_options(stream_results=True, yield_per=MSSQL_BATCH_ROWS).execute(
                    table_select(t.name, columns, schema))
                writer = _HashingWriter(folder / t.file_name)
                with writer:
                    text = io.StringIO()
                    rows_csv = csv.writer(text, lineterminator="\n")
                    rows_csv.writerow(columns)
                    rows = 0
                    for batch in result.partitions():
                        rows_csv.writerows([_text(v) for v in row] for row in batch)
                        rows += len(batch)
                        writer.write(text.getvalue().encode("utf-8"))
                        text.seek(0)
                        text.truncate()
                    writer.write(text.getvalue().encode("utf-8"))
                reads.append(TableRead(t.name, _qualified(schema, t.name), rows, writer.size, writer.sha256,
                                       round(time.monotonic() - started, 3)))
                say(f"  {t.name:<28} {rows:>10,} rows {writer.size / 1e6:>9.1f} MB {reads[-1].seconds:7.2f} s")
    finally:
        engine.dispose()
    return extracted_at, reads


def _text(value) -> str | None:
    """A SQL Server value as the extract writes it: dates ISO (``2024-12-10 00:00:00``), NULL as an empty field."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, Decimal | float):
        return format(value, "f") if isinstance(value, Decimal) else repr(value)
    return str(value)


class _HashingWriter:
    def __init__(self, path: Path) -> None:
        self.handle = path.open("wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.handle.write(data)
        self.size += len(data)

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()

    def __enter__(self) -> _HashingWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def _qualified(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


def _write_manifest(folder: Path, la: LocalAuthority, source: SourceUrl, extract_date: date, extracted_at: datetime,
                    reads: list[TableRead]) -> None:
    """manifest.json, written last (through a temporary name), the format every extract has."""
    for read in reads:
        with (folder / f"{read.table}.csv").open("rb") as handle:
            os.fsync(handle.fileno())
    document = {
        "la_code": la.code, "la_name": la.name, "extract_date": extract_date.isoformat(),
        "extracted_at": extracted_at.isoformat(),
        "source_system": f"{source.kind} database ({source.url.host or 'local'}/{source.url.database or ''})",
        "files": [{"name": f"{r.table}.csv", "table": r.table, "rows": r.rows, "bytes": r.bytes, "sha256": r.sha256}
                  for r in reads],
    }
    partial = folder / "manifest.json.part"
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    partial.rename(folder / "manifest.json")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- records in ops ---------------------------------------------------------------------------------------------
def previous_rows(settings: Settings, la_code: str, extract_date: date) -> dict[str, int]:
    """Rows per table of the LA's latest extract loaded before ``extract_date`` (whatever way it arrived)."""
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    with connect(settings, role=LOADER) as conn:
        rows = conn.execute(
            "select f.table_name, f.rows_loaded from ops.file_loads f where f.batch_id = ("
            " select b.batch_id from ops.extract_batches b where b.la_code = %s and b.extract_date < %s"
            " and b.status in ('loaded', 'checked', 'blocked', 'published', 'superseded')"
            " order by b.extract_date desc, b.extracted_at desc limit 1)", (la_code, extract_date)).fetchall()
    return {table: int(count or 0) for table, count in rows}


def _record_start(settings: Settings, la_code: str, extract_date: date, kind: str) -> int:
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    with connect(settings, role=LOADER) as conn:
        # We hold the LA's extract lock: an extract of this LA still 'running' was killed.
        conn.execute("update ops.source_extracts set status = 'interrupted', finished_at = now() "
                     "where la_code = %s and status = 'running'", (la_code,))
        return conn.execute("insert into ops.source_extracts (la_code, extract_date, source_kind) "
                            "values (%s, %s, %s) returning extract_id", (la_code, extract_date, kind)).fetchone()[0]


def _record_end(settings: Settings, extract_id: int, status: str, folder: Path | None, reads: list[TableRead],
                **detail) -> None:
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    try:
        with connect(settings, role=LOADER) as conn:
            conn.execute("update ops.source_extracts set status = %s, finished_at = now(), folder = %s, "
                         "attempts = coalesce(%s, attempts), detail = %s::jsonb where extract_id = %s",
                         (status, str(folder) if folder else None, detail.get("attempts"),
                          json.dumps(detail, default=str), extract_id))
            with conn.cursor() as cur:
                cur.executemany("insert into ops.source_extract_tables (extract_id, table_name, source_name, rows, "
                                "bytes, seconds) values (%s, %s, %s, %s, %s, %s)",
                                [(extract_id, r.table, r.source_name, r.rows, r.bytes, r.seconds) for r in reads])
    except Exception:
        if status == "complete":
            raise
        log.exception("could not record the outcome of source extract %s", extract_id)
