"""The batch lifecycle: the one writer of ``ops.extract_batches`` (its rows, its ``status`` and the columns that go
with each change).

Every other module calls a named transition below instead of writing the table itself (a test greps ``include/``
for anything else that does). Readers may select from the table; the status values and the groups they belong to
are defined here once (``BatchStatus``, ``CANDIDATE``, ``EVER_PUBLISHED``, ...).

```
loading -> loaded -> checked -> published -> superseded   (a later batch of the LA was published)
                  -> blocked                              (a blocking data-quality rule failed: never published)
loaded | checked | blocked -> replaced                    (a newer or corrected extract of the LA was loaded
                                                           before this candidate was published)
refused   (the extract could not be loaded losslessly; quarantined; no raw rows)
failed    (an unexpected error while loading)
```

``superseded`` means the batch *was* published; ``replaced`` means it never was. Only ``published`` and
``superseded`` batches count as published anywhere (freshness, backfill's "night done", the daily history).

Each transition takes the caller's connection (so it joins the caller's transaction) and checks the from-state: a
batch not in a state the transition allows raises ``BatchTransitionError`` and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


class BatchStatus(StrEnum):
    LOADING = "loading"
    LOADED = "loaded"
    CHECKED = "checked"
    BLOCKED = "blocked"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    REPLACED = "replaced"
    REFUSED = "refused"
    FAILED = "failed"


S = BatchStatus
#: a candidate: loaded and not yet published (raw holds its rows); at most one per LA
CANDIDATE: tuple[BatchStatus, ...] = (S.LOADED, S.CHECKED, S.BLOCKED)
#: published now or earlier (its figures reached BI)
EVER_PUBLISHED: tuple[BatchStatus, ...] = (S.PUBLISHED, S.SUPERSEDED)
#: raw rows are there to check
CHECKABLE: tuple[BatchStatus, ...] = (*CANDIDATE, S.PUBLISHED)
#: the extract is loaded (or being loaded) and stands: loading it again is a no-op
LIVE: tuple[BatchStatus, ...] = (S.LOADING, *CANDIDATE, *EVER_PUBLISHED)
#: a nightly run finds nothing left to do for the batch (checks, build, publication)
SETTLED: tuple[BatchStatus, ...] = (*EVER_PUBLISHED, S.REPLACED)

#: the from-states each transition allows
TRANSITIONS: dict[str, tuple[tuple[BatchStatus, ...], tuple[BatchStatus, ...]]] = {
    "loaded": ((S.LOADING,), (S.LOADED,)),
    "checked": ((*CANDIDATE,), (S.CHECKED,)),
    "blocked": ((*CANDIDATE,), (S.BLOCKED,)),
    "published": ((S.CHECKED,), (S.PUBLISHED,)),
    "superseded": ((S.PUBLISHED,), (S.SUPERSEDED,)),
    "replaced": ((*CANDIDATE,), (S.REPLACED,)),
}


class BatchTransitionError(RuntimeError):
    """A batch is not in a state from which the transition is allowed (nothing was changed)."""


def _text(values) -> list[str]:
    return [str(v) for v in values]


def _transition(conn: psycopg.Connection, name: str, batch_id: int, assignments: str,
                params: tuple = ()) -> None:
    allowed, (to,) = TRANSITIONS[name]
    row = conn.execute(
        f"update ops.extract_batches set status = %s, {assignments} "  # noqa: S608 - assignments are ours
        "where batch_id = %s and status = any(%s) returning batch_id",
        (to.value, *params, batch_id, _text(allowed))).fetchone()
    if row is None:
        current = conn.execute("select status from ops.extract_batches where batch_id = %s", (batch_id,)).fetchone()
        state = f"is {current[0]}" if current else "is not recorded in ops.extract_batches"
        raise BatchTransitionError(f"batch {batch_id} {state}: it cannot become {to} (only a batch that is "
                                   f"{' or '.join(allowed)} can)")


# --- new batches ---------------------------------------------------------------------------------------------------
def _insert(conn: psycopg.Connection, status: BatchStatus, manifest: Any, landing_path: str, received_at: datetime,
            reason: str | None = None) -> int:
    return conn.execute(
        "insert into ops.extract_batches (la_code, la_name, extract_date, extracted_at, source_system, "
        "ssd_version, content_sha256, landing_path, status, status_reason, manifest, received_at, source_kind) "
        "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning batch_id",
        (manifest.la_code, manifest.la_name, manifest.extract_date, manifest.extracted_at, manifest.source_system,
         manifest.ssd_version, manifest.content_sha256, landing_path, status.value, reason,
         Jsonb(manifest.document), received_at, getattr(manifest, "source_kind", "ssd"))).fetchone()[0]


def register_loading(conn: psycopg.Connection, manifest: Any, landing_path: str, received_at: datetime) -> int:
    """A new batch, ``loading``, for an extract whose manifest was read (``csc.ingest.manifest.Manifest``)."""
    return _insert(conn, S.LOADING, manifest, landing_path, received_at)


def record_refused(conn: psycopg.Connection, manifest: Any, landing_path: str, received_at: datetime,
                   reason: str) -> int:
    """A batch record of an extract refused (it never had raw rows)."""
    return _insert(conn, S.REFUSED, manifest, landing_path, received_at, reason)


def record_failed(conn: psycopg.Connection, manifest: Any, landing_path: str, received_at: datetime,
                  reason: str) -> int:
    """A batch record of a load that stopped on an unexpected error (rolled back: no raw rows)."""
    return _insert(conn, S.FAILED, manifest, landing_path, received_at, reason)


# --- transitions ---------------------------------------------------------------------------------------------------
def mark_loaded(conn: psycopg.Connection, batch_id: int, rows_loaded: int) -> None:
    """loading -> loaded: every file is in raw."""
    _transition(conn, "loaded", batch_id, "rows_loaded = %s, loaded_at = now()", (rows_loaded,))


def mark_checked(conn: psycopg.Connection, batch_id: int) -> None:
    """candidate -> checked: no blocking data-quality rule failed; the batch can be built and published."""
    _transition(conn, "checked", batch_id, "checked_at = now(), status_reason = null")


def mark_blocked(conn: psycopg.Connection, batch_id: int, blocking_rules: list[str] | tuple[str, ...]) -> None:
    """candidate -> blocked: a blocking rule failed; the batch is never published."""
    reason = ("blocked by data-quality rules: " + ", ".join(blocking_rules))[:2000]
    _transition(conn, "blocked", batch_id, "checked_at = now(), status_reason = %s", (reason,))


def mark_published(conn: psycopg.Connection, batch_id: int) -> list[int]:
    """checked -> published, and the LA's previously published batch -> superseded (one transaction: the
    caller's). Returns the batches superseded."""
    _transition(conn, "published", batch_id, "published_at = now()")
    la_code = conn.execute("select la_code from ops.extract_batches where batch_id = %s", (batch_id,)).fetchone()[0]
    return [r[0] for r in conn.execute(
        "update ops.extract_batches set status = %s, superseded_by = coalesce(superseded_by, %s) "
        "where la_code = %s and status = %s and batch_id <> %s returning batch_id",
        (S.SUPERSEDED.value, batch_id, la_code, S.PUBLISHED.value, batch_id)).fetchall()]


