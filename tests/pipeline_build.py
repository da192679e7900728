"""A warehouse built by the real pipeline from a generated extract, for the acceptance tests that read what it
publishes (the quarterly return's, tests/integration/returns, and the statutory returns', tests/integration/
statutory): its own database, the generated extract (some teams renamed), loaded, checked, built by dbt and published.

A uniquely named module beside tests/conftest.py (on the path of every test): each test folder's ``conftest`` is a
module named ``conftest``, so fixtures cannot be imported from another folder's."""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target


@dataclass
class BuiltPipeline:
    settings: Settings
    batch_id: int
    extract: Path


def rename_teams(extract: Path, names: dict[str, str]) -> None:
    """Give teams new names in ssd_department.csv and keep the manifest true to the file (size and checksum)."""
    department = extract / "ssd_department.csv"
    raw = department.read_bytes()
    with department.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    for row in rows[1:]:
        row[1] = names.get(row[0], row[1])
    with department.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, lineterminator="\r\n" if b"\r\n" in raw else "\n").writerows(rows)
    content = department.read_bytes()
    manifest_path = extract / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["name"] == department.name:
            entry["bytes"], entry["sha256"] = len(content), hashlib.sha256(content).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


@contextmanager
def built_pipeline(pg_server: Target, root: Path, la_code: str, as_of: date, *, teams: dict[str, str],
                   size: str = "small", **generate_options) -> Iterator[BuiltPipeline]:
    """The LA's generated extract of ``as_of`` (``generate_options``: csc_synthetic.generate's, e.g. faults,
    rendering) through load, checks, dbt build and publication, in a database of its own dropped afterwards."""
    from csc.ingest import load_extract
    from csc.quality import run_checks
    from csc.transform import build, publish
    from csc.warehouse.bootstrap import init_warehouse
    from csc_synthetic import generate

    dbname = f"csc_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(home=root / "csc-home", warehouse_url=pg_server.for_database(dbname).conninfo(),
                        airflow_database=f"{dbname}_af", dq_data_docs=False, dbt_threads=4)
    try:
        init_warehouse(settings)
        generate(la_code, size, 1, as_of, settings.landing_dir, **generate_options)
        extract = settings.landing_dir / la_code / as_of.isoformat()
        rename_teams(extract, teams)
        loaded = load_extract(extract, settings)
        run_checks(loaded.batch_id, settings, send_alerts=False)
        build(settings)
        publish(settings)
        yield BuiltPipeline(settings, loaded.batch_id, extract)
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
