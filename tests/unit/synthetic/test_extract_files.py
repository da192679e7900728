"""The extract folder: every contract table with the contract's columns, and a manifest true to the files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime

import jsonschema
import pytest

from csc_synthetic.full_ssd import simulated_contract

from .conftest import MANIFEST_SCHEMA

pytestmark = pytest.mark.unit


def test_every_contract_table_is_written_with_the_contract_columns(tiny):
    folder = tiny.nights[0].extract_dir
    contract = simulated_contract()
    assert sorted(p.name for p in folder.iterdir()) == sorted([t.file_name for t in contract] + ["manifest.json"])
    for table in contract:
        with (folder / table.file_name).open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert header == table.column_names, table.name


def test_manifest_is_valid_against_the_shared_schema(tiny):
    manifest = json.loads((tiny.nights[0].extract_dir / "manifest.json").read_text(encoding="utf-8"))
    schema = json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(manifest)
    assert manifest["la_code"] == "901" and manifest["la_name"] == "Tinyshire"
    assert manifest["extract_date"] == "2025-03-31"
    # the extract of 31 March is taken at 02:15 the next morning, London time (BST from 30 March 2025)
    assert manifest["extracted_at"] == "2025-04-01T02:15:00+01:00"
    datetime.fromisoformat(manifest["extracted_at"])


def test_manifest_rows_bytes_and_checksums_are_those_of_the_files(tiny):
    folder = tiny.nights[0].extract_dir
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["files"]) == len(simulated_contract().tables)
    for entry in manifest["files"]:
        data = (folder / entry["name"]).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        assert entry["rows"] == len(records) - 1, entry["name"]
        assert entry["table"] + ".csv" == entry["name"]


def test_quoted_line_breaks_count_as_one_record(small):
    """Contact descriptions carry line breaks inside quotes: rows counts records, not lines."""
    folder = small.nights[0].extract_dir
    data = (folder / "ssd_contacts.csv").read_text(encoding="utf-8")
    records = list(csv.reader(io.StringIO(data, newline="")))
    assert data.count("\n") > len(records), "expected free text with line breaks in the contacts file"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    rows = {f["name"]: f["rows"] for f in manifest["files"]}
    assert rows["ssd_contacts.csv"] == len(records) - 1


def test_truth_is_written_outside_the_extract(tiny):
    night = tiny.nights[0]
    assert not night.truth_dir.is_relative_to(night.extract_dir)
    headers = {
        "indicators.csv": "la_code,indicator_id,period_type,period_start,period_end,numerator,denominator,value",
        "faults.csv": "fault_id,fault_type,family,table,primary_key,detail",
        "exceptions.csv": "exception_type,table,primary_key,detail",
        "population.csv": "year,population_0_17",
    }
    for name, header in headers.items():
        assert (night.truth_dir / name).read_text(encoding="utf-8").splitlines()[0] == header


def test_sizes_have_the_volumes_their_presets_promise(tiny, small):
    assert tiny.total_rows < 2_000
    assert 40_000 <= small.total_rows <= 62_000
