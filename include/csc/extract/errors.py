"""How an extract from a source database fails: refused (another attempt would find the same), or transient (a
rebuild interfered, the connection was lost, a deadlock or a timeout: worth retrying, and the nightly task does)."""

from __future__ import annotations


class SourceRefused(RuntimeError):
    """The source cannot give tonight's extract as it is: tables missing, a table empty that was not, no source
    configured. ``reason`` is a short code (``missing_tables``, ``empty_table``, ``no_source``...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class SourceTransient(ConnectionError):
    """Worth another attempt later: the connection was lost, the session was a deadlock victim or timed out, the
    SSD rebuild interfered with the snapshot or has not finished. A ``ConnectionError``, so the nightly task's retry
    policy (``csc.orchestration.failures.is_transient``) retries it with backoff."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# SQL Server error numbers worth another attempt: 3961 snapshot isolation transaction failed because a table it
# reads was altered (the nightly TRUNCATE); 1205 deadlock victim; 1222 lock request time out; connection errors of
# the TDS library (20003 timeout, 20006 write, 20009 unreachable, 20017 unexpected EOF, 20047 DBPROCESS dead).
MSSQL_TRANSIENT = {3961: "rebuild_interfered", 1205: "deadlock_victim", 1222: "lock_timeout", 20003: "timeout",
                   20006: "connection_lost", 20009: "connection_lost", 20017: "connection_lost",
                   20047: "connection_lost", 3960: "rebuild_interfered"}


def classify(exc: BaseException) -> SourceTransient | None:
    """The transient error ``exc`` is, if it is one (lost connection, deadlock victim, timeout, rebuild)."""
    import psycopg
    import psycopg2
    from psycopg import errors as pg
    from psycopg2 import errors as pg2

    seen: set[int] = set()
    item: BaseException | None = exc
    while item is not None and id(item) not in seen:
        seen.add(id(item))
        if isinstance(item, SourceTransient):
            return item
        if isinstance(item, pg.DeadlockDetected | pg.SerializationFailure | pg2.DeadlockDetected
                      | pg2.SerializationFailure):
            return SourceTransient("deadlock_victim", f"the source chose this session as a deadlock victim: {item}")
        if isinstance(item, pg.QueryCanceled | pg.LockNotAvailable | pg2.QueryCanceled | pg2.LockNotAvailable):
            return SourceTransient("timeout", f"the source timed out: {item}")
        if isinstance(item, pg.UndefinedTable | pg2.UndefinedTable) and "relation" in str(item):
            return SourceTransient("rebuild_interfered", f"a table went away during the extract (a rebuild "
                                                         f"dropping and recreating it): {item}")
        if isinstance(item, psycopg.OperationalError | psycopg.InterfaceError | psycopg2.OperationalError
                      | psycopg2.InterfaceError):
            return SourceTransient("connection_lost", f"the connection to the source was lost: {item}")
        number = _mssql_number(item)
        if number in MSSQL_TRANSIENT:
            return SourceTransient(MSSQL_TRANSIENT[number], f"SQL Server error {number}: {_mssql_text(item)}")
        if type(item).__name__ in ("OperationalError", "InterfaceError") and type(item).__module__.startswith(
                ("pymssql", "_mssql", "sqlalchemy")) and number is None:
            return SourceTransient("connection_lost", f"the connection to the source was lost: {item}")
        if isinstance(item, TimeoutError | ConnectionError):
            return SourceTransient("connection_lost", str(item))
        item = getattr(item, "orig", None) or item.__cause__ or item.__context__
    return None


def _mssql_number(exc: BaseException) -> int | None:
    number = getattr(exc, "number", None)
    if isinstance(number, int):
        return number
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    if args and isinstance(args[0], tuple) and args[0] and isinstance(args[0][0], int):
        return args[0][0]
    return None


def _mssql_text(exc: BaseException) -> str:
    args = getattr(exc, "args", ())
    if len(args) > 1 and isinstance(args[1], bytes):
        return args[1].decode("utf-8", "replace").strip()
    return str(exc)
