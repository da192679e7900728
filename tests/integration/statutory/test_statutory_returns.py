"""The statutory returns built from a real pipeline run on a fault-free generated extract: the SSDA903 files, the CIN
census XML (valid against its XSD), the DfE validators' verdict stored in ops, and Ofsted's Annex A reconciled with
the marts."""

from __future__ import annotations

import csv
import stat
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree

from csc.statutory import CollectionYear, StatutoryError
from csc.statutory.annex_a import HEADINGS, six_months_before, write_annex_a
from csc.statutory.cin import check_against_schema, schema_path, write_cin
from csc.statutory.ssda903 import COLUMNS, write_903
from csc.statutory.validate import KNOWN_CRASHES, SKIPPED, SKIPPED_IN_PROGRESS, validate_year
from csc.warehouse.connection import connect

from statutory_setup import AS_OF, FORMULA_TEAMS, LA, SHORT_BREAK_ONLY_903, SHORT_BREAKS, YEAR

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Great Expectations' import warns (Python's own re internals); not ours to fix.
    pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning"),
]

def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _day(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


@pytest.fixture(scope="module")
def ssda903(built, tmp_path_factory):
    return write_903(built.settings, LA, YEAR, tmp_path_factory.mktemp("903") / "files")


def test_903_files_have_the_dfe_layout_the_la_ids_and_owner_only_modes(built, ssda903):
    assert set(ssda903.files) == set(COLUMNS)
    assert stat.S_IMODE(ssda903.folder.stat().st_mode) == 0o700
    for name, path in ssda903.files.items():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        with path.open(newline="", encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == COLUMNS[name]
        rows = _read_csv(path)
        assert len(rows) == ssda903.rows[name]
        assert {r["CHILD"] for r in rows} <= built.raw_person_ids, f"{name}: CHILD is the LA's own id"
    assert ssda903.rows["episodes"] > 20 and ssda903.rows["header"] > 10
    header = {r["CHILD"] for r in _read_csv(ssda903.files["header"])}
    for name in ("episodes", "reviews", "missing", "oc3"):
        assert {r["CHILD"] for r in _read_csv(ssda903.files[name])} <= header, f"every {name} child has a header"


def test_903_carries_the_fields_of_the_optional_ssd_tables(built, ssda903):
    """A full SSD extract: UPN (ssd_person.pers_upn), HOME_POST (ssd_address), and the UASC, OC2, AD1, placed for
    adoption and previous permanence files, each traced back to the extract's own rows."""
    header = {r["CHILD"]: r for r in _read_csv(ssda903.files["header"])}
    episodes = _read_csv(ssda903.files["episodes"])
    with connect(built.settings) as conn:
        upns = dict(conn.execute("select pers_person_id, upper(trim(pers_upn)) from raw.ssd_person "
                                 "where coalesce(trim(pers_upn), '') <> ''").fetchall())
        postcodes = {r[0] for r in conn.execute("select upper(trim(addr_address_postcode)) from raw.ssd_address")}
        uasc = {r[0] for r in conn.execute("select immi_person_id from raw.ssd_immigration_status "
                                           "where immi_immigration_status = 'UASC'")}
        adopted = {r[0] for r in conn.execute("select perm_person_id from raw.ssd_permanence "
                                              "where perm_permanence_order_type = 'Adoption' and "
                                              "ops.extract_date(perm_permanence_order_date) between %s and %s",
                                              (YEAR.start, YEAR.end))}
    with_upn = [c for c in header if c in upns]
    assert with_upn and all(header[c]["UPN"] == upns[c] for c in with_upn), "the UPN itself, from ssd_person"
    assert all(header[c]["UPN"].startswith("UN") for c in header if c not in upns)
    homes = [r["HOME_POST"] for r in episodes if r["HOME_POST"]]
    assert len(homes) > len(episodes) * 0.6 and set(homes) <= postcodes, "HOME_POST from ssd_address"
    assert all(not r["HOME_POST"] for r in episodes if r["LS"] in ("V3", "V4"))
    assert ssda903.rows["uasc"] and {r["CHILD"] for r in _read_csv(ssda903.files["uasc"])} <= uasc
    oc2 = _read_csv(ssda903.files["oc2"])
    assert oc2 and all(r["HEALTH_ASSESSMENT"] in ("0", "1") and r["IMMUNISATIONS"] in ("0", "1") for r in oc2)
    assert any(r["HEALTH_ASSESSMENT"] == "1" for r in oc2)
    assert {r["CHILD"] for r in _read_csv(ssda903.files["ad1"])} == adopted & set(header)
    starters = {r["CHILD"] for r in episodes if r["RNE"] == "S" and _day(r["DECOM"]) >= YEAR.start}
    assert {r["CHILD"] for r in _read_csv(ssda903.files["previous_permanence"])} == starters
    assert ssda903.not_held == {}


def test_903_leaves_out_what_an_extract_without_the_optional_tables_cannot_say(built, tmp_path):
    """As an extract without ssd_address and ssd_permanence would load (recorded as missing tables): no HOME_POST,
    no AD1 or placed-for-adoption file, and a notice for each, rather than values written as if nothing happened."""
    with connect(built.settings) as conn:
        conn.execute("insert into ops.extract_shape (batch_id, kind, table_name) values (%s, 'missing_table', "
                     "'ssd_address'), (%s, 'missing_table', 'ssd_permanence')", (built.batch_id, built.batch_id))
        conn.commit()
    try:
        partial = write_903(built.settings, LA, YEAR, tmp_path / "partial")
    finally:
        with connect(built.settings) as conn:
            conn.execute("delete from ops.extract_shape where batch_id = %s and kind = 'missing_table' "
                         "and table_name in ('ssd_address', 'ssd_permanence')", (built.batch_id,))
            conn.commit()
    assert partial.not_held == {"episodes.HOME_POST": "ssd_address", "ad1": "ssd_permanence",
                                "placed_for_adoption": "ssd_permanence"}
    assert "ad1" not in partial.files and "placed_for_adoption" not in partial.files
    assert not any(r["HOME_POST"] for r in _read_csv(partial.files["episodes"]))
    assert partial.rows["oc2"] > 0


def test_903_episodes_chain_within_a_period_and_change_at_every_placement_or_legal_status(ssda903):
    by_child = defaultdict(list)
    for row in _read_csv(ssda903.files["episodes"]):
        by_child[row["CHILD"]].append(row)
    for child, rows in by_child.items():
        rows.sort(key=lambda r: _day(r["DECOM"]))
        for before, after in zip(rows, rows[1:], strict=False):
            if before["REC"] == "X1":  # the same period of care goes on: the next row starts the day this one ends
                assert before["DEC"] == after["DECOM"], child
                assert after["RNE"] in {"P", "L", "B", "T", "U"}, (child, after)
                # L: the legal status alone changed; P and T: the placement alone; B and U: both (DfE rules 434-436)
                assert (before["LS"] != after["LS"]) == (after["RNE"] in {"L", "B", "U"}), (child, before, after)
                # T and U: into placement for adoption with the current foster carers, as rule 217 wants
                assert (after["RNE"] in {"T", "U"}) <= (after["PLACE"] in {"A3", "A5"}), (child, after)
                if after["RNE"] == "L":
                    assert (before["PLACE"], before["PL_POST"]) == (after["PLACE"], after["PL_POST"]), child
            else:
                assert after["RNE"] == "S", (child, after)
        for row in rows:
            assert _day(row["DECOM"]) <= YEAR.end
            assert not row["DEC"] or YEAR.start <= _day(row["DEC"]) <= YEAR.end, (child, row)
            assert bool(row["DEC"]) == bool(row["REC"]), (child, row)
            if row["LS"] in ("V3", "V4"):
                assert not row["PL_POST"] and not row["URN"], "short breaks carry no placement location"


def test_cin_census_is_valid_against_the_xsd_and_an_invalid_one_is_refused(built, tmp_path):
    census = write_cin(built.settings, LA, YEAR, tmp_path / "cin")
    assert stat.S_IMODE(census.path.stat().st_mode) == 0o600
    tree = etree.parse(str(census.path))
    assert check_against_schema(tree, schema_path(YEAR)) == []
    assert census.children == len(tree.findall("Children/Child")) > 50
    ids = {c.findtext("ChildIdentifiers/LAchildID") for c in tree.iterfind("Children/Child")}
    assert ids <= built.raw_person_ids
    # the schema is not a formality: a wrong code, a missing item, a bad date are each refused
    for mutate in (lambda t: t.find(".//Sex").__setattr__("text", "X"),
                   lambda t: t.find(".//CINdetails").remove(t.find(".//CINdetails/ReferralNFA")),
                   lambda t: t.find(".//CINreferralDate").__setattr__("text", "31/03/2026")):
        broken = etree.parse(str(census.path))
        mutate(broken)
        assert check_against_schema(broken, schema_path(YEAR)), "a broken census must not validate"


def test_no_schema_for_a_year_the_product_does_not_hold():
    with pytest.raises(StatutoryError, match="no CIN census schema for 2019-20"):
        schema_path(CollectionYear.parse("2019-20"))


def test_both_validators_pass_the_clean_extract_but_for_known_skips_and_store_every_issue(built, tmp_path):
    run = validate_year(built.settings, LA, YEAR, tmp_path / "validate", ons_code="E10000014")
    verdicts = {v.kind: v for v in run.verdicts}
    cin, ssda = verdicts["cin"], verdicts["903"]
    # CIN census: no error rule fails (queries may); nothing crashed
    cin_failed = {r["code"] for r in cin.rules if r["status"] == "failed" and r["severity"] == "error"}
    assert cin_failed == set(), f"failing on a clean extract: {cin_failed}"
    assert not [r for r in cin.rules if r["status"] == "not_run"]
    # SSDA903: no rule fails; the skipped ones (csc.statutory.validate.SKIPPED) fail only where their reason says
    failed = {r["code"] for r in ssda.rules if r["status"] == "failed"}
    assert failed == set(), f"failing on a clean extract: {failed}"
    skipped = {r["code"] for r in ssda.rules if r["status"] == "skipped"
               and (r["detail"] or "").startswith("skipped by the product: ")}
    assert SHORT_BREAK_ONLY_903 <= skipped <= set(SKIPPED["903"])
    episodes = _read_csv(next((tmp_path / "validate").rglob("episodes.csv")))
    short_break_issues = [i for i in ssda.issues if i["rule"] in SHORT_BREAK_ONLY_903]
    assert short_break_issues, "the extract has short breaks, which rule 218 wants a URN for"
    assert {episodes[i["row"]]["LS"] for i in short_break_issues} <= set(SHORT_BREAKS)
    # a crashed rule is "not run", never "passed"; the known crashes are named
    not_run = {r["code"] for r in ssda.rules if r["status"] == "not_run"}
    assert {"231", "233"} <= not_run <= set(KNOWN_CRASHES["903"])
    for verdict in run.verdicts:
        for rule in verdict.rules:
            if rule["code"] in SKIPPED[verdict.kind] and rule["status"] == "skipped":
                assert rule["detail"].startswith("skipped by the product: ")
    with connect(built.settings) as conn:
        stored = dict(conn.execute(
            "select r.return_kind, count(i.*) from ops.statutory_validation_runs r "
            "left join ops.statutory_issues i using (validation_run_id) "
            "where r.validation_run_id = any(%s) group by 1",
            ([v.validation_run_id for v in run.verdicts],)).fetchall())
        statuses = dict(conn.execute(
            "select rule_code, status from ops.statutory_rule_results where validation_run_id = %s",
            (ssda.validation_run_id,)).fetchall())
    assert stored == {"903": len(ssda.issues), "cin": len(cin.issues)}
    assert statuses["231"] == "not_run" and statuses["233"] == "not_run"
    assert sum(1 for s in statuses.values() if s == "passed") > 100


def test_the_year_in_progress_passes_both_validators_too_but_for_known_skips(built, tmp_path):
    """The nightly readiness validates the collection year in progress (2026-27 at this extract), with episodes and
    missing periods still open at the extract date: on a fault-free extract no error rule fails there either."""
    from csc.statutory.readiness import current_year

    year = current_year(AS_OF)
    assert year == CollectionYear.parse("2026-27")
    run = validate_year(built.settings, LA, year, tmp_path / "validate", ons_code="E10000014", in_progress=True)
    for verdict in run.verdicts:
        failed = {r["code"] for r in verdict.rules if r["status"] == "failed" and r["severity"] == "error"}
        assert failed == set(), f"{verdict.kind} {year.name}: failing on a clean extract: {failed}"
        assert verdict.errors == 0 and not verdict.blocking_rules, verdict.kind
        skipped = {r["code"] for r in verdict.rules if (r["detail"] or "").startswith("skipped by the product: ")}
        assert skipped <= set(SKIPPED[verdict.kind]) | set(SKIPPED_IN_PROGRESS[verdict.kind]), verdict.kind
        assert {r["code"] for r in verdict.rules if r["status"] == "not_run"} <= set(KNOWN_CRASHES[verdict.kind])
    ssda = next(v for v in run.verdicts if v.kind == "903")
    assert {r["code"]: r["status"] for r in ssda.rules}.get("435") == "passed"
    assert {r["code"]: r["status"] for r in ssda.rules}.get("574") == "passed"
    episodes = _read_csv(next((tmp_path / "validate").rglob("episodes.csv")))
    missing = _read_csv(next((tmp_path / "validate").rglob("missing.csv")))
    assert any(not r["DEC"] for r in episodes), "episodes open at the extract date"
    assert {r["RNE"] for r in episodes} >= {"S", "P", "L"} and missing


def _children_in(settings, query: str, params: dict) -> set[str]:
    with connect(settings) as conn:
        return {r[0] for r in conn.execute(query, params)}


def test_annex_a_lists_reconcile_with_the_marts_and_are_formula_safe(built, tmp_path):
    result = write_annex_a(built.settings, LA, AS_OF, tmp_path / "annex")
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    window = {"la": LA, "d": AS_OF, "w": six_months_before(AS_OF)}
    ids = """ join staging.stg_ssd__person p on p.la_code = f.la_code and p.child_key = f.child_key
              where f.la_code = %(la)s and """
    expected = {
        "List 3": "select p.person_id from marts.fct_referrals f" + ids +
                  "f.referral_date > %(w)s and f.referral_date <= %(d)s and not f.is_same_day_duplicate",
        "List 4": "select p.person_id from marts.fct_assessments f" + ids +
                  "f.assessment_start_date > %(w)s and f.assessment_start_date <= %(d)s",
        "List 5": "select p.person_id from marts.fct_s47_enquiries f" + ids +
                  "f.s47_start_date > %(w)s and f.s47_start_date <= %(d)s",
        "List 7": "select p.person_id from marts.fct_cp_plans f" + ids +
                  "f.cp_plan_start_date <= %(d)s and (f.cp_plan_end_date is null or f.cp_plan_end_date > %(w)s)",
        "List 8": "select p.person_id from marts.fct_cla_episodes f" + ids +
                  "f.episode_start_date <= %(d)s and (f.episode_ceased_date is null or f.episode_ceased_date > %(w)s)",
    }
    for name, query in expected.items():
        children = _children_in(built.settings, query, window)
        assert children, f"{name}: the extract has some"
        assert result.children[name] == children, name
    workbook = openpyxl.load_workbook(result.path)
    quoted = 0
    for name, headings in HEADINGS.items():
        sheet = next(ws for ws in workbook.worksheets if ws.title.startswith(name + " "))
        rows = list(sheet.iter_rows())
        assert [c.value for c in rows[0]] == headings, name
        assert len(rows) - 1 == result.rows[name]
        for row in rows[1:]:
            for cell in row:
                assert cell.data_type != "f", f"{name}: a formula was written"
                if isinstance(cell.value, str) and cell.value in FORMULA_TEAMS.values():
                    assert cell.quotePrefix, f"{name}: {cell.value!r} must be kept as text"
                    quoted += 1
    assert quoted, "the formula-like team names reached the lists, as text"


def test_cli_writes_the_903_files_and_refuses_a_folder_in_use(built, tmp_path, monkeypatch):
    from csc.cli import cli

    monkeypatch.setenv("CSC_HOME", str(built.settings.home))
    monkeypatch.setenv("CSC_WAREHOUSE_URL", built.settings.warehouse_url.get_secret_value())
    monkeypatch.setenv("CSC_AIRFLOW_DATABASE", built.settings.airflow_database)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["statutory", "903", "--la", LA, "--year", YEAR.name, "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "episodes.csv" in result.output and (out / "episodes.csv").is_file()
    again = CliRunner().invoke(cli, ["statutory", "903", "--la", LA, "--year", YEAR.name, "--out", str(out)])
    assert again.exit_code != 0 and "not empty" in again.output
    wrong = CliRunner().invoke(cli, ["statutory", "903", "--la", LA, "--year", "2025-27"])
    assert wrong.exit_code == 2 and "expected e.g. 2025-26" in wrong.output


def test_readiness_reports_errors_by_rule_new_and_resolved_and_children_per_team(built, tmp_path):
    from csc.statutory.readiness import current_year

    # The year in progress of a fault-free extract has no error: one of its own, a missing period recorded twice
    # (DfE rule 574: missing periods must not overlap), put into staging for this test and taken out after it.
    with connect(built.settings) as conn:
        key, child = conn.execute(
            "select m.missing_episode_key, p.person_id from staging.stg_ssd__missing m "
            "join staging.stg_ssd__person p using (la_code, child_key) "
            "where m.la_code = %s and m.missing_start_date between %s and %s "
            "and m.missing_end_date > m.missing_start_date order by m.missing_episode_key limit 1",
            (LA, current_year(AS_OF).start, AS_OF)).fetchone()
        conn.execute("insert into staging.stg_ssd__missing select la_code, batch_id, extract_date, source_line_no, "
                     "md5(missing_episode_key), missing_episode_id || 'X', child_key, missing_start_date, "
                     "missing_end_date, missing_type_code, return_interview_offered, return_interview_accepted "
                     "from staging.stg_ssd__missing where missing_episode_key = %s", (key,))
        conn.commit()
    try:
        _readiness_new_and_resolved(built, tmp_path, child)
    finally:
        with connect(built.settings) as conn:
            conn.execute("delete from staging.stg_ssd__missing where missing_episode_key = md5(%s)", (key,))
            conn.commit()


def _readiness_new_and_resolved(built, tmp_path, child):
    from csc.statutory.readiness import current_year, nightly_readiness

    first = nightly_readiness(built.settings, LA, AS_OF, ons_code="E10000014", folder=tmp_path / "night-1")
    assert first.year == current_year(AS_OF) == CollectionYear.parse("2026-27")
    ssda = next(r for r in first.returns if r.kind == "903")
    assert set(ssda.errors_by_rule) == {"574"} and ssda.children_by_team, "the one error put in, to fix"
    assert {c for _, c, _, _ in ssda.new} == {child}
    assert sum(len(c) for c in ssda.children_by_team.values()) == len({child for _, child, _, _ in ssda.new if child})
    # the night after: nothing changed, so nothing is new and nothing resolved
    second = nightly_readiness(built.settings, LA, AS_OF, ons_code="E10000014", folder=tmp_path / "night-2")
    again = next(r for r in second.returns if r.kind == "903")
    assert again.previous_run_id == ssda.validation_run_id
    assert (again.new, again.resolved) == (set(), set())
    assert again.errors_by_rule == ssda.errors_by_rule
    # had the first night lacked one rule's errors, they would be new tonight; errors only last night are resolved
    rule = next(iter(ssda.errors_by_rule))
    with connect(built.settings) as conn:
        conn.execute("update ops.statutory_issues set rule_code = 'GONE' where validation_run_id = %s "
                     "and rule_code = %s", (again.validation_run_id, rule))
        conn.execute("insert into ops.statutory_rule_results (validation_run_id, rule_code, severity, status) "
                     "values (%s, 'GONE', 'error', 'failed')", (again.validation_run_id,))
        conn.commit()
    third = next(r for r in nightly_readiness(built.settings, LA, AS_OF, ons_code="E10000014",
                                              folder=tmp_path / "night-3").returns if r.kind == "903")
    assert {code for code, *_ in third.new} == {rule}
    assert {code for code, *_ in third.resolved} == {"GONE"}
    assert any("children to fix" in line for line in second.lines())
