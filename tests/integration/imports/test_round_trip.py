"""The round trip of issue 14: a generated LA through the whole pipeline, its SSDA903 returns written by
``csc statutory 903``, imported into other LA codes, checked, built by dbt and published: the looked-after
indicators the returns support are the source LA's, and the returns written again from the imported LAs are the
returns imported. One year alone, and three years imported one by one out of order. The 903 and the CIN census of a
year as a pair (the CIN census's monthly referral, assessment, s47, CP and CIN figures come back too), and an Annex
A: imported alone (what it reads is in raw; a damaged workbook changes nothing), then with the 903 and CIN."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from csc.settings import Settings
from csc.statutory import CollectionYear
from csc.warehouse.connection import connect

from imports_setup import warehouse

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Great Expectations' import warns (Python's own re internals); not ours to fix.
    pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning"),
]

SOURCE, IMPORTED, HISTORY = "999", "901", "903"
SUMMARY = "998"  # an Annex A, then the 903 and CIN of the year before it
AS_OF = date(2026, 6, 30)
YEAR = CollectionYear.latest_complete(AS_OF)  # 2025-26
# What one year's 903 return supports at its 31 March: who is looked after (and not only on short breaks), and
# their placements in the 12 months before (every placement open in the year is in the return).
SUPPORTED = ("CLA_RATE", "CLA_3PLUS_PLACEMENTS")
# The files of the return that come back as they went out (the others are written from the optional SSD tables,
# which a returns batch carries whether the return had them or not).
RETURNED = ("header", "episodes", "reviews", "missing")


def _rows(path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return sorted(csv.reader(handle))


def _period_starts_here(episodes: list[list[str]], history_from: date) -> list[list[str]]:
    """A child's first row in a return that is not RNE S continues a period of care begun earlier: when that row
    began before the imported history (``history_from``), the history starts the period there (RNE S)."""
    header = [r for r in episodes if r[0] == "CHILD"]
    rows = [r for r in episodes if r[0] != "CHILD"]
    firsts, out = set(), []
    for row in sorted(rows, key=lambda r: (r[0], _day(r[1]))):
        before = _day(row[1]) < history_from
        out.append(row if row[0] in firsts or not before else [row[0], row[1], "S", *row[3:]])
        firsts.add(row[0])
    return header + out


def _day(text: str) -> date:
    return date(int(text[6:]), int(text[3:5]), int(text[:2]))


def _same_903(settings: Settings, la_code: str, written, folder, history_from: date) -> None:
    from csc.statutory.ssda903 import write_903

    again = write_903(settings, la_code, YEAR, folder)
    for name in RETURNED:
        went, came = _rows(written.files[name]), _rows(again.files[name])
        if name == "episodes":
            went = _period_starts_here(went, history_from)
        assert sorted(map(tuple, came)) == sorted(map(tuple, went)), (
            name, sorted(set(map(tuple, went)) - set(map(tuple, came)))[:5],
            sorted(set(map(tuple, came)) - set(map(tuple, went)))[:5])


@pytest.fixture(scope="module")
def source(pg_server, tmp_path_factory):
    """A warehouse holding the generated source LA, loaded, checked, built and published."""
    from csc.ingest import load_extract
    from csc.quality import run_checks
    from csc.transform import build, publish
    from csc_synthetic import generate
    from csc_synthetic.render import Rendering

    with warehouse(pg_server, tmp_path_factory.mktemp("round-trip") / "csc-home", dq_data_docs=False) as settings:
        generate(SOURCE, "tiny", 1, AS_OF, settings.landing_dir, faults="none", rendering=Rendering(full_ssd=True))
        loaded = load_extract(settings.landing_dir / SOURCE / AS_OF.isoformat(), settings)
        run_checks(loaded.batch_id, settings, send_alerts=False)
        build(settings)
        publish(settings)
        yield settings


def _publish_imported(settings: Settings, batch_id: int) -> None:
    from csc.quality import run_checks
    from csc.transform import build, publish

    checked = run_checks(batch_id, settings, send_alerts=False)
    assert checked.outcome != "block", checked.blocking_rules
    build(settings)
    publish(settings)


def _indicators(settings, la_code: str) -> dict[str, tuple]:
    with connect(settings) as conn:
        rows = conn.execute(
            "select indicator_id, numerator, denominator from marts.indicator_values where la_code = %s "
            "and period_type = 'month' and period_start = %s and indicator_id = any(%s)",
            (la_code, YEAR.end.replace(day=1), list(SUPPORTED))).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_a_903_and_cin_pair_imports_back_to_the_same_indicators(source, tmp_path):
    from csc.imports.cin import parse_cin
    from csc.imports.importset import import_returns
    from csc.imports.ssda903 import parse_903
    from csc.statutory.cin import write_cin
    from csc.statutory.ssda903 import write_903

    settings = source
    written = write_903(settings, SOURCE, YEAR, tmp_path / "903")
    census = write_cin(settings, SOURCE, YEAR, tmp_path / "cin")
    # the 903 and the CIN census of the year, a pair combined into one history (one import: a second revision of
    # the same extract date would be blocked by FRESH_EXPECTED_NIGHT once the first is published)
    imported = import_returns(settings, [parse_903(written.folder, IMPORTED, YEAR.name),
                                         parse_cin(census.path, IMPORTED, YEAR.name)])
    assert imported.status == "loaded"
    assert imported.changes == {f"903 {YEAR.name}": "new", f"cin {YEAR.name}": "new"}
    _publish_imported(settings, imported.batch_id)

    # every month's referral, assessment, s47, ICPC, CP and CIN figures of the year are the source's
    source_months, back_months = _monthly(settings, SOURCE, CIN_SUPPORTED, YEAR), _monthly(
        settings, IMPORTED, CIN_SUPPORTED, YEAR)
    assert len(source_months) == 12 * len(CIN_SUPPORTED)
    totals = {i: sum(v[0] or 0 for (i_, _), v in source_months.items() if i_ == i) for i in CIN_SUPPORTED}
    assert totals["REF_RATE"] > 0 and totals["CIN_RATE"] > 0, totals  # a test that can fail
    # a rate per 10,000 children has the LA's own population as denominator: its numerator is what must come back
    differing = sorted((k, source_months[k], back_months.get(k)) for k in source_months
                       if _compared(k[0], back_months.get(k)) != _compared(k[0], source_months[k]))
    assert not differing, (totals, differing[:30])

    source_values, back = _indicators(settings, SOURCE), _indicators(settings, IMPORTED)
    assert set(source_values) == set(SUPPORTED), source_values
    assert source_values["CLA_RATE"][0] > 0  # a test that can fail: children looked after at 31 March
    assert back["CLA_RATE"][0] == source_values["CLA_RATE"][0]
    assert back["CLA_3PLUS_PLACEMENTS"] == source_values["CLA_3PLUS_PLACEMENTS"]
    # and the return written again from the imported LA is the return imported
    _same_903(settings, IMPORTED, written, tmp_path / "903-again", YEAR.start)
    with connect(settings) as conn:
        kinds = dict(conn.execute("select la_code, source_kind from ops.extract_batches "
                                  "where status = 'published'").fetchall())
    assert kinds == {SOURCE: "ssd", IMPORTED: "returns"}


# What one year's CIN census supports for the months of its year: referrals (and those ending in no further
# action), assessments and their timeliness, section 47 enquiries and their conferences, children on a CP plan and
# children in need at each month's end, and CP plans ended after two years or more (a plan open in the year is in the
# census with its start date). Not supported by one census: re-referrals and repeat plans (the referrals and plans
# before the year are not in it), CP reviews and visits (the census has no visits; reviews are dated only).
CIN_SUPPORTED = ("REF_RATE", "REF_NFA", "ASMT_45WD", "S47_RATE", "ICPC_15WD", "CPP_RATE", "CIN_RATE", "CPP_2YR_ENDED")


PER_POPULATION = ("REF_RATE", "S47_RATE", "CPP_RATE", "CIN_RATE", "CLA_RATE")  # denominator_basis population


def _compared(indicator: str, value: tuple | None) -> tuple | None:
    return value[:1] if value is not None and indicator in PER_POPULATION else value


def _monthly(settings, la_code: str, indicators, year: CollectionYear) -> dict[tuple, tuple]:
    with connect(settings) as conn:
        rows = conn.execute(
            "select indicator_id, period_start, numerator, denominator from marts.indicator_values "
            "where la_code = %s and period_type = 'month' and period_start between %s and %s "
            "and indicator_id = any(%s)", (la_code, year.start, year.end, list(indicators))).fetchall()
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def test_three_years_imported_one_by_one_are_the_source_history(source, tmp_path):
    """Years 2023-24 to 2025-26, imported latest first: each month's CLA figures of the three years equal the
    source's (placements in 12 months from the second year, when the history holds the 12 months before), and the
    last year's return written again is the one imported, periods and placements running across year ends
    included."""
    from csc.imports.importset import import_returns
    from csc.imports.ssda903 import parse_903
    from csc.statutory.ssda903 import write_903

    settings = source
    years = [CollectionYear(YEAR.start_year - k) for k in (0, 2, 1)]
    written = {y.name: write_903(settings, SOURCE, y, tmp_path / y.name) for y in years}
    for year in years:
        result = import_returns(settings, [parse_903(written[year.name].folder, HISTORY, year.name)])
        assert result.status == "loaded", result.message
    _publish_imported(settings, result.batch_id)

    first = years[1]
    with connect(settings) as conn:
        values = conn.execute(
            "select la_code, indicator_id, period_start, numerator from marts.indicator_values "
            "where la_code = any(%s) and period_type = 'month' and period_start between %s and %s "
            "and (indicator_id = 'CLA_RATE' or (indicator_id = 'CLA_3PLUS_PLACEMENTS' and period_start >= %s))",
            ([SOURCE, HISTORY], first.start, YEAR.end, first.end)).fetchall()
    by_la = {la: {(i, p): n for la_, i, p, n in values if la_ == la} for la in (SOURCE, HISTORY)}
    assert len(by_la[SOURCE]) == 36 + 24
    assert by_la[HISTORY] == by_la[SOURCE]
    _same_903(settings, HISTORY, written[YEAR.name], tmp_path / "again", first.start)


def test_an_annex_a_imports_and_adds_to_the_las_dfe_returns(source, tmp_path):
    """``csc import annex-a`` of the source LA's workbook (as of 30 June, after the 903 and CIN year) into another
    LA: what it reads is what raw holds; a damaged workbook is refused and changes nothing; then the LA's 903 and
    CIN census of the year join it: the returns' records stand up to their 31 March, the Annex A adds the children
    and the months they do not hold."""
    from click.testing import CliRunner

    from csc.cli import cli
    from csc.contract import load_contract
    from csc.imports.annex_a import parse_annex_a
    from csc.imports.cin import parse_cin
    from csc.imports.importset import combine, import_returns
    from csc.imports.ssda903 import parse_903
    from csc.statutory.annex_a import write_annex_a
    from csc.statutory.cin import write_cin
    from csc.statutory.ssda903 import write_903

    from imports_setup import raw_content, stored_state

    settings = source
    workbook = write_annex_a(settings, SOURCE, AS_OF, tmp_path / "annex").path
    env = {"CSC_HOME": str(settings.home), "CSC_WAREHOUSE_URL": settings.warehouse_url.get_secret_value(),
           "CSC_AIRFLOW_DATABASE": settings.airflow_database}
    args = ["import", "annex-a", str(workbook), "--la", SUMMARY, "--as-of", AS_OF.isoformat()]
    outcome = CliRunner().invoke(cli, args, env=env)
    assert outcome.exit_code == 0, outcome.output
    assert f"loaded: LA {SUMMARY}: annex-a {AS_OF.isoformat()} new" in outcome.output, outcome.output
    parsed = parse_annex_a(workbook, SUMMARY, AS_OF)
    with connect(settings) as conn:
        batch_id, kind, extract_date = conn.execute(
            "select batch_id, source_kind, extract_date from ops.extract_batches where la_code = %s "
            "order by batch_id desc limit 1", (SUMMARY,)).fetchone()
    assert (kind, extract_date) == ("returns", AS_OF)
    raw = raw_content(settings, batch_id)
    contract = load_contract()
    assert sum(len(rows) for name, rows in parsed.tables.items() if name in contract.tables) > 0
    for name, rows in parsed.tables.items():
        if name in contract.tables and rows:
            key = contract.table(name).primary_key[0]
            at = contract.table(name).column_names.index(key)
            assert sorted(r[at] for r in raw[name]) == sorted(str(r[key]) for r in rows), name

    before = stored_state(settings)
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(workbook.read_bytes()[:2000])
    refused = CliRunner().invoke(cli, [*args[:2], str(damaged), *args[3:]], env=env)
    assert refused.exit_code == 1, refused.output
    assert "damaged.xlsx" in refused.output
    assert stored_state(settings) == before

    # with the LA's 903 and CIN census of the year ending the 31 March before the as-of date
    cin = parse_cin(write_cin(settings, SOURCE, YEAR, tmp_path / "cin").path, SUMMARY, YEAR.name)
    ssda = parse_903(write_903(settings, SOURCE, YEAR, tmp_path / "903").folder, SUMMARY, YEAR.name)
    result = import_returns(settings, [ssda, cin])
    assert result.status == "loaded" and result.extract_date == AS_OF, result.message
    combined = combine(SUMMARY, [parsed, ssda, cin])
    raw = raw_content(settings, result.batch_id)
    for name, key, person, on in (("ssd_cla_episodes", "clae_cla_episode_id", "clae_person_id",
                                   "clae_cla_episode_start_date"),
                                  ("ssd_cin_episodes", "cine_referral_id", "cine_person_id", "cine_referral_date")):
        held = {str(r[person]) for r in (ssda if name == "ssd_cla_episodes" else cin).tables[name]}
        from_summary = [r for r in combined[name] if str(r[key]).startswith("AA-")]
        for row in from_summary:  # never a record of a child the return holds, dated in or before its year
            assert str(row[person]) not in held or row[on] > YEAR.end, (name, row)
        returned = {str(r[key]) for r in (ssda if name == "ssd_cla_episodes" else cin).tables[name]}
        assert returned <= {str(r[key]) for r in combined[name]}  # every record of the return stands
        at = contract.table(name).column_names.index(key)
        assert sorted(r[at] for r in raw[name]) == sorted(str(r[key]) for r in combined[name])
    # the Annex A adds something: children, tables or months the returns do not hold
    added = {name: sum(1 for r in rows if any(str(v).startswith("AA-") for v in r.values()))
             for name, rows in combined.items()}
    assert sum(added.values()) > 0, added
    assert {name for name, n in added.items() if n} - {"ssd_cla_visits", "ssd_cin_visits", "ssd_cp_visits"}, added


def test_a_return_added_to_a_published_year_is_a_later_revision_not_a_stale_extract(source, tmp_path):
    """An LA's 903 imported and published, then its CIN census of the same year imported on its own: the import
    set's extract date stays the year's 31 March, and the freshness rule, comparing it with the published revision,
    takes the later revision as fresh (it blocked it before)."""
    from csc.imports.cin import parse_cin
    from csc.imports.importset import import_returns
    from csc.imports.ssda903 import parse_903
    from csc.quality import run_checks
    from csc.statutory.cin import write_cin
    from csc.statutory.ssda903 import write_903

    settings, code = source, "904"
    first = import_returns(settings, [parse_903(write_903(settings, SOURCE, YEAR, tmp_path / "903").folder, code,
                                                YEAR.name)])
    _publish_imported(settings, first.batch_id)
    second = import_returns(settings, [parse_cin(write_cin(settings, SOURCE, YEAR, tmp_path / "cin").path, code,
                                                 YEAR.name)])
    assert second.status == "loaded", second.message
    with connect(settings) as conn:
        dates = conn.execute("select extract_date, extracted_at from ops.extract_batches where batch_id = any(%s) "
                             "order by batch_id", ([first.batch_id, second.batch_id],)).fetchall()
    assert dates[0][0] == dates[1][0] == YEAR.end and dates[0][1] < dates[1][1]
    checked = run_checks(second.batch_id, settings, send_alerts=False)
    assert "FRESH_EXPECTED_NIGHT" not in checked.blocking_rules, checked.blocking_rules
    with connect(settings) as conn:
        failing = conn.execute(
            "select r.rows_failing from ops.dq_results r join ops.dq_runs d using (dq_run_id) "
            "where d.batch_id = %s and r.rule_id = 'FRESH_EXPECTED_NIGHT'", (second.batch_id,)).fetchall()
    assert failing == [(0,)], "the rule ran on the later revision and found it fresh"
