"""One test per refusal: the message names file, line and column; the extract is quarantined as received with a
human-readable and a machine-readable reason; ops records it; the published batch and raw stay exactly as they were.

Each case starts from a published night (2025-03-30), then lands a broken extract for the next night.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from csc.ingest import ExtractRefused, load_extract
from csc.warehouse.connection import connect

from ingest_extracts import (
    ExtractSpec,
    batches,
    publish,
    raw_fingerprint,
    refresh_checksums,
    set_file_entry,
    write_manifest,
)

pytestmark = pytest.mark.integration

NIGHT = date(2025, 3, 31)


def _edit(folder: Path, name: str, old: bytes, new: bytes, *, refresh: bool = True) -> None:
    path = folder / name
    data = path.read_bytes()
    assert old in data, f"{old!r} not in {name}"
    path.write_bytes(data.replace(old, new, 1))
    if refresh:
        refresh_checksums(folder, name)


@dataclass
class Case:
    reason: str
    break_it: Callable[[Path], None]
    file: str | None
    line: int | None = None
    column: str | None = None
    says: str = ""
    spec: Callable[[], ExtractSpec] = ExtractSpec
    has_batch: bool = True  # False when the manifest cannot be read or does not match where the extract landed
    night: date = NIGHT


def _unknown_table(folder: Path) -> None:
    (folder / "ssd_mystery.csv").write_text("id\n1\n")
    document = json.loads((folder / "manifest.json").read_text())
    document["files"].append({"name": "ssd_mystery.csv", "table": "ssd_mystery", "rows": 1,
                              "sha256": "0" * 64})
    (folder / "manifest.json").write_text(json.dumps(document))


def _missing_table(folder: Path) -> None:
    (folder / "ssd_cla_visits.csv").unlink()
    document = json.loads((folder / "manifest.json").read_text())
    document["files"] = [f for f in document["files"] if f["name"] != "ssd_cla_visits.csv"]
    (folder / "manifest.json").write_text(json.dumps(document))


def _truncate(folder: Path, *, refresh: bool) -> None:
    path = folder / "ssd_person.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"Lee") + 3])  # the last record stops after its surname
    if refresh:
        refresh_checksums(folder, "ssd_person.csv")


def _duplicate_disability(spec: ExtractSpec) -> ExtractSpec:
    spec.rows["ssd_disability"].append({"disa_person_id": "P001", "disa_table_id": "D1", "disa_disability_code": "X"})
    return spec


CASES = {
    "missing_required_column": Case(
        "missing_required_column", lambda f: None, "ssd_contacts.csv", 1, "cont_contact_date",
        "required column cont_contact_date is missing",
        spec=lambda: ExtractSpec(drop_columns={"ssd_contacts": ["cont_contact_date"]})),
    # An extra column or table is no longer refused (issue 11): test_real_ssd_shape.py loads them. A table the
    # manifest lists with a wrong checksum still is.
    "extra_table_checksum": Case("sha256_mismatch", _unknown_table, "ssd_mystery.csv", says="where the manifest says"),
    "unknown_file": Case("unknown_file", lambda f: (f / "notes.txt").write_text("hello"), "notes.txt",
                         says="not in the manifest: notes.txt"),
    "missing_table": Case("missing_table", _missing_table, "ssd_cla_visits.csv", says="no ssd_cla_visits"),
    "file_missing": Case("file_missing", lambda f: (f / "ssd_cla_visits.csv").unlink(), "ssd_cla_visits.csv",
                         says="listed in the manifest but not in the extract"),
    "row_count_mismatch": Case(
        "row_count_mismatch", lambda f: set_file_entry(f, "ssd_person.csv", rows=4), "ssd_person.csv",
        says="3 records where the manifest says 4"),
    "sha256_mismatch": Case(
        "sha256_mismatch", lambda f: _edit(f, "ssd_contacts.csv", b"C2", b"C3", refresh=False), "ssd_contacts.csv",
        says="where the manifest says"),
    "bytes_mismatch": Case(
        "bytes_mismatch", lambda f: set_file_entry(f, "ssd_department.csv", bytes=1), "ssd_department.csv",
        says="where the manifest says 1"),
    "truncated_last_line": Case(
        "truncated_last_line", lambda f: _truncate(f, refresh=True), "ssd_person.csv", 4, "pers_sex",
        "the last record is cut short"),
    "truncated_file_with_stale_checksum": Case(
        "truncated_last_line", lambda f: _truncate(f, refresh=False), "ssd_person.csv", 4, "pers_sex",
        "also: sha256"),
    "unterminated_quote": Case(
        "truncated_last_line", lambda f: _edit(f, "ssd_department.csv", b'budget",,', b"budget,,"),
        "ssd_department.csv", 2, "dept_team_name", "unterminated quote"),
    "undecodable_bytes": Case(
        "undecodable_bytes", lambda f: _edit(f, "ssd_professionals.csv", b"Dr. Ng", b"Dr.\x81Ng"),
        "ssd_professionals.csv", 2, None, "0x81"),
    "mixed_encoding": Case(
        "mixed_encoding", lambda f: _edit(f, "ssd_contacts.csv", b"C2,", b"C2\xa3,"), "ssd_contacts.csv", 4,
        None, "mixes encodings"),
    "nul_byte": Case("nul_byte", lambda f: _edit(f, "ssd_professionals.csv", b"Dr. Ng", b"Dr.\x00Ng"),
                     "ssd_professionals.csv", 2, None, "NUL"),
    "bad_date": Case(
        "bad_date", lambda f: _edit(f, "ssd_person.csv", b"04/03/2015", b"31/02/2015"), "ssd_person.csv", 3,
        "pers_dob", "'31/02/2015' is not a date"),
    "duplicate_primary_key": Case(
        "duplicate_primary_key", lambda f: None, "ssd_disability.csv", 4, "disa_person_id, disa_table_id",
        "= 'P001|D1' is on line 2 and again on line 4", spec=lambda: _duplicate_disability(ExtractSpec())),
    "wrong_field_count": Case(
        "wrong_field_count", lambda f: _edit(f, "ssd_contacts.csv", b"C2,", b"C2,extra,"), "ssd_contacts.csv", 4,
        None, "7 fields where the header has 6"),
    "blank_line": Case("blank_line", lambda f: _edit(f, "ssd_person.csv", b"\r\nP002", b"\r\n\r\nP002"),
                       "ssd_person.csv", 3, None, "blank line"),
    "malformed_csv": Case(
        "malformed_csv", lambda f: _edit(f, "ssd_department.csv", b'budget"', b'budget"x'), "ssd_department.csv",
        2, "dept_team_name", "closing quote is followed by something"),
    "empty_file": Case("empty_file", lambda f: _edit(f, "ssd_missing.csv", (f / "ssd_missing.csv").read_bytes(),
                                                     b""), "ssd_missing.csv", 1, None, "no header"),
    "bad_header": Case(
        "bad_header", lambda f: _edit(f, "ssd_cin_plans.csv", b"cinp_cin_plan_worker_id\r\n",
                                      b"cinp_cin_plan_worker_id,CINP_CIN_PLAN_ID\r\n"),
        "ssd_cin_plans.csv", 1, "cinp_cin_plan_id", "named twice"),
    "manifest_missing": Case("manifest_missing", lambda f: (f / "manifest.json").unlink(), "manifest.json",
                             says="no manifest.json", has_batch=False),
    "manifest_invalid": Case(
        "manifest_invalid", lambda f: set_file_entry(f, "ssd_person.csv", sha256="not-a-checksum"), "manifest.json",
        None, "$.files[0].sha256", "does not match", has_batch=False),
    "manifest_without_offset": Case(
        "manifest_invalid", lambda f: write_manifest(f, ExtractSpec(), extracted_at="2025-04-01T02:15:00"),
        "manifest.json", None, "$.extracted_at", "UTC offset", has_batch=False),
    "misfiled": Case("misfiled", lambda f: write_manifest(f, ExtractSpec(), la_code="998"), "manifest.json", None,
                     "$.la_code", "the manifest says LA 998", has_batch=False),
    "misdated": Case("misfiled", lambda f: write_manifest(f, ExtractSpec(), extract_date="2025-03-29"),
                     "manifest.json", None, "$.extract_date", "extract date 2025-03-29", has_batch=False),
    "older_than_loaded": Case("older_than_loaded", lambda f: None, "manifest.json", None, "$.extracted_at",
                              "older than batch", night=date(2025, 3, 29)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_refusal(case: Case, warehouse_settings, landing):
    published = load_extract(ExtractSpec(date(2025, 3, 30), "2025-03-31T02:00:00+01:00").write(landing),
                             warehouse_settings)
    publish(warehouse_settings, published.batch_id)
    raw_before, batches_before = raw_fingerprint(warehouse_settings), batches(warehouse_settings)

    spec = case.spec()
    spec.extract_date = case.night
    folder = spec.write(landing)
    case.break_it(folder)
    landed = {p.name: p.read_bytes() for p in folder.iterdir()}

    with pytest.raises(ExtractRefused) as caught:
        load_extract(folder, warehouse_settings)
    refusal = caught.value

    # the message: reason, file, line, column
    assert (refusal.reason, refusal.file, refusal.line, refusal.column) == (case.reason, case.file, case.line,
                                                                             case.column)
    text = str(refusal)
    assert case.says in text
    where = case.file + (f", line {case.line}" if case.line else "") + (f", column {case.column}" if case.column
                                                                         else "")
    assert text.startswith(where + ": ")

    # quarantine: the extract as received, and the reason for people and for programs
    assert not folder.exists()
    quarantined = refusal.quarantine_path
    assert quarantined.parent == warehouse_settings.quarantine_dir / "999"
    assert {p.name: p.read_bytes() for p in (quarantined / "extract").iterdir()} == landed
    reason_text = (quarantined / "REFUSED.txt").read_text()
    assert case.reason in reason_text and where in reason_text and "What to do:" in reason_text
    record = json.loads((quarantined / "refusal.json").read_text())
    assert (record["reason"], record["file"], record["line"], record["column"]) == (
        case.reason, case.file, case.line, case.column)
    assert record["attempt_id"] == refusal.attempt_id

    # ops: the refused batch (when the manifest could be read) and the attempt, with where and why
    with connect(warehouse_settings) as conn:
        attempt = conn.execute(
            "select outcome, reason, file_name, line_no, column_name, quarantine_path, batch_id, la_code "
            "from ops.load_attempts where attempt_id = %s", (refusal.attempt_id,)).fetchone()
        refused_batches = conn.execute(
            "select batch_id, status, status_reason from ops.extract_batches where status = 'refused'").fetchall()
        refused_file = conn.execute(
            "select status, message from ops.file_loads where batch_id = %s and file_name = %s",
            (refusal.batch_id, case.file)).fetchone()
    assert attempt[:6] == ("refused", case.reason, case.file, case.line, case.column, str(quarantined))
    assert attempt[7] == "999"
    if case.has_batch:
        assert refused_batches == [(refusal.batch_id, "refused", text)]
        assert attempt[6] == refusal.batch_id
        if case.file.endswith(".csv") and refused_file is not None:
            assert refused_file == ("refused", refusal.message)
    else:
        assert refused_batches == [] and attempt[6] is None

    # nothing else changed: published batch and raw exactly as before
    assert raw_fingerprint(warehouse_settings) == raw_before
    assert [b for b in batches(warehouse_settings) if b[1] != "refused"] == batches_before


def test_file_too_large_is_refused_before_reading(warehouse_settings, landing):
    settings = warehouse_settings.model_copy(update={"max_file_bytes": 20_000})
    spec = ExtractSpec()
    spec.rows["ssd_missing"] = [{"miss_table_id": f"M{i}", "miss_person_id": "P001",
                                 "miss_missing_episode_start_date": "2024-01-01"} for i in range(1000)]
    folder = spec.write(landing)
    with pytest.raises(ExtractRefused) as caught:
        load_extract(folder, settings)
    assert (caught.value.reason, caught.value.file) == ("file_too_large", "ssd_missing.csv")
    assert "over the maximum of 20,000" in str(caught.value)
    assert (caught.value.quarantine_path / "extract" / "ssd_missing.csv").exists()
