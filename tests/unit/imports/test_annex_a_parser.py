"""The Annex A parser (issue 14): Ofsted's lists, as the product writes them and as Excel users save them (title
rows, reordered and blank columns, trailing blank rows, numbers stored as text, dates as Excel dates or dd/mm/yyyy
text), read into the SSD's tables; every malformed workbook refused naming file, Sheet!Cell and heading.

The workbooks are small synthetic ones written here with xlsxwriter (the product's own xlsx writer)."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
import xlsxwriter

from csc.contract import load_contract
from csc.imports.annex_a import parse_annex_a, six_months_before
from csc.imports.model import ImportRefused
from csc.statutory.annex_a import HEADINGS, TITLES

pytestmark = pytest.mark.unit

AS_OF = date(2026, 6, 30)


def write(path: Path, sheets: dict[str, list[list]], *, date_1904: bool = False) -> Path:
    """A workbook: each sheet's rows as given (a date as an Excel date, None as no cell)."""
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                               "date_1904": date_1904})
    dated = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, date):
                    sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), dated)
                elif isinstance(value, int | float):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, value)
    workbook.close()
    return path


def common(child: object, sex: str = "a) Male") -> list:
    return [child, sex, "a) WBRI", date(2015, 3, 4), 11]


def product_lists() -> dict[str, list[list]]:
    """A row or two of every list the product writes, with its headings and labels."""
    h = HEADINGS
    rows = {
        "List 1": [common("C1") + [date(2026, 2, 3), "a) 1A: Individual"],
                   common("C2", "b) Female") + [date(2026, 5, 6), "m) 4: Housing"]],
        "List 3": [common("C1") + [date(2026, 2, 4), "p1) 5D: LA services", "b) No", 0, "Team A", "Worker A"]],
        "List 4": [common("C1") + ["b) No", date(2026, 2, 5), "a) Yes", date(2026, 3, 1), None, "Team A", "W"]],
        "List 5": [common("C1") + ["b) No", date(2026, 2, 6), "b) No", date(2026, 2, 20), "a) Yes", 1, 1, "T", "W"],
                   common("C2", "b) Female") + ["c) Unknown", date(2026, 4, 1), "a) Yes", None, None, 1, 0, "T",
                                                "W"]],
        "List 6": [common("C1") + ["b) No", date(2026, 2, 4), "N1 - Abuse or neglect", date(2026, 5, 5),
                                   date(2026, 6, 1),
                                   "RC7 - Services ceased for any other reason, including child no longer in need",
                                   "e) Closed episode", "T", "W"],
                   common("C3") + ["a) Yes", date(2025, 11, 30), "N2 - Child's disability", None, None, None,
                                   "c) Child in need plan", "T", "W"]],
        "List 7": [common("C1") + ["b) No", date(2026, 2, 20), "a) Neglect", "d) Emotional abuse", date(2026, 6, 20),
                                   "a) Yes", date(2026, 5, 1), None, "b) No", 0, "T", "W"]],
        "List 8": [common("C4") + ["b) No", "b) No", date(2024, 1, 5), "N1 - Abuse or neglect", "b) No",
                                   date(2024, 3, 1), "C2: FCO", date(2026, 5, 2), date(2026, 6, 2), "REMAINSTAY",
                                   date(2026, 6, 3), date(2026, 1, 1), date(2026, 2, 1), 1, None, None,
                                   date(2025, 9, 9), "K2", "b) PR1: Own provision", "AB1 2CD", "SC123456", None,
                                   None, 0, 0, None, None, None, None]],
        "List 9": [common("C5") + ["b) No", "b) No", "T", "W", "PA", "b) Former relevant child", date(2026, 4, 4),
                                   "a) Yes", date(2026, 6, 6), "D: Semi-independent", "a) Suitable", "F1"]],
    }
    return {f"{name} {TITLES[name]}": [h[name], *rows[name]] for name in rows}


def by(parsed, table: str, **match) -> list[dict]:
    return [r for r in parsed.tables[table] if all(r[k] == v for k, v in match.items())]


