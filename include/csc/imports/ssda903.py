"""The SSDA903 return of one collection year, read back into the SSD's tables (``csc import 903``).

Input: a folder of the DfE's CSV files (``header.csv``, ``episodes.csv``, ``reviews.csv``, ``uasc.csv``, ``oc2.csv``,
``oc3.csv``, ``ad1.csv``, ``placed_for_adoption.csv``, ``previous_permanence.csv``, ``missing.csv``,
``sw_episodes.csv``; any case, with a prefix such as ``SSDA903_2024_Header.csv``), or the return as one XML file
(the DfE's: a ``CHILD`` element per child holding its fields, its ``EPISODE`` elements and a ``HEADER`` element with
``AREVIEW``, ``AMISSING``, ``OC2``, ``PERMANENCE`` and ``AD_PLACED``; ``CHILDID`` and ``PL`` for ``CHILD`` and
``PLACE``). Header and episodes are required; the other files are read when present.

The episodes are the heart of it. A 903 episode row starts at every change of period of care, placement or legal
status, so the rows of one child, in date order, are cut into:

- periods of care (``ssd_cla_episodes.clae_cla_id``): a new one at RNE ``S``, or after a row that ended with a
  reason other than ``X1``;
- placements (``ssd_cla_placement``): a new one with the period, at RNE ``P``, ``T``, ``B``, ``U``, or where the
  placement's type, provider, postcode or URN change;
- legal statuses (``ssd_legal_status``): a new one with the period, or where LS changes;

each ending where its last row ends (open when that row is). One year's return holds only the rows open in that
year, so a period (or placement) that began in an earlier year looks as if it began on its first row here: the
import set therefore keeps the episode rows themselves (``EPISODES``, a private table never loaded) and cuts the
combined years again (:func:`care_tables`), so that a placement running across 31 March is one placement.

Ids the return does not carry are :func:`csc.imports.ids.stable_id` of the LA, the child and the record's start
date. Codes: sex 1/2 (before 2024-25) become M/F; other codes are upper-cased and trimmed, and left to the
data-quality rules (a code outside its list is a finding, not a refusal). Refused: a file that cannot be read
(encoding, quoting, a required column missing, a value beyond the header), a date that is not one, a blank child
id or start date, a child in the header twice, two episodes of a child starting on the same day, an episode
starting after the collection year (the wrong ``--year``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

from csc.imports.ids import stable_id
from csc.imports.model import ImportRefused, ParsedReturn
from csc.imports.values import Record, read_csv

EPISODES = "_ssda903_episodes"  # the episode rows as read: the import set cuts the combined years again
DERIVED_TABLES = ("ssd_cla_episodes", "ssd_cla_placement", "ssd_legal_status")


@dataclass(frozen=True)
class FileSpec:
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def known(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


FILES: dict[str, FileSpec] = {
    "header": FileSpec(("CHILD", "SEX", "DOB"), ("ETHNIC", "UPN", "MOTHER", "MC_DOB")),
    "episodes": FileSpec(("CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC"),
                         ("CIN", "PLACE_PROVIDER", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")),
    "reviews": FileSpec(("CHILD", "REVIEW"), ("DOB", "REVIEW_CODE")),
    "missing": FileSpec(("CHILD", "MIS_START"), ("DOB", "MISSING", "MIS_END")),
    "uasc": FileSpec(("CHILD",), ("SEX", "DOB", "DUC")),
    "oc2": FileSpec(("CHILD",), ("DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
                                 "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
                                 "INTERVENTION_OFFERED")),
    "oc3": FileSpec(("CHILD",), ("DOB", "IN_TOUCH", "ACTIV", "ACCOM")),
    "ad1": FileSpec(("CHILD",), ("DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
                                 "LS_ADOPTR")),
    "placed_for_adoption": FileSpec(("CHILD", "DATE_PLACED"), ("DOB", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED")),
    "previous_permanence": FileSpec(("CHILD",), ("DOB", "PREV_PERM", "LA_PERM", "DATE_PERM")),
    "sw_episodes": FileSpec(("CHILD",), ("SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON")),
}
ALIASES = {"CHILDID": "CHILD", "PL": "PLACE"}
# File name (lower case, letters and digits only) -> the file it is: the longest ending wins ("sw_episodes" before
# "episodes"); the validator's own names too.
FILE_NAMES: list[tuple[str, str]] = sorted(
    [(re.sub(r"[^a-z0-9]", "", name), name) for name in FILES]
    + [("placedadoption", "placed_for_adoption"), ("prevperm", "previous_permanence")],
    key=lambda pair: -len(pair[0]))
IGNORED_FILES = ("headerlast", "episodeslast")  # last year's files, which the DfE's validator also takes

LEGACY_SEX = {"1": "M", "2": "F", "0": "U", "9": "U"}  # SSDA903 and CIN before 2024-25
NEW_PLACEMENT = ("S", "P", "T", "B", "U")
PLACEMENT_FIELDS = ("place", "provider", "urn", "pl_post")
PREVIOUS_PERMANENCE = {"P1": "Adoption", "P2": "Special guardianship order",
                       "P3": "Child arrangements order (residence order)", "P4": "Child arrangements order",
                       "Z1": "Not known"}
ACCOMMODATION = {"B": "With parents or relatives", "C": "Community home or other residential care",
                 "D": "Semi-independent, transitional accommodation", "E": "Supported lodgings",
                 "G": "Gone abroad", "H": "Deported", "K": "Ordinary lodgings", "R": "Residence not known",
                 "S": "No fixed abode / homeless", "T": "Foyers", "U": "Independent living",
                 "V": "Emergency accommodation", "W": "Bed and breakfast", "X": "In custody",
                 "Y": "Other accommodation", "Z": "With former foster carers (staying put)"}
ADOPTED = ("E11", "E12")


def parse_903(path: Path | str, la_code: str, year: str) -> ParsedReturn:
    """Read one year's SSDA903 return (a folder of CSV files or one XML file). Raises ImportRefused."""
    from csc.statutory.years import CollectionYear

    collection = CollectionYear.parse(year)
    path = Path(path)
    if path.is_dir():
        records, files, notices = _read_folder(path)
    elif path.is_file() and path.suffix.lower() == ".xml":
        records, notices = _read_xml(path)
        files = (path,)
    elif path.exists():
        raise ImportRefused(path.name, None, None, "not a folder of SSDA903 CSV files nor an SSDA903 XML file")
    else:
        raise ImportRefused(str(path), None, None, "no such file or folder")
    for name in ("header", "episodes"):
        if name not in records:
            raise ImportRefused(path.name, None, None, f"no {name}.csv: the header and episodes files are needed "
                                                       "(the other files are read when present)")
    reader = _Return903(la_code, collection.start, collection.end, notices)
    tables = reader.tables(records)
    return ParsedReturn(kind="903", la_code=la_code, year=collection.name, as_of=None,
                        window=(collection.start, collection.end), tables=tables, files=tuple(files),
                        notices=notices)


