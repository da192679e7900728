"""The CIN census XML of one collection year, built from the warehouse and checked against that year's XSD.

The census holds every child with a CIN episode (referral) open at any time in the year (a same-day duplicate
referral, as the marts flag it, is left out), and within each episode its
assessments, CIN plans, section 47 enquiries and child protection plans (with their reviews) that touch the year.
The XSD (``schemas/cin_YYYY_YY.xsd``) is reference data written from the DfE's published specification; a file
that does not validate is never left behind as if it were a return.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from lxml import etree

from csc import __version__
from csc.settings import Settings
from csc.statutory.years import CollectionYear, StatutoryError
from csc.warehouse.connection import connect

# Items of the census the warehouse cannot fill yet (issue 13). The UPN comes from ssd_person.pers_upn and the
# former UPN from ssd_linked_identifiers (optional: without it, no FormerUPN).
NOT_YET_HELD: dict[str, str] = {
    "CINdetails pre-proceedings and family group decision making (2026-27)":
        "a 2026-27 census schema made from the DfE's published 2026-27 specification (the product holds the 2025-26 "
        "one; a 2026-27 census cannot be written, and the nightly readiness of 2026-27 is checked on the 2025-26 "
        "schema and rules, and says so); the data are in ssd_pre_proceedings",
}

UPN_PATTERN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")


@dataclass
class CinCensus:
    path: Path
    schema: Path
    children: int


SCHEMAS = Path(str(resources.files("csc.statutory") / "schemas"))


def schema_path(year: CollectionYear) -> Path:
    path = SCHEMAS / f"cin_{year.start_year}_{year.end.year % 100:02d}.xsd"
    if not path.is_file():
        raise StatutoryError(f"no CIN census schema for {year.name} in {path.parent} (the product holds: "
                             f"{', '.join(sorted(p.name for p in path.parent.glob('cin_*.xsd'))) or 'none'})")
    return path


def latest_schema_for(year: CollectionYear) -> Path:
    """The year's own schema, else the latest earlier one the product holds (a year in progress whose specification
    has not been shipped yet is checked against the last structure known)."""
    for start in range(year.start_year, year.start_year - 5, -1):
        path = SCHEMAS / f"cin_{start}_{(start + 1) % 100:02d}.xsd"
        if path.is_file():
            return path
    return schema_path(year)


def _rows(conn, query: str, params: dict) -> list[dict]:
    cursor = conn.execute(query, params)
    names = [c.name for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _collect(settings: Settings, la_code: str, year: CollectionYear) -> dict[str, list[dict]]:
    p = {"la": la_code, "ys": year.start, "ye": year.end}
    with connect(settings, application="csc statutory cin") as conn:
        referrals = _rows(conn, """
            select r.referral_key, r.child_key, r.referral_date, r.closure_date, r.primary_need_code,
                   r.referral_source_code, r.closure_reason_code, r.is_no_further_action
            from staging.stg_ssd__cin_episodes r
            where r.la_code = %(la)s and r.referral_date <= %(ye)s
              and (r.closure_date is null or r.closure_date >= %(ys)s)
              -- a second referral of the child on the same day is a duplicate: counted once, as in the marts
              and not exists (select 1 from marts.fct_referrals f where f.la_code = r.la_code
                               and f.referral_key = r.referral_key and f.is_same_day_duplicate)
            order by r.child_key, r.referral_date""", p)
        keys = list({r["referral_key"] for r in referrals})
        children = list({r["child_key"] for r in referrals})
        q = {**p, "refs": keys, "kids": children}
        return {
            "referrals": referrals,
            "people": _rows(conn, """
                select distinct on (child_key) child_key, person_id, date_of_birth, expected_date_of_birth,
                       date_of_death, sex, ethnicity, upn, upn_unknown_reason
                from staging.stg_ssd__person where la_code = %(la)s and child_key = any(%(kids)s)
                order by child_key""", q),
            # the latest former UPN of each child (ssd_linked_identifiers)
            "former_upns": _rows(conn, """
                select distinct on (child_key) child_key, upper(identifier_value) as former_upn
                from staging.stg_ssd__linked_identifiers
                where la_code = %(la)s and child_key = any(%(kids)s) and identifier_value is not null
                  and lower(identifier_type) like '%%former%%'
                  and (lower(identifier_type) like '%%upn%%' or lower(identifier_type) like '%%pupil%%')
                order by child_key, valid_to_date desc nulls first""", q),
            "disabilities": _rows(conn, """
                select distinct child_key, upper(disability_code) as code from staging.stg_ssd__disability
                where la_code = %(la)s and child_key = any(%(kids)s) and disability_code is not null
                order by 1, 2""", q),
            "assessments": _rows(conn, """
                select a.referral_key, a.assessment_key, a.assessment_start_date, a.assessment_authorised_date,
                       f.factor_codes
                from staging.stg_ssd__cin_assessments a
                left join staging.stg_ssd__assessment_factors f
                  on f.assessment_key = a.assessment_key and f.la_code = a.la_code
                where a.la_code = %(la)s and a.referral_key = any(%(refs)s) and a.assessment_start_date <= %(ye)s
                  and (a.assessment_authorised_date is null or a.assessment_authorised_date >= %(ys)s)
                order by a.referral_key, a.assessment_start_date""", q),
            # conferences held without a section 47 enquiry of the episode (e.g. transfers in): the CIN details
            # level carries these only; a conference after an enquiry is in its Section47 group
            "icpcs": _rows(conn, """
                select i.referral_key, min(i.conference_date) as conference_date
                from staging.stg_ssd__initial_cp_conference i
                where i.la_code = %(la)s and i.referral_key = any(%(refs)s) and i.s47_enquiry_key is null
                  and i.conference_date between %(ys)s and %(ye)s
                group by i.referral_key""", q),
            "plans": _rows(conn, """
                select referral_key, cin_plan_start_date, cin_plan_end_date from staging.stg_ssd__cin_plans
                where la_code = %(la)s and referral_key = any(%(refs)s) and cin_plan_start_date <= %(ye)s
                  and (cin_plan_end_date is null or cin_plan_end_date >= %(ys)s)
                order by referral_key, cin_plan_start_date""", q),
            "s47": _rows(conn, """
                select s.referral_key, s.s47_enquiry_key, s.s47_start_date, s.s47_end_date, s.outcome_cp_conference,
                       c.conference_target_date, c.conference_date
                from staging.stg_ssd__s47_enquiry s
                left join lateral (
                    select i.conference_target_date, i.conference_date
                    from staging.stg_ssd__initial_cp_conference i
                    where i.la_code = s.la_code and i.s47_enquiry_key = s.s47_enquiry_key
                    order by i.conference_date nulls last limit 1) c on true
                where s.la_code = %(la)s and s.referral_key = any(%(refs)s) and s.s47_start_date <= %(ye)s
                  and (coalesce(c.conference_date, s.s47_end_date) is null
                       or coalesce(c.conference_date, s.s47_end_date) >= %(ys)s)
                order by s.referral_key, s.s47_start_date""", q),
            "cpps": _rows(conn, """
                select cp.referral_key, cp.cp_plan_key, cp.cp_plan_start_date, cp.cp_plan_end_date,
                       cp.initial_category_of_abuse, cp.latest_category_of_abuse,
                       (select count(*) from staging.stg_ssd__cp_plans prev
                        where prev.la_code = cp.la_code and prev.child_key = cp.child_key
                          and prev.cp_plan_start_date < cp.cp_plan_start_date) as previous
                from staging.stg_ssd__cp_plans cp
                where cp.la_code = %(la)s and cp.referral_key = any(%(refs)s) and cp.cp_plan_start_date <= %(ye)s
                  and (cp.cp_plan_end_date is null or cp.cp_plan_end_date >= %(ys)s)
                order by cp.referral_key, cp.cp_plan_start_date""", q),
            "reviews": _rows(conn, """
                select r.cp_plan_key, r.review_date from staging.stg_ssd__cp_reviews r
                where r.la_code = %(la)s and r.child_key = any(%(kids)s)
                  and r.review_date between %(ys)s and %(ye)s
                order by r.cp_plan_key, r.review_date""", q),
        }


def _add(parent: etree._Element, tag: str, value: object = None) -> etree._Element | None:
    if value is None or value == "":
        return None
    node = etree.SubElement(parent, tag)
    node.text = value.isoformat() if isinstance(value, date) else str(value)
    return node


def _group(rows: list[dict], key: str) -> dict:
    grouped: dict = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def build_message(data: dict[str, list[dict]], la_code: str, year: CollectionYear,
                  now: datetime | None = None, lea: str | None = None) -> etree._Element:
    """The census message (an lxml tree) from the collected rows."""
    now = now or datetime.now(UTC)
    message = etree.Element("Message")
    header = etree.SubElement(message, "Header")
    details = etree.SubElement(header, "CollectionDetails")
    _add(details, "Collection", "CIN")
    _add(details, "Year", year.end.year)
    _add(details, "ReferenceDate", year.end)
    source = etree.SubElement(header, "Source")
    _add(source, "SourceLevel", "L")
    _add(source, "LEA", lea or la_code)  # lea: the LA's DfE number (las.yml dfe_code)
    _add(source, "SoftwareCode", "csc-pipeline")
    _add(source, "Release", __version__)
    _add(source, "SerialNo", 1)
    _add(source, "DateTime", now.replace(microsecond=0, tzinfo=None).isoformat())
    content = etree.SubElement(etree.SubElement(header, "Content"), "CBDSLevels")
    _add(content, "CBDSLevel", "Child")
    children = etree.SubElement(message, "Children")

    people = {p["child_key"]: p for p in data["people"]}
    disabilities = _group(data["disabilities"], "child_key")
    assessments = _group(data["assessments"], "referral_key")
    plans = _group(data["plans"], "referral_key")
    s47s = _group(data["s47"], "referral_key")
    cpps = _group(data["cpps"], "referral_key")
    reviews = _group(data["reviews"], "cp_plan_key")
    icpcs = {row["referral_key"]: row["conference_date"] for row in data["icpcs"]}
    former_upns = {row["child_key"]: row["former_upn"] for row in data.get("former_upns", [])}
    for child_key, referrals in sorted(_group(data["referrals"], "child_key").items(),
                                       key=lambda item: people.get(item[0], {}).get("person_id") or ""):
        person = people.get(child_key)
        if person is None:
            continue
        child = etree.SubElement(children, "Child")
        ids = etree.SubElement(child, "ChildIdentifiers")
        _add(ids, "LAchildID", person["person_id"])
        upn = person.get("upn") if person.get("upn") and UPN_PATTERN.match(person["upn"]) else None
        former = former_upns.get(child_key)
        _add(ids, "UPN", upn)
        _add(ids, "FormerUPN", former if former and UPN_PATTERN.match(former) and former != upn else None)
        if upn is None:
            _add(ids, "UPNunknown", person["upn_unknown_reason"])
        _add(ids, "PersonBirthDate", person["date_of_birth"])
        if person["date_of_birth"] is None:
            _add(ids, "ExpectedPersonBirthDate", person["expected_date_of_birth"])
        _add(ids, "Sex", person["sex"] or "U")
        _add(ids, "PersonDeathDate", person["date_of_death"])
        characteristics = etree.SubElement(child, "ChildCharacteristics")
        _add(characteristics, "Ethnicity", person["ethnicity"] or "NOBT")
        codes = [d["code"] for d in disabilities.get(child_key, [])]
        holder = etree.SubElement(characteristics, "Disabilities")
        for code in codes or ["NONE"]:
            _add(holder, "Disability", code)
        for referral in referrals:
            key = referral["referral_key"]
            cin = etree.SubElement(child, "CINdetails")
            _add(cin, "CINreferralDate", referral["referral_date"])
            _add(cin, "ReferralSource", referral["referral_source_code"])
            _add(cin, "PrimaryNeedCode", referral["primary_need_code"])
            closed = referral["closure_date"] if referral["closure_date"] and referral["closure_date"] <= year.end \
                else None
            _add(cin, "CINclosureDate", closed)
            _add(cin, "ReasonForClosure", referral["closure_reason_code"] if closed else None)
            _add(cin, "DateOfInitialCPC", icpcs.get(key))
            _add(cin, "ReferralNFA", "true" if referral["is_no_further_action"] else "false")
            for a in assessments.get(key, []):
                node = etree.SubElement(cin, "Assessments")
                _add(node, "AssessmentActualStartDate", a["assessment_start_date"])
                authorised = a["assessment_authorised_date"]
                _add(node, "AssessmentAuthorisationDate", authorised if authorised and authorised <= year.end
                     else None)
                if authorised and authorised <= year.end and a["factor_codes"]:
                    factors = etree.SubElement(node, "FactorsIdentifiedAtAssessment")
                    for code in dict.fromkeys(c.strip().upper() for c in a["factor_codes"] if c and c.strip()):
                        _add(factors, "AssessmentFactors", code)
            for plan in plans.get(key, []):
                node = etree.SubElement(cin, "CINPlanDates")
                _add(node, "CINPlanStartDate", plan["cin_plan_start_date"])
                end = plan["cin_plan_end_date"]
                _add(node, "CINPlanEndDate", end if end and end <= year.end else None)
            for s in s47s.get(key, []):
                node = etree.SubElement(cin, "Section47")
                _add(node, "S47ActualStartDate", s["s47_start_date"])
                _add(node, "InitialCPCtarget", s["conference_target_date"])
                held = s["conference_date"] if s["conference_date"] and s["conference_date"] <= year.end else None
                _add(node, "DateOfInitialCPC", held)
                concluded = s["s47_end_date"] is not None and s["s47_end_date"] <= year.end
                _add(node, "ICPCnotRequired", "true" if concluded and held is None and not s["outcome_cp_conference"]
                     else "false")
            for plan in cpps.get(key, []):
                node = etree.SubElement(cin, "ChildProtectionPlans")
                _add(node, "CPPstartDate", plan["cp_plan_start_date"])
                end = plan["cp_plan_end_date"]
                _add(node, "CPPendDate", end if end and end <= year.end else None)
                _add(node, "InitialCategoryOfAbuse", plan["initial_category_of_abuse"])
                _add(node, "LatestCategoryOfAbuse", plan["latest_category_of_abuse"] or
                     plan["initial_category_of_abuse"])
                _add(node, "NumberOfPreviousCPP", plan["previous"])
                held = [r["review_date"] for r in reviews.get(plan["cp_plan_key"], [])]
                if held:
                    node_reviews = etree.SubElement(node, "Reviews")
                    for day in held:
                        _add(node_reviews, "CPPreviewDate", day)
    return message


def check_against_schema(document: etree._ElementTree | etree._Element, schema: Path) -> list[str]:
    """The schema errors of a document, each as 'line N: message' (empty when valid)."""
    xsd = etree.XMLSchema(etree.parse(str(schema)))
    tree = document if isinstance(document, etree._ElementTree) else etree.ElementTree(document)
    if xsd.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


def write_cin(settings: Settings, la_code: str, year: CollectionYear, out: Path, *,
              latest_schema: bool = False) -> CinCensus:
    """Write the census of ``year``; ``latest_schema``: a year without its own schema yet (the nightly readiness of
    the year in progress) is checked against the latest one the product holds."""
    schema = latest_schema_for(year) if latest_schema else schema_path(year)
    data = _collect(settings, la_code, year)
    if not data["referrals"]:
        raise StatutoryError(f"LA {la_code}: no children in need in {year.name} in the warehouse "
                             "(has an extract been loaded and built?)")
    from csc.las import identity_codes

    message = build_message(data, la_code, year, lea=identity_codes(settings, la_code)[1])
    tree = etree.ElementTree(message)
    # Rebuilt from the serialised text so that errors carry line numbers of the file as written.
    text = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    errors = check_against_schema(etree.ElementTree(etree.fromstring(text)), schema)
    if errors:
        shown = "; ".join(errors[:5])
        raise StatutoryError(f"the CIN census XML of LA {la_code} for {year.name} is not valid against "
                             f"{schema.name} ({len(errors)} errors): {shown}")
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)
    path = out / f"cin_census_{la_code}_{year.name}.xml"
    path.write_bytes(text)
    path.chmod(0o600)
    return CinCensus(path=path, schema=schema, children=len(message.find("Children")))
