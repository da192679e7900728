"""Annex A Lists 2 (early help) and 10 (adoption), built from a real pipeline run on a fault-free generated extract:
the published column headings, the same children as the warehouse's early help and permanence records for each
list's window, values traced back to the extract, formula-like text kept as text, and an extract without the
optional tables said so on the Notes sheet."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from csc.statutory.annex_a import HEADINGS, REVERSAL, window, write_annex_a
from csc.warehouse.connection import connect

from statutory_setup import AS_OF, LA

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Great Expectations' import warns (Python's own re internals); not ours to fix.
    pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning"),
]

# The test's own reading of each list's window (see csc.statutory.annex_a): early help episodes open at any time in
# the six months up to D; adoption decisions made by D whose journey had not ended (order or reversal) a year before D.
EXPECTED = {
    "List 2": """
        select p.person_id from staging.stg_ssd__early_help_episodes f
        join staging.stg_ssd__person p on p.la_code = f.la_code and p.child_key = f.child_key
        where f.la_code = %(la)s and f.episode_start_date <= %(d)s
          and (f.episode_end_date is null or f.episode_end_date > %(w)s)""",
    "List 10": """
        select p.person_id from staging.stg_ssd__permanence f
        join staging.stg_ssd__person p on p.la_code = f.la_code and p.child_key = f.child_key
        where f.la_code = %(la)s and f.adm_decision_date <= %(d)s
          and (f.permanence_order_date is null or f.permanence_order_date > %(y)s)
          and (f.decision_reversed_date is null or f.decision_reversed_date > %(y)s)""",
}


def _sheet(path, name: str) -> list[list]:
    workbook = openpyxl.load_workbook(path)
    sheet = next(ws for ws in workbook.worksheets if ws.title.startswith(name + " "))
    return [list(row) for row in sheet.iter_rows()]


def _value(cell):
    value = cell.value
    return value.date() if hasattr(value, "date") and callable(value.date) else value


@pytest.mark.parametrize("as_of", [AS_OF, date(2025, 12, 31)], ids=["as-of-extract", "half-a-year-before"])
def test_lists_2_and_10_hold_the_children_of_the_warehouse_for_their_window(built, tmp_path, as_of):
    result = write_annex_a(built.settings, LA, as_of, tmp_path / "annex")
    params = window(LA, as_of)
    with connect(built.settings) as conn:
        for name, query in EXPECTED.items():
            children = {r[0] for r in conn.execute(query, params)}
            assert children, f"{name}: the extract has some for {as_of}"
            assert result.children[name] == children, name
            assert result.rows[name] == len(conn.execute(query, params).fetchall()), "one row per record"
    assert result.not_held == {}
    for name in ("List 2", "List 10"):
        rows = _sheet(result.path, name)
        assert [c.value for c in rows[0]] == HEADINGS[name], name
        assert len(rows) - 1 == result.rows[name]


def test_list_10_values_come_from_the_extracts_permanence_and_family_records(built, tmp_path):
    result = write_annex_a(built.settings, LA, AS_OF, tmp_path / "annex")
    rows = _sheet(result.path, "List 10")
    heading = [c.value for c in rows[0]]
    assert heading[:3] == ["Child Unique ID", "Family identifier", "Gender"], "the family identifier comes second"
    col = {h: i for i, h in enumerate(heading)}
    with connect(built.settings) as conn:
        # the extract's own rows (raw, as the LA sent them), not the staging model the list reads
        raw = {(r[0], r[1]): r[2:] for r in conn.execute(
            "select perm_person_id, ops.extract_date(perm_adm_decision_date), "
            "ops.extract_date(perm_placement_order_date), ops.extract_date(perm_matched_date), "
            "ops.extract_date(perm_placed_for_adoption_date), ops.extract_date(perm_permanence_order_date), "
            "perm_permanence_order_type from raw.ssd_permanence where perm_adm_decision_date is not null "
            "and perm_adm_decision_date <> ''")}
        families = {r[0]: r[1] for r in conn.execute("select fami_person_id, min(fami_family_id) from raw.ssd_family "
                                                     "group by 1")}
    adopted = 0
    for row in rows[1:]:
        child = row[0].value
        decided = _value(row[col["Date of Decision that Child Should be Placed for Adoption"]])
        order, matched, placed, adoption, kind = raw[child, decided]
        assert _value(row[col["Date of Placement Order"]]) == (order if order and order <= AS_OF else None)
        assert _value(row[col["Date of Matching Child and Prospective Adopters"]]) == (
            matched if matched and matched <= AS_OF else None)
        assert _value(row[col["Date Placed for Adoption"]]) == (placed if placed and placed <= AS_OF else None)
        expected_order = adoption if adoption and adoption <= AS_OF and kind.lower().startswith("adoption") else None
        assert _value(row[col["Date of Adoption Order"]]) == expected_order
        adopted += expected_order is not None
        assert row[col["Family identifier"]].value == families.get(child)
        assert _value(row[col["Date the Child Entered Care"]]) <= decided
        reason = row[col["Reason Why Child No Longer Placed for Adoption"]].value
        assert reason is None or reason in REVERSAL.values()
    assert adopted, "some children of the list were adopted in the year"


def test_lists_2_and_10_keep_formula_like_text_as_text(built, tmp_path):
    """An organisation and a family id that look like formulas (as an LA's free text may) stay text."""
    with connect(built.settings) as conn:
        episode = conn.execute(
            "select early_help_episode_key, episode_organisation from staging.stg_ssd__early_help_episodes "
            "where la_code = %(la)s and episode_start_date <= %(d)s and episode_end_date is null limit 1",
            window(LA, AS_OF)).fetchone()
        family = conn.execute(
            "select m.family_membership_key, m.family_id from staging.stg_ssd__family m "
            "join staging.stg_ssd__permanence f on f.la_code = m.la_code and f.child_key = m.child_key "
            "where m.la_code = %s and f.adm_decision_date <= %s and f.permanence_order_date > %s limit 1",
            (LA, AS_OF, window(LA, AS_OF)["y"])).fetchone()
        assert episode and family, "the extract has an open early help episode and an adopted child's family"
        conn.execute("update staging.stg_ssd__early_help_episodes set episode_organisation = %s "
                     "where early_help_episode_key = %s", ('=HYPERLINK("http://x","y")', episode[0]))
        conn.execute("update staging.stg_ssd__family set family_id = %s where family_membership_key = %s",
                     ("-1+1", family[0]))
        conn.commit()
    try:
        result = write_annex_a(built.settings, LA, AS_OF, tmp_path / "annex")
    finally:
        with connect(built.settings) as conn:
            conn.execute("update staging.stg_ssd__early_help_episodes set episode_organisation = %s "
                         "where early_help_episode_key = %s", (episode[1], episode[0]))
            conn.execute("update staging.stg_ssd__family set family_id = %s where family_membership_key = %s",
                         (family[1], family[0]))
            conn.commit()
    for name, text in (("List 2", '=HYPERLINK("http://x","y")'), ("List 10", "-1+1")):
        cells = [c for row in _sheet(result.path, name)[1:] for c in row if c.value == text]
        assert cells, f"{name}: the formula-like text reached the list"
        assert all(c.data_type != "f" and c.quotePrefix for c in cells), f"{name}: {text!r} must be kept as text"


def test_an_extract_without_the_optional_tables_is_said_so_on_the_notes_sheet(built, tmp_path):
    with connect(built.settings) as conn:
        conn.execute("insert into ops.extract_shape (batch_id, kind, table_name) values (%s, 'missing_table', "
                     "'ssd_early_help_episodes')", (built.batch_id,))
        conn.commit()
    try:
        result = write_annex_a(built.settings, LA, AS_OF, tmp_path / "annex")
    finally:
        with connect(built.settings) as conn:
            conn.execute("delete from ops.extract_shape where batch_id = %s and kind = 'missing_table' "
                         "and table_name = 'ssd_early_help_episodes'", (built.batch_id,))
            conn.commit()
    assert result.not_held == {"List 2": "ssd_early_help_episodes"}
    notes = [[c.value for c in row] for row in openpyxl.load_workbook(result.path)["Notes"].iter_rows()]
    assert any(row[0] == "List 2 (early help)" and "does not carry ssd_early_help_episodes" in (row[1] or "")
               for row in notes)
    assert not any((row[0] or "").startswith("List 10") for row in notes), "List 10 is produced"


def test_cli_writes_annex_a_with_every_list_and_refuses_a_folder_in_use(built, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from csc.cli import cli

    monkeypatch.setenv("CSC_HOME", str(built.settings.home))
    monkeypatch.setenv("CSC_WAREHOUSE_URL", built.settings.warehouse_url.get_secret_value())
    monkeypatch.setenv("CSC_AIRFLOW_DATABASE", built.settings.airflow_database)
    out = tmp_path / "out"
    args = ["statutory", "annex-a", "--la", LA, "--as-of", AS_OF.isoformat(), "--out", str(out)]
    done = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert f"annex_a_{LA}_{AS_OF.isoformat()}.xlsx" in done.output
    assert [line.split(":")[0].strip() for line in done.output.splitlines()[1:]] == list(HEADINGS)
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1 and "not empty" in again.output