# -- reading the files ------------------------------------------------------------------------------------------------
def _read_folder(folder: Path) -> tuple[dict[str, list[Record]], list[Path], list[str]]:
    found: dict[str, Path] = {}
    notices: list[str] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        stem = re.sub(r"[^a-z0-9]", "", path.stem.lower())
        if path.suffix.lower() != ".csv" or any(stem.endswith(name) for name in IGNORED_FILES):
            notices.append(f"{path.name}: not an SSDA903 file of the year, ignored")
            continue
        name = next((table for ending, table in FILE_NAMES if stem.endswith(ending)), None)
        if name is None:
            notices.append(f"{path.name}: not an SSDA903 file, ignored")
            continue
        if name in found:
            raise ImportRefused(path.name, None, None, f"a second {name} file (the first is {found[name].name})")
        found[name] = path
    records = {}
    for name, path in found.items():
        spec = FILES[name]
        records[name], file_notices = read_csv(path, required=spec.required, known=spec.known, aliases=ALIASES)
        notices.extend(file_notices)
    return records, sorted(found.values()), notices


def _read_xml(path: Path) -> tuple[dict[str, list[Record]], list[str]]:
    """The 903 XML: every element holding a CHILD (or CHILDID) field is a child; its EPISODE elements are episodes,
    its HEADER's AREVIEW, AMISSING, OC2, PERMANENCE and AD_PLACED the rows of those files."""
    try:
        root = ElementTree.parse(path).getroot()  # noqa: S314 - a local file the user chose; no entities resolved
    except ElementTree.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise ImportRefused(path.name, f"line {line}" if line else None, None, f"not well-formed XML: {exc}") from None
    records: dict[str, list[Record]] = {name: [] for name in FILES if name != "sw_episodes"}
    sub_tables = {"AREVIEW": "reviews", "AMISSING": "missing", "OC2": "oc2", "PERMANENCE": "previous_permanence",
                  "AD_PLACED": "placed_for_adoption"}
    for child, where in _children(root, f"/{root.tag}"):
        own = _leaves(child)
        records["header"].append(Record(path.name, where, own))
        if "UASC" in own or "DUC" in own:
            records["uasc"].append(Record(path.name, where, own))
        if "IN_TOUCH" in own:
            records["oc3"].append(Record(path.name, where, own))
        if "DATE_INT" in own:
            records["ad1"].append(Record(path.name, where, own))
        seen: dict[str, int] = {}
        for element in child:
            if element.tag == "EPISODE":
                seen["EPISODE"] = seen.get("EPISODE", 0) + 1
                records["episodes"].append(Record(path.name, f"{where}/EPISODE[{seen['EPISODE']}]",
                                                  {**own, **_fields(element)}))
            elif element.tag == "HEADER":
                for part in element:
                    if part.tag in sub_tables:
                        seen[part.tag] = seen.get(part.tag, 0) + 1
                        records[sub_tables[part.tag]].append(Record(
                            path.name, f"{where}/HEADER/{part.tag}[{seen[part.tag]}]", {**own, **_fields(part)}))
    if not records["header"]:
        raise ImportRefused(path.name, f"/{root.tag}", "CHILD", "no child in the file (an element with a CHILD or "
                                                               "CHILDID field)")
    return {name: rows for name, rows in records.items() if rows or name in ("header", "episodes")}, []


