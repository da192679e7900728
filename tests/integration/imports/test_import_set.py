"""The import set on a real warehouse: each 903 year stored per LA, kind and year, the combined history loaded by
the ordinary loader as a 'returns' batch; three years one by one give the same batch as the three at once; a
re-import of the same files changes nothing, of other files replaces the year; a refused import changes nothing."""

from __future__ import annotations

import stat

import pytest
from click.testing import CliRunner

from csc.imports.importset import import_returns
from csc.imports.ssda903 import parse_903
from csc.warehouse.connection import connect

from imports_setup import YEARS, raw_content, stored_state, warehouse, write_year

pytestmark = pytest.mark.integration

LA = "901"


def _parse(tmp_path, year, files=None):
    return parse_903(write_year(tmp_path / f"903-{year}", year, files), LA, year)


def _latest_batch(settings):
    with connect(settings) as conn:
        return conn.execute("select batch_id, status, source_kind, extract_date, extracted_at from ops.extract_batches "
                            "where la_code = %s order by batch_id desc limit 1", (LA,)).fetchone()


def test_three_years_one_by_one_equal_the_three_at_once(pg_server, tmp_path):
    returns = {year: _parse(tmp_path, year) for year in YEARS}
    with warehouse(pg_server, tmp_path / "at-once") as settings:
        together = import_returns(settings, list(returns.values()))
        assert together.status == "loaded"
        at_once = raw_content(settings, together.batch_id)
        batch = _latest_batch(settings)
        assert batch[1:4] == ("loaded", "returns", together.extract_date)
        assert str(together.extract_date) == "2025-03-31"
        landed = settings.home / "archive" / LA
        assert landed.exists()  # the loader archived the rendered extract as any extract
        stored = list((settings.home / "imports" / LA).iterdir())
        assert len(stored) == 3 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in stored)
        assert stat.S_IMODE((settings.home / "imports" / LA).stat().st_mode) == 0o700
    with warehouse(pg_server, tmp_path / "one-by-one") as settings:
        batches = []
        for year in ("2023-24", "2024-25", "2022-23"):  # out of order: an earlier year after a later one
            result = import_returns(settings, [returns[year]])
            assert result.status == "loaded", result.message
            batches.append(result)
        assert [b.extract_date for b in batches] == [batches[0].extract_date, together.extract_date,
                                                     together.extract_date]
        assert batches[0].extracted_at < batches[1].extracted_at < batches[2].extracted_at
        one_by_one = raw_content(settings, batches[-1].batch_id)
        with connect(settings) as conn:
            statuses = dict(conn.execute("select batch_id, status from ops.extract_batches").fetchall())
            current = conn.execute("select kind, period from ops.return_imports where replaced_at is null "
                                   "order by period").fetchall()
        assert [statuses[b.batch_id] for b in batches] == ["replaced", "replaced", "loaded"]
        assert current == [("903", "2022-23"), ("903", "2023-24"), ("903", "2024-25")]
    assert one_by_one == at_once
    # the history: C1's first placement runs across two year ends as one placement; one period of care
    placements = [r for r in at_once["ssd_cla_placement"] if r[-1] == "C1"]
    assert len(placements) == 2
    assert len({r[7] for r in at_once["ssd_cla_episodes"] if r[1] == "C1"}) == 1
    assert len(at_once["ssd_cla_reviews"]) == 6


def test_the_same_files_again_change_nothing_and_other_files_replace_the_year(pg_server, tmp_path):
    with warehouse(pg_server, tmp_path / "home") as settings:
        first = import_returns(settings, [_parse(tmp_path / "a", "2024-25")])
        before = stored_state(settings)
        again = import_returns(settings, [_parse(tmp_path / "b", "2024-25")])
        assert again.status == "unchanged" and again.batch_id == first.batch_id
        assert stored_state(settings) == before

        corrected = dict(YEARS["2024-25"])
        corrected["reviews.csv"] += "C3,01/01/2015,20/03/2025,PN1\n"
        replaced = import_returns(settings, [_parse(tmp_path / "c", "2024-25", corrected)])
        assert replaced.status == "loaded" and replaced.changes == {"903 2024-25": "replaced"}
        assert len(raw_content(settings, replaced.batch_id)["ssd_cla_reviews"]) == 3
        with connect(settings) as conn:
            imports = conn.execute("select import_id, replaced_by is not null from ops.return_imports "
                                   "order by 1").fetchall()
        assert [r[1] for r in imports] == [True, False]


