"""Ofsted's Annex A workbook (ILACS) read back into rows of the SSD's tables (issue 14).

One sheet per list, found by its name (``List 1 ...``, ``List 3 - Referrals``...); in each, the heading row is the
first of the top rows that holds ``Child Unique ID``, and columns are found by Ofsted's published headings (case,
spacing and punctuation aside), so added, reordered or trailing blank columns and trailing blank rows do not
matter. Values are read as Excel saves them: dates as Excel dates or dd/mm/yyyy (or ISO) text, numbers stored as
text, Ofsted's labels (``a) Male``, ``a) 1A: Individual``, ``N1 - Abuse or neglect``) or the bare codes.

Each list evidences the SSD tables it was built from (:data:`LISTS`): List 1 contacts, List 3 referrals and List 6
children in need (one episode, matched by child and referral date; the date the child was last seen, a CIN visit),
List 4 assessments, List 5 section 47 enquiries and their initial conferences, List 7 child protection plans (with
their latest review and visit), List 8 looked-after episodes (with the current legal status, placement, latest
review and visit) and List 9 care leavers. Lists 2, 10 and 11 and the counts and team or worker names of the others
are not kept. The workbook carries no record ids but the child's: ids are generated from child, list and date.
``window`` is the lists' six-month look-back before the as-of date. The workbook is read with the standard library
and lxml (no formulas are evaluated, no external links followed); a malformed one is refused with ``Sheet!Cell`` and
the heading.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePosixPath

from lxml import etree

from csc.imports.codes import code_list, sex_code
from csc.imports.ids import stable_id
from csc.imports.model import ImportRefused, ParsedReturn
from csc.imports.values import parse_date
from csc.statutory.annex_a import COMMON as WRITTEN_COMMON
from csc.statutory.annex_a import HEADINGS, six_months_before

TABLES = ("ssd_person", "ssd_contacts", "ssd_cin_episodes", "ssd_cin_visits", "ssd_cin_assessments", "ssd_s47_enquiry",
          "ssd_initial_cp_conference", "ssd_cp_plans", "ssd_cp_reviews", "ssd_cp_visits", "ssd_cla_episodes",
          "ssd_legal_status", "ssd_cla_placement", "ssd_cla_reviews", "ssd_cla_visits", "ssd_care_leavers")

CHILD_ID = WRITTEN_COMMON[0]
COMMON = {CHILD_ID: "text", "Gender": "sex", "Ethnicity": "ethnicity", "Date of Birth": "date"}

# Per list: the headings read (Ofsted's published wording) and how each value is read. A list's other columns are
# ignored; a heading missing from the sheet reads as blank (older templates lack some), except the list's own date.
LISTS: dict[str, dict[str, str]] = {
    "1": {"Date of Contact": "date", "Contact Source": "referral_source"},
    "3": {"Date of referral": "date", "Referral Source": "referral_source", "Referral NFA?": "yes_no"},
    "4": {"Continuous Assessment Start Date": "date", "Child Seen During Continuous Assessment": "yes_no",
          "Continuous Assessment Date of Authorisation": "date"},
    "5": {"Strategy discussion initiating Section 47 Enquiry Start Date": "date",
          "Was an Initial Child Protection Conference deemed unnecessary?": "yes_no",
          "Date of Initial Child Protection Conference": "date",
          "Did the Initial Child Protection Conference Result in a Child Protection Plan": "yes_no"},
    "6": {"CIN Start Date": "date", "Primary Need Code": "primary_need", "Date Child Was Last Seen": "date",
          "CIN Closure Date": "date",
          "Reason for Closure": "cin_closure_reason"},
    "7": {"Child Protection Plan Start Date": "date", "Initial Category of Abuse": "category_of_abuse",
          "Latest Category of Abuse": "category_of_abuse", "Date of the Last Statutory Visit": "date",
          "Was the Child Seen Alone?": "yes_no", "Date of latest review conference": "date",
          "Child Protection Plan End Date": "date"},
    "8": {"Date Started to be Looked After": "date", "Child's Category of Need": "primary_need",
          "Start date of current legal status": "date", "Child's Legal Status": "legal_status",
          "Date of Latest Statutory Review": "date", "Date of Last Social Work Visit": "date",
          "Date of Last IRO Visit / Contact to the Child": "date", "Date Ceased to be Looked After": "date",
          "Reason Ceased to be Looked After": "reason_episode_ceased",
          "Start Date of Most Recent Placement": "date", "Placement Type": "placement_type",
          "Placement Provider": "placement_provider", "Placement postcode": "text", "URN of Placement": "text"},
    "9": {"Eligibility Category": "label", "Latest Pathway Plan Review Date": "date",
          "LA in Touch": "care_leaver_in_touch", "Latest Date of Contact": "date",
          "Type of Accommodation": "label", "Suitability of Accommodation": "label",
          "Activity Status": "care_leaver_activity"},
}
# The date that places each list's row in time: a row without it cannot be imported.
KEY_DATE = {"1": "Date of Contact", "3": "Date of referral", "4": "Continuous Assessment Start Date",
            "5": "Strategy discussion initiating Section 47 Enquiry Start Date", "6": "CIN Start Date",
            "7": "Child Protection Plan Start Date", "8": "Date Started to be Looked After"}
NOT_KEPT = {"2": "early help", "10": "adoption", "11": "adopters"}

# The headings read are the headings the product writes (csc.statutory.annex_a owns Ofsted's wording): a change of
# wording on one side only fails here, at import, not at an LA's first import.
_UNWRITTEN = {n: sorted((set(COMMON) | set(kinds)) - set(HEADINGS[f"List {n}"])) for n, kinds in LISTS.items()}
if any(_UNWRITTEN.values()) or any(heading not in LISTS[n] for n, heading in KEY_DATE.items()):
    raise RuntimeError(f"Annex A headings read but never written, by list: {_UNWRITTEN}")

ABUSE_WORDS = {"neglect": "NEG", "physical abuse": "PHY", "sexual abuse": "SAB", "emotional abuse": "EMO",
               "multiple/not recommended": "MUL", "multiple": "MUL"}
SEX_WORDS = {"male": "M", "female": "F", "not stated/recorded": "U", "not stated": "U", "unknown": "U",
             "neither": "U", "indeterminate": "U"}
YES, NO = {"YES", "Y", "TRUE", "1"}, {"NO", "N", "FALSE", "0"}
MAX_UNPACKED = 400 * 1024 * 1024  # a county's Annex A is a few MB; more is not a workbook of lists

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def parse_annex_a(path: Path, la_code: str, as_of: date) -> ParsedReturn:
    """One LA's Annex A workbook as of ``as_of`` as rows of the SSD's tables."""
    return _AnnexA(Path(path), la_code, as_of).read()


# -- the workbook ------------------------------------------------------------------------------------------------

@dataclass
class Sheet:
    name: str
    rows: dict[int, dict[int, object]]  # row number -> column number (1-based) -> value (str or float)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xml(archive: zipfile.ZipFile, name: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(archive.read(name), parser)


def _text(node: etree._Element) -> str:
    """The text of a shared or inline string (rich-text runs joined, phonetic hints left out)."""
    return "".join(t.text or "" for t in node.iter(f"{{{NS['m']}}}t")
                   if t.getparent().tag != f"{{{NS['m']}}}rPh")


def read_workbook(path: Path) -> tuple[list[Sheet], bool]:
    """Every worksheet's non-blank cells, and whether the workbook counts dates from 1904."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ImportRefused(path, None, None, f"not an xlsx workbook: {error}") from None
    with archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
            raise ImportRefused(path, None, None, "the workbook unpacks to more than 400 MB: not an Annex A")
        try:
            workbook = _xml(archive, "xl/workbook.xml")
            if etree.QName(workbook).namespace != NS["m"]:
                raise ImportRefused(path, None, None, f"a workbook in {etree.QName(workbook).namespace} (e.g. "
                                    "Strict Open XML) is not read: save it as an Excel Workbook (.xlsx)")
            rels = _xml(archive, "xl/_rels/workbook.xml.rels")
            shared = ([_text(si) for si in _xml(archive, "xl/sharedStrings.xml").findall("m:si", NS)]
                      if "xl/sharedStrings.xml" in archive.namelist() else [])
            targets = {r.get("Id"): r.get("Target") for r in rels}
            properties = workbook.find("m:workbookPr", NS)
            date1904 = properties is not None and properties.get("date1904") in ("1", "true")
            sheets = []
            for entry in workbook.findall("m:sheets/m:sheet", NS):
                target = targets.get(entry.get(REL), "")
                member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
                if member in archive.namelist():
                    sheets.append(Sheet(entry.get("name"), _cells(_xml(archive, member), shared)))
        except (KeyError, etree.XMLSyntaxError, ValueError, IndexError) as error:
            raise ImportRefused(path, None, None, f"not a readable xlsx workbook: {error}") from None
    return sheets, date1904


