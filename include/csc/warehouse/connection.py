"""The one way to reach the warehouse: resolve where it is (embedded or ``CSC_WAREHOUSE_URL``) and connect.

Every other piece (loader, checks, dbt profile, Great Expectations, Airflow metadata database) gets its connection
parameters from :func:`resolve_target`, so there is exactly one place that knows how to reach the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from csc.settings import Settings, get_settings
from csc.warehouse.embedded import EmbeddedServer


@dataclass(frozen=True)
class Target:
    """Connection parameters of the warehouse database (host may be a Unix-socket folder)."""

    host: str
    port: int
    user: str
    dbname: str
    password: str | None = None
    embedded: bool = False

    def for_database(self, dbname: str) -> Target:
        return replace(self, dbname=dbname)

    def conninfo(self, **extra: str) -> str:
        params = {"host": self.host, "port": str(self.port), "user": self.user, "dbname": self.dbname}
        if self.password:
            params["password"] = self.password
        params.update(extra)
        return make_conninfo(**params)

    def sqlalchemy_url(self, driver: str = "psycopg2") -> str:
        """An SQLAlchemy URL. A socket host goes in the query string, as libpq expects."""
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        if self.host.startswith("/"):
            return f"postgresql+{driver}://{auth}@localhost:{self.port}/{self.dbname}?host={self.host}"
        return f"postgresql+{driver}://{auth}@{self.host}:{self.port}/{self.dbname}"

    def display(self) -> str:
        """Where the warehouse is, without the password: safe to print and log."""
        where = f"socket {self.host}" if self.host.startswith("/") else f"{self.host}:{self.port}"
        return f"postgresql://{self.user}@{where}/{self.dbname}"


def resolve_target(settings: Settings | None = None, *, start: bool = True) -> Target:
    """Where the warehouse database is. In embedded mode, start the server first if it is not running."""
    settings = settings or get_settings()
    if settings.warehouse_url is not None:
        params = conninfo_to_dict(settings.warehouse_url.get_secret_value())
        return Target(
            host=params.get("host") or "localhost",
            port=int(params.get("port") or 5432),
            user=params.get("user") or "postgres",
            dbname=params.get("dbname") or "postgres",
            password=params.get("password"),
        )
    server = EmbeddedServer(settings.pgdata)
    status = server.start(settings.warehouse_tcp_port) if start else server.status()
    if not status.running:
        raise RuntimeError(f"The embedded warehouse is not running (data folder {settings.pgdata}); "
                           "run `csc warehouse start`.")
    return Target(host=str(status.socket_dir), port=status.port or 5432, user="postgres",
                  dbname=settings.warehouse_database, embedded=True)


@contextmanager
def connect(
    settings: Settings | None = None,
    *,
    role: str | None = None,
    autocommit: bool = False,
    target: Target | None = None,
    application: str = "csc",
) -> Iterator[psycopg.Connection]:
    """A connection to the warehouse, acting as ``role`` (``SET ROLE``) when given.

    Pipeline steps act as their own role (``csc_loader``, ``csc_transformer``...) so that the privileges of
    DESIGN.md section 3 are enforced whoever the configured login is.
    """
    target = target or resolve_target(settings)
    with psycopg.connect(target.conninfo(application_name=application), autocommit=autocommit) as conn:
        if role:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
            if not autocommit:
                conn.commit()
        yield conn
