"""Fixtures of the statutory-return tests: one warehouse per session holding a fault-free generated extract of the
demo LA with the full SSD table set (two of its teams renamed to formula-like names), loaded, checked, built by dbt
and published."""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from statutory_setup import AS_OF, FORMULA_TEAMS, LA

from csc.settings import Settings
from csc.warehouse.connection import Target


@dataclass
class Built:
    settings: Settings
    batch_id: int
    raw_person_ids: set[str]


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


@pytest.fixture(scope="session")
def built(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from csc.ingest import load_extract
    from csc.quality import run_checks
    from csc.transform import build, publish
    from csc.warehouse.bootstrap import init_warehouse
    from csc.warehouse.connection import connect
    from csc_synthetic import generate
    from csc_synthetic.render import Rendering

    root = tmp_path_factory.mktemp("statutory")
    dbname = f"csc_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(home=root / "csc-home", warehouse_url=pg_server.for_database(dbname).conninfo(),
                        airflow_database=f"{dbname}_af", dq_data_docs=False, dbt_threads=4)
    try:
        init_warehouse(settings)
        # the full SSD table set (ssd_address, ssd_mother, the OC2 tables...) that the returns read
        generate(LA, "small", 1, AS_OF, settings.landing_dir, faults="none", rendering=Rendering(full_ssd=True))
        extract = settings.landing_dir / LA / AS_OF.isoformat()
        rename_teams(extract, FORMULA_TEAMS)
        loaded = load_extract(extract, settings)
        run_checks(loaded.batch_id, settings, send_alerts=False)
        build(settings)
        publish(settings)
        with connect(settings) as conn:
            ids = {r[0] for r in conn.execute("select pers_person_id from raw.ssd_person")}
        yield Built(settings, loaded.batch_id, ids)
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
