"""Loading an extract: every value lands in raw exactly as written, tagged with batch and line; ops records it;
loading twice is a no-op; a corrected or newer extract replaces the candidate; retention keeps raw and archive small.
"""

import hashlib
import zipfile
from datetime import date, timedelta

import pytest

from csc.contract import load_contract
from csc.ingest import ExtractRefused, landed_extracts, load_extract, loaded_batch, next_extract
from csc.warehouse.connection import connect

from ingest_extracts import SAMPLE_ROWS, ExtractSpec, batches, publish, raw_fingerprint, raw_rows, zip_extract

pytestmark = pytest.mark.integration


def test_every_value_lands_exactly_as_written(warehouse_settings, landing):
    folder = ExtractSpec().write(landing)
    result = load_extract(folder, warehouse_settings)
    assert result.status == "loaded"
    assert result.rows == {t.name: len(SAMPLE_ROWS.get(t.name, [])) for t in load_contract()}
    for table, rows in SAMPLE_ROWS.items():
        columns = load_contract().table(table).column_names
        loaded = raw_rows(warehouse_settings, table, result.batch_id)
        expected = [{c: row.get(c) or None for c in columns} for row in rows]
        assert [{c: r[c] for c in columns} for r in loaded] == expected
    contacts = raw_rows(warehouse_settings, "ssd_contacts", result.batch_id)
    assert [r["_line_no"] for r in contacts] == [2, 4]  # the first contact's description spans two lines


def test_ops_records_the_batch_each_file_and_the_attempt(warehouse_settings, landing):
    spec = ExtractSpec(drop_columns={"ssd_person": ["pers_gender", "pers_is_mother"]})
    result = load_extract(spec.write(landing), warehouse_settings)
    with connect(warehouse_settings) as conn:
        batch = conn.execute("select la_code, la_name, extract_date, status, rows_loaded, manifest->>'source_system', "
                             "loaded_at is not null from ops.extract_batches").fetchall()
        files = {r[0]: r[1:] for r in conn.execute(
            "select table_name, status, rows_expected, rows_loaded, encoding, header[1], missing_columns, "
            "bytes > 0, length(sha256), finished_at >= started_at from ops.file_loads where batch_id = %s",
            (result.batch_id,))}
        attempts = conn.execute("select outcome, batch_id, la_code, extract_date from ops.load_attempts").fetchall()
    assert batch == [("999", "Demoshire", date(2025, 3, 31), "loaded", result.total_rows, "SystemC LCS", True)]
    assert len(files) == len(load_contract().tables)
    assert files["ssd_person"] == ("loaded", 3, 3, "utf-8-sig", "PERS_PERSON_ID", ["pers_gender", "pers_is_mother"],
                                   True, 64, True)
    assert files["ssd_department"][3] == "cp1252"
    assert files["ssd_contacts"][3] == "utf-8"
    assert attempts == [("loaded", result.batch_id, "999", date(2025, 3, 31))]
    loaded = raw_rows(warehouse_settings, "ssd_person", result.batch_id)
    assert {r["pers_gender"] for r in loaded} == {None}


@pytest.mark.parametrize("inside_folder", [False, True])
def test_a_zip_loads_like_a_folder(warehouse_settings, landing, inside_folder):
    bundle = zip_extract(ExtractSpec().write(landing), inside_folder=inside_folder)
    result = load_extract(bundle, warehouse_settings)
    assert result.rows["ssd_contacts"] == 2
    assert raw_rows(warehouse_settings, "ssd_contacts", result.batch_id)[1]["cont_contact_source_desc"] == \
        "£50 bus pass — café 😀"
    assert not bundle.exists()


def test_landed_files_are_archived_with_their_checksums(warehouse_settings, landing):
    folder = ExtractSpec().write(landing)
    landed = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = load_extract(folder, warehouse_settings)
    assert not folder.exists()
    assert result.archive_path == warehouse_settings.archive_dir / "999" / "2025-03-31" / f"batch-{result.batch_id}.zip"
    with zipfile.ZipFile(result.archive_path) as bundle:
        archived = {name: bundle.read(name) for name in bundle.namelist() if name != "SHA256SUMS"}
        sums = dict(reversed(line.split("  ")) for line in bundle.read("SHA256SUMS").decode().splitlines())
        compressed = all(info.compress_type == zipfile.ZIP_DEFLATED for info in bundle.infolist())
    assert archived == landed
    assert sums == {name: hashlib.sha256(data).hexdigest() for name, data in landed.items()}
    assert compressed
    with connect(warehouse_settings) as conn:
        assert conn.execute("select archive_path from ops.extract_batches").fetchone()[0] == str(result.archive_path)


def test_loading_twice_changes_nothing_but_a_skipped_record(warehouse_settings, landing):
    first = load_extract(ExtractSpec().write(landing), warehouse_settings)
    before = raw_fingerprint(warehouse_settings), batches(warehouse_settings)
    with connect(warehouse_settings) as conn:
        files_before = conn.execute("select * from ops.file_loads order by file_name").fetchall()
    again = ExtractSpec().write(landing)  # the same extract lands a second time
    second = load_extract(again, warehouse_settings)
    assert (second.status, second.batch_id) == ("skipped", first.batch_id)
    assert f"already loaded as batch {first.batch_id}" in second.message
    assert (raw_fingerprint(warehouse_settings), batches(warehouse_settings)) == before
    with connect(warehouse_settings) as conn:
        assert conn.execute("select * from ops.file_loads order by file_name").fetchall() == files_before
        assert conn.execute("select outcome, batch_id from ops.load_attempts order by attempt_id").fetchall() == [
            ("loaded", first.batch_id), ("skipped", first.batch_id)]
    assert not again.exists(), "the duplicate landed copy is removed: its archive is already kept"


