"""The CIN census parser (issue 14): files of several years' layouts and legacy codes read into the SSD's tables, and
every malformed file refused with its XML path and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from csc.contract import load_contract
from csc.imports.cin import parse_cin
from csc.imports.model import ImportRefused

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures"
YEARS = {"cin_2017_18.xml": "2017-18", "cin_2021_22.xml": "2021-22", "cin_2025_26.xml": "2025-26",
         "cin_2026_27.xml": "2026-27"}


def rows(parsed, table: str, **match) -> list[dict]:
    return [r for r in parsed.tables[table] if all(r[k] == v for k, v in match.items())]


@pytest.mark.parametrize("name", sorted(YEARS))
def test_every_row_uses_the_contracts_columns_and_ids_are_stable(name: str) -> None:
    contract = load_contract()
    first = parse_cin(FIXTURES / name, "999", YEARS[name])
    again = parse_cin(FIXTURES / name, "999", YEARS[name])
    assert first.tables == again.tables
    assert first.kind == "cin" and first.year == YEARS[name] and first.as_of is None
    start = int(YEARS[name][:4])
    assert first.window == (date(start, 4, 1), date(start + 1, 3, 31))
    for table, table_rows in first.tables.items():
        columns = set(contract.table(table).column_names)
        for row in table_rows:
            assert set(row) <= columns, (table, set(row) - columns)
            for required in contract.table(table).required_columns:
                assert row.get(required) not in (None, ""), (table, required, row)
        keys = [tuple(r[k] for k in contract.table(table).primary_key) for r in table_rows]
        assert len(keys) == len(set(keys)), table


def test_2017_18_layout_with_legacy_sex_codes() -> None:
    parsed = parse_cin(FIXTURES / "cin_2017_18.xml", "999", "2017-18")
    people = {p["pers_person_id"]: p for p in parsed.tables["ssd_person"]}
    assert people["SYN0001"]["pers_sex"] == "M" and people["SYN0002"]["pers_sex"] == "F"
    assert people["SYN0001"]["pers_dob"] == date(2010, 5, 17)
    assert people["SYN0001"]["pers_upn"] == "A123456789012"
    assert people["SYN0002"]["pers_upn_unknown"] == "UN1"
    assert any("legacy GenderCurrent" in n for n in parsed.notices)
    assert rows(parsed, "ssd_linked_identifiers")[0]["link_identifier_value"] == "B12345678901X"
    assert sorted(d["disa_disability_code"] for d in rows(parsed, "ssd_disability", disa_person_id="SYN0001")) == \
        ["LD", "MOB"]
    assert not rows(parsed, "ssd_disability", disa_person_id="SYN0002")  # NONE is no disability row

    (referral,) = rows(parsed, "ssd_cin_episodes", cine_person_id="SYN0001")
    assert (referral["cine_referral_date"], referral["cine_referral_source_code"],
            referral["cine_cin_primary_need_code"], referral["cine_close_date"], referral["cine_close_reason"],
            referral["cine_referral_nfa"]) == (date(2017, 6, 1), "2A", "N1", date(2018, 2, 28), "RC7", "N")
    assert rows(parsed, "ssd_cin_episodes", cine_person_id="SYN0002")[0]["cine_referral_nfa"] == "Y"
    (assessment,) = parsed.tables["ssd_cin_assessments"]
    assert assessment["cina_referral_id"] == referral["cine_referral_id"]
    assert assessment["cina_assessment_auth_date"] == date(2017, 6, 30)
    (factors,) = parsed.tables["ssd_assessment_factors"]
    assert factors["cinf_assessment_id"] == assessment["cina_assessment_id"]
    assert factors["cinf_assessment_factors_json"] == '["3A", "18A"]'  # 18A: a code of its year, kept

    # one conference, given on the episode and on its enquiry; it led to the plan
    (s47,) = parsed.tables["ssd_s47_enquiry"]
    (icpc,) = parsed.tables["ssd_initial_cp_conference"]
    (plan,) = parsed.tables["ssd_cp_plans"]
    assert icpc["icpc_s47_enquiry_id"] == s47["s47e_s47_enquiry_id"]
    assert (icpc["icpc_icpc_date"], icpc["icpc_icpc_target_date"]) == (date(2017, 7, 3), date(2017, 7, 1))
    assert icpc["icpc_cp_plan_id"] == plan["cppl_cp_plan_id"] and plan["cppl_icpc_id"] == icpc["icpc_icpc_id"]
    assert '"CP_CONFERENCE_FLAG": "Y"' in s47["s47e_s47_outcome_json"]
    assert (plan["cppl_cp_plan_initial_category"], plan["cppl_cp_plan_latest_category"]) == ("NEG", "EMO")
    (review,) = parsed.tables["ssd_cp_reviews"]
    assert review["cppr_cp_plan_id"] == plan["cppl_cp_plan_id"] and review["cppr_cp_review_date"] == \
        date(2017, 9, 28)
    (cin_plan,) = parsed.tables["ssd_cin_plans"]
    assert (cin_plan["cinp_cin_plan_start_date"], cin_plan["cinp_cin_plan_end_date"]) == \
        (date(2017, 11, 1), date(2018, 2, 28))


def test_2021_22_unknown_sex_codes_duplicates_and_icpc_not_required() -> None:
    parsed = parse_cin(FIXTURES / "cin_2021_22.xml", "999", "2021-22")
    people = {p["pers_person_id"]: p for p in parsed.tables["ssd_person"]}
    assert people["SYN0101"]["pers_sex"] == "U" and people["SYN0102"]["pers_sex"] == "U"
    assert people["SYN0101"]["pers_dob"] is None and people["SYN0101"]["pers_expected_dob"] == date(2022, 5, 1)
    # two episodes on the same day: both kept, with distinct stable ids
    same_day = rows(parsed, "ssd_cin_episodes", cine_person_id="SYN0102")
    assert len(same_day) == 2 and same_day[0]["cine_referral_id"] != same_day[1]["cine_referral_id"]
    (s47,) = parsed.tables["ssd_s47_enquiry"]
    assert s47["s47e_s47_outcome_json"] == '{"CP_CONFERENCE_FLAG": "N"}'
    assert not parsed.tables["ssd_initial_cp_conference"]


def test_2025_26_sex_codes_namespace_and_case() -> None:
    parsed = parse_cin(FIXTURES / "cin_2025_26.xml", "999", "2025-26")
    (person,) = parsed.tables["ssd_person"]
    assert (person["pers_sex"], person["pers_ethnicity"], person["pers_death_date"]) == \
        ("F", "BAFR", date(2026, 1, 15))
    assert not parsed.notices
    assert [a["cina_assessment_auth_date"] for a in parsed.tables["ssd_cin_assessments"]] == [date(2025, 5, 1), None]
    assert parsed.tables["ssd_assessment_factors"][0]["cinf_assessment_factors_json"] == '["24A", "6A"]'
    assert parsed.tables["ssd_cin_plans"][0]["cinp_cin_plan_end_date"] is None


def test_2026_27_pre_proceedings_and_unknown_elements() -> None:
    parsed = parse_cin(FIXTURES / "cin_2026_27.xml", "999", "2026-27")
    (prep,) = parsed.tables["ssd_pre_proceedings"]
    assert prep["prep_person_id"] == "SYN0301"
    assert (prep["prep_pre_pro_decision_date"], prep["prep_initial_pre_pro_meeting_date"],
            prep["prep_pre_pro_meetings_num"], prep["prep_pre_pro_parents_legal_rep"]) == \
        (date(2026, 9, 1), date(2026, 9, 15), 2, "Y")
    assert any("FamilyGroupDecisionMaking" in n for n in parsed.notices)
    # a conference given only on the episode (no enquiry) is a conference of the episode
    (icpc,) = parsed.tables["ssd_initial_cp_conference"]
    assert icpc["icpc_s47_enquiry_id"] is None and icpc["icpc_icpc_date"] == date(2026, 6, 1)
    assert len(parsed.tables["ssd_cp_reviews"]) == 2


def test_a_referral_in_two_years_returns_gets_the_same_id(tmp_path: Path) -> None:
    text = (FIXTURES / "cin_2017_18.xml").read_text(encoding="utf-8")
    later = tmp_path / "next.xml"
    later.write_text(text.replace("<Year>2018</Year>", "<Year>2019</Year>"), encoding="utf-8")
    first = parse_cin(FIXTURES / "cin_2017_18.xml", "999", "2017-18")
    second = parse_cin(later, "999", "2018-19")
    assert [r["cine_referral_id"] for r in first.tables["ssd_cin_episodes"]] == \
        [r["cine_referral_id"] for r in second.tables["ssd_cin_episodes"]]
    other_la = parse_cin(FIXTURES / "cin_2017_18.xml", "998", "2017-18")
    assert first.tables["ssd_cin_episodes"][0]["cine_referral_id"] != \
        other_la.tables["ssd_cin_episodes"][0]["cine_referral_id"]


BASE = "cin_2017_18.xml"
REFUSALS = [
    # (what, replace, with, expected where (part), expected field)
    ("unparsable XML", "</Children>", "</Childr>", "line", None),
    ("a date that is not a date", "<CINreferralDate>2017-06-01", "<CINreferralDate>2017-13-45",
     "/Message/Children/Child[1]/CINdetails/CINreferralDate", "CINreferralDate"),
    ("a dd/mm date that is not a date", "<CPPstartDate>2017-07-03", "<CPPstartDate>31/02/2017",
     "ChildProtectionPlans/CPPstartDate", "CPPstartDate"),
    ("a review date that is not a date", "<CPPreviewDate>2017-09-28", "<CPPreviewDate>soon",
     "Reviews/CPPreviewDate", "CPPreviewDate"),
    ("an unknown referral source", "<ReferralSource>2A", "<ReferralSource>2Z", "CINdetails/ReferralSource",
     "ReferralSource"),
    ("an unknown primary need", "<PrimaryNeedCode>N4", "<PrimaryNeedCode>N10", "Child[2]/CINdetails/PrimaryNeedCode",
     "PrimaryNeedCode"),
    ("an unknown category of abuse", "<InitialCategoryOfAbuse>NEG", "<InitialCategoryOfAbuse>XXX",
     "InitialCategoryOfAbuse", "InitialCategoryOfAbuse"),
    ("an unknown assessment factor", "<AssessmentFactors>3A", "<AssessmentFactors>99Z", "AssessmentFactors[1]",
     "AssessmentFactors"),
    ("an unknown disability", "<Disability>MOB", "<Disability>WINGS", "Disabilities/Disability[1]", "Disability"),
    ("an unknown ethnicity", "<Ethnicity>WBRI", "<Ethnicity>ZZZZ", "Child[1]/ChildCharacteristics/Ethnicity",
     "Ethnicity"),
    ("an unknown sex code", "<GenderCurrent>1", "<GenderCurrent>7", "ChildIdentifiers/GenderCurrent",
     "GenderCurrent"),
    ("a flag that is not true or false", "<ReferralNFA>0", "<ReferralNFA>maybe", "CINdetails/ReferralNFA",
     "ReferralNFA"),
    ("a missing child id", "<LAchildID>SYN0002</LAchildID>", "", "/Message/Children/Child[2]/ChildIdentifiers",
     "LAchildID"),
    ("a blank child id", "<LAchildID>SYN0002</LAchildID>", "<LAchildID>  </LAchildID>", "Child[2]/ChildIdentifiers",
     "LAchildID"),
    ("a child id given twice", "<LAchildID>SYN0002</LAchildID>", "<LAchildID>SYN0001</LAchildID>",
     "/Message/Children/Child[2]", "LAchildID"),
    ("a missing referral date", "<CINreferralDate>2018-03-20</CINreferralDate>", "",
     "/Message/Children/Child[2]/CINdetails", "CINreferralDate"),
    ("a missing enquiry start", "<S47ActualStartDate>2017-06-10</S47ActualStartDate>", "", "Section47",
     "S47ActualStartDate"),
    ("another year's file", "<Year>2018</Year>", "<Year>2019</Year>", "CollectionDetails/Year", "Year"),
    ("another collection", "<Collection>CIN</Collection>", "<Collection>SSDA903</Collection>",
     "CollectionDetails/Collection", "Collection"),
    ("not a census message", "<Message>", "<Census>", "/Census", None),
]


@pytest.mark.parametrize(("what", "old", "new", "where", "field"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_malformed_file_is_refused_naming_file_path_and_field(tmp_path: Path, what: str, old: str, new: str,
                                                                where: str, field: str | None) -> None:
    text = (FIXTURES / BASE).read_text(encoding="utf-8")
    assert old in text, what
    if old == "<Message>":
        text = text.replace("</Message>", "</Census>")
    broken = tmp_path / "broken.xml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        parse_cin(broken, "999", "2017-18")
    error = refused.value
    assert Path(error.file) == broken
    assert error.where is not None and where in error.where, (error.where, str(error))
    assert error.field == field
    assert str(broken) in str(error)


def test_a_missing_file_and_a_bad_year_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused, match="cannot read the file"):
        parse_cin(tmp_path / "absent.xml", "999", "2025-26")
    with pytest.raises(ImportRefused) as refused:
        parse_cin(FIXTURES / BASE, "999", "2017-19")
    assert refused.value.field == "year"


def test_entities_are_refused_never_expanded(tmp_path: Path) -> None:
    text = (FIXTURES / BASE).read_text(encoding="utf-8")
    hostile = tmp_path / "entity.xml"
    hostile.write_text(text.replace('<?xml version="1.0" encoding="UTF-8"?>',
                                    '<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
                       .replace("<LAchildID>SYN0001", "<LAchildID>&x;SYN0001"), encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        parse_cin(hostile, "999", "2017-18")
    assert refused.value.where.endswith("Child[1]/ChildIdentifiers/LAchildID")
    assert "root:" not in str(refused.value)


def test_the_products_own_census_reads_back(tmp_path: Path) -> None:
    """The census the product writes (csc.statutory.cin.build_message, valid against its XSD) parses back to the rows
    it was built from."""
    from lxml import etree

    from csc.statutory.cin import build_message, check_against_schema, schema_path
    from csc.statutory.years import CollectionYear

    year = CollectionYear.parse("2025-26")
    data = {
        "referrals": [{"referral_key": "r1", "child_key": "k1", "referral_date": date(2025, 5, 1),
                       "closure_date": date(2026, 6, 1), "primary_need_code": "N5", "referral_source_code": "3E",
                       "closure_reason_code": "RC8", "is_no_further_action": False}],
        "people": [{"child_key": "k1", "person_id": "P1", "date_of_birth": date(2014, 7, 7),
                    "expected_date_of_birth": None, "date_of_death": None, "sex": "M", "ethnicity": "CHNE",
                    "upn": "A123456789012", "upn_unknown_reason": None}],
        "former_upns": [], "disabilities": [{"child_key": "k1", "code": "HEAR"}],
        "assessments": [{"referral_key": "r1", "assessment_key": "a1", "assessment_start_date": date(2025, 5, 2),
                         "assessment_authorised_date": date(2025, 6, 2), "factor_codes": ["4B", "3A"]}],
        "icpcs": [], "plans": [],
        "s47": [{"referral_key": "r1", "s47_enquiry_key": "s1", "s47_start_date": date(2025, 5, 3),
                 "s47_end_date": date(2025, 5, 20), "outcome_cp_conference": True,
                 "conference_target_date": date(2025, 5, 24), "conference_date": date(2025, 5, 22)}],
        "cpps": [{"referral_key": "r1", "cp_plan_key": "c1", "cp_plan_start_date": date(2025, 5, 22),
                  "cp_plan_end_date": None, "initial_category_of_abuse": "SAB", "latest_category_of_abuse": None,
                  "previous": 0}],
        "reviews": [{"cp_plan_key": "c1", "review_date": date(2025, 8, 1)}],
    }
    text = etree.tostring(build_message(data, "999", year), xml_declaration=True, encoding="UTF-8")
    assert check_against_schema(etree.fromstring(text), schema_path(year)) == []
    path = tmp_path / "census.xml"
    path.write_bytes(text)
    parsed = parse_cin(path, "999", year.name)
    (episode,) = parsed.tables["ssd_cin_episodes"]
    assert (episode["cine_person_id"], episode["cine_referral_date"], episode["cine_referral_source_code"],
            episode["cine_cin_primary_need_code"], episode["cine_close_date"], episode["cine_referral_nfa"]) == \
        ("P1", date(2025, 5, 1), "3E", "N5", None, "N")  # closed after the year: open in this year's census
    assert parsed.tables["ssd_assessment_factors"][0]["cinf_assessment_factors_json"] == '["4B", "3A"]'
    (icpc,) = parsed.tables["ssd_initial_cp_conference"]
    (plan,) = parsed.tables["ssd_cp_plans"]
    assert (icpc["icpc_icpc_date"], icpc["icpc_cp_plan_id"]) == (date(2025, 5, 22), plan["cppl_cp_plan_id"])
    assert plan["cppl_cp_plan_latest_category"] == "SAB"
    assert [r["cppr_cp_review_date"] for r in parsed.tables["ssd_cp_reviews"]] == [date(2025, 8, 1)]
    assert [d["disa_disability_code"] for d in parsed.tables["ssd_disability"]] == ["HEAR"]


def test_codes_outside_their_years_are_kept_with_a_notice(tmp_path: Path) -> None:
    assert not any("valid years" in n for n in parse_cin(FIXTURES / BASE, "999", "2017-18").notices)  # 18A in 2017
    text = (FIXTURES / "cin_2025_26.xml").read_text(encoding="utf-8")
    later = tmp_path / "later.xml"
    later.write_text(text.replace("<AssessmentFactors>6A", "<AssessmentFactors>18A"), encoding="utf-8")
    parsed = parse_cin(later, "999", "2025-26")
    assert parsed.tables["ssd_assessment_factors"][0]["cinf_assessment_factors_json"] == '["24A", "18A"]'
    assert any("valid years for 2025-26" in n and "assessment_factor 18A (1)" in n for n in parsed.notices)
