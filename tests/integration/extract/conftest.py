"""Fixtures of the source-database tests: an Eclipse-like SSD in its own PostgreSQL database (created on the test
server beside the warehouse), filled by the generator, and an LA whose ``source:`` is that database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target

from source_db_setup import LA, LAST


@dataclass
class Source:
    target: Target
    generated: Path
    settings: Settings

    @property
    def conninfo(self) -> str:
        return self.target.conninfo()

    def airflow_connection(self) -> str:
        """The source as Airflow's JSON connection form (AIRFLOW_CONN_CSC_SSD_901): no URL can hold a socket path."""
        t = self.target
        return json.dumps({"conn_type": "postgres", "host": t.host, "port": t.port, "login": t.user,
                           "password": t.password, "schema": t.dbname})

    def fill(self, night: date) -> dict[str, int]:
        from csc_synthetic.source_database import fill_source_database

        return fill_source_database(self.conninfo, self.generated / LA / night.isoformat(), last=night == LAST)

    def execute(self, statement: str) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(statement)

    def write_las(self, **source: object) -> None:
        entry = {"code": LA, "name": "Tinyshire",
                 "source": {"connection": "csc_ssd_901", "retry_wait": "PT0S", **source}}
        self.settings.las_config.write_text(yaml.safe_dump({"las": [entry]}))

    @property
    def changes_csv(self) -> Path:
        return self.generated / "truth" / LA / LAST.isoformat() / "changes.csv"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two tiny nights of LA 901, with the record of what changed between them (as `--to-database` writes it)."""
    from csc_synthetic import generate
    from csc_synthetic.source_database import changes_between, write_changes

    out = tmp_path_factory.mktemp("generated")
    result = generate(LA, "tiny", 1, LAST, out, nights=2)
    write_changes(out / "truth" / LA / LAST.isoformat() / "changes.csv",
                  changes_between(result.nights[0].extract_dir, result.nights[1].extract_dir))
    return out


@pytest.fixture
def source(pg_server: Target, warehouse_settings: Settings, generated: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Source]:
    """A fresh source database, and the warehouse's LA 901 reading it through Airflow connection csc_ssd_901."""
    name = f"csc_source_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    settings = warehouse_settings.model_copy(update={"las_config": warehouse_settings.home / "las.yml"})
    settings.home.mkdir(parents=True, exist_ok=True)
    found = Source(pg_server.for_database(name), generated, settings)
    found.write_las()
    monkeypatch.setenv("AIRFLOW_CONN_CSC_SSD_901", found.airflow_connection())
    try:
        yield found
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