def _children(element: ElementTree.Element, path: str) -> Iterable[tuple[ElementTree.Element, str]]:
    """Each child's element and its XML path (``/Message/Children/CHILD[3]``), at whatever depth it sits."""
    counts: dict[str, int] = {}
    for inner in element:
        counts[inner.tag] = counts.get(inner.tag, 0) + 1
        here = f"{path}/{inner.tag}[{counts[inner.tag]}]"
        if any(ALIASES.get(e.tag.upper(), e.tag.upper()) == "CHILD" and len(e) == 0 for e in inner):
            yield inner, here
        else:
            yield from _children(inner, here)


def _fields(element: ElementTree.Element) -> dict[str, str]:
    return {ALIASES.get(e.tag.upper(), e.tag.upper()): (e.text or "") for e in element if len(e) == 0}


def _leaves(child: ElementTree.Element) -> dict[str, str]:
    """The child's own fields: its leaves and those of its HEADER outside the repeated parts."""
    fields = _fields(child)
    for element in child:
        if element.tag == "HEADER":
            fields.update(_fields(element))
    return fields


# -- the SSD's tables ------------------------------------------------------------------------------------------------
class _Return903:
    def __init__(self, la_code: str, start: date, end: date, notices: list[str]):
        self.la, self.start, self.end, self.notices = la_code, start, end, notices
        self.dob: dict[str, date | None] = {}

    def sid(self, kind: str, *parts: object) -> str:
        return stable_id(self.la, kind, *parts)

    def tables(self, records: dict[str, list[Record]]) -> dict[str, list[dict[str, object]]]:
        tables: dict[str, list[dict[str, object]]] = {}
        people, mothers = self._people(records["header"])
        episodes = self._episodes(records["episodes"])
        for child in sorted({e["child"] for e in episodes} - set(people)):
            people[child] = {"pers_person_id": child}
            self.notices.append(f"episodes: child {child} is not in the header (imported with its id only)")
        tables["ssd_person"] = [people[c] for c in sorted(people)]
        if mothers:
            tables["ssd_mother"] = mothers
        tables[EPISODES] = episodes
        tables.update(care_tables(self.la, episodes))
        periods = tables["ssd_cla_episodes"]
        addresses = self._home_addresses(episodes)
        if addresses:
            tables["ssd_address"] = addresses
        if "reviews" in records:
            tables["ssd_cla_reviews"] = link_reviews(self._reviews(records["reviews"]), periods)
        if "missing" in records:
            tables["ssd_missing"] = self._missing(records["missing"])
        if "uasc" in records:
            tables["ssd_immigration_status"] = self._uasc(records["uasc"])
        if "oc3" in records:
            tables["ssd_care_leavers"] = self._care_leavers(records["oc3"])
        if "oc2" in records:
            tables.update(self._oc2(records["oc2"]))
        if "ad1" in records or "placed_for_adoption" in records:
            tables["ssd_permanence"] = self._permanence(records.get("ad1", []),
                                                        records.get("placed_for_adoption", []), episodes)
        if "previous_permanence" in records:
            tables["ssd_cla_previous_permanence"] = self._previous(records["previous_permanence"])
        if "sw_episodes" in records:
            self.notices.append("sw_episodes: social worker episodes are read but not imported (allocations and "
                                "workers are not held from returns)")
        return tables

    def _people(self, header: list[Record]) -> tuple[dict[str, dict], list[dict]]:
        people: dict[str, dict] = {}
        lines: dict[str, str] = {}
        mothers = []
        legacy = 0
        for r in header:
            child = r.required("CHILD")
            if child in people:
                raise r.refuse("CHILD", f"child {child} is in the header twice (first at {lines[child]})")
            lines[child] = r.where
            sex = r.code("SEX")
            if sex in LEGACY_SEX:
                sex, legacy = LEGACY_SEX[sex], legacy + 1
            dob = r.date("DOB")
            self.dob[child] = dob
            upn = r.code("UPN")
            unknown = upn if upn and re.fullmatch(r"UN\d{1,2}", upn) else None
            mother = r.code("MOTHER")
            people[child] = {
                "pers_person_id": child, "pers_sex": sex, "pers_dob": dob, "pers_ethnicity": r.code("ETHNIC"),
                "pers_upn": None if unknown else upn, "pers_upn_unknown": unknown,
                "pers_is_mother": {"1": "Y", "0": "N"}.get(mother or ""),
            }
            first_child = r.date("MC_DOB")
            if first_child is not None:
                mothers.append({"moth_table_id": self.sid("mother", child, first_child), "moth_person_id": child,
                                "moth_childs_dob": first_child})
        if legacy:
            self.notices.append(f"header: legacy sex codes 1/2 read as M/F on {legacy} row(s)")
        return people, mothers

    def _episodes(self, rows: list[Record]) -> list[dict[str, object]]:
        episodes = []
        seen: dict[tuple[str, date], str] = {}
        for r in rows:
            child = r.required("CHILD")
            decom = r.date("DECOM", required=True)
            if decom > self.end:
                raise r.refuse("DECOM", f"DECOM {decom:%d/%m/%Y} is after the collection year ends "
                                        f"({self.end:%d/%m/%Y}): is this the return of another year?")
            if (child, decom) in seen:
                raise r.refuse("DECOM", f"child {child} has two episodes starting {decom:%d/%m/%Y} (the other at "
                                        f"{seen[child, decom]})")
            seen[child, decom] = r.where
            dec = r.date("DEC")
            episodes.append({
                "id": self.sid("cla_episode", child, decom), "child": child, "decom": decom,
                "rne": r.code("RNE"), "ls": r.code("LS"), "cin": r.code("CIN"), "place": r.code("PLACE"),
                "provider": r.code("PLACE_PROVIDER"), "dec": dec, "rec": r.code("REC"),
                "reason": r.code("REASON_PLACE_CHANGE"), "home_post": r.code("HOME_POST"),
                "pl_post": r.code("PL_POST"), "urn": r.code("URN"),
            })
        return sorted(episodes, key=lambda e: (e["child"], e["decom"]))

    def _home_addresses(self, episodes: list[dict]) -> list[dict]:
        rows, last = [], {}
        for e in episodes:
            postcode = e["home_post"]
            if postcode and last.get(e["child"]) != postcode:
                rows.append({"addr_table_id": self.sid("address", e["child"], e["decom"]),
                             "addr_person_id": e["child"], "addr_address_type": "HOME",
                             "addr_address_start_date": e["decom"], "addr_address_postcode": postcode})
            if postcode:
                last[e["child"]] = postcode
        return rows

    def _reviews(self, rows: list[Record]) -> list[dict]:
        out = {}
        for r in rows:
            child, on = r.required("CHILD"), r.date("REVIEW", required=True)
            key = self.sid("cla_review", child, on)
            out[key] = {"clar_cla_review_id": key, "clar_cla_person_id": child, "clar_cla_review_date": on,
                        "clar_cla_review_due_date": None, "clar_cla_review_cancelled": "N",
                        "clar_cla_review_participation": r.code("REVIEW_CODE")}
        return list(out.values())

    def _missing(self, rows: list[Record]) -> list[dict]:
        out = {}
        for r in rows:
            child, start = r.required("CHILD"), r.date("MIS_START", required=True)
            key = self.sid("missing", child, start)
            out[key] = {"miss_table_id": key, "miss_person_id": child, "miss_missing_episode_start_date": start,
                        "miss_missing_episode_type": r.code("MISSING"),
                        "miss_missing_episode_end_date": r.date("MIS_END")}
        return list(out.values())

    def _uasc(self, rows: list[Record]) -> list[dict]:
        out = []
        for r in rows:
            child = r.required("CHILD")
            if r.text("UASC") == "0":
                continue
            out.append({"immi_immigration_status_id": self.sid("uasc", child), "immi_person_id": child,
                        "immi_immigration_status": "UASC", "immi_immigration_status_start_date": None,
                        "immi_immigration_status_end_date": r.date("DUC")})
        return out

    def _care_leavers(self, rows: list[Record]) -> list[dict]:
        out = []
        for r in rows:
            child = r.required("CHILD")
            accom = r.code("ACCOM") or ""
            letter, digit = accom[:1], accom[1:2]
            out.append({
                "clea_table_id": self.sid("care_leaver", child), "clea_person_id": child,
                "clea_care_leaver_in_touch": r.code("IN_TOUCH"), "clea_care_leaver_activity": r.code("ACTIV"),
                "clea_care_leaver_accommodation": ACCOMMODATION.get(letter, accom or None),
                "clea_care_leaver_accom_suitable": {"1": "Suitable", "2": "Not suitable"}.get(digit),
                # OC3 is about the child's 17th to 21st birthday in the year: the latest contact is not given
                "clea_care_leaver_latest_contact": None,
            })
        return out

    def _oc2(self, rows: list[Record]) -> dict[str, list[dict]]:
        """OC2 says what happened in the year, not when: each fact is dated the year's last day."""
        on = self.end
        health, immunised, sdq, misuse, convictions = [], [], [], [], []
        checks = (("HEALTH_ASSESSMENT", "Health assessment"), ("TEETH_CHECK", "Dental check"),
                  ("HEALTH_CHECK", "Development check"))
        for r in rows:
            child = r.required("CHILD")
            for field, kind in checks:
                if r.text(field) == "1":
                    health.append({"clah_health_check_id": self.sid("health_check", child, kind, on),
                                   "clah_person_id": child, "clah_health_check_type": kind,
                                   "clah_health_check_date": on, "clah_health_check_status": "Completed"})
            if r.text("IMMUNISATIONS") in ("0", "1"):
                immunised.append({"clai_person_id": child,
                                  "clai_immunisations_status": "Y" if r.text("IMMUNISATIONS") == "1" else "N",
                                  "clai_immunisations_status_date": on})
            if r.text("SDQ_SCORE") is not None or r.text("SDQ_REASON") is not None:
                sdq.append({"csdq_table_id": self.sid("sdq", child, on), "csdq_person_id": child,
                            "csdq_sdq_completed_date": on, "csdq_sdq_score": r.text("SDQ_SCORE"),
                            "csdq_sdq_reason": r.code("SDQ_REASON")})
            if r.text("SUBSTANCE_MISUSE") == "1":
                received = r.text("INTERVENTION_RECEIVED")
                misuse.append({"clas_substance_misuse_id": self.sid("substance_misuse", child, on),
                               "clas_person_id": child, "clas_substance_misuse_date": on,
                               "clas_intervention_received": {"1": "Y", "0": "N"}.get(received or "")})
            if r.text("CONVICTED") == "1":
                convictions.append({"clac_cla_conviction_id": self.sid("conviction", child, on),
                                    "clac_person_id": child, "clac_cla_conviction_date": on})
        return {"ssd_cla_health": health, "ssd_cla_immunisations": immunised, "ssd_sdq_scores": sdq,
                "ssd_cla_substance_misuse": misuse, "ssd_cla_convictions": convictions}

    def _permanence(self, ad1: list[Record], placed: list[Record], episodes: list[dict]) -> list[dict]:
        adopted_on = {e["child"]: e["dec"] for e in episodes if e["rec"] in ADOPTED and e["dec"] is not None}
        out: dict[str, dict] = {}
        for r in placed:
            child, decided = r.required("CHILD"), r.date("DATE_PLACED", required=True)
            key = self.sid("permanence", child, decided)
            out[key] = {"perm_table_id": key, "perm_person_id": child, "perm_adm_decision_date": decided,
                        "perm_decision_reversed_date": r.date("DATE_PLACED_CEASED"),
                        "perm_decision_reversed_reason": r.code("REASON_PLACED_CEASED"),
                        "perm_permanence_order_type": "Adoption", "perm_permanence_order_date": adopted_on.get(child)}
        for r in ad1:
            child, decided = r.required("CHILD"), r.date("DATE_INT")
            key = next((k for k, row in out.items() if row["perm_person_id"] == child
                        and row["perm_adm_decision_date"] == decided), None) or self.sid("permanence", child, decided)
            row = out.setdefault(key, {"perm_table_id": key, "perm_person_id": child, "perm_adm_decision_date": decided,
                                       "perm_permanence_order_type": "Adoption",
                                       "perm_permanence_order_date": adopted_on.get(child)})
            row.update({"perm_matched_date": r.date("DATE_MATCH"),
                        "perm_adopted_by_carer_flag": {"1": "Y", "0": "N"}.get(r.text("FOSTER_CARE") or ""),
                        "perm_number_of_adopters": r.text("NB_ADOPTR"), "perm_adopter_sex": r.code("SEX_ADOPTR"),
                        "perm_adopter_legal_status": r.code("LS_ADOPTR")})
        return list(out.values())

    def _previous(self, rows: list[Record]) -> list[dict]:
        out = []
        for r in rows:
            child = r.required("CHILD")
            code = r.code("PREV_PERM")
            out.append({"lapp_table_id": self.sid("previous_permanence", child), "lapp_person_id": child,
                        "lapp_previous_permanence_option": PREVIOUS_PERMANENCE.get(code or "", code),
                        "lapp_previous_permanence_la": r.code("LA_PERM"),
                        "lapp_previous_permanence_order_date": r.text("DATE_PERM")})
        return out


