"""``csc publish``: make the latest successful build visible to BI in one transaction.

The build wrote every BI-facing relation into shadow schemas (``marts__next``, ``casework__next``) with its
grants and row-level security already in place. Publication, acting as ``csc_transformer``, then in a single
transaction:

1. checks that the latest build succeeded, is not published yet and was built from the batches that are still the
   ones to build (``ops.build_batches``), and that every model it built is in the shadow schemas;
2. drops the relations it replaces in ``marts`` / ``casework`` and moves the new ones in (``ALTER ... SET
   SCHEMA``; relations keep their grants and policies);
3. marks each built candidate batch ``published`` and the LA's previously published batch ``superseded``
   (``csc.batches.mark_published``).

A BI query sees either the previous marts or the new ones: the swap waits for queries already reading the old
relations, and queries arriving meanwhile wait for it and then read the new ones. If anything fails, the
transaction rolls back and the previous marts stay published.

A reader cannot stop publication (security finding 6): the swap takes its locks with a lock timeout, and when a
session of a BI or casework login holds a lock on a relation to swap past that timeout, publication ends that
session (``ops.end_reader_sessions_locking``) and tries again. The build lock is a row lock on
``ops.pipeline_locks`` (``csc.warehouse.locks``) that no reader can take.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from csc import batches
from csc.batches import BatchStatus
from csc.settings import Settings, get_settings
from csc.transform.build import published_schemas
from csc.warehouse import locks
from csc.warehouse.bootstrap import TRANSFORMER
from csc.warehouse.connection import connect

log = logging.getLogger(__name__)

RELATION_KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view"}


class PublicationRefused(RuntimeError):
    """The latest build cannot be published (failed, stale, or incomplete); the previous marts stay published."""


@dataclass
class PublishResult:
    build_id: int
    published: bool
    relations: dict[str, list[str]] = field(default_factory=dict)  # schema -> relation names swapped in
    published_batches: list[int] = field(default_factory=list)
    superseded_batches: list[int] = field(default_factory=list)
    message: str = ""


def publish(
    settings: Settings | None = None,
    *,
    build_id: int | None = None,
    batch_id: int | None = None,
    lock_timeout: str = "10s",
) -> PublishResult:
    """Publish the latest successful build (``build_id`` and ``batch_id``, when given, must match it).

    Idempotent: publishing an already published build does nothing. ``lock_timeout`` bounds how long the swap
    waits for BI queries still reading the previous relations before it ends the BI and casework sessions holding
    them; a session of anyone else still blocking after a few rounds makes it give up (nothing changes then).
    """
    settings = settings or get_settings()
    with connect(settings, role=TRANSFORMER, application="csc publish") as conn:
        locks.take(conn, locks.BUILD)
        build = _latest_build(conn)
        if build is None:
            raise PublicationRefused("No dbt build is recorded on this warehouse: run `csc build` first.")
        if build_id is not None and build_id != build["build_id"]:
            raise PublicationRefused(
                f"Build {build_id} is not the latest build ({build['build_id']}); only the latest can be published.")
        if build["published_at"] is not None:
            return PublishResult(build_id=build["build_id"], published=False,
                                 message=f"build {build['build_id']} is already published")
        if not build["builds_every_model"]:
            raise PublicationRefused(
                f"The latest build ({build['build_id']}) built only part of the warehouse ({build['selection']}): "
                "run a full `csc build` before publishing.")
        if build["status"] != "success":
            raise PublicationRefused(
                f"The latest build ({build['build_id']}) is {build['status']}: nothing to publish; the previous "
                "marts stay published.")
        built = {b["la_code"]: b["batch_id"] for b in build["batches"]}
        if batch_id is not None and batch_id not in built.values():
            raise PublicationRefused(f"Batch {batch_id} is not among the batches build {build['build_id']} built "
                                     f"({sorted(built.values())}).")
        current = dict(conn.execute("select la_code, batch_id from ops.build_batches").fetchall())
        if current != built:
            raise PublicationRefused(
                f"The batches to build changed since build {build['build_id']} (built {built}, now {current}): "
                "run `csc build` again.")

        suffix = build["publication_suffix"]
        expected = _built_relations(conn, build["build_id"])
        result = PublishResult(build_id=build["build_id"], published=True)
        conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(lock_timeout)))
        swaps = []
        for schema in published_schemas(settings):
            shadow = f"{schema}{suffix}"
            new = _relations(conn, shadow)
            missing = sorted(expected.get(shadow, set()) - set(new))
            if missing:
                raise PublicationRefused(f"Build {build['build_id']} is incomplete: {shadow} lacks "
                                         f"{', '.join(missing)}; the previous marts stay published.")
            swaps.append((schema, shadow, new))
        _lock_for_swap(conn, [(schema, _relations(conn, schema, owner=TRANSFORMER)) for schema, _, _ in swaps]
                       + [(shadow, new) for _, shadow, new in swaps])
        for schema, shadow, new in swaps:
            _swap(conn, schema, shadow, new)
            result.relations[schema] = sorted(new)

        for candidate in built.values():
            if batches.status_of(conn, candidate) == BatchStatus.CHECKED:  # else: the LA's published batch
                result.superseded_batches += batches.mark_published(conn, candidate)
                result.published_batches.append(candidate)
        conn.execute("update ops.dbt_builds set published_at = now() where build_id = %s", (build["build_id"],))
        conn.commit()

        for schema in published_schemas(settings):
            conn.execute(sql.SQL("drop schema if exists {}").format(sql.Identifier(f"{schema}{suffix}")))
        conn.commit()
    result.message = (f"published build {result.build_id}: "
                      + ", ".join(f"{len(v)} relations in {k}" for k, v in result.relations.items())
                      + (f"; batches published {result.published_batches}" if result.published_batches else "")
                      + (f", superseded {result.superseded_batches}" if result.superseded_batches else ""))
    log.info(result.message)
    return result


def _latest_build(conn: psycopg.Connection) -> dict[str, Any] | None:
    row = conn.execute(
        "select build_id, status, publication_suffix, batches, published_at, builds_every_model, selection "
        "from ops.dbt_builds order by build_id desc limit 1 for update").fetchone()
    if row is None:
        return None
    return dict(zip(("build_id", "status", "publication_suffix", "batches", "published_at", "builds_every_model",
                     "selection"), row, strict=True))


def _built_relations(conn: psycopg.Connection, build_id: int) -> dict[str, set[str]]:
    """schema -> relation names of the models the build reported as built."""
    expected: dict[str, set[str]] = {}
    for (relation,) in conn.execute(
            "select relation from ops.dbt_model_runs where build_id = %s and resource_type = 'model' "
            "and status = 'success' and relation is not null", (build_id,)):
        schema, _, name = relation.replace('"', "").rpartition(".")
        expected.setdefault(schema.rpartition(".")[2], set()).add(name)
    return expected


def _relations(conn: psycopg.Connection, schema: str, owner: str | None = None) -> dict[str, str]:
    """name -> kind of the tables and views of a schema (optionally only those a role owns)."""
    rows = conn.execute(
        "select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') "
        "and (%s::text is null or pg_get_userbyid(c.relowner) = %s)",
        (schema, owner, owner)).fetchall()
    return {name: RELATION_KINDS[kind] for name, kind in rows}


def _swap(conn: psycopg.Connection, schema: str, shadow: str, new: dict[str, str]) -> None:
    """Replace what dbt owns in ``schema`` with the relations of ``shadow`` (same transaction as the caller)."""
    old = _relations(conn, schema, owner=TRANSFORMER)
    # Views first: they may read tables of the same schema.
    for name, kind in sorted(old.items(), key=lambda item: item[1] != "view"):
        conn.execute(sql.SQL("drop {} {}.{}").format(sql.SQL(kind), sql.Identifier(schema), sql.Identifier(name)))
    for name, kind in new.items():
        conn.execute(sql.SQL("alter {} {}.{} set schema {}").format(
            sql.SQL(kind), sql.Identifier(shadow), sql.Identifier(name), sql.Identifier(schema)))


LOCK_ROUNDS = 5


def _lock_for_swap(conn: psycopg.Connection, relations: list[tuple[str, dict[str, str]]]) -> None:
    """Lock every relation the swap drops or moves, ending the reader sessions that hold them past the lock timeout.

    Readers (members of bi_reader or csc_casework) can hold no more than ACCESS SHARE on what they may read, but
    that is enough to block the swap for as long as they keep a transaction open, and a reader may SET any timeout.
    """
    names = [sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))
             for schema, found in relations for name, kind in sorted(found.items()) if kind in ("table", "view")]
    if not names:
        return
    qualified = [name.as_string(conn) for name in names]
    statement = sql.SQL("lock table {} in access exclusive mode").format(sql.SQL(", ").join(names))
    for attempt in range(1, LOCK_ROUNDS + 1):
        try:
            with conn.transaction():  # a savepoint: a lock timeout rolls back only this attempt
                conn.execute(statement)
            return
        except psycopg.errors.LockNotAvailable:
            ended = conn.execute("select ops.end_reader_sessions_locking(array(select to_regclass(n)::oid "
                                 "from unnest(%s::text[]) as n))", (qualified,)).fetchone()[0]
            log.warning("publication: the swap's locks are held by other sessions (attempt %s of %s); ended %s "
                        "BI or casework session(s) holding them", attempt, LOCK_ROUNDS, ended)
    blockers = conn.execute(
        "select distinct a.pid, a.usename, a.application_name from pg_locks l join pg_stat_activity a "
        "on a.pid = l.pid where l.locktype = 'relation' and l.granted and l.pid <> pg_backend_pid() and "
        "l.relation = any(array(select to_regclass(n)::oid from unnest(%s::text[]) as n)) order by 1",
        (qualified,)).fetchall()
    raise PublicationRefused(
        "The swap could not lock the published relations: sessions that are not BI or casework readers hold them "
        f"({', '.join(f'pid {pid} user {user} {app!r}' for pid, user, app in blockers) or 'none left'}); the "
        "previous marts stay published. Try again once they are done.")
