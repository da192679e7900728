"""An LA's own targets file (config/las.yml `targets:`) is what dbt rates its indicators against."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from csc.settings import Settings
from csc.transform import build
from csc.transform.targets import TargetsFileError

pytestmark = pytest.mark.integration

HEADER = "la_code,indicator_id,effective_from,target,amber_threshold,target_source\n"
SELECT = ["indicator_catalogue", "indicator_targets", "int_indicator_targets"]


@pytest.fixture(autouse=True)
def only_the_selected_nodes_tests(monkeypatch):
    """Leave out tests that also need models outside SELECT (e.g. relationships of the catalogue's users)."""
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")


def configure(settings: Settings, folder: Path, targets: str) -> Settings:
    """Settings whose LA configuration names ``targets`` as LA 999's targets file (LA 903 names none)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "targets.csv").write_text(targets, encoding="utf-8")
    (folder / "las.yml").write_text(
        f"las:\n  - code: '999'\n    name: Demoshire\n    targets: {folder / 'targets.csv'}\n"
        "  - code: '903'\n    name: Countyshire\n", encoding="utf-8")
    return settings.model_copy(update={"las_config": folder / "las.yml"})


def in_force(settings: Settings) -> dict[tuple[str, str], tuple]:
    with psycopg.connect(settings.warehouse_url.get_secret_value()) as conn:
        rows = conn.execute("select la_code, indicator_id, effective_from::text, target::float, target_origin "
                            "from intermediate.int_indicator_targets").fetchall()
    return {(la, indicator): rest for la, indicator, *rest in rows}


def synced(settings: Settings) -> list[tuple]:
    with psycopg.connect(settings.warehouse_url.get_secret_value()) as conn:
        return conn.execute("select la_code, indicator_id, effective_from::text, target::float, targets_file "
                            "from ops.la_indicator_targets order by 1, 2, 3").fetchall()


def test_an_las_targets_file_replaces_its_seed_rows(dbt_settings: Settings, tmp_path: Path):
    settings = configure(dbt_settings, tmp_path, HEADER + "999,REREF_12M,2025-04-01,18,21,Improvement notice\n")
    build(settings, select=SELECT)
    found = in_force(settings)
    # Only the file's row: none of the seed's 999 rows (ASMT_45WD etc.) is in force any more.
    assert found == {("999", "REREF_12M"): ["2025-04-01", 18.0, "targets file"]}
    assert synced(settings) == [("999", "REREF_12M", "2025-04-01", 18.0, str(tmp_path / "targets.csv"))]


def test_the_seed_applies_to_an_la_without_synced_rows(dbt_settings: Settings, tmp_path: Path):
    # LA 999 names the default file, the seed itself; an LA whose file has no rows for it keeps nothing.
    settings = configure(dbt_settings, tmp_path, HEADER)
    build(settings, select=SELECT)
    found = in_force(settings)
    assert found[("999", "REREF_12M")] == ["2015-04-01", 20.0, "seed"]
    assert len(found) == 22


def test_a_bad_targets_file_is_refused_with_line_and_field_and_changes_nothing(dbt_settings: Settings,
                                                                                tmp_path: Path):
    good = configure(dbt_settings, tmp_path / "good", HEADER + "999,REREF_12M,2025-04-01,18,21,Improvement notice\n")
    build(good, select=SELECT)
    before = synced(good)
    bad = configure(dbt_settings, tmp_path / "bad",
                    HEADER + "999,REREF_12M,2025-04-01,18,21,ok\n999,ASMT_45WD,2025-04-01,eighty,75,typo\n")
    with pytest.raises(TargetsFileError, match=r"targets.csv, line 3, field target: 'eighty' is not a number"):
        build(bad, select=SELECT)
    assert synced(bad) == before
