"""The loader against the synthetic generator's extracts (``csc_synthetic.generate``).

* Round trip: every cell of a ``--messy`` extract equals the value stored in raw, on the line its record starts.
  The expected values come from an independent reading of the files (Python's csv module over the whole decoded
  text). The test first checks that the extract holds what makes exports messy, so it cannot pass on a tame one.
* The generator's file-level faults (and duplicate keys) are refused with the right reason, file, line, column.
  One faulty extract is generated with every such fault, from the same seed as the clean one; each case lands the
  clean extract with only that fault's damaged file and manifest entry swapped in.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from csc.contract import load_contract
from csc.ingest import ExtractRefused, load_extract
from csc.warehouse.connection import connect
from csc_synthetic import generate
from csc_synthetic.full_ssd import simulated_contract

pytestmark = pytest.mark.integration

AS_OF = date(2025, 3, 31)
SIZE = 1500  # children: the smallest size holding every kind of messiness (about 10,000 rows)
FILE_FAULTS = {
    "manifest_row_count_mismatch": "ssd_cin_visits", "manifest_checksum_mismatch": "ssd_cp_visits",
    "truncated_last_line": "ssd_cla_visits", "missing_required_column": "ssd_missing",
    "unknown_extra_file": "ssd_voice_of_child",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The clean messy extract and the same extract with every file-level fault and duplicate keys."""
    out = tmp_path_factory.mktemp("generated")
    clean = generate("999", SIZE, 1, AS_OF, out / "clean", messy=True).nights[-1].extract_dir
    faults = out / "faults.yml"
    faults.write_text("rates:\n" + "".join(f"  {fault}: 1\n" for fault in FILE_FAULTS)
                      + "  duplicate_primary_key: 0.001\n")
    faulty = generate("999", SIZE, 1, AS_OF, out / "faulty", faults=faults, messy=True).nights[-1].extract_dir
    return clean, faulty


def _read_as_written(data: bytes) -> tuple[str, list[tuple[int, list[str]]], list[str]]:
    """Encoding, (start line, fields) per record, and the header, read independently of the loader."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    reader = csv.reader(io.StringIO(data.decode(encoding), newline="\n"), strict=True)
    header = next(reader)
    records, previous = [], reader.line_num
    for fields in reader:
        records.append((previous + 1, fields))
        previous = reader.line_num
    return encoding, records, header


def test_every_cell_of_a_messy_extract_lands_unchanged(generated, warehouse_settings, landing):
    source = generated[0]
    expected, features = {}, dict.fromkeys(
        ["apostrophe", "accent", "comma", "quote", "line break", "pound in cp1252", "emoji in utf-8", "bom", "crlf",
         "upper-case header", "shuffled header"], 0)
    for table in simulated_contract():
        data = (source / table.file_name).read_bytes()
        encoding, records, header = _read_as_written(data)
        expected[table.name] = (records, [h.lower() for h in header])
        features["bom"] += encoding == "utf-8-sig"
        features["crlf"] += b"\r\n" in data
        features["upper-case header"] += any(h != h.lower() for h in header)
        features["shuffled header"] += [h.lower() for h in header] != [c for c in table.column_names
                                                                        if c in {h.lower() for h in header}]
        for _, fields in records:
            for value in fields:
                structured = value.startswith(("{", "["))
                features["apostrophe"] += "'" in value
                features["accent"] += bool(re.search("[À-ÿ]", value))
                features["comma"] += "," in value and not structured
                features["quote"] += '"' in value and not structured
                features["line break"] += "\n" in value
                features["pound in cp1252"] += "£" in value and encoding == "cp1252"
                features["emoji in utf-8"] += bool(re.search("[\U0001F300-\U0001FAFF]", value)) and encoding != "cp1252"
    assert all(features.values()), f"the generated extract is missing some messiness: {features}"

    landed = landing / "999" / AS_OF.isoformat()
    shutil.copytree(source, landed)
    loaded = load_extract(landed, warehouse_settings)
    assert loaded.total_rows == sum(len(records) for records, _ in expected.values())
    with connect(warehouse_settings) as conn:
        for table in simulated_contract():
            records, header = expected[table.name]
            columns = ", ".join(["_line_no", *header])
            stored = conn.execute(f"select {columns} from raw.{table.name} where _batch_id = %s order by _line_no",
                                  (loaded.batch_id,)).fetchall()
            as_written = [(line, *[value if value != "" else None for value in fields]) for line, fields in records]
            assert stored == as_written, f"{table.name} differs from the file"


def _land_with_one_fault(clean: Path, faulty: Path, tables: list[str], landing: Path) -> Path:
    """The clean extract with the given tables' files and manifest entries taken from the faulty one."""
    landed = landing / "999" / AS_OF.isoformat()
    shutil.copytree(clean, landed)
    manifest = json.loads((clean / "manifest.json").read_text())
    faulty_entries = {e["table"]: e for e in json.loads((faulty / "manifest.json").read_text())["files"]}
    for table in tables:
        shutil.copyfile(faulty / f"{table}.csv", landed / f"{table}.csv")
        manifest["files"] = [e for e in manifest["files"] if e["table"] != table] + [faulty_entries[table]]
    (landed / "manifest.json").write_text(json.dumps(manifest))
    return landed