# -- periods of care, placements and legal statuses from episode rows --------------------------------------------
def _day(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def care_tables(la_code: str, episodes: list[dict]) -> dict[str, list[dict[str, object]]]:
    """Cut a child's episode rows (any number of years, combined) into ssd_cla_episodes (one row per 903 episode,
    its period of care in ``clae_cla_id``), ssd_cla_placement and ssd_legal_status."""
    rows = sorted(({**e, "decom": _day(e["decom"]), "dec": _day(e["dec"])} for e in episodes),
                  key=lambda e: (e["child"], e["decom"]))
    cla, placements, legal = [], [], []
    previous: dict | None = None
    period = placement = status = None
    for e in rows:
        child = e["child"]
        same_child = previous is not None and previous["child"] == child
        new_period = (not same_child or e["rne"] == "S" or previous["rec"] not in (None, "X1"))
        if new_period:
            period = {"id": stable_id(la_code, "period_of_care", child, e["decom"]), "start": e["decom"]}
        if new_period or e["rne"] in NEW_PLACEMENT or any(e[f] != previous[f] for f in PLACEMENT_FIELDS):
            placement = {
                "clap_cla_placement_id": stable_id(la_code, "placement", child, e["decom"]),
                "clap_cla_placement_start_date": e["decom"], "clap_cla_placement_type": e["place"],
                "clap_cla_placement_urn": e["urn"], "clap_cla_id": period["id"],
                "clap_cla_placement_provider": e["provider"], "clap_cla_placement_postcode": e["pl_post"],
                "clap_person_id": child}
            placements.append(placement)
        if new_period or e["ls"] != previous["ls"]:
            status = {"lega_legal_status_id": stable_id(la_code, "legal_status", child, e["decom"]),
                      "lega_person_id": child, "lega_legal_status": e["ls"], "lega_legal_status_start_date": e["decom"]}
            legal.append(status)
        # each ends where its latest row ends (open while that row is)
        placement["clap_cla_placement_end_date"] = e["dec"]
        placement["clap_cla_placement_change_reason"] = e["reason"]
        status["lega_legal_status_end_date"] = e["dec"]
        cla.append({
            "clae_cla_episode_id": e["id"], "clae_person_id": child, "clae_cla_episode_start_date": e["decom"],
            "clae_cla_episode_start_reason": e["rne"], "clae_cla_primary_need_code": e["cin"],
            "clae_cla_episode_ceased_date": e["dec"], "clae_cla_episode_ceased_reason": e["rec"],
            "clae_cla_id": period["id"], "clae_cla_placement_id": placement["clap_cla_placement_id"],
            "clae_entered_care_date": period["start"]})
        previous = e
    return {"ssd_cla_episodes": cla, "ssd_cla_placement": placements, "ssd_legal_status": legal}


def link_reviews(reviews: list[dict], cla_episodes: list[dict]) -> list[dict]:
    """Each review's period of care (clar_cla_id): the child's period open on the review date, else the latest one
    begun before it."""
    by_child: dict[str, list[tuple[date, date | None, str]]] = {}
    for e in cla_episodes:
        by_child.setdefault(e["clae_person_id"], []).append(
            (_day(e["clae_cla_episode_start_date"]), _day(e.get("clae_cla_episode_ceased_date")), e.get("clae_cla_id")))
    out = []
    for review in reviews:
        on = _day(review["clar_cla_review_date"])
        spans = sorted(by_child.get(review["clar_cla_person_id"], []))
        open_then = [s for s in spans if s[0] <= on and (s[1] is None or s[1] >= on)]
        before = [s for s in spans if s[0] <= on]
        chosen = (open_then or before or [None])[-1]
        out.append({**review, "clar_cla_id": chosen[2] if chosen else None})
    return out

