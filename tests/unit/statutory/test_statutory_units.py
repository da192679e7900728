"""The pure parts of the statutory returns: collection years, OC3 accommodation codes, 903 episode rules, the CIN
census message against its schema (no database)."""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from csc.statutory import CollectionYear
from csc.statutory.cin import build_message, check_against_schema, latest_schema_for, schema_path
from csc.statutory.readiness import current_year
from csc.statutory.ssda903 import (
    _episode_rows,
    _la_perm,
    _oc2_rows,
    _previous_rows,
    _uasc_rows,
    _with_home_postcodes,
    accommodation_code,
    continuously_looked_after,
    header_rows_of,
)

pytestmark = pytest.mark.unit


def test_collection_years():
    year = CollectionYear.parse("2025-26")
    assert (year.start, year.end, year.name) == (date(2025, 4, 1), date(2026, 3, 31), "2025-26")
    assert (year.ruleset_903, year.ruleset_cin) == ("lac2025_26", "cin2025_26")
    for bad in ("2025-27", "2025/26", "25-26", "2025"):
        with pytest.raises(ValueError, match="expected e.g. 2025-26"):
            CollectionYear.parse(bad)
    assert CollectionYear.latest_complete(date(2026, 3, 30)).name == "2024-25"
    assert CollectionYear.latest_complete(date(2026, 3, 31)).name == "2025-26"
    assert current_year(date(2026, 3, 31)).name == "2025-26"
    assert current_year(date(2026, 4, 1)).name == "2026-27"


@pytest.mark.parametrize(("text", "suitability", "code"), [
    ("With parents or relatives", "Suitable", "B1"),
    ("Semi-independent, transitional accommodation", "Not suitable", "D2"),
    ("Supported lodgings", "Suitable", "E1"),
    ("Staying put with former foster carer", "Suitable", "Z1"),
    ("Independent tenancy (rent £95 pw)", "Suitable", "U1"),
    ("Custody", "Suitable", "X2"),  # never recorded as suitable
    ("Somewhere unheard of", "Suitable", None),
    ("Supported lodgings", None, None),
    (None, "Suitable", None),
])
def test_oc3_accommodation_codes(text, suitability, code):
    assert accommodation_code(text, suitability) == code


def test_903_episode_rules():
    year = CollectionYear.parse("2025-26")
    d = date
    rows = [  # child, decom, rne, ls, cin, place, provider, dec, rec, reason, pl_post, urn
        ("1", d(2025, 5, 1), "S", "C2", "N1", "U4", "PR1", d(2025, 6, 1), "X1", "CARPL", "AB1 2CD", "SC1"),
        ("1", d(2025, 6, 1), "P", "C2", "N1", "T1", "PR1", d(2025, 6, 5), "X1", "CARPL", "AB1 2CD", None),
        ("1", d(2025, 6, 5), "P", "C2", "N1", "U4", "PR1", d(2026, 5, 1), "E11", None, "AB1 2CD", "SC1"),
        ("2", d(2025, 7, 1), "S", "V3", "N2", "K2", "PR1", d(2025, 7, 3), "E8", None, "AB1 2CD", "SC2"),
        ("3", d(2026, 4, 2), "S", "C2", "N1", "U4", "PR1", None, None, None, "AB1 2CD", "SC1"),
    ]
    out = _episode_rows(rows, year)
    assert [r[0] for r in out] == ["1", "1", "1", "2"], "an episode starting after the year is not in its return"
    assert out[0][9] is None, "no reason for placement change before a temporary placement"
    assert out[1][6] is None and out[1][9] is None, "a temporary placement carries no provider and no reason"
    assert (out[2][7], out[2][8]) == (None, None), "ceased after the year: DEC and REC left blank"
    assert (out[3][11], out[3][12]) == (None, None), "short breaks carry no placement postcode or URN"
    assert all(r[10] is None for r in out), "HOME_POST comes from ssd_address (_with_home_postcodes)"
    homes = _with_home_postcodes(out, [("1", d(2020, 1, 1), d(2025, 6, 1), "AB1 1AA", True),
                                       ("1", d(2025, 6, 1), None, "AB2 2BB", True),
                                       ("1", d(2024, 1, 1), None, "ZZ9 9ZZ", False),
                                       ("2", d(2026, 1, 1), None, "AB3 3CC", True)])
    assert [r[10] for r in homes] == ["AB1 1AA", "AB2 2BB", "AB2 2BB", None], (
        "the home address open on the day the episode started; none for a short break")
    uasc = _with_home_postcodes(out, [("1", d(2020, 1, 1), None, "AB1 1AA", True)], {"1"})
    assert [r[10] for r in uasc] == [None] * 4, "no home postcode for an unaccompanied asylum-seeking child (406)"