def test_the_products_lists_map_to_the_ssd_tables(tmp_path: Path) -> None:
    parsed = parse_annex_a(write(tmp_path / "a.xlsx", product_lists()), "999", AS_OF)
    assert parsed.kind == "annex-a" and parsed.as_of == AS_OF and parsed.year is None
    assert parsed.window == (date(2025, 12, 31), AS_OF)  # after D minus six months, as the writer
    contract = load_contract()
    for table, rows in parsed.tables.items():
        for row in rows:
            assert set(row) <= set(contract.table(table).column_names), table
            for required in contract.table(table).required_columns:
                assert row.get(required) not in (None, ""), (table, required)

    people = {p["pers_person_id"]: p for p in parsed.tables["ssd_person"]}
    assert set(people) == {"C1", "C2", "C3", "C4", "C5"}
    assert (people["C2"]["pers_sex"], people["C1"]["pers_ethnicity"], people["C1"]["pers_dob"]) == \
        ("F", "WBRI", date(2015, 3, 4))
    assert [(c["cont_person_id"], c["cont_contact_date"], c["cont_contact_source_code"])
            for c in parsed.tables["ssd_contacts"]] == [("C1", date(2026, 2, 3), "1A"), ("C2", date(2026, 5, 6), "4")]
    # List 3's referral and List 6's episode of C1 are one episode
    (episode,) = by(parsed, "ssd_cin_episodes", cine_person_id="C1")
    assert (episode["cine_referral_date"], episode["cine_referral_source_code"], episode["cine_referral_nfa"],
            episode["cine_cin_primary_need_code"], episode["cine_close_date"], episode["cine_close_reason"]) == \
        (date(2026, 2, 4), "5D", "N", "N1", date(2026, 6, 1), "RC7")
    assert by(parsed, "ssd_cin_episodes", cine_person_id="C3")[0]["cine_cin_primary_need_code"] == "N2"
    assert [(v["cinv_person_id"], v["cinv_cin_visit_date"]) for v in parsed.tables["ssd_cin_visits"]] == \
        [("C1", date(2026, 5, 5))]
    (assessment,) = parsed.tables["ssd_cin_assessments"]
    assert (assessment["cina_assessment_start_date"], assessment["cina_assessment_child_seen"],
            assessment["cina_assessment_auth_date"]) == (date(2026, 2, 5), "Y", date(2026, 3, 1))
    s47 = {s["s47e_person_id"]: s for s in parsed.tables["ssd_s47_enquiry"]}
    assert s47["C1"]["s47e_s47_outcome_json"] == '{"CP_CONFERENCE_FLAG": "Y"}'
    assert s47["C2"]["s47e_s47_outcome_json"] == '{"CP_CONFERENCE_FLAG": "N"}'
    (icpc,) = parsed.tables["ssd_initial_cp_conference"]
    assert (icpc["icpc_s47_enquiry_id"], icpc["icpc_icpc_date"], icpc["icpc_icpc_outcome_cp_flag"]) == \
        (s47["C1"]["s47e_s47_enquiry_id"], date(2026, 2, 20), "Y")
    (plan,) = parsed.tables["ssd_cp_plans"]
    assert (plan["cppl_cp_plan_initial_category"], plan["cppl_cp_plan_latest_category"]) == ("NEG", "EMO")
    assert parsed.tables["ssd_cp_reviews"][0]["cppr_cp_review_date"] == date(2026, 5, 1)
    assert parsed.tables["ssd_cp_visits"][0]["cppv_cp_visit_seen_alone"] == "Y"
    (cla,) = parsed.tables["ssd_cla_episodes"]
    assert (cla["clae_cla_episode_start_date"], cla["clae_cla_primary_need_code"]) == (date(2024, 1, 5), "N1")
    assert parsed.tables["ssd_legal_status"][0]["lega_legal_status"] == "C2"
    (placement,) = parsed.tables["ssd_cla_placement"]
    assert (placement["clap_cla_placement_type"], placement["clap_cla_placement_provider"],
            placement["clap_cla_placement_urn"], placement["clap_cla_id"]) == ("K2", "PR1", "SC123456",
                                                                               cla["clae_cla_id"])
    assert parsed.tables["ssd_cla_reviews"][0]["clar_cla_id"] == cla["clae_cla_id"]
    (leaver,) = parsed.tables["ssd_care_leavers"]
    assert (leaver["clea_care_leaver_eligibility"], leaver["clea_care_leaver_in_touch"],
            leaver["clea_care_leaver_activity"]) == ("Former relevant child", "YES", "F1")
    again = parse_annex_a(tmp_path / "a.xlsx", "999", AS_OF)
    assert again.tables == parsed.tables  # stable ids


def test_excel_users_workbooks_are_tolerated(tmp_path: Path) -> None:
    """Title rows above the headings, reordered and extra columns, headings in another case, numbers stored as text,
    dates as dd/mm/yyyy or serial-number text, bare codes, trailing blank rows and columns."""
    headings = ["DATE OF CONTACT", "child unique id", "Contact  Source", "Gender", "Notes", None, None]
    sheets = {
        "List 1 - Contacts": [["Annex A: List 1"], [], headings,
                              ["03/02/2026", 1234, "1A", "M", "x", None, None],
                              ["46059", "1235", "a) 1A: Individual", "2", None],
                              [None, None, None, None, None, None, None], []],
        "List 2 - Early help": [["Child Unique ID"], ["X"]],
        "Notes": [["anything"]],
    }
    parsed = parse_annex_a(write(tmp_path / "t.xlsx", sheets), "999", AS_OF)
    assert [(c["cont_person_id"], c["cont_contact_date"], c["cont_contact_source_code"])
            for c in parsed.tables["ssd_contacts"]] == [("1234", date(2026, 2, 3), "1A"),
                                                        ("1235", date(2026, 2, 6), "1A")]
    assert [p["pers_sex"] for p in parsed.tables["ssd_person"]] == ["M", "F"]  # legacy 2 read as F
    assert any("List 2" in n for n in parsed.notices)
    assert any("'Date of Birth'" in n for n in parsed.notices)  # missing optional column: a notice, read as blank