def test_a_refused_import_changes_nothing(pg_server, tmp_path):
    from csc.cli import cli

    with warehouse(pg_server, tmp_path / "home") as settings:
        import_returns(settings, [_parse(tmp_path / "a", "2023-24")])
        before = stored_state(settings)
        bad = dict(YEARS["2024-25"])
        bad["episodes.csv"] = bad["episodes.csv"].replace("01/08/2024,P", "31/09/2024,P")
        folder = write_year(tmp_path / "bad", "2024-25", bad)
        env = {"CSC_HOME": str(settings.home), "CSC_WAREHOUSE_URL": settings.warehouse_url.get_secret_value(),
               "CSC_AIRFLOW_DATABASE": settings.airflow_database}
        outcome = CliRunner().invoke(cli, ["import", "903", str(folder), "--la", LA, "--year", "2024-25"], env=env)
        assert outcome.exit_code == 1, outcome.output
        assert "episodes.csv, line 3, field DECOM: DECOM '31/09/2024' is not a date" in outcome.output
        assert stored_state(settings) == before

        # refused by the loader (an SSD extract of the LA with a later date is not overwritten): nothing kept either
        from csc.imports.importset import ImportSetError
        from csc.ingest import ExtractRefused

        with connect(settings) as conn:
            conn.execute("update ops.extract_batches set extract_date = '2026-01-01' where la_code = %s", (LA,))
        before = stored_state(settings)
        with pytest.raises((ExtractRefused, ImportSetError)) as refused:
            import_returns(settings, [_parse(tmp_path / "c", "2024-25")])
        assert getattr(refused.value, "reason", None) == "older_than_loaded"
        after = stored_state(settings)
        assert after["imports"] == before["imports"] and after["revisions"] == before["revisions"]
        assert after["raw"] == before["raw"] and after["stored"] == before["stored"]
        assert [b for b in after["batches"] if b[1] != "refused"] == before["batches"]


def test_a_render_left_by_an_interrupted_import_is_rendered_again_and_a_waiting_extract_is_not_touched(
        pg_server, tmp_path):
    from datetime import UTC, date, datetime

    from csc.imports.importset import ImportSetError, render_extract

    with warehouse(pg_server, tmp_path / "home") as settings:
        folder = settings.landing_dir / LA / "2025-03-31"
        render_extract(folder, LA, LA, {}, date(2025, 3, 31), datetime(2025, 4, 1, tzinfo=UTC))
        assert import_returns(settings, [_parse(tmp_path / "a", "2024-25")]).status == "loaded"
        assert not folder.exists()  # loaded and archived

        waiting = settings.landing_dir / LA / "2026-03-31"
        waiting.mkdir()
        (waiting / "manifest.json").write_text('{"la_code": "901"}', encoding="utf-8")
        before = stored_state(settings)
        with pytest.raises(ImportSetError, match="an extract of the LA waiting to be loaded"):
            import_returns(settings, [_parse(tmp_path / "b", "2025-26", {
                "header.csv": YEARS["2024-25"]["header.csv"],
                "episodes.csv": YEARS["2024-25"]["episodes.csv"].replace("01/01/2025,S", "01/01/2026,S")})])
        assert stored_state(settings) == before and (waiting / "manifest.json").exists()


def test_the_cli_imports_and_says_what_it_did(pg_server, tmp_path):
    from csc.cli import cli

    with warehouse(pg_server, tmp_path / "home") as settings:
        env = {"CSC_HOME": str(settings.home), "CSC_WAREHOUSE_URL": settings.warehouse_url.get_secret_value(),
               "CSC_AIRFLOW_DATABASE": settings.airflow_database}
        folder = write_year(tmp_path / "903", "2022-23")
        args = ["import", "903", str(folder), "--la", LA, "--year", "2022-23"]
        first = CliRunner().invoke(cli, args, env=env)
        assert first.exit_code == 0, first.output
        assert "legacy sex codes 1/2 read as M/F on 2 row(s)" in first.output
        assert "loaded: LA 901: 903 2022-23 new; loaded as batch" in first.output
        second = CliRunner().invoke(cli, args, env=env)
        assert second.exit_code == 0 and "unchanged" in second.output, second.output
        missing = CliRunner().invoke(cli, ["import", "cin", str(folder / "header.csv"), "--la", LA, "--year",
                                           "2022-23"], env=env)
        assert missing.exit_code == 1, missing.output
