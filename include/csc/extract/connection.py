"""Where an LA's source database is: a URL given on the command line, or the Airflow connection named in
``config/las.yml`` (``source: {connection: csc_ssd_999}``), from ``AIRFLOW_CONN_CSC_SSD_999`` or Airflow's
metadata database. The credentials stay in the connection: nothing here writes or logs a password.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import URL, make_url

from csc.extract.errors import SourceRefused

SourceKind = Literal["postgresql", "mssql"]

# The SQL Server driver: pymssql (README, "Reading the SSD from the LA's reporting database", says why).
MSSQL_DRIVER = "mssql+pymssql"
POSTGRES_DRIVER = "postgresql+psycopg"
_CONN_TYPES = {"postgres": POSTGRES_DRIVER, "postgresql": POSTGRES_DRIVER, "mssql": MSSQL_DRIVER}


@dataclass(frozen=True)
class SourceUrl:
    url: URL

    @property
    def kind(self) -> SourceKind:
        backend = self.url.get_backend_name()
        if backend in ("postgresql", "postgres"):
            return "postgresql"
        if backend == "mssql":
            return "mssql"
        raise SourceRefused("bad_source", f"source {self.redacted}: only PostgreSQL (postgresql://) and SQL Server "
                                          f"(mssql+pymssql://) sources are supported")

    @property
    def redacted(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def psycopg_conninfo(self) -> str:
        """libpq connection string of a PostgreSQL source."""
        from psycopg.conninfo import make_conninfo

        u = self.url
        params = {"host": u.host, "port": u.port, "user": u.username, "password": u.password, "dbname": u.database}
        params.update({k: v for k, v in u.query.items() if isinstance(v, str)})
        return make_conninfo(**{k: v for k, v in params.items() if v is not None})

    def sqlalchemy_url(self) -> URL:
        """The URL with its driver: a bare ``mssql://`` means pymssql."""
        if self.url.drivername in ("mssql", "sqlserver"):
            return self.url.set(drivername=MSSQL_DRIVER)
        if self.url.drivername in ("postgres", "postgresql"):
            return self.url.set(drivername=POSTGRES_DRIVER)
        return self.url


def parse_source_url(text: str) -> SourceUrl:
    try:
        url = make_url(text)
    except Exception as exc:
        raise SourceRefused("bad_source", f"not a database URL: {type(exc).__name__}") from None
    source = SourceUrl(url)
    source.kind  # noqa: B018 (refuses an unsupported database at once)
    return source


@dataclass(frozen=True)
class _Connection:
    """The fields of an Airflow connection that make a database URL."""

    conn_type: str | None
    host: str | None = None
    login: str | None = None
    password: str | None = None
    port: int | None = None
    schema: str | None = None
    extra: dict | None = None


def _from_environment(value: str) -> _Connection:
    """``AIRFLOW_CONN_<ID>`` as Airflow reads it: its JSON form, or its URI form (``conn-type://login:password@host:
    port/schema?extra=value``, every part percent-encoded, or all extras as JSON in ``__extra__``). Read here
    without importing Airflow, whose import alone takes seconds."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    value = value.strip()
    if value.startswith("{"):
        document = json.loads(value)
        extra = document.get("extra") or {}
        return _Connection(document.get("conn_type"), document.get("host"), document.get("login"),
                           document.get("password"), int(document["port"]) if document.get("port") else None,
                           document.get("schema"), json.loads(extra) if isinstance(extra, str) else extra)
    parts = urlsplit(value)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    extra = json.loads(query["__extra__"]) if "__extra__" in query else query
    return _Connection(parts.scheme.replace("-", "_"), unquote(parts.hostname) if parts.hostname else None,
                       unquote(parts.username) if parts.username else None,
                       unquote(parts.password) if parts.password else None, parts.port,
                       unquote(parts.path[1:]) if len(parts.path) > 1 else None, extra)


def _from_airflow(conn_id: str) -> _Connection:
    """The connection from Airflow's secrets backends and metadata database (as created in the Airflow UI)."""
    from airflow.models.connection import Connection

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except Exception as exc:
        if type(exc).__name__ in ("AirflowNotFoundException", "AirflowException"):
            raise SourceRefused("no_source", f"Airflow connection {conn_id!r} is not defined: set "
                                             f"AIRFLOW_CONN_{conn_id.upper()} or create it in the Airflow UI") from None
        raise
    return _Connection(conn.conn_type, conn.host, conn.login, conn.password, conn.port, conn.schema,
                       conn.extra_dejson)


def airflow_connection_url(conn_id: str) -> SourceUrl:
    """The source URL of Airflow connection ``conn_id``: ``AIRFLOW_CONN_<ID>`` (a URI or Airflow's JSON form), else
    Airflow's secrets backends and metadata database (the connection as created in the Airflow UI)."""
    value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    try:
        conn = _from_environment(value) if value is not None else _from_airflow(conn_id)
    except (ValueError, TypeError) as exc:
        raise SourceRefused("bad_source", f"Airflow connection {conn_id!r} cannot be read: "
                                          f"{type(exc).__name__}") from None
    driver = _CONN_TYPES.get((conn.conn_type or "").lower())
    if driver is None:
        raise SourceRefused("bad_source", f"Airflow connection {conn_id!r} is of type {conn.conn_type!r}: a source is "
                                          "'postgres' or 'mssql'")
    extra = {k: str(v) for k, v in (conn.extra or {}).items() if isinstance(v, str | int | bool)}
    url = URL.create(driver, username=conn.login or None, password=conn.password or None, host=conn.host or None,
                     port=conn.port or None, database=conn.schema or None, query=extra)
    return SourceUrl(url)


def resolve_source(la, url: str | None = None) -> SourceUrl:
    """The LA's source: ``url`` if given, else its configured Airflow connection."""
    if url:
        return parse_source_url(url)
    if la.source is None:
        raise SourceRefused("no_source", f"LA {la.code} has no 'source:' in the LA configuration, and no --source URL "
                                         "was given")
    return airflow_connection_url(la.source.connection)
