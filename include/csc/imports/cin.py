"""The CIN census XML of any year from 2017-18 on, read back into rows of the SSD's tables (issue 14).

The census layout (Message / Header / Children / Child / ChildIdentifiers, ChildCharacteristics, CINdetails with
its Assessments, CINPlanDates, Section47 and ChildProtectionPlans) has kept its element names since 2013-14, with
these changes by year:

- to 2023-24 the child's sex is ``GenderCurrent`` (1 male, 2 female, 0 not known, 9 not specified); from 2024-25
  ``Sex`` (M, F, U). Either element, in any year, is read and mapped to the contract's M/F/U (a notice says so);
- ``AssessmentInternalReviewDate`` (to 2017-18) and ``NumberOfPreviousCPP`` have no SSD column: read, not kept
  (the number of previous plans is derived from the plans themselves);
- 2026-27 adds pre-proceedings to the episode (:data:`PRE_PROCEEDINGS_ITEMS`, kept in ``ssd_pre_proceedings``);
  other elements the parser does not know are listed in a notice and skipped, never guessed.

The census carries no record ids but the child's ``LAchildID``: every other id is generated from what identifies
the record (child, kind, date), so the same return always gives the same ids and a referral present in two years'
returns gets the same id in both. A conference given both on the episode (``CINdetails/DateOfInitialCPC``) and on
its enquiry (``Section47/DateOfInitialCPC``) is one conference. A file that cannot be read losslessly is refused
(:class:`ImportRefused`) with its XML path and field.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

from lxml import etree

from csc.imports.codes import code_list, out_of_year, sex_code
from csc.imports.ids import stable_id
from csc.imports.model import ImportRefused, ParsedReturn
from csc.imports.values import parse_date
from csc.statutory.years import CollectionYear

TABLES = ("ssd_person", "ssd_linked_identifiers", "ssd_disability", "ssd_cin_episodes", "ssd_cin_assessments",
          "ssd_assessment_factors", "ssd_cin_plans", "ssd_s47_enquiry", "ssd_initial_cp_conference", "ssd_cp_plans",
          "ssd_cp_reviews", "ssd_pre_proceedings")

# Coded items and the code list each must come from (an unknown code is refused: it cannot be stored losslessly).
CODED = {"Ethnicity": "ethnicity", "UPNunknown": "upn_unknown", "ReferralSource": "referral_source",
         "PrimaryNeedCode": "primary_need", "ReasonForClosure": "cin_closure_reason",
         "InitialCategoryOfAbuse": "category_of_abuse", "LatestCategoryOfAbuse": "category_of_abuse"}

# 2026-27: the pre-proceedings items of an episode (group ``PreProceedings``) -> ssd_pre_proceedings columns.
PRE_PROCEEDINGS_ITEMS = {
    "PreProceedingsDecisionDate": ("prep_pre_pro_decision_date", "date"),
    "InitialPreProceedingsMeetingDate": ("prep_initial_pre_pro_meeting_date", "date"),
    "PreProceedingsLetterDate": ("prep_pre_pro_letter_date", "date"),
    "PreProceedingsOutcome": ("prep_pre_pro_outcome", "text"),
    "PreProceedingsOutcomeDate": ("prep_agree_stepdown_issue_date", "date"),
    "NumberOfPreProceedingsMeetings": ("prep_pre_pro_meetings_num", "integer"),
    "ParentsLegalRepresentation": ("prep_pre_pro_parents_legal_rep", "flag"),
}

KNOWN = {
    "ChildIdentifiers": {"LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate",
                         "GenderCurrent", "Sex", "PersonDeathDate"},
    "ChildCharacteristics": {"Ethnicity", "Disabilities"},
    "CINdetails": {"CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure",
                   "DateOfInitialCPC", "ReferralNFA", "Assessments", "CINPlanDates", "Section47",
                   "ChildProtectionPlans", "PreProceedings"},
    "Assessments": {"AssessmentActualStartDate", "AssessmentInternalReviewDate", "AssessmentAuthorisationDate",
                    "FactorsIdentifiedAtAssessment"},
    "CINPlanDates": {"CINPlanStartDate", "CINPlanEndDate"},
    "Section47": {"S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired"},
    "ChildProtectionPlans": {"CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse",
                             "NumberOfPreviousCPP", "Reviews"},
    "PreProceedings": set(PRE_PROCEEDINGS_ITEMS),
}

TRUE, FALSE = {"TRUE", "1", "Y", "YES"}, {"FALSE", "0", "N", "NO"}


def parse_cin(path: Path, la_code: str, year: str) -> ParsedReturn:
    """One LA's CIN census file of collection year ``year`` (e.g. ``2025-26``) as rows of the SSD's tables."""
    path = Path(path)
    try:
        collection = CollectionYear.parse(year)
    except ValueError as error:
        raise ImportRefused(path, None, "year", str(error)) from None
    return _Census(path, la_code, collection).read()


class _Census:
    def __init__(self, path: Path, la_code: str, year: CollectionYear) -> None:
        self.path, self.la_code, self.year = path, la_code, year
        self.tables: dict[str, list[dict[str, object]]] = {name: [] for name in TABLES}
        self.notices: list[str] = []
        self.unknown: Counter[str] = Counter()
        self.legacy_sex = 0
        self.out_of_year: Counter[str] = Counter()
        self.ids: Counter[str] = Counter()

    # -- reading values ------------------------------------------------------------------------------------------

    def refuse(self, node: etree._Element, field: str | None, message: str) -> ImportRefused:
        return ImportRefused(self.path, node.getroottree().getpath(node), field, f"{message} (line {node.sourceline})")

    def text(self, parent: etree._Element, tag: str) -> str | None:
        node = parent.find(tag)
        if node is None or node.text is None or not node.text.strip():
            return None
        return node.text.strip()

    def day(self, parent: etree._Element, tag: str, required: bool = False) -> date | None:
        node = parent.find(tag)
        if node is None or node.text is None or not node.text.strip():
            if required:
                raise self.refuse(parent, tag, f"{tag} is missing: the record cannot be placed in time without it")
            return None
        value = parse_date(node.text)
        if value is None:
            raise self.refuse(node, tag, f"{node.text.strip()!r} is not a date (expected yyyy-mm-dd)")
        return value

    def code(self, parent: etree._Element, tag: str) -> str | None:
        value = self.text(parent, tag)
        if value is None:
            return None
        if value.upper() not in code_list(CODED[tag]):
            raise self.refuse(parent.find(tag), tag, f"{value!r} is not a code of {CODED[tag]} (known: "
                              f"{', '.join(sorted(code_list(CODED[tag])))})")
        return self.of_year(CODED[tag], value.upper())

    def of_year(self, name: str, code: str) -> str:
        if out_of_year(name, code, self.year.start_year):
            self.out_of_year[f"{name} {code}"] += 1
        return code

    def flag(self, parent: etree._Element, tag: str) -> str | None:
        value = self.text(parent, tag)
        if value is None:
            return None
        if value.upper() in TRUE:
            return "Y"
        if value.upper() in FALSE:
            return "N"
        raise self.refuse(parent.find(tag), tag, f"{value!r} is not true or false")

    def check_known(self, node: etree._Element) -> None:
        for item in node:
            if isinstance(item.tag, str) and item.tag not in KNOWN[node.tag]:
                self.unknown[f"{node.tag}/{item.tag}"] += 1

    def new_id(self, prefix: str, *parts: object) -> str:
        """A stable id; a second record with the same identifying parts (a same-day duplicate) gets an ordinal."""
        key = "\x1f".join(str(p) for p in (prefix, *parts))
        self.ids[key] += 1
        n = self.ids[key]
        return stable_id(self.la_code, prefix, *parts) if n == 1 else stable_id(self.la_code, prefix, *parts, n)

    # -- the document --------------------------------------------------------------------------------------------

    def load(self) -> etree._Element:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                 remove_comments=True, remove_pis=True)
        try:
            tree = etree.parse(str(self.path), parser)
        except OSError as error:
            raise ImportRefused(self.path, None, None, f"cannot read the file: {error}") from None
        except etree.XMLSyntaxError as error:
            line = f"line {error.lineno}" if error.lineno else None
            raise ImportRefused(self.path, line, None, f"not well-formed XML: {error.msg}") from None
        root = tree.getroot()
        for entity in root.iter(etree.Entity):  # never expanded (resolve_entities=False), never kept as data
            raise self.refuse(entity.getparent(), None, f"the entity reference {entity.text} is not accepted in a "
                              "census file")
        for node in root.iter():
            if isinstance(node.tag, str) and node.tag.startswith("{"):
                node.tag = etree.QName(node).localname
        etree.cleanup_namespaces(root)
        if root.tag != "Message":
            raise ImportRefused(self.path, f"/{root.tag}", None, "not a CIN census message (the root must be "
                                "Message)")
        return root

    def read(self) -> ParsedReturn:
        root = self.load()
        self.check_header(root)
        children = root.find("Children")
        if children is None:
            raise self.refuse(root, "Children", "the message holds no Children group")
        seen: dict[str, etree._Element] = {}
        for child in children.findall("Child"):
            self.read_child(child, seen)
        if self.legacy_sex:
            self.notices.append(f"{self.legacy_sex} children's sex given as a legacy GenderCurrent code "
                                "(1, 2, 0, 9): read as M, F, U")
        if self.out_of_year:
            listed = ", ".join(f"{name} ({n})" for name, n in sorted(self.out_of_year.items()))
            self.notices.append(f"codes outside their valid years for {self.year.name}, kept as given (the checks "
                                f"flag them): {listed}")
        if self.unknown:
            listed = ", ".join(f"{name} ({n})" for name, n in sorted(self.unknown.items()))
            self.notices.append(f"elements this parser does not know were skipped: {listed}")
        return ParsedReturn(kind="cin", la_code=self.la_code, year=self.year.name, as_of=None,
                            window=(self.year.start, self.year.end),
                            tables=self.tables,
                            files=(self.path,), notices=self.notices)

    def check_header(self, root: etree._Element) -> None:
        details = root.find("Header/CollectionDetails")
        if details is None:
            self.notices.append("the message has no Header/CollectionDetails: its year was taken as given")
            return
        stated = self.text(details, "Year")
        if stated is not None and stated != str(self.year.end.year):
            raise self.refuse(details.find("Year"), "Year", f"the file is the census of {stated} but was imported "
                              f"as {self.year.name} (the census of {self.year.end.year})")
        collection = self.text(details, "Collection")
        if collection is not None and collection.upper() != "CIN":
            raise self.refuse(details.find("Collection"), "Collection", f"collection {collection!r} is not CIN")

    # -- one child -----------------------------------------------------------------------------------------------

    def read_child(self, child: etree._Element, seen: dict[str, etree._Element]) -> None:
        ids = child.find("ChildIdentifiers")
        if ids is None:
            raise self.refuse(child, "ChildIdentifiers", "the child has no ChildIdentifiers")
        self.check_known(ids)
        person_id = self.text(ids, "LAchildID")
        if person_id is None:
            raise self.refuse(ids, "LAchildID", "the child has no LAchildID")
        if person_id in seen:
            raise self.refuse(child, "LAchildID", f"LAchildID {person_id!r} is given to two children (also at "
                              f"{seen[person_id].getroottree().getpath(seen[person_id])})")
        seen[person_id] = child
        self.tables["ssd_person"].append(self.person(ids, child.find("ChildCharacteristics"), person_id))
        former = self.text(ids, "FormerUPN")
        if former:
            self.tables["ssd_linked_identifiers"].append({
                "link_table_id": stable_id(self.la_code, "cin-link", person_id, "FormerUPN"),
                "link_person_id": person_id, "link_identifier_type": "Former UPN",
                "link_identifier_value": former.upper(), "link_valid_from_date": None, "link_valid_to_date": None})
        characteristics = child.find("ChildCharacteristics")
        if characteristics is not None:
            self.check_known(characteristics)
            holder = characteristics.find("Disabilities")
            codes: set[str] = set()
            for node in holder.findall("Disability") if holder is not None else []:
                code = (node.text or "").strip().upper()
                if code not in code_list("disability"):
                    raise self.refuse(node, "Disability", f"{code!r} is not a code of disability")
                self.of_year("disability", code)
                if code != "NONE" and code not in codes:
                    codes.add(code)
                    self.tables["ssd_disability"].append({
                        "disa_table_id": stable_id(self.la_code, "cin-dis", person_id, code),
                        "disa_person_id": person_id, "disa_disability_code": code})
        for episode in child.findall("CINdetails"):
            self.read_episode(episode, person_id)

    def person(self, ids: etree._Element, characteristics: etree._Element | None, person_id: str) -> dict:
        sex = None
        for tag in ("Sex", "GenderCurrent"):
            value = self.text(ids, tag)
            if value is None:
                continue
            sex, legacy = sex_code(value)
            if sex is None:
                raise self.refuse(ids.find(tag), tag, f"{value!r} is not a sex code (M, F, U; before 2024-25 "
                                  "GenderCurrent 1, 2, 0, 9)")
            self.legacy_sex += legacy
            break
        return {
            "pers_person_id": person_id,
            "pers_sex": sex,
            "pers_ethnicity": self.code(characteristics, "Ethnicity") if characteristics is not None else None,
            "pers_dob": self.day(ids, "PersonBirthDate"),
            "pers_expected_dob": self.day(ids, "ExpectedPersonBirthDate"),
            "pers_death_date": self.day(ids, "PersonDeathDate"),
            "pers_upn": (self.text(ids, "UPN") or "").upper() or None,
            "pers_upn_unknown": self.code(ids, "UPNunknown"),
        }

    def read_episode(self, episode: etree._Element, person_id: str) -> None:
        self.check_known(episode)
        referral_date = self.day(episode, "CINreferralDate", required=True)
        referral_id = self.new_id("cin-ref", person_id, referral_date)
        self.tables["ssd_cin_episodes"].append({
            "cine_referral_id": referral_id, "cine_person_id": person_id, "cine_referral_date": referral_date,
            "cine_cin_primary_need_code": self.code(episode, "PrimaryNeedCode"),
            "cine_referral_source_code": self.code(episode, "ReferralSource"),
            "cine_referral_nfa": self.flag(episode, "ReferralNFA"),
            "cine_close_reason": self.code(episode, "ReasonForClosure"),
            "cine_close_date": self.day(episode, "CINclosureDate")})
        link = {"person": person_id, "referral": referral_id}
        for node in episode.findall("Assessments"):
            self.assessment(node, link)
        for node in episode.findall("CINPlanDates"):
            self.check_known(node)
            start = self.day(node, "CINPlanStartDate", required=True)
            self.tables["ssd_cin_plans"].append({
                "cinp_cin_plan_id": self.new_id("cin-plan", referral_id, start), "cinp_referral_id": referral_id,
                "cinp_person_id": person_id, "cinp_cin_plan_start_date": start,
                "cinp_cin_plan_end_date": self.day(node, "CINPlanEndDate")})
        conferences: dict[date, dict[str, object]] = {}
        for node in episode.findall("Section47"):
            self.enquiry(node, link, conferences)
        episode_icpc = self.day(episode, "DateOfInitialCPC")
        if episode_icpc is not None and episode_icpc not in conferences:
            conferences[episode_icpc] = self.conference(link, None, episode_icpc, None)
        for node in episode.findall("ChildProtectionPlans"):
            self.plan(node, link, conferences)
        for node in episode.findall("PreProceedings"):
            self.pre_proceedings(node, link)

    def assessment(self, node: etree._Element, link: dict[str, str]) -> None:
        self.check_known(node)
        start = self.day(node, "AssessmentActualStartDate", required=True)
        assessment_id = self.new_id("cin-asmt", link["referral"], start)
        self.tables["ssd_cin_assessments"].append({
            "cina_assessment_id": assessment_id, "cina_person_id": link["person"],
            "cina_referral_id": link["referral"], "cina_assessment_start_date": start,
            "cina_assessment_auth_date": self.day(node, "AssessmentAuthorisationDate")})
        holder = node.find("FactorsIdentifiedAtAssessment")
        factors = []
        for factor in holder.findall("AssessmentFactors") if holder is not None else []:
            code = (factor.text or "").strip().upper()
            if code not in code_list("assessment_factor"):
                raise self.refuse(factor, "AssessmentFactors", f"{code!r} is not a code of assessment_factor")
            factors.append(self.of_year("assessment_factor", code))
        if factors:
            self.tables["ssd_assessment_factors"].append({
                "cinf_table_id": stable_id(self.la_code, "cin-fac", assessment_id), "cinf_assessment_id": assessment_id,
                "cinf_assessment_factors_json": json.dumps(list(dict.fromkeys(factors)))})

    def conference(self, link: dict[str, str], enquiry_id: str | None, held: date | None,
                   target: date | None) -> dict[str, object]:
        row: dict[str, object] = {
            "icpc_icpc_id": self.new_id("cin-icpc", link["referral"], held or target),
            "icpc_s47_enquiry_id": enquiry_id, "icpc_person_id": link["person"], "icpc_referral_id": link["referral"],
            "icpc_icpc_target_date": target, "icpc_icpc_date": held, "icpc_cp_plan_id": None,
            "icpc_icpc_outcome_cp_flag": None}
        self.tables["ssd_initial_cp_conference"].append(row)
        return row

    def enquiry(self, node: etree._Element, link: dict[str, str], conferences: dict[date, dict[str, object]]) -> None:
        self.check_known(node)
        start = self.day(node, "S47ActualStartDate", required=True)
        enquiry_id = self.new_id("cin-s47", link["referral"], start)
        held, target = self.day(node, "DateOfInitialCPC"), self.day(node, "InitialCPCtarget")
        not_required = self.flag(node, "ICPCnotRequired")
        outcome = "Y" if held else "N" if not_required == "Y" else None
        self.tables["ssd_s47_enquiry"].append({
            "s47e_s47_enquiry_id": enquiry_id, "s47e_referral_id": link["referral"], "s47e_person_id": link["person"],
            "s47e_s47_start_date": start, "s47e_s47_end_date": None,
            "s47e_s47_outcome_json": json.dumps({"CP_CONFERENCE_FLAG": outcome}) if outcome else None})
        if held or target:
            conference = self.conference(link, enquiry_id, held, target)
            if held:
                conferences.setdefault(held, conference)

    def plan(self, node: etree._Element, link: dict[str, str], conferences: dict[date, dict[str, object]]) -> None:
        self.check_known(node)
        start = self.day(node, "CPPstartDate", required=True)
        plan_id = self.new_id("cin-cpp", link["person"], start)
        conference = conferences.get(start)  # the conference that made the plan, held the day it started
        if conference is not None:
            conference["icpc_cp_plan_id"], conference["icpc_icpc_outcome_cp_flag"] = plan_id, "Y"
        self.tables["ssd_cp_plans"].append({
            "cppl_cp_plan_id": plan_id, "cppl_referral_id": link["referral"],
            "cppl_icpc_id": conference["icpc_icpc_id"] if conference else None,
            "cppl_person_id": link["person"], "cppl_cp_plan_start_date": start,
            "cppl_cp_plan_end_date": self.day(node, "CPPendDate"),
            "cppl_cp_plan_initial_category": self.code(node, "InitialCategoryOfAbuse"),
            "cppl_cp_plan_latest_category": self.code(node, "LatestCategoryOfAbuse")})
        for holder in node.findall("Reviews"):
            for review in holder.findall("CPPreviewDate"):
                day = parse_date(review.text or "")
                if day is None:
                    raise self.refuse(review, "CPPreviewDate", f"{(review.text or '').strip()!r} is not a date "
                                      "(expected yyyy-mm-dd)")
                self.tables["ssd_cp_reviews"].append({
                    "cppr_cp_review_id": self.new_id("cin-cppr", plan_id, day), "cppr_person_id": link["person"],
                    "cppr_cp_plan_id": plan_id, "cppr_cp_review_date": day})

    def pre_proceedings(self, node: etree._Element, link: dict[str, str]) -> None:
        self.check_known(node)
        row: dict[str, object] = {"prep_table_id": self.new_id("cin-prep", link["referral"]),
                                  "prep_person_id": link["person"]}
        for tag, (column, kind) in PRE_PROCEEDINGS_ITEMS.items():
            if kind == "date":
                row[column] = self.day(node, tag)
            elif kind == "flag":
                row[column] = self.flag(node, tag)
            elif kind == "integer":
                value = self.text(node, tag)
                if value is not None and not value.isdigit():
                    raise self.refuse(node.find(tag), tag, f"{value!r} is not a whole number")
                row[column] = int(value) if value is not None else None
            else:
                row[column] = self.text(node, tag)
        self.tables["ssd_pre_proceedings"].append(row)