def _cells(sheet: etree._Element, shared: list[str]) -> dict[int, dict[int, object]]:
    rows: dict[int, dict[int, object]] = {}
    for r_index, row in enumerate(sheet.iterfind("m:sheetData/m:row", NS), start=1):
        number = int(row.get("r") or r_index)
        cells: dict[int, object] = {}
        for c_index, cell in enumerate(row.iterfind("m:c", NS), start=1):
            ref = cell.get("r")
            column = _column_number(re.match(r"[A-Z]+", ref).group()) if ref else c_index
            kind, value = cell.get("t", "n"), cell.find("m:v", NS)
            if kind == "inlineStr":
                content: object = _text(cell.find("m:is", NS)) if cell.find("m:is", NS) is not None else ""
            elif value is None or value.text is None:
                continue
            elif kind == "s":
                content = shared[int(value.text)]
            elif kind in ("str", "e"):
                content = value.text
            elif kind == "b":
                content = "TRUE" if value.text.strip() == "1" else "FALSE"
            else:
                content = float(value.text)
            if isinstance(content, str) and not content.strip():
                continue
            cells[column] = content
        if cells:
            rows[number] = cells
    return rows


# -- the lists ---------------------------------------------------------------------------------------------------

def _normalised(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", heading.lower())


def _label(text: str) -> str:
    """Ofsted's label without its option letter: ``b) Female`` -> ``Female``."""
    return re.sub(r"^\s*[a-z]\d?\)\s*", "", text.strip(), flags=re.IGNORECASE).strip()


class _AnnexA:
    def __init__(self, path: Path, la_code: str, as_of: date) -> None:
        self.path, self.la_code, self.as_of = path, la_code, as_of
        self.tables: dict[str, list[dict[str, object]]] = {name: [] for name in TABLES}
        self.notices: list[str] = []
        self.people: dict[str, dict[str, object]] = {}
        self.episodes: dict[tuple[str, date], dict[str, object]] = {}
        self.ids: Counter[str] = Counter()
        self.date1904 = False

    def refuse(self, sheet: str, row: int, column: int | None, field: str | None, message: str) -> ImportRefused:
        cell = f"{column_letters(column)}{row}" if column else str(row)
        return ImportRefused(self.path, f"{sheet}!{cell}", field, message)

    def new_id(self, prefix: str, *parts: object) -> str:
        key = "\x1f".join(str(p) for p in (prefix, *parts))
        self.ids[key] += 1
        n = self.ids[key]
        return stable_id(self.la_code, prefix, *parts) if n == 1 else stable_id(self.la_code, prefix, *parts, n)

    def read(self) -> ParsedReturn:
        sheets, self.date1904 = read_workbook(self.path)
        found: dict[str, Sheet] = {}
        for sheet in sheets:
            match = re.match(r"^\s*list\s*(\d+)\b", sheet.name, flags=re.IGNORECASE)
            if match is None:
                continue
            number = match.group(1)
            if number in found:
                raise ImportRefused(self.path, f"{sheet.name}!A1", None, f"two sheets hold List {number} "
                                    f"({found[number].name!r} and {sheet.name!r})")
            found[number] = sheet
        if not found:
            raise ImportRefused(self.path, None, None, "no sheet is an Annex A list (sheet names start 'List 1', "
                                "'List 3'...)")
        for number in sorted(found, key=int):
            if number in LISTS:
                self.read_list(number, found[number])
            elif found[number].rows:
                self.notices.append(f"List {number} ({NOT_KEPT.get(number, 'not an SSD list')}) is not imported")
        self.tables["ssd_person"] = list(self.people.values())
        self.tables["ssd_cin_episodes"] = list(self.episodes.values())
        return ParsedReturn(kind="annex-a", la_code=self.la_code, year=None, as_of=self.as_of,
                            window=(six_months_before(self.as_of) + timedelta(days=1), self.as_of),
                            tables=self.tables, files=(self.path,), notices=self.notices)

    def headings(self, number: str, sheet: Sheet) -> tuple[int, dict[str, int]]:
        wanted = {**COMMON, **LISTS[number]}
        for row in sorted(sheet.rows)[:20]:
            by_text = {_normalised(str(v)): c for c, v in sheet.rows[row].items() if isinstance(v, str)}
            if _normalised(CHILD_ID) in by_text:
                columns = {h: by_text[_normalised(h)] for h in wanted if _normalised(h) in by_text}
                key = KEY_DATE.get(number)
                if key and key not in columns:
                    raise self.refuse(sheet.name, row, None, key, f"List {number} has no column {key!r}")
                missing = sorted(set(wanted) - set(columns))
                if missing:
                    self.notices.append(f"List {number}: no column {', '.join(repr(m) for m in missing)} (read as "
                                        "blank)")
                return row, columns
        raise self.refuse(sheet.name, 1, None, CHILD_ID, f"no heading row with {CHILD_ID!r} in the first rows")

    def read_list(self, number: str, sheet: Sheet) -> None:
        header, columns = self.headings(number, sheet)
        kinds = {**COMMON, **LISTS[number]}
        for row in sorted(r for r in sheet.rows if r > header):
            cells = sheet.rows[row]
            if not any(column in cells for column in columns.values()):
                continue  # a blank row (or notes beside the list)
            values = dict.fromkeys(kinds)
            values.update({heading: self.value(sheet.name, row, column, heading, kinds[heading], cells.get(column))
                           for heading, column in columns.items()})
            child = values[CHILD_ID]
            if child is None:
                raise self.refuse(sheet.name, row, columns[CHILD_ID], CHILD_ID, "the row has no child id")
            key = KEY_DATE.get(number)
            if key and values[key] is None:
                raise self.refuse(sheet.name, row, columns[key], key, f"the row has no {key.lower()}")
            self.person(values)
            getattr(self, f"list_{number}")(str(child), values)

    def value(self, sheet: str, row: int, column: int, heading: str, kind: str, raw: object) -> object:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        text = raw.strip() if isinstance(raw, str) else (str(int(raw)) if float(raw).is_integer() else str(raw))
        if kind == "date":
            serial = raw + 1462 if isinstance(raw, float) and self.date1904 else raw
            day = parse_date(serial if isinstance(raw, float) else text)
            if day is None:
                raise self.refuse(sheet, row, column, heading, f"{text!r} is not a date (an Excel date or "
                                  "dd/mm/yyyy)")
            return day
        if kind == "text":
            return text
        if kind == "label":
            return _label(text)
        if kind == "yes_no":
            word = _label(text).upper()
            if word in YES:
                return "Y"
            if word in NO:
                return "N"
            if word in ("UNKNOWN", "NOT KNOWN"):
                return None
            raise self.refuse(sheet, row, column, heading, f"{text!r} is not yes or no")
        code = self.code(kind, text)
        if code is None:
            raise self.refuse(sheet, row, column, heading, f"{text!r} is not a label or code of {kind}")
        return code

    def code(self, kind: str, text: str) -> str | None:
        label = _label(text)
        if kind == "sex":
            return SEX_WORDS.get(label.lower()) or sex_code(label)[0]
        if kind == "category_of_abuse":
            candidate = ABUSE_WORDS.get(label.lower(), label.upper())
        else:
            # "1A: Individual", "N1 - Abuse or neglect", "C2: FCO", "PR1: Own provision", "WBRI", "Yes"
            candidate = re.split(r"\s*[:\-]\s+|\s*:", label, maxsplit=1)[0].strip().upper()
        return candidate if candidate in code_list(kind) else None

    # -- rows of each list ---------------------------------------------------------------------------------------

    def person(self, values: dict[str, object]) -> None:
        child = str(values[CHILD_ID])
        person = self.people.setdefault(child, {"pers_person_id": child, "pers_sex": None, "pers_ethnicity": None,
                                                "pers_dob": None})
        for column, heading in (("pers_sex", "Gender"), ("pers_ethnicity", "Ethnicity"), ("pers_dob", "Date of Birth")):
            if person[column] is None:
                person[column] = values.get(heading)

    def episode(self, child: str, referral_date: date) -> dict[str, object]:
        """The referral of List 3 and the CIN episode of List 6 are one SSD episode (child and referral date)."""
        key = (child, referral_date)
        if key not in self.episodes:
            self.episodes[key] = {"cine_referral_id": stable_id(self.la_code, "aa-ref", child, referral_date),
                                  "cine_person_id": child, "cine_referral_date": referral_date,
                                  "cine_referral_source_code": None, "cine_referral_nfa": None,
                                  "cine_cin_primary_need_code": None, "cine_close_date": None,
                                  "cine_close_reason": None}
        return self.episodes[key]

    def list_1(self, child: str, v: dict) -> None:
        self.tables["ssd_contacts"].append({
            "cont_contact_id": self.new_id("aa-contact", child, v["Date of Contact"]), "cont_person_id": child,
            "cont_contact_date": v["Date of Contact"], "cont_contact_source_code": v["Contact Source"]})

    def list_3(self, child: str, v: dict) -> None:
        episode = self.episode(child, v["Date of referral"])
        episode["cine_referral_source_code"] = v["Referral Source"]
        episode["cine_referral_nfa"] = v["Referral NFA?"]

    def list_4(self, child: str, v: dict) -> None:
        start = v["Continuous Assessment Start Date"]
        self.tables["ssd_cin_assessments"].append({
            "cina_assessment_id": self.new_id("aa-asmt", child, start), "cina_person_id": child,
            "cina_referral_id": None, "cina_assessment_start_date": start,
            "cina_assessment_child_seen": v["Child Seen During Continuous Assessment"],
            "cina_assessment_auth_date": v["Continuous Assessment Date of Authorisation"]})

    def list_5(self, child: str, v: dict) -> None:
        start = v["Strategy discussion initiating Section 47 Enquiry Start Date"]
        held = v["Date of Initial Child Protection Conference"]
        unnecessary = v["Was an Initial Child Protection Conference deemed unnecessary?"]
        enquiry_id = self.new_id("aa-s47", child, start)
        outcome = "Y" if held or unnecessary == "N" else "N" if unnecessary == "Y" else None
        self.tables["ssd_s47_enquiry"].append({
            "s47e_s47_enquiry_id": enquiry_id, "s47e_person_id": child, "s47e_referral_id": None,
            "s47e_s47_start_date": start,
            "s47e_s47_outcome_json": json.dumps({"CP_CONFERENCE_FLAG": outcome}) if outcome else None})
        if held:
            self.tables["ssd_initial_cp_conference"].append({
                "icpc_icpc_id": stable_id(self.la_code, "aa-icpc", enquiry_id), "icpc_s47_enquiry_id": enquiry_id,
                "icpc_person_id": child, "icpc_icpc_date": held,
                "icpc_icpc_outcome_cp_flag":
                    v["Did the Initial Child Protection Conference Result in a Child Protection Plan"]})

    def list_6(self, child: str, v: dict) -> None:
        episode = self.episode(child, v["CIN Start Date"])
        episode["cine_cin_primary_need_code"] = v["Primary Need Code"]
        episode["cine_close_date"] = v["CIN Closure Date"]
        episode["cine_close_reason"] = v["Reason for Closure"]
        if episode["cine_referral_nfa"] is None:
            episode["cine_referral_nfa"] = "N"  # List 6 holds the episodes that did not end in no further action
        if v["Date Child Was Last Seen"]:
            self.tables["ssd_cin_visits"].append({
                "cinv_cin_visit_id": stable_id(self.la_code, "aa-cinv", episode["cine_referral_id"]),
                "cinv_person_id": child,
                "cinv_cin_visit_date": v["Date Child Was Last Seen"], "cinv_cin_visit_seen": "Y"})

    def list_7(self, child: str, v: dict) -> None:
        start = v["Child Protection Plan Start Date"]
        plan_id = self.new_id("aa-cpp", child, start)
        self.tables["ssd_cp_plans"].append({
            "cppl_cp_plan_id": plan_id, "cppl_person_id": child, "cppl_cp_plan_start_date": start,
            "cppl_cp_plan_end_date": v["Child Protection Plan End Date"],
            "cppl_cp_plan_initial_category": v["Initial Category of Abuse"],
            "cppl_cp_plan_latest_category": v["Latest Category of Abuse"]})
        if v["Date of latest review conference"]:
            self.tables["ssd_cp_reviews"].append({
                "cppr_cp_review_id": stable_id(self.la_code, "aa-cppr", plan_id), "cppr_person_id": child,
                "cppr_cp_plan_id": plan_id, "cppr_cp_review_date": v["Date of latest review conference"]})
        if v["Date of the Last Statutory Visit"]:
            self.tables["ssd_cp_visits"].append({
                "cppv_cp_visit_id": stable_id(self.la_code, "aa-cppv", plan_id), "cppv_person_id": child,
                "cppv_cp_plan_id": plan_id, "cppv_cp_visit_date": v["Date of the Last Statutory Visit"],
                "cppv_cp_visit_seen_alone": v["Was the Child Seen Alone?"]})

    def list_8(self, child: str, v: dict) -> None:
        start = v["Date Started to be Looked After"]
        episode_id = self.new_id("aa-clae", child, start)
        cla_id = stable_id(self.la_code, "aa-cla", episode_id)
        placement_id = (stable_id(self.la_code, "aa-clap", episode_id) if v["Start Date of Most Recent Placement"]
                        else None)
        self.tables["ssd_cla_episodes"].append({
            "clae_cla_episode_id": episode_id, "clae_person_id": child, "clae_cla_episode_start_date": start,
            "clae_cla_primary_need_code": v["Child's Category of Need"],
            "clae_cla_episode_ceased_date": v["Date Ceased to be Looked After"],
            "clae_cla_episode_ceased_reason": v["Reason Ceased to be Looked After"], "clae_cla_id": cla_id,
            "clae_cla_placement_id": placement_id, "clae_entered_care_date": start,
            "clae_cla_last_iro_contact_date": v["Date of Last IRO Visit / Contact to the Child"]})
        if v["Start date of current legal status"]:
            self.tables["ssd_legal_status"].append({
                "lega_legal_status_id": stable_id(self.la_code, "aa-lega", episode_id), "lega_person_id": child,
                "lega_legal_status": v["Child's Legal Status"],
                "lega_legal_status_start_date": v["Start date of current legal status"]})
        if placement_id:
            self.tables["ssd_cla_placement"].append({
                "clap_cla_placement_id": placement_id, "clap_cla_id": cla_id, "clap_person_id": child,
                "clap_cla_placement_start_date": v["Start Date of Most Recent Placement"],
                "clap_cla_placement_type": v["Placement Type"], "clap_cla_placement_provider": v["Placement Provider"],
                "clap_cla_placement_postcode": v["Placement postcode"],
                "clap_cla_placement_urn": v["URN of Placement"]})
        if v["Date of Latest Statutory Review"]:
            self.tables["ssd_cla_reviews"].append({
                "clar_cla_review_id": stable_id(self.la_code, "aa-clar", episode_id), "clar_cla_id": cla_id,
                "clar_cla_person_id": child, "clar_cla_review_date": v["Date of Latest Statutory Review"]})
        if v["Date of Last Social Work Visit"]:
            self.tables["ssd_cla_visits"].append({
                "clav_cla_visit_id": stable_id(self.la_code, "aa-clav", episode_id), "clav_cla_id": cla_id,
                "clav_person_id": child,
                "clav_cla_visit_date": v["Date of Last Social Work Visit"]})

    def list_9(self, child: str, v: dict) -> None:
        self.tables["ssd_care_leavers"].append({
            "clea_table_id": self.new_id("aa-clea", child), "clea_person_id": child,
            "clea_care_leaver_eligibility": v["Eligibility Category"],
            "clea_care_leaver_in_touch": v["LA in Touch"],
            "clea_care_leaver_latest_contact": v["Latest Date of Contact"],
            "clea_care_leaver_accommodation": v["Type of Accommodation"],
            "clea_care_leaver_accom_suitable": v["Suitability of Accommodation"],
            "clea_care_leaver_activity": v["Activity Status"],
            "clea_pathway_plan_review_date": v["Latest Pathway Plan Review Date"]})