def test_a_run_stopped_before_archiving_is_finished_by_the_next_load(warehouse_settings, landing):
    folder = ExtractSpec().write(landing)
    first = load_extract(folder, warehouse_settings)
    first.archive_path.unlink()
    again = ExtractSpec().write(landing)
    second = load_extract(again, warehouse_settings)
    assert second.status == "skipped" and second.archive_path.exists() and not again.exists()


def test_a_corrected_extract_replaces_the_candidate(warehouse_settings, landing):
    original = load_extract(ExtractSpec().write(landing), warehouse_settings)
    corrected = ExtractSpec(extracted_at="2025-04-01T06:00:00+01:00")
    corrected.rows["ssd_person"][1]["pers_dob"] = "05/03/2015"
    result = load_extract(corrected.write(landing), warehouse_settings)
    assert (result.status, result.replaced_batch_id) == ("loaded", original.batch_id)
    assert raw_rows(warehouse_settings, "ssd_person", original.batch_id) == []
    assert raw_rows(warehouse_settings, "ssd_person", result.batch_id)[1]["pers_dob"] == "05/03/2015"
    with connect(warehouse_settings) as conn:
        assert conn.execute("select batch_id, status, superseded_by, raw_purged_at is not null "
                            "from ops.extract_batches order by batch_id").fetchall() == [
            (original.batch_id, "replaced", result.batch_id, True), (result.batch_id, "loaded", None, False)]


def test_raw_keeps_the_published_batch_and_one_candidate(warehouse_settings, landing):
    monday = load_extract(ExtractSpec(date(2025, 3, 31), "2025-04-01T02:00:00+01:00").write(landing),
                          warehouse_settings)
    publish(warehouse_settings, monday.batch_id)
    tuesday = load_extract(ExtractSpec(date(2025, 4, 1), "2025-04-02T02:00:00+01:00").write(landing),
                           warehouse_settings)
    wednesday = load_extract(ExtractSpec(date(2025, 4, 2), "2025-04-03T02:00:00+01:00").write(landing),
                             warehouse_settings)
    assert wednesday.replaced_batch_id == tuesday.batch_id
    with connect(warehouse_settings) as conn:
        in_raw = [r[0] for r in conn.execute("select distinct _batch_id from raw.ssd_person order by 1")]
    assert in_raw == [monday.batch_id, wednesday.batch_id]
    publish(warehouse_settings, wednesday.batch_id)  # Monday is superseded by publication: purged at the next load
    thursday = load_extract(ExtractSpec(date(2025, 4, 3), "2025-04-04T02:00:00+01:00").write(landing),
                            warehouse_settings)
    with connect(warehouse_settings) as conn:
        in_raw = [r[0] for r in conn.execute("select distinct _batch_id from raw.ssd_person order by 1")]
    assert in_raw == [wednesday.batch_id, thursday.batch_id]
    assert [b[1] for b in batches(warehouse_settings)] == ["superseded", "replaced", "published", "loaded"]


def test_an_extract_older_than_the_published_batch_is_refused(warehouse_settings, landing):
    newer = load_extract(ExtractSpec(date(2025, 4, 2), "2025-04-03T02:00:00+01:00").write(landing),
                         warehouse_settings)
    publish(warehouse_settings, newer.batch_id)
    before = raw_fingerprint(warehouse_settings)
    with pytest.raises(ExtractRefused) as caught:
        load_extract(ExtractSpec(date(2025, 4, 1), "2025-04-02T02:00:00+01:00").write(landing), warehouse_settings)
    assert caught.value.reason == "older_than_loaded"
    assert f"older than batch {newer.batch_id} (published" in str(caught.value)
    assert raw_fingerprint(warehouse_settings) == before


def test_archives_are_kept_for_the_retention_period(warehouse_settings, landing):
    settings = warehouse_settings.model_copy(update={"archive_retention_days": 2})
    first_day = date(2025, 3, 1)
    archives = []
    for day in range(5):
        extract_date = first_day + timedelta(days=day)
        spec = ExtractSpec(extract_date, f"{extract_date + timedelta(days=1)}T02:00:00+00:00")
        archives.append(load_extract(spec.write(landing), settings).archive_path)
    assert [a.exists() for a in archives] == [False, False, True, True, True]


def test_next_extract_is_the_oldest_ready_one(warehouse_settings, landing):
    assert next_extract("999", warehouse_settings) is None
    later = ExtractSpec(date(2025, 4, 2)).write(landing)
    earlier = zip_extract(ExtractSpec(date(2025, 4, 1)).write(landing))
    (landing / "999" / "2025-03-30").mkdir()  # still arriving: no manifest yet
    (landing / "999" / "notes").mkdir()
    assert landed_extracts("999", warehouse_settings) == [earlier, later]
    assert next_extract("999", warehouse_settings) == earlier


def test_loaded_batch_tells_a_loaded_night_from_one_not_arrived(warehouse_settings, landing):
    night = date(2025, 3, 31)
    assert loaded_batch("999", night, warehouse_settings) is None
    first = load_extract(ExtractSpec(night).write(landing), warehouse_settings)
    assert loaded_batch("999", night, warehouse_settings) == (first.batch_id, "loaded")
    corrected = load_extract(ExtractSpec(night, "2025-04-01T05:00:00+01:00").write(landing), warehouse_settings)
    assert loaded_batch("999", night, warehouse_settings) == (corrected.batch_id, "loaded")
    assert loaded_batch("999", date(2025, 4, 1), warehouse_settings) is None

