"""The pipeline's locks: row locks on ``ops.pipeline_locks``, which no BI or casework session can take or hold.

Advisory locks would do the same job, but every session may take any advisory lock: a BI login holding the
pipeline's keys stopped builds, publication, init and loads (security finding 6). Locking a row ``FOR UPDATE``
needs the UPDATE privilege on ``ops.pipeline_locks``, which only the pipeline roles have.

A lock is held until the end of the transaction that took it: take it on a connection that keeps its transaction
open (not autocommit) for as long as the work lasts; closing the connection releases it.
"""

from __future__ import annotations

import psycopg

INIT = "init"
BUILD = "build"  # dbt builds and publication


def load_lock_name(la_code: str) -> str:
    return f"load:{la_code}"


def ensure_lock_row(conn: psycopg.Connection, name: str) -> None:
    """Create the row of a lock (committed at once on an autocommit connection, else with the caller's work)."""
    conn.execute("insert into ops.pipeline_locks (name) values (%s) on conflict do nothing", (name,))


def take(conn: psycopg.Connection, name: str, *, wait: bool = True) -> bool:
    """Lock ``name`` in the connection's current transaction. ``wait=False``: return False at once if it is held."""
    suffix = "" if wait else " skip locked"
    row = conn.execute(f"select name from ops.pipeline_locks where name = %s for update{suffix}", (name,)).fetchone()
    if row is None and wait:
        raise RuntimeError(f"The pipeline lock {name!r} has no row in ops.pipeline_locks: run `csc init`.")
    return row is not None