def test_a_1904_workbook_reads_the_same_dates(tmp_path: Path) -> None:
    sheets = {"List 1": [HEADINGS["List 1"], common("C1") + [date(2026, 2, 3), "1A"]]}
    parsed = parse_annex_a(write(tmp_path / "w.xlsx", sheets, date_1904=True), "999", AS_OF)
    assert parsed.tables["ssd_contacts"][0]["cont_contact_date"] == date(2026, 2, 3)
    assert parsed.tables["ssd_person"][0]["pers_dob"] == date(2015, 3, 4)


def test_six_months_before_clamps_to_month_end() -> None:
    assert six_months_before(date(2026, 8, 31)) == date(2026, 2, 28)
    assert six_months_before(date(2026, 3, 15)) == date(2025, 9, 15)


def one_list(row: list, *, name: str = "List 1 Contacts", headings: list | None = None) -> dict:
    return {name: [headings or HEADINGS["List 1"], row]}


REFUSALS = [
    # (what, sheets, where, field)
    ("a date that is not a date", one_list(common("C1") + ["31/02/2026", "1A"]), "List 1 Contacts!F2",
     "Date of Contact"),
    ("a date of birth that is not a date", one_list(["C1", "a) Male", "a) WBRI", "soon", 1, date(2026, 2, 3), "1A"]),
     "List 1 Contacts!D2", "Date of Birth"),
    ("an unknown code", one_list(common("C1") + [date(2026, 2, 3), "z) 99: Martians"]), "List 1 Contacts!G2",
     "Contact Source"),
    ("an unknown gender", one_list(["C1", "e) Other", "a) WBRI", date(2015, 1, 1), 1, date(2026, 2, 3), "1A"]),
     "List 1 Contacts!B2", "Gender"),
    ("a missing child id", one_list([None, "a) Male", "a) WBRI", date(2015, 1, 1), 1, date(2026, 2, 3), "1A"]),
     "List 1 Contacts!A2", "Child Unique ID"),
    ("a missing date of the list", one_list(common("C1") + [None, "1A"]), "List 1 Contacts!F2", "Date of Contact"),
    ("a yes/no that is neither", {"List 3": [HEADINGS["List 3"], common("C1") + [date(2026, 2, 4), "1A", "perhaps"]]},
     "List 3!H2", "Referral NFA?"),
    ("no heading row", one_list(["C1", date(2026, 2, 3)], headings=["Child", "Date"]), "List 1 Contacts!1",
     "Child Unique ID"),
    ("no column for the list's date", one_list(["C1"], headings=["Child Unique ID", "Gender"]), "List 1 Contacts!1",
     "Date of Contact"),
    ("two sheets of one list", {"List 1": [HEADINGS["List 1"]], "List 1 (2)": [HEADINGS["List 1"]]},
     "List 1 (2)!A1", None),
]


@pytest.mark.parametrize(("what", "sheets", "where", "field"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_malformed_workbook_is_refused_naming_sheet_cell_and_heading(tmp_path: Path, what: str, sheets: dict,
                                                                       where: str, field: str | None) -> None:
    path = write(tmp_path / "bad.xlsx", sheets)
    with pytest.raises(ImportRefused) as refused:
        parse_annex_a(path, "999", AS_OF)
    assert (refused.value.where, refused.value.field) == (where, field), str(refused.value)
    assert Path(refused.value.file) == path and str(path) in str(refused.value)


def test_files_that_are_no_annex_a_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "a.xlsx"
    text.write_text("Child Unique ID,Gender\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="not an xlsx workbook"):
        parse_annex_a(text, "999", AS_OF)
    other_zip = tmp_path / "b.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ImportRefused, match="not a readable xlsx workbook"):
        parse_annex_a(other_zip, "999", AS_OF)
    with pytest.raises(ImportRefused, match="no sheet is an Annex A list"):
        parse_annex_a(write(tmp_path / "c.xlsx", {"Sheet1": [["Child Unique ID"]]}), "999", AS_OF)
    with pytest.raises(ImportRefused, match="not an xlsx workbook"):
        parse_annex_a(tmp_path / "absent.xlsx", "999", AS_OF)


def test_a_strict_open_xml_workbook_is_refused_clearly(tmp_path: Path) -> None:
    source = write(tmp_path / "t.xlsx", {"List 1": [HEADINGS["List 1"]]})
    strict = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(strict, "w") as copy:
        for item in original.infolist():
            content = original.read(item.filename)
            if item.filename == "xl/workbook.xml":
                content = content.replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                                          b"http://purl.oclc.org/ooxml/spreadsheetml/main")
            copy.writestr(item, content)
    with pytest.raises(ImportRefused, match="save it as an Excel Workbook"):
        parse_annex_a(strict, "999", AS_OF)
