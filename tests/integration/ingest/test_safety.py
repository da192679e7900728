"""Only files inside the landing folder are read: escaping paths, links and zip members are refused; what is not
ours is left untouched, what is in landing is quarantined. Unexpected errors leave everything in place.
"""

import stat
import zipfile

import psycopg
import pytest

from csc.ingest import ExtractRefused, load_extract
from csc.warehouse.connection import connect

from ingest_extracts import ExtractSpec, batches, raw_fingerprint, zip_extract

pytestmark = pytest.mark.integration


def _attempts(settings):
    with connect(settings) as conn:
        return conn.execute("select outcome, reason, la_code, quarantine_path from ops.load_attempts").fetchall()


def test_an_extract_outside_landing_is_refused_and_left_alone(warehouse_settings, landing, tmp_path):
    outside = ExtractSpec().write(tmp_path / "elsewhere")
    for path in (outside, landing / ".." / ".." / "elsewhere" / "999" / "2025-03-31"):
        with pytest.raises(ExtractRefused) as caught:
            load_extract(path, warehouse_settings)
        assert caught.value.reason == "path_outside_landing"
        assert "not inside a landing folder" in str(caught.value)
    assert (outside / "manifest.json").exists(), "not ours to move"
    assert _attempts(warehouse_settings) == [("refused", "path_outside_landing", None, None)] * 2


def test_a_linked_extract_folder_leading_out_of_landing_is_refused(warehouse_settings, landing, tmp_path):
    outside = ExtractSpec().write(tmp_path / "elsewhere")
    (landing / "999").mkdir()
    link = landing / "999" / "2025-03-31"
    link.symlink_to(outside)
    with pytest.raises(ExtractRefused) as caught:
        load_extract(link, warehouse_settings)
    assert caught.value.reason == "path_outside_landing"
    assert link.is_symlink() and (outside / "manifest.json").exists()


def test_a_file_linking_out_of_landing_is_refused(warehouse_settings, landing, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("not yours\n")
    folder = ExtractSpec().write(landing)
    (folder / "ssd_missing.csv").unlink()
    (folder / "ssd_missing.csv").symlink_to(secret)
    with pytest.raises(ExtractRefused) as caught:
        load_extract(folder, warehouse_settings)
    refusal = caught.value
    assert (refusal.reason, refusal.file) == ("unsafe_path", "ssd_missing.csv")
    assert "outside the landing folder" in str(refusal)
    assert secret.read_text() == "not yours\n"
    assert (refusal.quarantine_path / "extract" / "ssd_missing.csv").is_symlink()


@pytest.mark.parametrize("member", ["../escape.csv", "/etc/escape.csv", "C:/escape.csv", "sub\\escape.csv"])
def test_zip_members_with_escaping_names_are_refused(warehouse_settings, landing, member):
    bundle = zip_extract(ExtractSpec().write(landing))
    with zipfile.ZipFile(bundle, "a") as archive:
        archive.writestr(member, "x\n")
    with pytest.raises(ExtractRefused) as caught:
        load_extract(bundle, warehouse_settings)
    assert (caught.value.reason, caught.value.file) == ("unsafe_path", member)
    assert (caught.value.quarantine_path / bundle.name).exists()
    assert not (landing.parent / "escape.csv").exists()


def test_zip_member_that_is_a_link_is_refused(warehouse_settings, landing):
    bundle = zip_extract(ExtractSpec().write(landing))
    link = zipfile.ZipInfo("ssd_link.csv")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(bundle, "a") as archive:
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(ExtractRefused) as caught:
        load_extract(bundle, warehouse_settings)
    assert (caught.value.reason, caught.value.file) == ("unsafe_path", "ssd_link.csv")


def test_a_corrupt_zip_is_refused(warehouse_settings, landing):
    bundle = zip_extract(ExtractSpec().write(landing))
    data = bytearray(bundle.read_bytes())
    data[60:80] = b"\0" * 20  # inside the first member's compressed data
    bundle.write_bytes(bytes(data))
    with pytest.raises(ExtractRefused) as caught:
        load_extract(bundle, warehouse_settings)
    assert caught.value.reason == "bad_zip"


def test_an_unexpected_error_rolls_back_records_failed_and_leaves_the_files(warehouse_settings, landing):
    before = raw_fingerprint(warehouse_settings)
    folder = ExtractSpec().write(landing)
    with connect(warehouse_settings) as conn:
        conn.execute("alter table raw.ssd_missing rename column miss_table_id to gone")
    try:
        with pytest.raises(psycopg.errors.UndefinedColumn):
            load_extract(folder, warehouse_settings)
    finally:
        with connect(warehouse_settings) as conn:
            conn.execute("alter table raw.ssd_missing rename column gone to miss_table_id")
    assert (folder / "manifest.json").exists()
    assert raw_fingerprint(warehouse_settings) == before
    assert [b[1] for b in batches(warehouse_settings)] == ["failed"]
    assert [a[0] for a in _attempts(warehouse_settings)] == ["failed"]
    assert load_extract(folder, warehouse_settings).status == "loaded", "a failed load can be retried"


def test_archiving_failure_after_commit_is_finished_by_a_retry(warehouse_settings, landing):
    warehouse_settings.archive_dir.parent.mkdir(parents=True, exist_ok=True)
    warehouse_settings.archive_dir.write_text("in the way")
    folder = ExtractSpec().write(landing)
    with pytest.raises(OSError):
        load_extract(folder, warehouse_settings)
    assert [b[1] for b in batches(warehouse_settings)] == ["loaded"]
    warehouse_settings.archive_dir.unlink()
    retry = load_extract(folder, warehouse_settings)
    assert retry.status == "skipped" and retry.archive_path.exists() and not folder.exists()
    assert [a[0] for a in _attempts(warehouse_settings)] == ["loaded", "failed", "skipped"]