def replace_candidates(conn: psycopg.Connection, la_code: str, by_batch_id: int) -> list[int]:
    """Every candidate of the LA -> replaced by ``by_batch_id`` (a newer or corrected extract just inserted).
    Returns the batches replaced, oldest first."""
    return [r[0] for r in conn.execute(
        "update ops.extract_batches set status = %s, superseded_by = %s, "
        "status_reason = 'replaced by batch ' || %s::text || ' (a newer or corrected extract) before publication' "
        "where la_code = %s and status = any(%s) and batch_id <> %s returning batch_id",
        (S.REPLACED.value, by_batch_id, by_batch_id, la_code, _text(CANDIDATE), by_batch_id)).fetchall()]


# --- bookkeeping that goes with the lifecycle (not status) -----------------------------------------------------
def mark_raw_purged(conn: psycopg.Connection, la_code: str) -> list[int]:
    """Retention: the LA's batches whose raw rows must go now (superseded or replaced, not purged yet), stamped
    ``raw_purged_at``; the caller deletes their rows in the same transaction."""
    return [r[0] for r in conn.execute(
        "update ops.extract_batches set raw_purged_at = now() "
        "where la_code = %s and status = any(%s) and raw_purged_at is null returning batch_id",
        (la_code, [S.SUPERSEDED.value, S.REPLACED.value]))]


def set_archive_path(conn: psycopg.Connection, batch_id: int, archive_path: str) -> None:
    conn.execute("update ops.extract_batches set archive_path = %s where batch_id = %s", (archive_path, batch_id))


def set_computed_manifest(conn: psycopg.Connection, batch_id: int, manifest: Any) -> None:
    """An extract without manifest.json: record the manifest the loader computed (sizes, checksums, rows)."""
    conn.execute("update ops.extract_batches set manifest = %s where batch_id = %s", (Jsonb(manifest), batch_id))


def set_source_profile(conn: psycopg.Connection, batch_id: int, profile: str) -> None:
    """The source-system profile (csc.contract.profiles) the batch's extract was loaded with."""
    conn.execute("update ops.extract_batches set source_profile = %s where batch_id = %s", (profile, batch_id))


# --- readers (anyone may also select) ----------------------------------------------------------------------------
def status_of(conn: psycopg.Connection, batch_id: int) -> BatchStatus:
    row = conn.execute("select status from ops.extract_batches where batch_id = %s", (batch_id,)).fetchone()
    if row is None:
        raise KeyError(f"batch {batch_id} is not recorded in ops.extract_batches")
    return BatchStatus(row[0])


def previous_published(conn: psycopg.Connection, la_code: str, batch_id: int) -> int | None:
    """The LA's published batch other than ``batch_id`` (or, when ``batch_id`` is the published one, the latest
    batch it superseded). Replaced candidates were never published and never count."""
    row = conn.execute(
        "select batch_id from ops.extract_batches where la_code = %s and batch_id <> %s and status = any(%s) "
        "order by (status = %s) desc, published_at desc nulls last, batch_id desc limit 1",
        (la_code, batch_id, _text(EVER_PUBLISHED), S.PUBLISHED.value)).fetchone()
    return row[0] if row else None
