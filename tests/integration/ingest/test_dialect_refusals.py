"""Export dialects: each malformed case is refused naming file, line and column, and nothing is loaded.

The extracts are the loader tests' hand-made sample (``ingest_extracts.SAMPLE_ROWS``) written as ssms or bcp files;
each test breaks one file the way a real export goes wrong.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from csc.contract import column_order, load_contract
from csc.ingest import ExtractRefused, load_extract
from csc.ingest.source import extract_complete
from csc.orchestration.triggers import extract_is_ready
from csc.warehouse.connection import connect

from ingest_extracts import LA, SAMPLE_ROWS, ExtractSpec, batches, raw_rows, write_manifest

pytestmark = pytest.mark.integration


def _fields(table: str, row: dict[str, str], dialect: str) -> list[str]:
    values = []
    for name in column_order(load_contract().table(table)):
        value = row.get(name, "").replace("\r\n", " ").replace("\n", " ")
        if not value:
            value = {"ssms": "NULL", "bcp": "\0" if load_contract().table(table).column(name).type == "text"
                     else ""}[dialect]
        values.append(value)
    return values


def write_unquoted(landing: Path, dialect: str, *, delimiter: str = "\t", encoding: str = "utf-8",
                   manifest: bool = True, rows: dict | None = None) -> Path:
    """The sample extract as an ssms or bcp export: CRLF, unquoted; ssms with a header, bcp without."""
    spec = ExtractSpec()
    spec.rows = rows if rows is not None else json.loads(json.dumps(SAMPLE_ROWS))
    folder = landing / LA / spec.extract_date.isoformat()
    folder.mkdir(parents=True)
    for table in load_contract():
        lines = [delimiter.join(table.column_names)] if dialect == "ssms" else []
        lines += [delimiter.join(_fields(table.name, row, dialect)) for row in spec.rows.get(table.name, [])]
        text = "".join(line + "\r\n" for line in lines)
        (folder / table.file_name).write_bytes(text.encode(encoding))
    if manifest:
        write_manifest(folder, spec)
    return folder


def rewrite(folder: Path, name: str, edit, encoding: str = "utf-8") -> None:
    """Change one file's text (``edit``: lines -> lines) and make the manifest's checksum agree with it."""
    path = folder / name
    lines = path.read_bytes().decode(encoding).split("\r\n")
    path.write_bytes("\r\n".join(edit(lines)).encode(encoding))
    manifest = folder / "manifest.json"
    if manifest.exists():
        document = json.loads(manifest.read_text())
        for entry in document["files"]:
            if entry["name"] == name:
                data = path.read_bytes()
                entry.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
        manifest.write_text(json.dumps(document))


def refused(folder: Path, settings, **dialect) -> ExtractRefused:
    with pytest.raises(ExtractRefused) as caught:
        load_extract(folder, settings, **dialect)
    assert batches(settings) == [] or all(status == "refused" for _, status, *_ in batches(settings))
    return caught.value


def _split(line: str) -> list[str]:
    return line.split("\t")


def test_the_sample_loads_as_bcp_and_as_ssms(warehouse_settings, landing):
    folder = write_unquoted(landing, "bcp")
    loaded = load_extract(folder, warehouse_settings, dialect="bcp")
    person = raw_rows(warehouse_settings, "ssd_person", loaded.batch_id)
    assert [r["_line_no"] for r in person] == [1, 2, 3]
    assert person[0]["pers_single_unique_id"] is None and person[2]["pers_legacy_id"] == "  spaced  "
    assert person[1]["pers_surname"] == "Smith, Jones" and person[1]["pers_nationality"] == 'said "n/a"'


def test_literal_null_is_null_only_in_ssms(warehouse_settings, landing):
    rows = json.loads(json.dumps(SAMPLE_ROWS))
    rows["ssd_person"][0]["pers_surname"] = "Null"
    rows["ssd_person"][1]["pers_forename"] = "NULL"
    folder = write_unquoted(landing, "ssms", rows=rows)
    loaded = load_extract(folder, warehouse_settings, dialect="ssms")
    person = raw_rows(warehouse_settings, "ssd_person", loaded.batch_id)
    # "Null" (a surname) is a value; "NULL" is SQL Server's null, as the dialect says (README)
    assert person[0]["pers_surname"] == "Null" and person[1]["pers_forename"] is None
    assert person[0]["pers_single_unique_id"] is None
    assert [r["_line_no"] for r in person] == [2, 3, 4]


def test_in_csv_a_literal_null_is_text(warehouse_settings, landing):
    spec = ExtractSpec()
    spec.rows["ssd_person"][0]["pers_surname"] = "NULL"
    loaded = load_extract(spec.write(landing), warehouse_settings)
    assert raw_rows(warehouse_settings, "ssd_person", loaded.batch_id)[0]["pers_surname"] == "NULL"


def test_sqlcmd_dashes_under_the_header_are_skipped_and_lines_stay_the_files(warehouse_settings, landing):
    folder = write_unquoted(landing, "ssms")
    rewrite(folder, "ssd_person.csv", lambda lines: [lines[0], "\t".join("-" * 8 for _ in _split(lines[0]))]
            + lines[1:])
    loaded = load_extract(folder, warehouse_settings, dialect="ssms")
    assert [r["_line_no"] for r in raw_rows(warehouse_settings, "ssd_person", loaded.batch_id)] == [3, 4, 5]


def test_a_shifted_bcp_column_is_refused(warehouse_settings, landing):
    folder = write_unquoted(landing, "bcp")

    def shift(lines):  # line 2 lost its forename: every later value sits one column to the left
        fields = _split(lines[1])
        lines[1] = "\t".join(fields[:1] + fields[2:] + [""])
        return lines
    rewrite(folder, "ssd_person.csv", shift)
    refusal = refused(folder, warehouse_settings, dialect="bcp")
    # the date of birth now sits in pers_ethnicity, a code column
    assert (refusal.reason, refusal.file, refusal.line, refusal.column) == (
        "bad_value", "ssd_person.csv", 2, "pers_ethnicity")
    assert "04/03/2015" in refusal.message


def test_a_date_in_an_id_column_is_refused(warehouse_settings, landing):
    folder = write_unquoted(landing, "bcp")

    def swap(lines):  # person id and date of birth swapped on line 3
        fields = _split(lines[2])
        fields[0], fields[6] = fields[6], fields[0]
        lines[2] = "\t".join(fields)
        return lines
    rewrite(folder, "ssd_person.csv", swap)
    refusal = refused(folder, warehouse_settings, dialect="bcp")
    assert (refusal.reason, refusal.file, refusal.line, refusal.column) == (
        "bad_value", "ssd_person.csv", 3, "pers_person_id")
    assert "is a date, not an id" in refusal.message


def test_a_swapped_flag_and_name_are_refused(warehouse_settings, landing):
    folder = write_unquoted(landing, "bcp")
    names = column_order(load_contract().table("ssd_person"))

    def swap(lines):
        fields = _split(lines[0])
        a, b = names.index("pers_surname"), names.index("pers_send_flag")
        fields[a], fields[b] = fields[b], fields[a]
        lines[0] = "\t".join(fields)
        return lines
    rewrite(folder, "ssd_person.csv", swap)
    refusal = refused(folder, warehouse_settings, dialect="bcp")
    assert (refusal.reason, refusal.line, refusal.column) == ("bad_value", 1, "pers_send_flag")


def test_a_delimiter_inside_a_value_is_refused_not_split(warehouse_settings, landing):
    folder = write_unquoted(landing, "bcp")
    rewrite(folder, "ssd_person.csv", lambda lines: [lines[0], lines[1].replace("Smith, Jones", "Smith\tJones"),
                                                     *lines[2:]])
    refusal = refused(folder, warehouse_settings, dialect="bcp")
    assert (refusal.reason, refusal.file, refusal.line) == ("wrong_field_count", "ssd_person.csv", 2)
    assert refusal.column is not None and "tab inside a value" in refusal.message


def test_a_line_break_inside_an_ssms_value_is_refused_not_joined(warehouse_settings, landing):
    folder = write_unquoted(landing, "ssms")
    rewrite(folder, "ssd_contacts.csv", lambda lines: [lines[0], lines[1].replace("School, primary", "School,\r\n"
                                                                                  "primary"), *lines[2:]])
    refusal = refused(folder, warehouse_settings, dialect="ssms")
    assert (refusal.reason, refusal.file, refusal.line) == ("wrong_field_count", "ssd_contacts.csv", 2)
    assert refusal.column in load_contract().table("ssd_contacts").column_names


def test_a_record_with_too_few_fields_is_refused(warehouse_settings, landing):
    folder = write_unquoted(landing, "bcp")
    rewrite(folder, "ssd_involvements.csv", lambda lines: ["\t".join(_split(lines[0])[:4]), *lines[1:]])
    refusal = refused(folder, warehouse_settings, dialect="bcp")
    expected_column = column_order(load_contract().table("ssd_involvements"))[4]
    assert (refusal.reason, refusal.file, refusal.line, refusal.column) == (
        "wrong_field_count", "ssd_involvements.csv", 1, expected_column)


def test_a_nul_inside_a_value_is_refused(warehouse_settings, landing):
    folder = write_unquoted(landing, "bcp")
    rewrite(folder, "ssd_person.csv", lambda lines: [lines[0].replace("Siobhán", "Siob\0hán"), *lines[1:]])
    refusal = refused(folder, warehouse_settings, dialect="bcp")
    assert (refusal.reason, refusal.line, refusal.column) == ("nul_byte", 1, "pers_forename")


def test_a_bad_sql_server_date_is_refused(warehouse_settings, landing):
    folder = write_unquoted(landing, "ssms")
    rewrite(folder, "ssd_person.csv", lambda lines: [lines[0], lines[1].replace("2012-03-04", "Jun 31 2012 12:00AM"),
                                                     *lines[2:]])
    refusal = refused(folder, warehouse_settings, dialect="ssms")
    assert (refusal.reason, refusal.file, refusal.line, refusal.column) == (
        "bad_date", "ssd_person.csv", 2, "pers_dob")


def test_sql_server_dates_load_in_any_dialect(warehouse_settings, landing):
    folder = write_unquoted(landing, "ssms")
    rewrite(folder, "ssd_person.csv", lambda lines: [lines[0], lines[1].replace("2012-03-04", "Mar  4 2012 12:00AM"),
                                                     *lines[2:]])
    loaded = load_extract(folder, warehouse_settings, dialect="ssms")
    assert raw_rows(warehouse_settings, "ssd_person", loaded.batch_id)[0]["pers_dob"] == "Mar  4 2012 12:00AM"


def test_bad_utf16_is_refused_with_its_line(warehouse_settings, landing):
    folder = write_unquoted(landing, "ssms", encoding="utf-16")
    path = folder / "ssd_person.csv"
    data = path.read_bytes()
    cut = data.index("P002".encode("utf-16-le"))
    path.write_bytes(data[:cut] + b"\x00\xd8" + data[cut:])  # a lone high surrogate before P002 (line 3)
    write_manifest(folder, ExtractSpec())
    refusal = refused(folder, warehouse_settings, dialect="ssms")
    assert (refusal.reason, refusal.file, refusal.line) == ("undecodable_bytes", "ssd_person.csv", 3)


def test_a_bcp_file_with_a_header_is_refused(warehouse_settings, landing):
    folder = write_unquoted(landing, "ssms")
    refusal = refused(folder, warehouse_settings, dialect="bcp")
    assert (refusal.reason, refusal.line) == ("bad_header", 1)


def _optional_manifest(settings, tmp_path, **export):
    path = tmp_path / "las.yml"
    path.write_text(yaml.safe_dump({"las": [{"code": LA, "name": "Demoshire",
                                             "export": {"dialect": "bcp", "manifest": "optional", **export}}]}))
    return settings.model_copy(update={"las_config": path})


def test_without_manifest_and_without_marker_the_extract_is_refused(warehouse_settings, landing, tmp_path):
    settings = _optional_manifest(warehouse_settings, tmp_path)
    folder = write_unquoted(landing, "bcp", manifest=False)
    assert not extract_is_ready(str(folder), "READY") and not extract_complete(folder, "READY")
    refusal = refused(folder, settings)
    assert (refusal.reason, refusal.file) == ("marker_missing", "READY")
    assert folder.is_dir() and refusal.quarantine_path is None  # left for the export job to finish
    (folder / "READY").write_text("")
    assert load_extract(folder, settings).status == "loaded"


def test_without_manifest_the_marker_completes_the_extract_and_counts_are_recorded(warehouse_settings, landing,
                                                                                    tmp_path):
    settings = _optional_manifest(warehouse_settings, tmp_path, marker="export.done")
    folder = write_unquoted(landing, "bcp", manifest=False)
    (folder / "export.done").write_text("2025-04-01T02:15:00+01:00\n")
    assert extract_is_ready(str(folder), "export.done") and not extract_is_ready(str(folder))
    from csc.ingest import next_extract

    assert next_extract(LA, settings) == folder
    loaded = load_extract(folder, settings)
    assert loaded.rows["ssd_person"] == 3
    with connect(settings) as conn:
        manifest, extracted_at = conn.execute("select manifest, extracted_at from ops.extract_batches "
                                              "where batch_id = %s", (loaded.batch_id,)).fetchone()
        expected = conn.execute("select rows_expected, rows_loaded, sha256 from ops.file_loads where batch_id = %s "
                                "and file_name = 'ssd_person.csv'", (loaded.batch_id,)).fetchone()
    assert extracted_at.isoformat().startswith("2025-04-01T01:15:00")
    assert "computed" in manifest
    assert {f["name"]: f["rows"] for f in manifest["files"]}["ssd_person.csv"] == 3
    assert expected[0] == expected[1] == 3 and len(expected[2]) == 64


def test_csc_generate_and_csc_load_take_the_dialect_options(warehouse_settings, landing, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from csc.cli import cli

    monkeypatch.setenv("CSC_HOME", str(warehouse_settings.home))
    monkeypatch.setenv("CSC_WAREHOUSE_URL", warehouse_settings.warehouse_url.get_secret_value())
    monkeypatch.setenv("CSC_AIRFLOW_DATABASE", warehouse_settings.airflow_database)
    runner = CliRunner()
    made = runner.invoke(cli, ["generate", "--la", "901", "--size", "tiny", "--as-of", "2026-11-30", "--out",
                               str(tmp_path / "g"), "--dialect", "bcp", "--delimiter", "|", "--datetime-style",
                               "sqlserver-text", "--quiet"], catch_exceptions=False)
    assert made.exit_code == 0, made.output
    folder = tmp_path / "g" / "901" / "2026-11-30"
    assert b"|" in (folder / "ssd_person.csv").read_bytes() and b"AM|" in (folder / "ssd_person.csv").read_bytes()
    landed = landing / "901" / "2026-11-30"
    landed.parent.mkdir(parents=True)
    folder.rename(landed)
    refused_run = runner.invoke(cli, ["load", str(landed), "--dialect", "bcp"], catch_exceptions=False)
    assert refused_run.exit_code == 1 and "wrong_field_count" in refused_run.output  # tab expected, | found
    quarantined = next((warehouse_settings.quarantine_dir / "901").iterdir()) / "extract"
    quarantined.rename(landed)
    loaded = runner.invoke(cli, ["load", str(landed), "--dialect", "bcp", "--delimiter", "|"],
                           catch_exceptions=False)
    assert loaded.exit_code == 0, loaded.output
    assert "loaded batch" in loaded.output
