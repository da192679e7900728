"""Issue 16 item 2: an extract sent again after its correction (A, then its correction B, then A) is refused clearly,
naming the batch that replaced it, and loads nothing; ``--force`` loads it again as the LA's candidate."""

import pytest
from click.testing import CliRunner

from csc.cli import cli
from csc.ingest import ExtractReplaced, load_extract
from csc.warehouse.connection import connect

from ingest_extracts import ExtractSpec, batches, raw_rows

pytestmark = pytest.mark.integration


def original() -> ExtractSpec:
    return ExtractSpec()


def correction() -> ExtractSpec:
    spec = ExtractSpec(extracted_at="2025-04-01T06:00:00+01:00")
    spec.rows["ssd_person"][1]["pers_dob"] = "05/03/2015"
    return spec


@pytest.fixture
def run(warehouse_settings, monkeypatch):
    monkeypatch.setenv("CSC_HOME", str(warehouse_settings.home))
    monkeypatch.setenv("CSC_WAREHOUSE_URL", warehouse_settings.warehouse_url.get_secret_value())
    monkeypatch.setenv("CSC_AIRFLOW_DATABASE", warehouse_settings.airflow_database)
    return lambda *args: CliRunner().invoke(cli, ["load", *args], catch_exceptions=False)


def attempts(settings) -> list[tuple]:
    with connect(settings) as conn:
        return conn.execute("select outcome, reason, batch_id from ops.load_attempts order by attempt_id").fetchall()


def test_an_extract_replaced_by_its_correction_is_refused_and_left_in_place(warehouse_settings, landing):
    a = load_extract(original().write(landing), warehouse_settings)
    b = load_extract(correction().write(landing), warehouse_settings)
    assert b.replaced_batch_id == a.batch_id
    again = original().write(landing)
    with pytest.raises(ExtractReplaced) as refused:
        load_extract(again, warehouse_settings)
    message = str(refused.value)
    assert f"loaded as batch {a.batch_id}" in message and f"replaced by batch {b.batch_id} (2025-03-31, loaded)" \
        in message
    assert "--force" in message and refused.value.replaced_by == b.batch_id
    assert again.exists(), "a good extract, only not the latest: not quarantined"
    assert not (warehouse_settings.quarantine_dir / "999").exists() or \
        not any((warehouse_settings.quarantine_dir / "999").iterdir())
    # Nothing changed: B stays the candidate with its rows; no new batch.
    assert [(row[0], row[1]) for row in batches(warehouse_settings)] == [(a.batch_id, "replaced"),
                                                                          (b.batch_id, "loaded")]
    assert raw_rows(warehouse_settings, "ssd_person", b.batch_id)[1]["pers_dob"] == "05/03/2015"
    assert attempts(warehouse_settings)[-1] == ("refused", "replaced", None)


def test_force_loads_the_replaced_extract_again_as_the_candidate(warehouse_settings, landing):
    a = load_extract(original().write(landing), warehouse_settings)
    b = load_extract(correction().write(landing), warehouse_settings)
    again = load_extract(original().write(landing), warehouse_settings, force=True)
    assert again.status == "loaded" and again.batch_id not in (a.batch_id, b.batch_id)
    assert again.replaced_batch_id == b.batch_id
    assert f"this extract was batch {a.batch_id}, replaced by batch {b.batch_id}" in again.message
    assert [(row[0], row[1]) for row in batches(warehouse_settings)] == [
        (a.batch_id, "replaced"), (b.batch_id, "replaced"), (again.batch_id, "loaded")]
    assert raw_rows(warehouse_settings, "ssd_person", again.batch_id)[1]["pers_dob"] == "04/03/2015"
    assert raw_rows(warehouse_settings, "ssd_person", b.batch_id) == []
    # Loading it once more is the ordinary no-op: it is the live candidate now.
    assert load_extract(original().write(landing), warehouse_settings).status == "skipped"


def test_csc_load_exit_status_5_then_force(run, landing, warehouse_settings):
    assert run(str(original().write(landing))).exit_code == 0
    assert run(str(correction().write(landing))).exit_code == 0
    folder = original().write(landing)
    refused = run(str(folder))
    assert refused.exit_code == 5, refused.output
    assert "NOT LOADED (replaced)" in refused.output and "replaced by batch 2" in refused.output
    assert f"csc load --force {folder}" in refused.output
    forced = run("--force", str(folder))
    assert forced.exit_code == 0, forced.output
    assert "loaded batch 3" in forced.output and "replacing candidate batch 2" in forced.output
    assert [row[1] for row in batches(warehouse_settings)] == ["replaced", "replaced", "loaded"]


def test_force_never_loads_an_extract_older_than_a_later_night(warehouse_settings, landing):
    """--force overrides "replaced" only: an extract of an earlier night than the LA's candidate stays refused."""
    from datetime import date

    from csc.ingest import ExtractRefused

    load_extract(original().write(landing), warehouse_settings)
    load_extract(correction().write(landing), warehouse_settings)
    later = ExtractSpec(date(2025, 4, 1), "2025-04-02T02:00:00+01:00")
    load_extract(later.write(landing), warehouse_settings)
    with pytest.raises(ExtractRefused) as refused:
        load_extract(original().write(landing), warehouse_settings, force=True)
    assert refused.value.reason == "older_than_loaded"