def _census(**person) -> etree._Element:
    base = {"child_key": "k1", "person_id": "1000001", "date_of_birth": date(2015, 1, 2),
            "expected_date_of_birth": None, "date_of_death": None, "sex": "F", "ethnicity": "WBRI",
            "upn": None, "upn_unknown_reason": None}
    data = {
        "referrals": [{"referral_key": "r1", "child_key": "k1", "referral_date": date(2025, 5, 1),
                       "closure_date": date(2026, 5, 1), "primary_need_code": "N1", "referral_source_code": "1A",
                       "closure_reason_code": "RC7", "is_no_further_action": False}],
        "people": [{**base, **person}],
        "disabilities": [],
        "assessments": [{"referral_key": "r1", "assessment_key": "a1", "assessment_start_date": date(2025, 5, 2),
                         "assessment_authorised_date": date(2025, 6, 1), "factor_codes": ["2B", " 4b", "2B"]}],
        "icpcs": [],
        "plans": [{"referral_key": "r1", "cin_plan_start_date": date(2025, 6, 2), "cin_plan_end_date": None}],
        "s47": [{"referral_key": "r1", "s47_enquiry_key": "s1", "s47_start_date": date(2025, 7, 1),
                 "s47_end_date": date(2025, 7, 10), "outcome_cp_conference": True,
                 "conference_target_date": date(2025, 7, 22), "conference_date": date(2025, 7, 20)}],
        "cpps": [{"referral_key": "r1", "cp_plan_key": "c1", "cp_plan_start_date": date(2025, 7, 20),
                  "cp_plan_end_date": None, "initial_category_of_abuse": "NEG", "latest_category_of_abuse": None,
                  "previous": 0}],
        "reviews": [{"cp_plan_key": "c1", "review_date": date(2025, 10, 1)}],
    }
    return build_message(data, "999", CollectionYear.parse("2025-26"))


def test_cin_message_is_valid_and_carries_the_year_only():
    message = _census()
    schema = schema_path(CollectionYear.parse("2025-26"))
    assert check_against_schema(message, schema) == []
    assert message.findtext(".//CINclosureDate") is None, "closed after the year: not closed in this census"
    assert [f.text for f in message.iter("AssessmentFactors")] == ["2B", "4B"]
    assert message.findtext(".//Disability") == "NONE"
    assert message.findtext(".//Section47/ICPCnotRequired") == "false"
    assert message.findtext(".//LatestCategoryOfAbuse") == "NEG"


def test_cin_schema_refuses_what_the_specification_does_not_allow():
    schema = schema_path(CollectionYear.parse("2025-26"))
    assert check_against_schema(_census(sex="X"), schema)
    assert check_against_schema(_census(ethnicity="ZZZZ"), schema)
    assert check_against_schema(_census(person_id="12345678901"), schema), "LAchildID is at most 10 characters"
    unborn = _census(date_of_birth=None, expected_date_of_birth=date(2026, 6, 1), sex="U")
    assert check_against_schema(unborn, schema) == []
    assert unborn.findtext(".//ExpectedPersonBirthDate") == "2026-06-01"


def test_a_year_in_progress_without_its_own_schema_uses_the_latest_held():
    assert latest_schema_for(CollectionYear.parse("2026-27")).name == "cin_2025_26.xsd"


