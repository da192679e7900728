"""Extracts for the dbt tests: generated with their truth, loaded by the real loader, their faults recorded as the
batch's data-quality findings (what the checks must find, docs/INTERFACES.md), and the batch marked checked."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from csc.settings import Settings
from csc.warehouse.connection import connect


@dataclass(frozen=True)
class LandedExtract:
    la_code: str
    extract_date: date
    batch_id: int
    folder: Path
    truth: Path


def land_extract(settings: Settings, work: Path, la_code: str, as_of: date, *, size: str = "small",
                 faults: str = "none", messy: bool = False) -> LandedExtract:
    """Generate an extract with its truth, load it, record its faults as the batch's DQ findings, mark it checked.
    ``messy`` renders it as real exports arrive (dd/mm/yyyy dates, legacy sex codes, abuse categories as words,
    role text in any case...): the values, and so the truth, are the same."""
    from csc.ingest import load_extract
    from csc_synthetic import generate

    out = work / f"generated-{la_code}-{as_of}-{faults}"
    night = generate(la_code, size, 1, as_of, out, faults=faults, messy=messy).nights[0]
    landed = settings.landing_dir / la_code / as_of.isoformat()
    landed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(night.extract_dir, landed)
    result = load_extract(landed, settings)
    assert result.status == "loaded", result
    record_dq_findings(settings, result.batch_id, night.truth_dir / "faults.csv")
    return LandedExtract(la_code, as_of, result.batch_id, landed, night.truth_dir)


def record_dq_findings(settings: Settings, batch_id: int, faults_csv: Path) -> None:
    with faults_csv.open(newline="", encoding="utf-8") as handle:
        faults = [row for row in csv.DictReader(handle) if row["primary_key"]]
    with connect(settings) as conn:
        run_id = conn.execute(
            "insert into ops.dq_runs (batch_id, started_at, finished_at, outcome, rules_evaluated) "
            "values (%s, now(), now(), %s, 0) returning dq_run_id",
            (batch_id, "warn" if faults else "pass")).fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany(
                "insert into ops.dq_failing_records (dq_run_id, rule_id, kind, table_name, record_key) "
                "values (%s, %s, 'fault', %s, %s) on conflict do nothing",
                [(run_id, row["fault_type"], row["table"], row["primary_key"]) for row in faults])
        conn.execute("update ops.extract_batches set status = 'checked', checked_at = now() where batch_id = %s",
                     (batch_id,))
