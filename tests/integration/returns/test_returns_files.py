"""Where the files go, how a re-run replaces them, what the CLI prints, and the errors a user can act on."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pypdf import PdfReader

import csc.returns
from csc.cli import cli
from csc.returns import (
    NoPublishedMarts,
    QuarterNotComplete,
    ReturnError,
    UnknownLocalAuthority,
    return_folder,
    write_return,
)
from csc.settings import Settings
from csc.warehouse.connection import connect

from returns_marts import FORMULA_TEAMS, publish

pytestmark = pytest.mark.integration

NAMES = ["quarterly_return.xlsx", "quarterly_return.csv", "quarterly_return_teams.csv", "report.html", "report.pdf"]


def test_files_go_to_the_quarter_folder(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    folder = published.settings.outputs_dir / "returns" / "999" / "2026Q2"
    assert files.folder == folder == return_folder(published.settings, "999", "2026Q2")
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)
    assert [p.name for p in files.paths] == NAMES


def test_a_rerun_replaces_the_files_by_renaming(published):
    first = write_return(published.la_code, published.quarter.name, published.settings)
    old = {p.name: p.read_bytes() for p in first.paths}
    inodes = {p.name: p.stat().st_ino for p in first.paths}
    readers = {p.name: p.open("rb") for p in first.paths}  # a reader that opened the old files before the re-run
    try:
        second = write_return(published.la_code, published.quarter.name, published.settings, suppress_small=5)
        for name, reader in readers.items():
            assert reader.read() == old[name], f"{name}: the old file was overwritten in place"
    finally:
        for reader in readers.values():
            reader.close()
    for path in second.paths:
        assert path.stat().st_ino != inodes[path.name], f"{path.name} was not replaced by a rename"
    assert second.indicators_csv.read_bytes() != old["quarterly_return.csv"]
    assert sorted(p.name for p in second.folder.iterdir()) == sorted(NAMES), "no temporary file left behind"


def test_a_failed_rerun_leaves_the_previous_return_untouched(published, monkeypatch):
    first = write_return(published.la_code, published.quarter.name, published.settings)
    old = {p.name: p.read_bytes() for p in first.paths}

    def pdf_fails(view, path):
        path.write_bytes(b"%PDF-half")
        raise OSError("disk full")

    monkeypatch.setattr(csc.returns, "write_pdf", pdf_fails)
    with pytest.raises(OSError, match="disk full"):
        write_return(published.la_code, published.quarter.name, published.settings, suppress_small=5)
    assert {p.name: p.read_bytes() for p in first.paths} == old
    assert sorted(p.name for p in first.folder.iterdir()) == sorted(NAMES)


def test_the_pdf_is_the_report(published):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    reader = PdfReader(files.report_pdf)
    text = "".join(page.extract_text() for page in reader.pages)
    assert reader.metadata.title.startswith("Quarterly return: Demoshire")
    for expected in ("Headline figures", "Trends against targets", "Open cases with no allocated social worker",
                     "Teams: unallocated children, backlogs and caseloads", "Average caseload by team",
                     FORMULA_TEAMS[0], "Data quality", "ALLOC_DEPARTED_WORKER", "Definitions",
                     "Where these figures come from"):
        assert expected in text, expected


def test_the_cli_prints_the_paths(published, monkeypatch):
    monkeypatch.setenv("CSC_WAREHOUSE_URL", published.settings.warehouse_url.get_secret_value())
    monkeypatch.setenv("CSC_HOME", str(published.settings.home))
    result = CliRunner().invoke(cli, ["return", "--la", "999", "--quarter", "2026q2", "--suppress-small"])
    assert result.exit_code == 0, result.output
    folder = return_folder(published.settings, "999", "2026Q2")
    assert result.output.splitlines() == [str(folder / name) for name in NAMES]
    assert "[c]" in (folder / "quarterly_return.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(("args", "message"), [
    (["--la", "ZZZ", "--quarter", "2026Q2"], "LA 'ZZZ' is unknown"),
    (["--la", "999", "--quarter", "2026Q3"], "2026Q3 (Q3 2026-27 (October to December 2026)) is not complete"),
    (["--la", "999", "--quarter", "2026-Q9"], "is not a financial-year quarter"),
    (["--la", "999", "--quarter", "2026Q2", "--suppress-small", "0"], "0 is not in the range x>=1"),
])
def test_the_cli_explains_what_is_wrong(published, monkeypatch, args, message):
    monkeypatch.setenv("CSC_WAREHOUSE_URL", published.settings.warehouse_url.get_secret_value())
    monkeypatch.setenv("CSC_HOME", str(published.settings.home))
    result = CliRunner().invoke(cli, ["return", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert not (published.settings.outputs_dir / "returns").exists()


def test_errors_name_the_problem(published):
    with pytest.raises(UnknownLocalAuthority, match="not configured in .*las.yml and the warehouse has received"):
        write_return("ZZZ", "2026Q2", published.settings)
    with pytest.raises(QuarterNotComplete, match="The latest complete quarter is 2026Q2"):
        write_return("999", "2026Q3", published.settings)
    with pytest.raises(NoPublishedMarts, match="hold no indicator values of LA 999 for 2012Q1"):
        write_return("999", "2012Q1", published.settings)


def test_no_published_marts_yet(warehouse_settings):
    with pytest.raises(NoPublishedMarts, match="LA 999 .*none published yet"):
        write_return("999", "2026Q2", warehouse_settings)


def test_published_batch_without_marts(warehouse_settings):
    """The ops records say published but the marts were never built here (e.g. a restored ops schema)."""
    published = publish(warehouse_settings)
    with connect(warehouse_settings, role="csc_transformer") as conn:
        conn.execute("drop table marts.indicator_contributions")
    missing = 'no published marts (relation "marts.indicator_contributions" does not exist): run the nightly pipeline'
    with pytest.raises(NoPublishedMarts, match=re.escape(missing)):
        write_return(published.la_code, "2026Q2", warehouse_settings)


def test_a_login_that_may_not_read_as_bi_reader_is_told_what_to_grant(published):
    params = conninfo_to_dict(published.settings.warehouse_url.get_secret_value())
    with connect(published.settings, autocommit=True) as conn:
        conn.execute("drop role if exists returns_test_login")
        conn.execute("create role returns_test_login login password 'returns-test-password'")
        conn.execute(f"grant connect on database {params['dbname']} to returns_test_login")
    try:
        login = Settings(home=published.settings.home,
                         warehouse_url=make_conninfo(**{**params, "user": "returns_test_login",
                                                         "password": "returns-test-password"}))
        with pytest.raises(ReturnError, match="grant csc_dq_reader to <login>"):
            write_return("999", "2026Q2", login)
    finally:
        with connect(published.settings, autocommit=True) as conn:
            conn.execute(f"revoke connect on database {params['dbname']} from returns_test_login")
            conn.execute("drop role returns_test_login")