def test_903_header_upn_mother_and_first_childs_birth():
    header = [("1", "F", date(2008, 1, 1), "WBRI", "A123456789012", "UN2", True),
              ("2", "F", date(2009, 1, 1), "WBRI", None, "UN1", False),
              ("3", "F", date(2009, 1, 1), "WBRI", None, "UN3", False),
              ("4", "M", date(2009, 1, 1), "WBRI", None, "UN3", True)]
    rows = header_rows_of(header, {"1": date(2025, 5, 1), "3": date(2025, 8, 1)}, {"1", "2", "3", "4"})
    assert [r[4] for r in rows] == ["A123456789012", "UN1", "UN3", "UN3"], "the UPN, else the reason"
    assert [(r[5], r[6]) for r in rows] == [("1", date(2025, 5, 1)), ("0", None), ("1", date(2025, 8, 1)),
                                           (None, None)], "MOTHER and MC_DOB: girls only; ssd_mother makes a mother"
    assert header_rows_of(header, {}, set())[0][5:] == (None, None), "not looked after (or short breaks only)"


def test_903_uasc_oc2_and_previous_permanence():
    year = CollectionYear.parse("2025-26")
    d = date
    uasc = _uasc_rows({"1": (d(2024, 1, 1), d(9999, 12, 31)), "2": (d(2023, 1, 1), d(2024, 6, 1)),
                       "3": (d(2025, 1, 1), d(2025, 10, 1))},
                      {"1": d(2009, 5, 1), "2": d(2008, 1, 1), "3": d(2010, 1, 1)}, {"1": "M", "3": "F"}, year)
    assert uasc == [("1", "M", d(2009, 5, 1), None), ("3", "F", d(2010, 1, 1), d(2025, 10, 1))], (
        "still UASC: no DUC; ceased before the year: left out (rule 104)")
    rows = [("A", d(2020, 1, 1), "S", "C2", "N1", "U1", "PR1", None, None, None, None, None, None),
            ("B", d(2025, 6, 1), "S", "C2", "N1", "U1", "PR1", None, None, None, None, None, None),
            ("C", d(2019, 1, 1), "S", "V3", "N1", "U1", "PR1", None, None, None, None, None, None)]
    assert continuously_looked_after(rows, year) == {"A"}, "entered in the year, short breaks: not continuous"
    inputs = [("A", True, False, False, True, None, False, False, "(12,)"),
              ("B", True, True, True, True, None, False, False, None)]
    oc2 = _oc2_rows(inputs, {"A", "B"}, {"A": d(2012, 1, 1), "B": d(2022, 1, 1)}, year)
    assert oc2[0] == ("A", d(2012, 1, 1), "12", None, "0", None, "1", "0", "1", "0", None, None)
    assert oc2[1] == ("B", d(2022, 1, 1), None, "SDQ5", None, "1", "1", "1", "1", "0", None, None), (
        "turning 4 in the year: an SDQ reason; under 10: no convictions; under 5: development checks")
    misuse = [("A", True, True, False, True, True, True, False, "(12,)"),
               ("B", True, True, True, True, False, True, False, None)]
    received, refused = _oc2_rows(misuse, {"A", "B"}, {"A": d(2012, 1, 1), "B": d(2022, 1, 1)}, year)
    assert (received[-3:], refused[-3:]) == (("1", "1", None), ("1", "0", "0")), (
        "an intervention received: none offered (rule 158); none received: offered 0 (rule 159)")
    previous = [("A", d(2012, 1, 1), "Special guardianship order", "Same LA", "01/02/2020"),
                ("C", d(2012, 1, 1), "Adoption", "931", "zz/zz/2018")]
    assert _previous_rows(previous, {"A": d(2012, 1, 1), "B": d(2013, 1, 1)}, "999") == [
        ("A", d(2012, 1, 1), "P2", "999", "01/02/2020"), ("B", d(2013, 1, 1), "Z1", None, None)], (
        "every child starting care in the year; Z1 without a record")
    assert (_la_perm("931", "999"), _la_perm("wal", "999"), _la_perm("Another LA", "999")) == ("931", "WAL", None)


def test_cin_upn_and_former_upn():
    message = _census(upn="A123456789012", upn_unknown_reason="UN1")
    assert message.findtext(".//UPN") == "A123456789012"
    assert message.findtext(".//UPNunknown") is None, "no unknown reason beside a UPN"
    assert check_against_schema(message, schema_path(CollectionYear.parse("2025-26"))) == []
    assert _census(upn="BAD").findtext(".//UPN") is None
