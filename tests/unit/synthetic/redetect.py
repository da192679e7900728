"""An independent re-detector of data-quality rule failures, written for the tests from DATA_QUALITY.md and
docs/INDICATOR_RULES.md section 4, reading nothing but the extract's CSV files, the extract contract and the code
lists (never the generator's code). It returns, per rule, the set of (table, primary key) that fail it, so that a
test can compare it with truth/faults.csv rule by rule.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csc.contract import Contract, load_contract
from csc.settings import PROJECT_ROOT

CODE_LISTS = PROJECT_ROOT / "dbt_project" / "seeds" / "reference" / "code_lists.csv"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
LEGACY_SEX = {"1": "M", "2": "F"}
ABUSE_WORDS = {"NEGLECT": "NEG", "PHYSICAL": "PHY", "SEXUAL": "SAB", "EMOTIONAL": "EMO", "MULTIPLE": "MUL"}
PLANNED_DATES = {"icpc_icpc_target_date", "cppr_cp_review_due", "clar_cla_review_due_date", "pers_expected_dob"}
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%d/%m/%Y %H:%M:%S")

# (table, start, end) pairs that must not run backwards
START_END = (
    ("ssd_cin_episodes", "cine_referral_date", "cine_close_date"),
    ("ssd_cin_assessments", "cina_assessment_start_date", "cina_assessment_auth_date"),
    ("ssd_cin_plans", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
    ("ssd_s47_enquiry", "s47e_s47_start_date", "s47e_s47_end_date"),
    ("ssd_cp_plans", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
    ("ssd_cla_episodes", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date"),
    ("ssd_cla_placement", "clap_cla_placement_start_date", "clap_cla_placement_end_date"),
    ("ssd_legal_status", "lega_legal_status_start_date", "lega_legal_status_end_date"),
    ("ssd_missing", "miss_missing_episode_start_date", "miss_missing_episode_end_date"),
    ("ssd_involvements", "invo_involvement_start_date", "invo_involvement_end_date"),
    ("hr_workers", "role_start_date", "role_end_date"),
)
# (table, person column, date column): events that must not start before birth or after death
CHILD_EVENTS = (
    ("ssd_contacts", "cont_person_id", "cont_contact_date"),
    ("ssd_cin_episodes", "cine_person_id", "cine_referral_date"),
    ("ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date"),
    ("ssd_cin_plans", "cinp_person_id", "cinp_cin_plan_start_date"),
    ("ssd_cin_visits", "cinv_person_id", "cinv_cin_visit_date"),
    ("ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date"),
    ("ssd_initial_cp_conference", "icpc_person_id", "icpc_icpc_date"),
    ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date"),
    ("ssd_cp_visits", "cppv_person_id", "cppv_cp_visit_date"),
    ("ssd_cp_reviews", "cppr_person_id", "cppr_cp_review_date"),
    ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date"),
    ("ssd_cla_placement", "clap_person_id", "clap_cla_placement_start_date"),
    ("ssd_cla_visits", "clav_person_id", "clav_cla_visit_date"),
    ("ssd_legal_status", "lega_person_id", "lega_legal_status_start_date"),
    ("ssd_missing", "miss_person_id", "miss_missing_episode_start_date"),
    ("ssd_involvements", "invo_person_id", "invo_involvement_start_date"),
)
# (table, referral id column, start column): work that must start on or after its referral
AFTER_REFERRAL = (
    ("ssd_cin_assessments", "cina_referral_id", "cina_assessment_start_date"),
    ("ssd_s47_enquiry", "s47e_referral_id", "s47e_s47_start_date"),
    ("ssd_initial_cp_conference", "icpc_referral_id", "icpc_icpc_date"),
    ("ssd_cin_plans", "cinp_referral_id", "cinp_cin_plan_start_date"),
    ("ssd_cp_plans", "cppl_referral_id", "cppl_cp_plan_start_date"),
)
# the date that places a record in a collection year (for codes valid only in some years)
RECORD_DATE = {
    "ssd_cin_episodes": "cine_referral_date", "ssd_cp_plans": "cppl_cp_plan_start_date",
    "ssd_cla_episodes": "clae_cla_episode_start_date", "ssd_cla_placement": "clap_cla_placement_start_date",
    "ssd_legal_status": "lega_legal_status_start_date", "ssd_cla_reviews": "clar_cla_review_date",
    "ssd_missing": "miss_missing_episode_start_date", "ssd_involvements": "invo_involvement_start_date",
    "ssd_contacts": "cont_contact_date", "hr_workers": "role_start_date",
}


# ---------------------------------------------------------------------------------------------------------------
def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def read_table(path: Path, contract: Contract) -> pd.DataFrame:
    """A file as text columns named as the contract names them, in contract order, messy renderings undone."""
    table = contract.table(path.stem)
    frame = pd.read_csv(io.StringIO(decode(path.read_bytes())), dtype=str, keep_default_na=False,
                        quoting=csv.QUOTE_MINIMAL)
    frame.columns = [c.strip().lower() for c in frame.columns]
    frame = frame[[c for c in table.column_names if c in frame.columns]].copy()
    if "pers_sex" in frame:
        frame["pers_sex"] = frame["pers_sex"].map(lambda v: LEGACY_SEX.get(v, v))
    for name in ("cppl_cp_plan_initial_category", "cppl_cp_plan_latest_category"):
        if name in frame:
            frame[name] = frame[name].map(lambda v: ABUSE_WORDS.get(v.strip().upper(), v))
    for column in table.columns:
        if column.type == "datetime" and column.name in frame:
            frame[column.name] = normalise_dates(frame[column.name])
    return frame


def normalise_dates(texts: pd.Series) -> pd.Series:
    """Any accepted rendering as YYYY-MM-DD (the date part); '' for blank; '?' + text for an unparseable value."""
    texts = texts.str.strip()
    out = pd.Series("", index=texts.index, dtype=object)
    todo = texts != ""
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(texts[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        out[ok[ok].index] = parsed[ok].dt.strftime("%Y-%m-%d")
        todo = todo & ~out.index.isin(ok[ok].index)
    out[todo] = "?" + texts[todo]
    return out


@dataclass
class Extract:
    path: Path
    date: np.datetime64
    manifest: dict
    tables: dict[str, pd.DataFrame]
    _keys: dict = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Extract:
        """The extract's tables; a file with a file-level problem is read as an empty table (its records cannot
        be trusted), so the record rules run on the rest."""
        contract = load_contract()
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        damaged = {table for _, table in file_problems(path)}
        tables = {}
        for t in contract:
            if t.name in damaged or not (path / t.file_name).exists():
                tables[t.name] = pd.DataFrame({c: pd.Series(dtype=object) for c in t.column_names})
            else:
                tables[t.name] = read_table(path / t.file_name, contract)
        return cls(path, np.datetime64(manifest["extract_date"]), manifest, tables)

    def dates(self, table: str, column: str) -> np.ndarray:
        values = self.tables[table][column].to_numpy(dtype=object)
        ok = np.array([bool(v) and not v.startswith("?") for v in values], dtype=bool)
        out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
        out[ok] = np.array(values[ok], dtype="datetime64[D]")
        return out

    def keys(self, table: str) -> np.ndarray:
        if table not in self._keys:
            t = load_contract().table(table)
            frame = self.tables[table]
            key = frame[t.primary_key[0]].astype(str)
            for column in t.primary_key[1:]:
                key = key + "|" + frame[column].astype(str)
            self._keys[table] = key.to_numpy(dtype=object)
        return self._keys[table]


def file_problems(path: Path) -> set[tuple[str, str]]:
    """File-level faults (DATA_QUALITY.md family 1): (fault, table) found from the folder and its manifest."""
    contract = load_contract()
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    problems = set()
    listed = {f["name"]: f for f in manifest["files"]}
    present = {p.name for p in path.iterdir() if p.name != "manifest.json"}
    for name in sorted(present | set(listed)):
        table = name.removesuffix(".csv")
        if table not in contract.tables:
            problems.add(("unknown_extra_file", table))
            continue
        if name not in present:
            problems.add(("missing_file", table))
            continue
        data = (path / name).read_bytes()
        text = decode(data)
        records = list(csv.reader(io.StringIO(text, newline="")))
        header = [h.strip().lower() for h in records[0]] if records else []
        entry = listed.get(name)
        if not text.endswith(("\n", "\r")) or any(len(r) != len(header) for r in records[1:]):
            problems.add(("truncated_last_line", table))
        elif set(contract.table(table).required_columns) - set(header):
            problems.add(("missing_required_column", table))
        elif entry is None:
            problems.add(("file_not_in_manifest", table))
        elif entry["sha256"] != hashlib.sha256(data).hexdigest() or entry.get("bytes", len(data)) != len(data):
            problems.add(("manifest_checksum_mismatch", table))
        elif entry["rows"] != len(records) - 1:
            problems.add(("manifest_row_count_mismatch", table))
    return problems


def _open_on(start: np.ndarray, end: np.ndarray, on: np.datetime64) -> np.ndarray:
    return (start <= on) & (np.isnat(end) | (end > on))


# ---------------------------------------------------------------------------------------------------------------
class Detector:
    """Runs every record-level rule; ``found[rule]`` is a set of (table, key)."""

    def __init__(self, extract: Extract):
        self.x = extract
        self.contract = load_contract()
        self.found: dict[str, set[tuple[str, str]]] = {}

    def flag(self, rule: str, table: str, mask_or_keys) -> None:
        """Record failures given as a boolean mask over the table's rows or as a list of keys."""
        if isinstance(mask_or_keys, pd.Series):
            mask_or_keys = mask_or_keys.to_numpy()
        keys = self.x.keys(table)[mask_or_keys] if isinstance(mask_or_keys, np.ndarray) and \
            mask_or_keys.dtype == bool else mask_or_keys
        self.found.setdefault(rule, set()).update((table, str(k)) for k in keys)

    def run(self) -> dict[str, set[tuple[str, str]]]:
        for rule in (self.structure, self.codes, self.references, self.timelines, self.allocation, self.people):
            rule()
        return {k: v for k, v in self.found.items() if v}

    # --- family 1 ------------------------------------------------------------------------------------------------
    def structure(self) -> None:
        for table in self.contract:
            frame = self.x.tables.get(table.name)
            if frame is None:
                continue
            keys = self.x.keys(table.name)
            counts = pd.Series(keys).value_counts()
            self.flag("duplicate_primary_key", table.name, counts[counts > 1].index.tolist())
            for column in table.columns:
                if column.name not in frame:
                    continue
                values = frame[column.name].to_numpy(dtype=object)
                blank = np.array([v.strip() == "" for v in values], dtype=bool)
                if column.required:
                    rule = "blank_primary_key" if column.name in table.primary_key else "blank_required"
                    self.flag(rule, table.name, blank)
                if column.type == "id":
                    bad = np.array([bool(v) and (len(v) > 48 or not ID_PATTERN.match(v)) for v in values], dtype=bool)
                    self.flag("bad_id", table.name, bad)
                if column.type == "datetime":
                    self.flag("unparseable_date", table.name, np.array([v.startswith("?") for v in values], dtype=bool))
                    if column.name not in PLANNED_DATES:
                        self.flag("future_date", table.name, self.x.dates(table.name, column.name) > self.x.date)

    # --- family 2 ------------------------------------------------------------------------------------------------
    def codes(self) -> None:
        lists = pd.read_csv(CODE_LISTS, dtype=str, keep_default_na=False)
        for table in self.contract:
            frame = self.x.tables[table.name]
            year = None
            if table.name in RECORD_DATE:
                d = self.x.dates(table.name, RECORD_DATE[table.name])
                month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
                year = np.where(np.isnat(d), -1, d.astype("datetime64[Y]").astype(np.int64) + 1970 - (month < 4))
            for column in table.columns:
                if not column.code_list:
                    continue
                entries = lists[lists["code_list"] == column.code_list]
                values = frame[column.name].str.strip().to_numpy(dtype=object)
                if column.type == "json":
                    self._factor_codes(table.name, values, set(entries["code"]))
                    continue
                valid_from = dict(zip(entries["code"], entries["valid_from_year"], strict=True))
                valid_to = dict(zip(entries["code"], entries["valid_to_year"], strict=True))
                bad = np.zeros(len(values), dtype=bool)
                for i, v in enumerate(values):
                    if v == "":
                        continue
                    if v not in valid_from:
                        bad[i] = True
                    elif year is not None and year[i] >= 0:
                        lo, hi = valid_from[v], valid_to[v]
                        bad[i] = (lo != "" and year[i] < int(lo)) or (hi != "" and year[i] > int(hi))
                self.flag("invalid_code", table.name, bad)
        pl = self.x.tables["ssd_cla_placement"]
        dob = self._dob()
        born = dob.reindex(pl["clap_person_id"]).to_numpy(dtype="datetime64[D]")
        start = self.x.dates("ssd_cla_placement", "clap_cla_placement_start_date")
        age = _age(born, start)
        self.flag("k3_under_16", "ssd_cla_placement", (pl["clap_cla_placement_type"].str.strip() == "K3").to_numpy()
                  & ~np.isnat(born) & ~np.isnat(start) & (age < 16))

    def _factor_codes(self, table: str, values: np.ndarray, codes: set[str]) -> None:
        bad = np.zeros(len(values), dtype=bool)
        alone = np.zeros(len(values), dtype=bool)
        for i, v in enumerate(values):
            if not v:
                continue
            try:
                items = [str(c).strip() for c in json.loads(v)]
            except ValueError:
                bad[i] = True
                continue
            bad[i] = any(c not in codes or c in ("18A", "19A") for c in items)
            alone[i] = ("21" in items and len(items) > 1) or len(items) != len(set(items))
        self.flag("invalid_code", table, bad)
        self.flag("factor_21_not_alone_or_repeated", table, alone)

    # --- family 3 ------------------------------------------------------------------------------------------------
    def references(self) -> None:
        for table in self.contract:
            frame = self.x.tables[table.name]
            for fk in table.foreign_keys:
                target = set(self.x.tables[fk.table][fk.referenced_column].str.strip())
                values = frame[fk.column].str.strip()
                self.flag("orphan_foreign_key", table.name, ((values != "") & ~values.isin(target)).to_numpy())

    # --- family 4 ------------------------------------------------------------------------------------------------
    def timelines(self) -> None:
        x = self.x
        for table, start, end in START_END:
            s, e = x.dates(table, start), x.dates(table, end)
            self.flag("end_before_start", table, ~np.isnat(s) & ~np.isnat(e) & (e < s))
        dob = self._dob()
        death = self._death()
        for table, person, date in CHILD_EVENTS:
            p = x.tables[table][person].str.strip()
            d = x.dates(table, date)
            born = dob.reindex(p).to_numpy(dtype="datetime64[D]")
            died = death.reindex(p).to_numpy(dtype="datetime64[D]")
            self.flag("event_before_birth", table, ~np.isnat(d) & ~np.isnat(born) & (d < born))
            self.flag("event_after_death", table, ~np.isnat(d) & ~np.isnat(died) & (d > died))
        referral = self._first_by("ssd_cin_episodes", "cine_referral_id", "cine_referral_date")
        for table, ref_col, start in AFTER_REFERRAL:
            ref_date = referral.reindex(x.tables[table][ref_col].str.strip()).to_numpy(dtype="datetime64[D]")
            s = x.dates(table, start)
            self.flag("before_referral", table, ~np.isnat(s) & ~np.isnat(ref_date) & (s < ref_date))
        icpc = self._first_by("ssd_initial_cp_conference", "icpc_icpc_id", "icpc_icpc_date")
        plan_icpc = icpc.reindex(x.tables["ssd_cp_plans"]["cppl_icpc_id"].str.strip()).to_numpy(dtype="datetime64[D]")
        cp_start = x.dates("ssd_cp_plans", "cppl_cp_plan_start_date")
        self.flag("cp_start_not_icpc_date", "ssd_cp_plans",
                  ~np.isnat(plan_icpc) & ~np.isnat(cp_start) & (plan_icpc != cp_start))
        for column in ("icpc_icpc_date", "icpc_icpc_target_date"):
            d = x.dates("ssd_initial_cp_conference", column)
            weekday = (d.astype(np.int64) + 3) % 7
            self.flag("icpc_weekend", "ssd_initial_cp_conference", ~np.isnat(d) & (weekday >= 5))
        cp_end = x.dates("ssd_cp_plans", "cppl_cp_plan_end_date")
        self.flag("cp_plan_same_day", "ssd_cp_plans", ~np.isnat(cp_start) & (cp_end == cp_start))
        for table, person, start, end, rule in (
                ("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "cine_close_date", "overlap_referral"),
                ("ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date", "cina_assessment_auth_date",
                 "overlap_assessment"),
                ("ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date", "s47e_s47_end_date", "overlap_s47"),
                ("ssd_cin_plans", "cinp_person_id", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date",
                 "overlap_cin_plan"),
                ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date",
                 "overlapping_cla_episodes")):
            self._overlaps(rule, [(table, person, start, end)])
        self._overlaps("cin_plan_overlaps_cp_plan", [
            ("ssd_cin_plans", "cinp_person_id", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
            ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date")], across=True)
        self._closed_referrals()
        # a referral is of a child: dated before the 18th birthday (age in completed years)
        referrals = x.tables["ssd_cin_episodes"]
        born = dob.reindex(referrals["cine_person_id"].str.strip()).to_numpy(dtype="datetime64[D]")
        referred = x.dates("ssd_cin_episodes", "cine_referral_date")
        self.flag("referral_after_18", "ssd_cin_episodes",
                  ~np.isnat(born) & ~np.isnat(referred) & (_age(born, referred) >= 18))
        ep = x.tables["ssd_cla_episodes"]
        starts = set(zip(ep["clae_person_id"].str.strip(), ep["clae_cla_episode_start_date"], strict=True))
        x1 = (ep["clae_cla_episode_ceased_reason"].str.strip() == "X1").to_numpy() & np.array(
            [(p, e) not in starts for p, e in zip(ep["clae_person_id"].str.strip(), ep["clae_cla_episode_ceased_date"],
                                                   strict=True)])
        self.flag("x1_not_followed", "ssd_cla_episodes", x1)

    def _overlaps(self, rule: str, sources: list[tuple[str, str, str, str]], across: bool = False) -> None:
        """Records of one child open on a common day (both flagged); with ``across``, only pairs from different
        sources count."""
        parts = []
        for i, (table, person, start, end) in enumerate(sources):
            s, e = self.x.dates(table, start), self.x.dates(table, end)
            frame = pd.DataFrame({"src": i, "table": table, "key": self.x.keys(table),
                                  "person": self.x.tables[table][person].str.strip().to_numpy(), "s": s,
                                  "e": np.where(np.isnat(e), np.datetime64("2999-12-31"), e)})
            parts.append(frame[~np.isnat(s) & (frame["e"] > frame["s"]) & (frame["person"] != "")])
        rows = pd.concat(parts, ignore_index=True)
        pairs = rows.merge(rows, on="person", suffixes=("_a", "_b"))
        pairs = pairs[(pairs["key_a"] != pairs["key_b"]) | (pairs["table_a"] != pairs["table_b"])]
        if across:
            pairs = pairs[pairs["src_a"] != pairs["src_b"]]
        hit = pairs[np.maximum(pairs["s_a"], pairs["s_b"]) < np.minimum(pairs["e_a"], pairs["e_b"])]
        for table, key in zip(hit["table_a"], hit["key_a"], strict=True):
            self.found.setdefault(rule, set()).add((table, str(key)))

    def _closed_referrals(self) -> None:
        x = self.x
        ref = x.tables["ssd_cin_episodes"]
        close = pd.Series(x.dates("ssd_cin_episodes", "cine_close_date"), index=ref["cine_referral_id"].str.strip())
        close = close[~close.index.duplicated()]
        reason = pd.Series(ref["cine_close_reason"].str.strip().to_numpy(), index=ref["cine_referral_id"].str.strip())
        reason = reason[~reason.index.duplicated()]
        for table, ref_col, start, end in (
                ("ssd_cin_assessments", "cina_referral_id", "cina_assessment_start_date", "cina_assessment_auth_date"),
                ("ssd_s47_enquiry", "s47e_referral_id", "s47e_s47_start_date", "s47e_s47_end_date")):
            c = close.reindex(x.tables[table][ref_col].str.strip()).to_numpy(dtype="datetime64[D]")
            s, e = x.dates(table, start), x.dates(table, end)
            closed = ~np.isnat(c) & (c <= x.date)
            self.flag("closed_referral_open_work", table, closed & _open_on(s, e, x.date))
        # CIN 2990: a referral closed "after assessment" (RC8/RC9) has nothing but its assessment
        for table, ref_col, _ in AFTER_REFERRAL:
            if table == "ssd_cin_assessments":
                continue
            r = reason.reindex(x.tables[table][ref_col].str.strip()).fillna("").to_numpy(dtype=object)
            self.flag("activity_after_assessment_closure", table, np.isin(r, ["RC8", "RC9"]))

    # --- family 5 ------------------------------------------------------------------------------------------------
    def allocation(self) -> None:
        x, d = self.x, self.x.date
        inv = x.tables["ssd_involvements"]
        role = inv["invo_professional_role_id"].str.strip().str.upper().to_numpy()
        s = x.dates("ssd_involvements", "invo_involvement_start_date")
        e = x.dates("ssd_involvements", "invo_involvement_end_date")
        allocated_open = (role == "ALLOCATED CASE WORKER") & _open_on(s, e, d)
        person = inv["invo_person_id"].str.strip().to_numpy()
        worker = inv["invo_professional_id"].str.strip().to_numpy()
        hr = x.tables["hr_workers"]
        hr_ids = hr["worker_id"].str.strip().to_numpy()
        r_start, r_end = x.dates("hr_workers", "role_start_date"), x.dates("hr_workers", "role_end_date")
        in_post = pd.Series((r_start <= d) & (np.isnat(r_end) | (r_end >= d)), index=hr_ids)
        holding = pd.Series(np.isin(hr["org_role"].str.strip().to_numpy(), ["4", "5"]), index=hr_ids)
        in_post, holding = in_post[~in_post.index.duplicated()], holding[~holding.index.duplicated()]
        professionals = set(x.tables["ssd_professionals"]["prof_professional_id"].str.strip())
        known = np.isin(worker, hr_ids)
        worker_in_post = in_post.reindex(worker).fillna(False).to_numpy(dtype=bool)
        worker_holds = holding.reindex(worker).fillna(False).to_numpy(dtype=bool)
        self.flag("allocation_departed_worker", "ssd_involvements", allocated_open & known & ~worker_in_post)
        self.flag("allocation_non_case_holding", "ssd_involvements",
                  allocated_open & known & worker_in_post & ~worker_holds)
        self.flag("allocation_worker_not_in_hr", "ssd_involvements",
                  allocated_open & ~known & np.isin(worker, list(professionals)))
        per_child = pd.Series(person[allocated_open]).value_counts()
        several = set(per_child[per_child > 1].index)

        referral = self._first_by("ssd_cin_episodes", "cine_referral_id", "cine_referral_date")
        ref_date = referral.reindex(inv["invo_referral_id"].str.strip()).to_numpy(dtype="datetime64[D]")
        self.flag("allocation_before_referral", "ssd_involvements",
                  (role == "ALLOCATED CASE WORKER") & ~np.isnat(ref_date) & ~np.isnat(s) & (s < ref_date))

        open_records = []
        for table, p_col, start, end in (
                ("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "cine_close_date"),
                ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
                ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date")):
            is_open = _open_on(x.dates(table, start), x.dates(table, end), d)
            open_records.append(pd.DataFrame({"table": table, "key": x.keys(table)[is_open],
                                              "person": x.tables[table][p_col].str.strip().to_numpy()[is_open]}))
        leavers = x.tables["ssd_care_leavers"]
        open_records.append(pd.DataFrame({"table": "ssd_care_leavers", "key": x.keys("ssd_care_leavers"),
                                          "person": leavers["clea_person_id"].str.strip().to_numpy()}))
        open_records = pd.concat(open_records, ignore_index=True)
        # INTERFACES.md: reported on the child (ssd_person), or on the case records when the child has no row
        people = set(x.tables["ssd_person"]["pers_person_id"].str.strip())
        allocated_children = set(person[allocated_open])
        for rule, children in (("open_case_no_allocation", set(open_records["person"]) - allocated_children),
                               ("multiple_allocations", set(open_records["person"]) & several)):
            for child in children:
                if child in people:
                    self.found.setdefault(rule, set()).add(("ssd_person", child))
                else:
                    rows = open_records[open_records["person"] == child]
                    self.found.setdefault(rule, set()).update(zip(rows["table"], rows["key"].astype(str),
                                                                  strict=True))
        self.flag("allocation_without_open_case", "ssd_involvements",
                  allocated_open & ~np.isin(person, open_records["person"].unique()))

        # the same involvement under two ids: worker, child, role and dates alike (every copy)
        same = pd.DataFrame({"worker": worker, "person": person, "role": role,
                             "start": inv["invo_involvement_start_date"].to_numpy(),
                             "end": inv["invo_involvement_end_date"].to_numpy()})
        copies = same.groupby(list(same.columns), dropna=False)["person"].transform("size").to_numpy()
        self.flag("duplicate_involvement", "ssd_involvements", (person != "") & ~np.isnat(s) & (copies > 1))
        # an involvement starting before the worker's start in post, or after the last day in post, per HR (HR
        # rows whose own dates run backwards are not judged)
        first = ~pd.Series(hr_ids).duplicated(keep="first").to_numpy()
        ordered = ~np.isnat(r_start) & (np.isnat(r_end) | (r_end >= r_start))
        hr_start = pd.Series(np.where(ordered, r_start, np.datetime64("NaT"))[first], index=hr_ids[first])
        hr_end = pd.Series(r_end[first], index=hr_ids[first])
        w_start = hr_start.reindex(worker).to_numpy(dtype="datetime64[D]")
        w_end = hr_end.reindex(worker).to_numpy(dtype="datetime64[D]")
        judged = ~np.isnat(w_start) & ~np.isnat(s)
        self.flag("allocation_outside_employment", "ssd_involvements",
                  judged & ((s < w_start) | (~np.isnat(w_end) & (s > w_end))))

    # --- family 7 ------------------------------------------------------------------------------------------------
    def people(self) -> None:
        p = self.x.tables["ssd_person"]
        key = (p["pers_forename"].str.strip().str.lower() + "|" + p["pers_surname"].str.strip().str.lower() + "|"
               + p["pers_dob"])
        self.flag("duplicate_person", "ssd_person", key.duplicated(keep=False).to_numpy() & (p["pers_dob"] != ""))

    # --- helpers -------------------------------------------------------------------------------------------------
    def _first_by(self, table: str, key: str, date: str) -> pd.Series:
        series = pd.Series(self.x.dates(table, date), index=self.x.tables[table][key].str.strip())
        return series[~series.index.duplicated(keep="first")]

    def _dob(self) -> pd.Series:
        return self._first_by("ssd_person", "pers_person_id", "pers_dob")

    def _death(self) -> pd.Series:
        return self._first_by("ssd_person", "pers_person_id", "pers_death_date")


def _age(born: np.ndarray, on: np.ndarray) -> np.ndarray:
    out = np.full(len(born), 99)
    ok = ~np.isnat(born) & ~np.isnat(on)
    b = pd.DatetimeIndex(born[ok])
    o = pd.DatetimeIndex(on[ok])
    out[ok] = o.year - b.year - ((o.month * 100 + o.day) < (b.month * 100 + b.day))
    return out


def detect(path: Path) -> dict[str, set[tuple[str, str]]]:
    return Detector(Extract.read(path)).run()
