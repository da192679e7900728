"""Faulty data: the statutory returns built from a generated extract with injected faults (``--faults default``), run
through both DfE validators. Every error the validators report traces back to an injected fault (truth/faults.csv):
its child is a child of a faulty record; none is caused by the transformation. The fault types the validators
cannot see are listed in the README ("Statutory returns")."""

from __future__ import annotations

import csv
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from csc.settings import Settings
from csc.statutory.validate import KNOWN_CRASHES, SKIPPED, validate_year
from csc.warehouse.connection import Target
from csc_synthetic.config import load_config

from statutory_setup import AS_OF, LA, SHORT_BREAK_ONLY_903, SHORT_BREAKS, YEAR

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning"),
]

# fault types of the default catalogue that block the night (a blocking check fails: nothing is published, so no
# return is built from them and the validators never see them)
BLOCK_THE_NIGHT = {"blank_required", "future_date", "invalid_code"}
# fault types no DfE validator rule can see on the returns (see the README, "Statutory returns"): they concern
# records the returns do not carry (workers, allocations, contacts, files) or are repaired or refused upstream
UNSEEN_BY_THE_VALIDATORS = {
    "open_case_no_allocation", "allocation_departed_worker", "allocation_non_case_holding",
    "allocation_without_open_case", "duplicate_involvement", "allocation_outside_employment", "volume_drop",
    "manifest_row_count_mismatch", "manifest_checksum_mismatch", "truncated_last_line", "missing_required_column",
    "unknown_extra_file",
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _person_column(header: list[str]) -> str | None:
    if "pers_person_id" in header:
        return "pers_person_id"
    return next((c for c in header if c.endswith("_person_id")), None)


def children_of_faults(extract: Path, faults: list[dict[str, str]]) -> dict[str, set[str]]:
    """The children (LA person ids) of each fault's records, by fault type."""
    keys: dict[str, set[str]] = defaultdict(set)
    for fault in faults:
        keys[fault["table"]].add(fault["primary_key"])
    person_of: dict[tuple[str, str], str] = {}
    for table, wanted in keys.items():
        path = extract / f"{table}.csv"
        if not path.is_file():
            continue
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            column = _person_column(header)
            if column is None:
                continue
            at = header.index(column)
            for row in reader:
                if row and row[0] in wanted and len(row) > at:
                    person_of[(table, row[0])] = row[at]
    out: dict[str, set[str]] = defaultdict(set)
    for fault in faults:
        person = person_of.get((fault["table"], fault["primary_key"]))
        if person:
            out[fault["fault_type"]].add(person)
    return out


@pytest.fixture(scope="module")
def faulty(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path, Path]]:
    from csc.ingest import load_extract
    from csc.quality import run_checks
    from csc.transform import build, publish
    from csc.warehouse.bootstrap import init_warehouse
    from csc_synthetic import generate
    from csc_synthetic.render import Rendering

    root = tmp_path_factory.mktemp("statutory-faults")
    dbname = f"csc_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(home=root / "csc-home", warehouse_url=pg_server.for_database(dbname).conninfo(),
                        airflow_database=f"{dbname}_af", dq_data_docs=False, dbt_threads=4)
    try:
        init_warehouse(settings)
        plan = root / "faults.yml"
        rates = {k: v for k, v in load_config().document["faults"]["default"].items() if k not in BLOCK_THE_NIGHT}
        plan.write_text(yaml.safe_dump({"rates": rates}), encoding="utf-8")
        # the full SSD table set, as the clean test's extract (without ssd_address every episode lacks HOME_POST)
        night = generate(LA, "small", 1, AS_OF, settings.landing_dir, faults=plan,
                         rendering=Rendering(full_ssd=True)).nights[0]
        kept = root / "as-generated"  # the loader archives the landed files
        shutil.copytree(night.extract_dir, kept / "extract")
        shutil.copytree(night.truth_dir, kept / "truth")
        loaded = load_extract(night.extract_dir, settings)
        checked = run_checks(loaded.batch_id, settings, send_alerts=False)
        assert checked.outcome != "block", checked.blocking_rules
        build(settings)
        publish(settings)
        yield settings, kept / "extract", kept / "truth"
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def test_every_validator_error_traces_back_to_an_injected_fault(faulty, tmp_path):
    settings, extract, truth = faulty
    faults = _rows(truth / "faults.csv")
    assert faults, "the extract has injected faults"
    by_type = children_of_faults(extract, faults)
    faulty_children = set().union(*by_type.values())
    run = validate_year(settings, LA, YEAR, tmp_path / "validate", ons_code="E10000014")
    seen_types: set[str] = set()
    untraced: dict[tuple[str, str], set[str]] = defaultdict(set)
    traced: dict[tuple[str, str], set[str]] = defaultdict(set)
    episodes = _rows(next((tmp_path / "validate").rglob("episodes.csv")))
    errors = 0
    for verdict in run.verdicts:
        assert not [r for r in verdict.rules if r["status"] == "not_run"
                    and r["code"] not in KNOWN_CRASHES[verdict.kind]], f"{verdict.kind}: a rule crashed"
        blocking = {r["code"] for r in verdict.rules if r["status"] == "failed" and r["severity"] == "error"}
        # a rule skipped because it fails on every short break (SKIPPED) is an error on any other episode
        partly = SHORT_BREAK_ONLY_903 if verdict.kind == "903" else set()
        assert not blocking & set(SKIPPED[verdict.kind])
        for issue in verdict.issues:
            if issue["rule"] in partly:
                if episodes[issue["row"]]["LS"] in SHORT_BREAKS:
                    continue
            elif issue["rule"] not in blocking:
                continue
            errors += 1
            child = str(issue["child"] or "")
            if child in faulty_children:
                types = {t for t, kids in by_type.items() if child in kids}
                seen_types |= types
                traced[(verdict.kind, issue["rule"])] |= types
            else:
                untraced[(verdict.kind, issue["rule"])].add(child)
    report = "\n".join(f"{kind} {rule}: {sorted(kids)[:5]}" for (kind, rule), kids in sorted(untraced.items()))
    print(f"{errors} validator errors; rule -> fault types: {dict(sorted(traced.items()))}")
    assert errors, "the faults make the validators report errors"
    assert not untraced, f"validator errors on children with no injected fault:\n{report}"
    # the fault types the validators saw are not among those documented as unseen
    assert not seen_types & UNSEEN_BY_THE_VALIDATORS, seen_types & UNSEEN_BY_THE_VALIDATORS