def test_faulty_extract_differs_from_the_clean_one_only_where_faults_were_injected(generated):
    clean, faulty = generated
    damaged = {*FILE_FAULTS.values(), "ssd_contacts"}  # duplicate keys land in ssd_contacts and the visit files
    for table in simulated_contract():
        if table.name not in damaged and not table.name.endswith("_visits"):
            assert (clean / table.file_name).read_bytes() == (faulty / table.file_name).read_bytes(), table.name


@pytest.mark.parametrize(("fault", "tables", "reason", "file", "says"), [  # fault: the generator's name
    ("manifest_row_count_mismatch", ["ssd_cin_visits"], "row_count_mismatch", "ssd_cin_visits.csv",
     "where the manifest says"),
    ("manifest_checksum_mismatch", ["ssd_cp_visits"], "sha256_mismatch", "ssd_cp_visits.csv", "sha256"),
    ("truncated_last_line", ["ssd_cla_visits"], "truncated_last_line", "ssd_cla_visits.csv", "cut short"),
    ("missing_required_column", ["ssd_missing"], "missing_required_column", "ssd_missing.csv", "is missing"),
    ("duplicate_primary_key", ["ssd_contacts"], "duplicate_primary_key", "ssd_contacts.csv", "again on line"),
])
def test_generated_fault_is_refused(generated, warehouse_settings, landing, fault, tables, reason, file, says):
    clean, faulty = generated
    landed = _land_with_one_fault(clean, faulty, tables, landing)
    with pytest.raises(ExtractRefused) as caught:
        load_extract(landed, warehouse_settings)
    refusal = caught.value
    assert (refusal.reason, refusal.file) == (reason, file)
    assert says in str(refusal)
    if reason == "truncated_last_line":
        last_line = (faulty / "ssd_cla_visits.csv").read_bytes().count(b"\n") + 1
        assert refusal.line == last_line and refusal.column is not None
        assert any("sha256" in d for d in refusal.details), "the manifest described the file before it was cut"
    if reason == "missing_required_column":
        assert refusal.line == 1 and refusal.column in load_contract().table("ssd_missing").required_columns
    if reason == "duplicate_primary_key":
        assert refusal.line is not None and refusal.column == "cont_contact_id"
    assert (refusal.quarantine_path / "REFUSED.txt").exists()


def test_generated_extra_table_is_recorded_not_refused(generated, warehouse_settings, landing):
    """The generator's "unknown_extra_file" fault (an SSD table the contract does not hold) used to be refused; a
    real SSD carries about 23 such tables, so it is now recorded and skipped (issue 11)."""
    clean, faulty = generated
    landed = _land_with_one_fault(clean, faulty, ["ssd_voice_of_child"], landing)
    result = load_extract(landed, warehouse_settings)
    assert result.status == "loaded"
    assert [n.table for n in result.notes if n.kind == "extra_table"] == ["ssd_voice_of_child"]
