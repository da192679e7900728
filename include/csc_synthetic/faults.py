"""Data faults injected into a night's extract, each listed in truth/faults.csv with its DATA_QUALITY.md family.

Record faults change or add rows of the typed tables before they are written, so the ground truth sees them as
written. Targets are chosen so that a fault breaks its own rule only and faults never share a record or a child:
faults.csv lists every (table, primary key) that fails a rule because of the fault, and a record-level pass rate
can be computed exactly. Where one change necessarily breaks a second rule (orphaning a care leaver's person id
leaves the leaver's allocation without an open case) the second record is listed too, under that rule, with the
same fault id. Targets are picked by a stable hash of (seed, fault type, key), so the same records are faulty on
every night they are in the extract. File-level faults (manifest disagreeing with the files, a truncated file, a
missing required column, an unknown file) and the volume drop are applied on the last night only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from csc.contract import load_contract
from csc_synthetic import outcomes
from csc_synthetic.calendar import add_years, as_days, completed_years
from csc_synthetic.codes import code_lists
from csc_synthetic.config import GeneratorConfig
from csc_synthetic.context import Context
from csc_synthetic.full_ssd import simulated_contract

FAULT_COLUMNS = ["fault_id", "fault_type", "family", "table", "primary_key", "detail"]
DAY = np.timedelta64(1, "D")
ALLOCATED = "ALLOCATED CASE WORKER"

FAMILY = {
    "open_case_no_allocation": 5, "allocation_departed_worker": 5, "allocation_non_case_holding": 5,
    "allocation_without_open_case": 5, "orphan_foreign_key": 3, "end_before_start": 4, "event_before_birth": 4,
    "event_after_death": 4, "before_referral": 4, "invalid_code": 2, "k3_under_16": 2, "duplicate_person": 7,
    "overlapping_cla_episodes": 4, "cp_start_not_icpc_date": 4, "icpc_weekend": 4, "future_date": 1,
    "blank_required": 1, "duplicate_primary_key": 1, "volume_drop": 7, "manifest_row_count_mismatch": 1,
    "manifest_checksum_mismatch": 1, "truncated_last_line": 1, "missing_required_column": 1,
    "unknown_extra_file": 1, "referral_after_18": 4, "duplicate_involvement": 5,
    "allocation_outside_employment": 5,
}
FILE_FAULTS = ("manifest_row_count_mismatch", "manifest_checksum_mismatch", "truncated_last_line",
               "missing_required_column", "unknown_extra_file")
DEFAULT_FILE_TABLES = {"manifest_row_count_mismatch": "ssd_cin_visits", "manifest_checksum_mismatch": "ssd_cp_visits",
                       "truncated_last_line": "ssd_cla_visits", "missing_required_column": "ssd_missing",
                       "unknown_extra_file": "ssd_voice_of_child"}
VOLUME_TABLE = "ssd_contacts"

# Tables whose end may be set before the start, with the end column (see docs/INDICATOR_RULES.md section 4).
START_END = {
    "ssd_cin_episodes": ("cine_referral_date", "cine_close_date"),
    "ssd_cin_assessments": ("cina_assessment_start_date", "cina_assessment_auth_date"),
    "ssd_cin_plans": ("cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
    "ssd_s47_enquiry": ("s47e_s47_start_date", "s47e_s47_end_date"),
    "ssd_cp_plans": ("cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
    "ssd_cla_episodes": ("clae_cla_episode_start_date", "clae_cla_episode_ceased_date"),
    "ssd_cla_placement": ("clap_cla_placement_start_date", "clap_cla_placement_end_date"),
    "ssd_legal_status": ("lega_legal_status_start_date", "lega_legal_status_end_date"),
    "ssd_missing": ("miss_missing_episode_start_date", "miss_missing_episode_end_date"),
    "ssd_involvements": ("invo_involvement_start_date", "invo_involvement_end_date"),
    "hr_workers": ("role_start_date", "role_end_date"),
}
# Events that must not start before the child's birth or after the death (person column, date column).
CHILD_EVENTS = {
    "ssd_contacts": ("cont_person_id", "cont_contact_date"),
    "ssd_cin_episodes": ("cine_person_id", "cine_referral_date"),
    "ssd_cin_assessments": ("cina_person_id", "cina_assessment_start_date"),
    "ssd_cin_plans": ("cinp_person_id", "cinp_cin_plan_start_date"),
    "ssd_cin_visits": ("cinv_person_id", "cinv_cin_visit_date"),
    "ssd_s47_enquiry": ("s47e_person_id", "s47e_s47_start_date"),
    "ssd_initial_cp_conference": ("icpc_person_id", "icpc_icpc_date"),
    "ssd_cp_plans": ("cppl_person_id", "cppl_cp_plan_start_date"),
    "ssd_cp_visits": ("cppv_person_id", "cppv_cp_visit_date"),
    "ssd_cp_reviews": ("cppr_person_id", "cppr_cp_review_date"),
    "ssd_cla_episodes": ("clae_person_id", "clae_cla_episode_start_date"),
    "ssd_cla_placement": ("clap_person_id", "clap_cla_placement_start_date"),
    "ssd_cla_visits": ("clav_person_id", "clav_cla_visit_date"),
    "ssd_legal_status": ("lega_person_id", "lega_legal_status_start_date"),
    "ssd_missing": ("miss_person_id", "miss_missing_episode_start_date"),
    "ssd_involvements": ("invo_person_id", "invo_involvement_start_date"),
}
VISITS = {"ssd_cin_visits": ("cinv_person_id", "cinv_cin_visit_date"),
          "ssd_cp_visits": ("cppv_person_id", "cppv_cp_visit_date"),
          "ssd_cla_visits": ("clav_person_id", "clav_cla_visit_date")}
# A code that is in no year's list, per code list: what a mistyped or locally invented code looks like.
INVALID_CODES = {
    "sex": "X", "ethnicity": "WBRT", "upn_unknown": "UN8", "referral_source": "11", "primary_need": "N10",
    "cin_closure_reason": "RC10", "category_of_abuse": "ABU", "reason_new_episode": "Z",
    "reason_episode_ceased": "E99", "placement_type": "U7", "placement_provider": "PR6",
    "placement_change_reason": "MOVED", "review_participation": "PN8", "legal_status": "C3", "missing_type": "R",
    "care_leaver_in_touch": "MAYBE", "care_leaver_activity": "F9", "worker_change_reason": "LEFT",
    "disability": "DEAF", "org_role": "7", "start_origin": "0", "reason_leave": "10", "assessment_factor": "25A",
}
# Required columns that may be left blank without breaking a second rule.
BLANKABLE = (("ssd_contacts", "cont_contact_date"), ("ssd_cin_visits", "cinv_cin_visit_date"),
             ("ssd_cp_visits", "cppv_cp_visit_date"), ("ssd_cla_visits", "clav_cla_visit_date"),
             ("ssd_missing", "miss_missing_episode_start_date"), ("ssd_cla_reviews", "clar_cla_id"))
FUTURE = (("ssd_contacts", "cont_contact_date"), ("ssd_cin_visits", "cinv_cin_visit_date"),
          ("ssd_cp_visits", "cppv_cp_visit_date"), ("ssd_cla_visits", "clav_cla_visit_date"),
          ("ssd_cla_reviews", "clar_cla_review_date"))
DUPLICABLE = ("ssd_contacts", "ssd_cin_visits", "ssd_cp_visits", "ssd_cla_visits")
CODE_YEAR_2024 = np.datetime64("2024-04-01")
NFA_CONTACT = json.dumps({k: ("Y" if k == "NFA_FLAG" else "N") for k in outcomes.CONTACT}, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FaultPlan:
    """Fault type -> rate (share of the target table's rows; at least one record when above 0). File-level faults:
    1 (on their default file) or a table name."""

    rates: dict[str, float] = field(default_factory=dict)
    file_tables: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.rates and not self.file_tables


def plan_from(spec: str | Path, config: GeneratorConfig) -> FaultPlan:
    """``none``, ``default`` (every loadable record fault), ``all`` (default + duplicate keys, volume drop and file
    faults) or a YAML file ``rates: {fault_type: rate}``."""
    faults = config.document["faults"]
    name = str(spec)
    if name == "none":
        return FaultPlan()
    if name == "default":
        return _plan(dict(faults["default"]), "the default catalogue")
    if name == "all":
        return _plan({**faults["default"], **faults["all_only"]}, "the full catalogue")
    path = Path(spec)
    if not path.is_file():
        raise ValueError(f"--faults must be none, default, all or a YAML file of fault rates; {name!r} is none of "
                         f"these")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("rates"), dict):
        raise ValueError(f"{path}: expected a mapping `rates: {{fault_type: rate}}`")
    return _plan(document["rates"], str(path))


def _plan(rates: dict, source: str) -> FaultPlan:
    unknown = sorted(set(rates) - (set(FAMILY) - {"allocation_without_open_case"}))
    if unknown:
        raise ValueError(f"{source}: unknown fault types {', '.join(unknown)}; known: {', '.join(sorted(FAMILY))}")
    record, files = {}, {}
    for fault, value in rates.items():
        if fault in FILE_FAULTS:
            if isinstance(value, str):
                files[fault] = value
            elif _rate(fault, value, source) > 0:
                files[fault] = DEFAULT_FILE_TABLES[fault]
        else:
            rate = _rate(fault, value, source)
            if rate > 0:
                record[fault] = rate
    contract = load_contract()
    for fault, table in files.items():
        if fault != "unknown_extra_file" and table not in contract.tables:
            raise ValueError(f"{source}: {fault}: {table!r} is not a table of the extract contract")
        if fault == "unknown_extra_file" and table in contract.tables:
            raise ValueError(f"{source}: unknown_extra_file: {table!r} is a contract table, not an unknown one")
    if len(set(files.values())) != len(files):
        raise ValueError(f"{source}: file-level faults must be on different files")
    return FaultPlan(rates=record, file_tables=files)


def _rate(fault: str, value, source: str) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{source}: {fault}: rate must be a number between 0 and 1, not {value!r}") from None
    if not 0 <= rate <= 1:
        raise ValueError(f"{source}: {fault}: rate must be between 0 and 1, not {rate}")
    return rate


# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Injected:
    tables: dict[str, pd.DataFrame]
    faults: pd.DataFrame
    file_faults: dict[str, str] = field(default_factory=dict)   # fault type -> table
    # per row of ``faults``: the (table, column) cells its injection wrote (empty for a fault that adds, removes or
    # only names records): a fault all of whose cells lie in columns a source system does not write is not in that
    # system's rendering (``csc_synthetic._write_carried_truth``)
    touched: list[frozenset[tuple[str, str]]] = field(default_factory=list)


def inject(ctx: Context, plan: FaultPlan, tables: dict[str, pd.DataFrame], night: np.datetime64,
           last_night: bool, previous_rows: dict[str, int] | None) -> Injected:
    if plan.empty:
        return Injected(tables=tables, faults=pd.DataFrame(columns=FAULT_COLUMNS))
    injector = _Injector(ctx, plan, tables, night)
    for fault, method in injector.catalogue().items():
        if fault in plan.rates:
            method(plan.rates[fault])
    file_faults = {}
    if last_night:
        if "volume_drop" in plan.rates and previous_rows is not None:
            injector.volume_drop(plan.rates["volume_drop"], previous_rows)
        for fault, table in plan.file_tables.items():
            file_faults[fault] = table
            injector.row(fault, table, "", _file_fault_detail(fault, table))
    return Injected(tables=injector.tables, faults=pd.DataFrame(injector.rows, columns=FAULT_COLUMNS),
                    file_faults=file_faults, touched=injector.touched)


def _file_fault_detail(fault: str, table: str) -> str:
    return {
        "manifest_row_count_mismatch": f"manifest rows for {table}.csv one more than the file holds",
        "manifest_checksum_mismatch": f"manifest sha256 for {table}.csv is not the file's",
        "truncated_last_line": f"{table}.csv cut off in the middle of its last record",
        "missing_required_column": f"{table}.csv lacks a required column",
        "unknown_extra_file": f"{table}.csv is not a table of the extract contract",
    }[fault]


class _Injector:
    def __init__(self, ctx: Context, plan: FaultPlan, tables: dict[str, pd.DataFrame], night: np.datetime64):
        self.ctx = ctx
        self.night = night
        # text columns as plain objects: setting single cells of pandas' string dtype is slow
        self.tables = {name: frame.astype({c: object for c in frame.columns if pd.api.types.is_string_dtype(
            frame[c]) and not pd.api.types.is_datetime64_any_dtype(frame[c])}) for name, frame in tables.items()}
        self.contract = simulated_contract()
        self.rows: list[dict] = []
        self.touched: list[frozenset[tuple[str, str]]] = []
        self._written: set[tuple[str, str]] = set()  # cells written since the last fault row
        self.used_children: set[str] = set()
        self.used_records: set[tuple[str, str]] = set()
        self.used_workers: set[str] = set()
        self.rng = ctx.rng(f"faults-{night}")
        self._keys: dict[str, np.ndarray] = {}
        self._columns: dict[tuple[str, str, str], np.ndarray] = {}
        self._faults_made = 0

    def catalogue(self) -> dict[str, Callable[[float], None]]:
        return {
            "open_case_no_allocation": self.open_case_no_allocation,
            "allocation_departed_worker": self.allocation_departed_worker,
            "allocation_non_case_holding": self.allocation_non_case_holding,
            "orphan_foreign_key": self.orphan_foreign_key,
            "end_before_start": self.end_before_start,
            "event_before_birth": self.event_before_birth,
            "event_after_death": self.event_after_death,
            "before_referral": self.before_referral,
            "invalid_code": self.invalid_code,
            "k3_under_16": self.k3_under_16,
            "duplicate_person": self.duplicate_person,
            "overlapping_cla_episodes": self.overlapping_cla_episodes,
            "cp_start_not_icpc_date": self.cp_start_not_icpc_date,
            "icpc_weekend": self.icpc_weekend,
            "future_date": self.future_date,
            "blank_required": self.blank_required,
            "duplicate_primary_key": self.duplicate_primary_key,
            # last, so that adding them left every earlier fault's records (and random draws) as they were
            "referral_after_18": self.referral_after_18,
            "duplicate_involvement": self.duplicate_involvement,
            "allocation_outside_employment": self.allocation_outside_employment,
        }

    # --- bookkeeping ---------------------------------------------------------------------------------------------
    def row(self, fault: str, table: str, key: str, detail: str, fault_id: str | None = None) -> str:
        if fault_id is None:
            self._faults_made += 1
            fault_id = f"F{self._faults_made:05d}"
        self.rows.append({"fault_id": fault_id, "fault_type": fault, "family": FAMILY[fault], "table": table,
                          "primary_key": key, "detail": detail})
        self.touched.append(frozenset(self._written))
        self._written.clear()
        if key:
            self.used_records.add((table, key))
        return fault_id

    def count(self, rate: float, table: str) -> int:
        return max(1, int(round(rate * len(self.tables[table])))) if rate > 0 else 0

    def ranked(self, fault: str, table: str, mask: np.ndarray) -> np.ndarray:
        """Row positions of eligible rows in a stable pseudo-random order (by hash of seed, fault and key)."""
        keys = self.keys(table)
        eligible = np.flatnonzero(np.asarray(mask, dtype=bool))
        used_here = {key for t, key in self.used_records if t == table}
        if used_here:
            eligible = eligible[~_among(keys[eligible], used_here)]
        if eligible.size == 0:
            return eligible
        person = self.person_column(table)
        if person:
            persons = pd.Series(self.text(table, person)[eligible])
            eligible = eligible[~persons.isin(self.used_children).to_numpy()]
        text = (fault + "|" + pd.Series(keys[eligible])).to_numpy(dtype=object)
        score = pd.util.hash_array(text, hash_key=f"{self.ctx.seed % 10**16:016d}")
        return eligible[np.argsort(score, kind="stable")]

    def keys(self, table: str) -> np.ndarray:
        from csc_synthetic import row_keys

        if table not in self._keys:
            self._keys[table] = row_keys(self.tables[table], self.contract.table(table))
        return self._keys[table]

    def replace(self, table: str, frame: pd.DataFrame) -> None:
        self.tables[table] = frame.reset_index(drop=True)
        self._keys.pop(table, None)
        self._columns = {k: v for k, v in self._columns.items() if k[0] != table}

    def person_column(self, table: str) -> str | None:
        for column in self.contract.table(table).columns:
            if column.identifies == "person":
                return column.name
        return None

    def claim(self, table: str, position: int) -> None:
        person = self.person_column(table)
        if person:
            self.used_children.add(str(self.tables[table][person].iloc[position]))

    def dates(self, table: str, column: str) -> np.ndarray:
        """A date column as days (cached until the column changes; callers do not modify it)."""
        key = (table, column, "dates")
        if key not in self._columns:
            self._columns[key] = as_days(self.tables[table][column].to_numpy())
        return self._columns[key]

    def text(self, table: str, column: str) -> np.ndarray:
        """A column as trimmed text (cached until the column changes; callers do not modify it)."""
        key = (table, column, "text")
        if key not in self._columns:
            self._columns[key] = self.tables[table][column].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        return self._columns[key]

    def set(self, table: str, position: int, column: str, value) -> None:
        frame = self.tables[table]
        frame.iloc[position, frame.columns.get_loc(column)] = value
        self._written.add((table, column))
        self._columns.pop((table, column, "dates"), None)
        self._columns.pop((table, column, "text"), None)
        if column in self.contract.table(table).primary_key:
            self._keys.pop(table, None)

    def open_on_night(self, table: str, start: str, end: str) -> np.ndarray:
        s, e = self.dates(table, start), self.dates(table, end)
        return (s <= self.night) & (np.isnat(e) | (e > self.night))

    def dob(self) -> pd.Series:
        p = self.tables["ssd_person"]
        return pd.Series(as_days(p["pers_dob"].to_numpy()), index=p["pers_person_id"].astype(str))

    def new_id(self, existing: set[str], prefix: str = "99", avoid: str = "") -> str:
        while True:
            candidate = f"{prefix}{int(self.rng.integers(0, 10**7)):07d}"
            if candidate not in existing and candidate != avoid:
                return candidate

    # --- family 5: allocation ----------------------------------------------------------------------------------
    def _open_allocations(self) -> np.ndarray:
        role = pd.Series(self.text("ssd_involvements", "invo_professional_role_id")).str.upper().to_numpy()
        return (role == ALLOCATED) & self.open_on_night("ssd_involvements", "invo_involvement_start_date",
                                                        "invo_involvement_end_date")

    def _open_case_children(self) -> set[str]:
        children = set()
        for table, person, start, end in (
                ("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "cine_close_date"),
                ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
                ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date",
                 "clae_cla_episode_ceased_date")):
            children |= set(self.text(table, person)[self.open_on_night(table, start, end)])
        return children | set(self.text("ssd_care_leavers", "clea_person_id"))

    def open_case_no_allocation(self, rate: float) -> None:
        """An open CIN case whose only allocation was ended weeks ago and never replaced."""
        inv = "ssd_involvements"
        open_alloc = self._open_allocations()
        person = self.text(inv, "invo_person_id")
        start = self.dates(inv, "invo_involvement_start_date")
        ref = "ssd_cin_episodes"
        open_ref = self.open_on_night(ref, "cine_referral_date", "cine_close_date")
        ref_person = self.text(ref, "cine_person_id")
        other_open = set()
        for table, p, s, e in (("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
                               ("ssd_cla_episodes", "clae_person_id", "clae_cla_episode_start_date",
                                "clae_cla_episode_ceased_date")):
            other_open |= set(self.text(table, p)[self.open_on_night(table, s, e)])
        other_open |= set(self.text("ssd_care_leavers", "clea_person_id"))
        refs_open = pd.Series(ref_person[open_ref]).value_counts()
        allocs_open = pd.Series(person[open_alloc]).value_counts()
        eligible_children = set(refs_open[refs_open == 1].index) & set(allocs_open[allocs_open == 1].index)
        eligible_children -= other_open
        eligible_children &= set(self.text("ssd_person", "pers_person_id"))
        mask = open_ref & _among(ref_person, eligible_children)
        n = self.count(rate, ref)
        alloc_rows = {p: i for i, p in enumerate(person) if open_alloc[i]}
        for position in self.ranked("open_case_no_allocation", ref, mask):
            if n == 0:
                break
            child = ref_person[position]
            i = alloc_rows[child]
            latest_end = self.night - DAY
            if start[i] >= latest_end:
                continue
            span = int((latest_end - start[i]).astype(np.int64))
            end = latest_end - np.timedelta64(int(self.rng.integers(0, min(span, 60))), "D")
            self.set(inv, i, "invo_involvement_end_date", end)
            self.set(inv, i, "invo_worker_change_reason", "OTHERS")
            self.claim(ref, position)
            # INTERFACES.md: an open case with no allocation is reported on the child
            self.row("open_case_no_allocation", "ssd_person", child,
                     f"allocation {self.keys(inv)[i]} ended {end}; open referral {self.keys(ref)[position]} "
                     f"was not reallocated")
            self.used_records.add((inv, self.keys(inv)[i]))
            self.used_records.add((ref, self.keys(ref)[position]))
            n -= 1

    def _reassign(self, fault: str, rate: float, worker_ok: Callable[[pd.DataFrame], np.ndarray], why: str) -> None:
        inv = "ssd_involvements"
        hr = self.tables["hr_workers"]
        start = self.dates(inv, "invo_involvement_start_date")
        pool = hr[worker_ok(hr)]
        pool_start = as_days(pool["role_start_date"].to_numpy())
        pool_end = as_days(pool["role_end_date"].to_numpy())
        taken = pool["worker_id"].isin(self.used_workers).to_numpy().copy()
        n = self.count(rate, inv)
        for position in self.ranked(fault, inv, self._open_allocations()):
            if n == 0:
                break
            fits = (pool_start <= start[position]) & (np.isnat(pool_end) | (pool_end >= start[position])) & ~taken
            if not fits.any():
                continue
            chosen = int(np.flatnonzero(fits)[0])
            taken[chosen] = True
            worker = pool.iloc[chosen]
            self.set(inv, position, "invo_professional_id", worker["worker_id"])
            self.set(inv, position, "invo_professional_team", worker["team_id"])
            self.used_workers.add(worker["worker_id"])
            self.claim(inv, position)
            self.row(fault, inv, self.keys(inv)[position], f"allocated to worker {worker['worker_id']}: {why}")
            n -= 1

    def allocation_departed_worker(self, rate: float) -> None:
        """An open allocation to a case holder who left before the extract date (never reallocated)."""
        night = self.night

        def departed(hr):
            end = as_days(hr["role_end_date"].to_numpy())
            return (~np.isnat(end) & (end < night) & hr["org_role"].isin(["4", "5"]).to_numpy())

        self._reassign("allocation_departed_worker", rate, departed, "left before the extract date")

    def allocation_non_case_holding(self, rate: float) -> None:
        """An open allocation to a worker in post who holds no cases (a manager or reviewing officer)."""
        night = self.night

        def managers(hr):
            s, e = as_days(hr["role_start_date"].to_numpy()), as_days(hr["role_end_date"].to_numpy())
            in_post = (s <= night) & (np.isnat(e) | (e >= night))
            return in_post & hr["org_role"].isin(["1", "2", "3", "6"]).to_numpy()

        self._reassign("allocation_non_case_holding", rate, managers, "not in a case-holding role")

    # --- family 3: orphans -----------------------------------------------------------------------------------
    def orphan_foreign_key(self, rate: float) -> None:
        """Each relationship of the contract gets rows pointing at an id that does not exist."""
        for table in self.contract:
            for fk in table.foreign_keys:
                self._orphans(rate, table.name, fk.column, fk.table, fk.referenced_column)

    def _orphans(self, rate: float, table: str, column: str, target: str, target_column: str) -> None:
        values = self.text(table, column)
        mask = values != ""
        mask &= self._orphan_safe(table, column)
        existing = set(self.text(target, target_column))
        n = self.count(rate, table)
        for position in self.ranked(f"orphan_foreign_key|{column}", table, mask)[:n]:
            orphan = self.new_id(existing, avoid=values[position])
            self.set(table, position, column, orphan)
            self.claim(table, position)
            fault_id = self.row("orphan_foreign_key", table, self.keys(table)[position],
                                f"{column} -> {target}.{target_column}: {orphan} not found (was {values[position]})")
            if table == "ssd_care_leavers" and column == "clea_person_id":
                self._care_leaver_cascade(values[position], position, fault_id)

    def _orphan_safe(self, table: str, column: str) -> np.ndarray:
        """Rows whose orphaning breaks no second rule (docs/INDICATOR_RULES.md section 4)."""
        n = len(self.tables[table])
        everything = np.ones(n, dtype=bool)
        if column in ("cine_person_id", "cppl_person_id", "clae_person_id"):
            start, end = {"cine_person_id": ("cine_referral_date", "cine_close_date"),
                          "cppl_person_id": ("cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
                          "clae_person_id": ("clae_cla_episode_start_date", "clae_cla_episode_ceased_date")}[column]
            s, e = self.dates(table, start), self.dates(table, end)
            closed = ~np.isnat(e) & (e <= self.night) & (e > s)
            person = pd.Series(self.text(table, column))
            several = person.map(person.value_counts()).to_numpy() > 1
            mask = closed & several
            if column == "clae_person_id":
                cla_id = pd.Series(self.text(table, "clae_cla_id"))
                single_episode = cla_id.map(cla_id.value_counts()).to_numpy() == 1
                periods_of_child = pd.DataFrame({"p": person, "c": cla_id}).groupby("p")["c"].nunique()
                mask &= single_episode & (person.map(periods_of_child).to_numpy() > 1)
                mask &= self.text(table, "clae_cla_episode_ceased_reason") != "X1"
            return mask
        if table == "hr_workers" and column == "worker_id":
            end = self.dates(table, "role_end_date")
            departed = ~np.isnat(end) & (end < self.night)
            busy = set(self.text("ssd_involvements", "invo_professional_id")[self._open_allocations()])
            return departed & ~_among(self.text(table, column), busy)
        if table == "ssd_involvements" and column == "invo_professional_id":
            return ~self._open_allocations()
        if table == "ssd_cla_placement" and column == "clap_cla_id":
            # Mosaic has no clap_person_id: it finds the placement's child through its period of care, so an
            # orphaned clap_cla_id also loses the placement's child there. Only placements that ended a year before
            # the history window, which no indicator counts (placements in the 12 months to a reporting date), so
            # the fault breaks its own rule only in every rendering.
            end = self.dates(table, "clap_cla_placement_end_date")
            return ~np.isnat(end) & (end <= add_years(self.ctx.window_start(self.night), -1))
        return everything

    def _care_leaver_cascade(self, person: str, position: int, fault_id: str) -> None:
        """The leaver's own allocation now has no open case, and the leaver (a new id) no allocation."""
        table = "ssd_care_leavers"  # the leaver's new person id is no one's: the case record is reported
        self.row("open_case_no_allocation", table, self.keys(table)[position],
                 "care leaver's person id no longer matches the allocation", fault_id=fault_id)
        inv = "ssd_involvements"
        hit = self._open_allocations() & (self.text(inv, "invo_person_id") == person)
        if person not in self._open_case_children():
            for i in np.flatnonzero(hit):
                self.row("allocation_without_open_case", inv, self.keys(inv)[i],
                         f"allocation of {person}, whose care leaver record lost its person id", fault_id=fault_id)

    # --- family 4: timelines ------------------------------------------------------------------------------------
    def end_before_start(self, rate: float) -> None:
        """Closed records whose end is typed before their start."""
        for table, (start_col, end_col) in START_END.items():
            s, e = self.dates(table, start_col), self.dates(table, end_col)
            mask = ~np.isnat(s) & ~np.isnat(e) & (e <= self.night) & (e >= s)
            if table == "ssd_cin_episodes":
                mask &= self.text(table, "cine_referral_nfa") == "Y"
            if table == "ssd_cla_episodes":
                mask &= self.text(table, "clae_cla_episode_ceased_reason") != "X1"
            if table == "hr_workers":
                busy = set(self.text("ssd_involvements", "invo_professional_id")[self._open_allocations()])
                mask &= (e < self.night) & ~_among(self.text(table, "worker_id"), busy)
            for position in self.ranked(f"end_before_start|{table}", table, mask)[:self.count(rate, table)]:
                new_end = s[position] - np.timedelta64(int(self.rng.integers(1, 31)), "D")
                self.set(table, position, end_col, new_end)
                self.claim(table, position)
                self.row("end_before_start", table, self.keys(table)[position],
                         f"{end_col} {new_end} before {start_col} {s[position]}")

    def event_before_birth(self, rate: float) -> None:
        """A contact or visit dated before the child was born."""
        dob = self.dob()
        for table, (person_col, date_col) in {"ssd_contacts": ("cont_person_id", "cont_contact_date"),
                                              **VISITS}.items():
            born = as_days(dob.reindex(self.text(table, person_col)).to_numpy())
            mask = ~np.isnat(born) & ~np.isnat(self.dates(table, date_col))
            for position in self.ranked(f"event_before_birth|{table}", table, mask)[:self.count(rate, table)]:
                shift = np.timedelta64(int(self.rng.integers(1, 200)), "D")
                old = self.tables[table][date_col].iloc[position]
                new = pd.Timestamp(born[position] - shift) + (old - old.normalize())
                self.set(table, position, date_col, new)
                self.claim(table, position)
                self.row("event_before_birth", table, self.keys(table)[position],
                         f"{date_col} {new.date()} before birth {born[position]}")

    def event_after_death(self, rate: float) -> None:
        """A death recorded between a child's last two events: the last one now comes after the death."""
        events = []
        for table, (person_col, date_col) in CHILD_EVENTS.items():
            events.append(pd.DataFrame({"table": table, "position": np.arange(len(self.tables[table])),
                                        "person": self.text(table, person_col), "date": self.dates(table, date_col)}))
        events = pd.concat(events, ignore_index=True)
        events = events[(events["person"] != "") & events["date"].notna()].sort_values(["person", "date"],
                                                                                        kind="stable")
        grouped = events.groupby("person")
        last = grouped.nth(-1).set_index("person")
        before = grouped["date"].nth(-2)
        before.index = events.loc[before.index, "person"].to_numpy()
        ties = events.merge(last[["date"]].rename(columns={"date": "last"}), left_on="person", right_index=True)
        ties = ties[ties["date"] == ties["last"]].groupby("person").size()
        candidates = last.assign(before=before.reindex(last.index), ties=ties.reindex(last.index))
        gap = (as_days(candidates["date"].to_numpy()) - as_days(candidates["before"].to_numpy())).astype(np.int64)
        candidates = candidates[candidates["before"].notna().to_numpy() & (gap >= 2) & (candidates["ties"] == 1)]
        persons = self.tables["ssd_person"]
        ids = self.text("ssd_person", "pers_person_id")
        mask = persons["pers_death_date"].isna().to_numpy() & persons["pers_dob"].notna().to_numpy()
        mask &= ~_among(ids, self._open_case_children()) & _among(ids, set(candidates.index))
        n = self.count(rate, "ssd_person")
        for position in self.ranked("event_after_death", "ssd_person", mask):
            if n == 0:
                break
            person = ids[position]
            latest = candidates.loc[person]
            key = self.keys(latest["table"])[int(latest["position"])]
            if (latest["table"], key) in self.used_records:
                continue
            last_date, before_date = as_days(latest["date"]), as_days(latest["before"])
            days_between = int((last_date - before_date).astype(np.int64))
            death = before_date + np.timedelta64(int(self.rng.integers(0, days_between)), "D")
            self.set("ssd_person", position, "pers_death_date", death)
            self.used_children.add(person)
            self.row("event_after_death", latest["table"], key, f"dated {last_date}, after the death of {person} on "
                                                                 f"{death}")
            n -= 1

    def before_referral(self, rate: float) -> None:
        """An assessment, S47 or CIN plan whose start is typed before the referral it belongs to."""
        ref = self.tables["ssd_cin_episodes"]
        ref_date = pd.Series(as_days(ref["cine_referral_date"].to_numpy()), index=self.text("ssd_cin_episodes",
                                                                                         "cine_referral_id"))
        ref_date = ref_date[~ref_date.index.duplicated()]
        dob = self.dob()
        for table, ref_col, start_col, end_col, person_col in (
                ("ssd_cin_assessments", "cina_referral_id", "cina_assessment_start_date", "cina_assessment_auth_date",
                 "cina_person_id"),
                ("ssd_s47_enquiry", "s47e_referral_id", "s47e_s47_start_date", "s47e_s47_end_date", "s47e_person_id"),
                ("ssd_cin_plans", "cinp_referral_id", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date",
                 "cinp_person_id")):
            r = as_days(ref_date.reindex(self.text(table, ref_col)).to_numpy())
            s = self.dates(table, start_col)
            person = self.text(table, person_col)
            born_all = as_days(dob.reindex(person).to_numpy())
            mask = ~np.isnat(r) & ~np.isnat(s) & (s >= r) & ~np.isnat(born_all)
            n = self.count(rate, table)
            for position in self.ranked(f"before_referral|{table}", table, mask):
                if n == 0:
                    break
                new = r[position] - np.timedelta64(int(self.rng.integers(1, 11)), "D")
                born = born_all[position]
                if new < born or self._would_overlap(table, person_col, start_col, end_col,
                                                                       position, new):
                    continue
                self.set(table, position, start_col, new)
                self.claim(table, position)
                self.row("before_referral", table, self.keys(table)[position],
                         f"{start_col} {new} before the referral on {r[position]}")
                n -= 1

    def _would_overlap(self, table, person_col, start_col, end_col, position, new_start) -> bool:
        """Whether starting earlier would make the record share a day with another of the child's records of the
        same kind (or, for a CIN plan, with a CP plan)."""
        old_start = self.dates(table, start_col)[position]
        person = self.text(table, person_col)[position]
        sources = [(table, person_col, start_col, end_col)]
        if table == "ssd_cin_plans":
            sources.append(("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"))
        for src, p_col, s_col, e_col in sources:
            mine = self.text(src, p_col) == person
            if src == table:
                mine[position] = False
            s, e = self.dates(src, s_col)[mine], self.dates(src, e_col)[mine]
            e = np.where(np.isnat(e), np.datetime64("2999-12-31"), e)
            if ((s < old_start) & (e > new_start) & (e > s)).any():
                return True
        return False

    def overlapping_cla_episodes(self, rate: float) -> None:
        """The same episode keyed in twice, the second a few days later: two overlapping episodes of one child."""
        table = "ssd_cla_episodes"
        s = self.dates(table, "clae_cla_episode_start_date")
        e = self.dates(table, "clae_cla_episode_ceased_date")
        mask = ~np.isnat(e) & (e <= self.night) & ((e - s).astype(np.int64) > 5)
        existing = set(self.text(table, "clae_cla_episode_id"))
        additions = []
        for position in self.ranked("overlapping_cla_episodes", table, mask)[:self.count(rate, table)]:
            copy = self.tables[table].iloc[[position]].copy()
            new_id = self.new_id(existing, prefix="98")
            existing.add(new_id)
            copy["clae_cla_episode_id"] = new_id
            copy["clae_cla_episode_start_date"] = s[position] + np.timedelta64(int(self.rng.integers(1, 6)), "D")
            additions.append(copy)
            self.claim(table, position)
            fault_id = self.row("overlapping_cla_episodes", table, self.keys(table)[position],
                                f"overlaps episode {new_id} of the same child")
            self.row("overlapping_cla_episodes", table, new_id,
                     f"a second record of episode {self.keys(table)[position]}, starting a few days later",
                     fault_id=fault_id)
        if additions:
            self.replace(table, pd.concat([self.tables[table], *additions], ignore_index=True))

    def cp_start_not_icpc_date(self, rate: float) -> None:
        """A CP plan whose start is recorded a few days after its initial conference."""
        table = "ssd_cp_plans"
        icpc = pd.Series(self.dates("ssd_initial_cp_conference", "icpc_icpc_date"),
                         index=self.text("ssd_initial_cp_conference", "icpc_icpc_id"))
        icpc = icpc[~icpc.index.duplicated()]
        held = as_days(icpc.reindex(self.text(table, "cppl_icpc_id")).to_numpy())
        s = self.dates(table, "cppl_cp_plan_start_date")
        e = self.dates(table, "cppl_cp_plan_end_date")
        mask = ~np.isnat(held) & (held == s) & (s <= self.night - np.timedelta64(6, "D"))
        mask &= np.isnat(e) | ((e - s).astype(np.int64) > 6)
        for position in self.ranked("cp_start_not_icpc_date", table, mask)[:self.count(rate, table)]:
            new = s[position] + np.timedelta64(int(self.rng.integers(1, 6)), "D")
            self.set(table, position, "cppl_cp_plan_start_date", new)
            self.claim(table, position)
            self.row("cp_start_not_icpc_date", table, self.keys(table)[position],
                     f"plan starts {new}, its conference was on {held[position]}")

    def icpc_weekend(self, rate: float) -> None:
        """A conference (that made no plan) recorded on the following Saturday."""
        table = "ssd_initial_cp_conference"
        d = self.dates(table, "icpc_icpc_date")
        no_plan = self.text(table, "icpc_cp_plan_id") == ""
        weekday = (d.astype("datetime64[D]").astype(np.int64) + 3) % 7
        saturday = d + ((5 - weekday) % 7).astype("timedelta64[D]")
        ref = self.tables["ssd_cin_episodes"]
        close = pd.Series(as_days(ref["cine_close_date"].to_numpy()), index=self.text("ssd_cin_episodes",
                                                                                   "cine_referral_id"))
        close = as_days(close[~close.index.duplicated()].reindex(self.text(table, "icpc_referral_id")).to_numpy())
        mask = ~np.isnat(d) & no_plan & (saturday <= self.night) & (saturday > d)
        mask &= np.isnat(close) | (saturday <= close)
        for position in self.ranked("icpc_weekend", table, mask)[:self.count(rate, table)]:
            self.set(table, position, "icpc_icpc_date", saturday[position])
            self.claim(table, position)
            self.row("icpc_weekend", table, self.keys(table)[position],
                     f"conference dated Saturday {saturday[position]} (was {d[position]})")

    # --- family 2: codes -----------------------------------------------------------------------------------------
    def invalid_code(self, rate: float) -> None:
        """For each code list, records carrying a code that is in no year's list."""
        done: set[str] = set()
        lists = code_lists()
        for table in self.contract:
            for column in table.columns:
                if not column.code_list or column.code_list in done:
                    continue
                done.add(column.code_list)
                bad = INVALID_CODES[column.code_list]
                if bad in set(lists.loc[lists["code_list"] == column.code_list, "code"]):
                    raise AssertionError(f"{bad!r} is a valid {column.code_list} code")
                values = self.text(table.name, column.name)
                mask = values != ""
                if column.code_list == "org_role":
                    mask &= np.isin(values, ["1", "2", "3", "6"])
                for position in self.ranked(f"invalid_code|{column.name}", table.name, mask)[
                        :self.count(rate, table.name)]:
                    if column.type == "json":
                        codes = values[position].strip("[]").split(",")
                        codes[0] = f'"{bad}"'
                        new = "[" + ",".join(codes) + "]"
                    else:
                        new = bad
                    self.set(table.name, position, column.name, new)
                    self.claim(table.name, position)
                    if table.name == "hr_workers":
                        self.used_workers.add(values[position])
                    self.row("invalid_code", table.name, self.keys(table.name)[position],
                             f"{column.name} {new!r} is not in code list {column.code_list}")

    def k3_under_16(self, rate: float) -> None:
        """A placement coded K3 (supported accommodation, 16+) for a younger child."""
        table = "ssd_cla_placement"
        dob = self.dob()
        born = as_days(dob.reindex(self.text(table, "clap_person_id")).to_numpy())
        start = self.dates(table, "clap_cla_placement_start_date")
        known = ~np.isnat(born) & ~np.isnat(start)
        age = np.full(len(start), 99)
        age[known] = completed_years(born[known], start[known])
        mask = known & (start >= CODE_YEAR_2024) & (age < 16) & (self.text(table, "clap_cla_placement_type") != "K3")
        for position in self.ranked("k3_under_16", table, mask)[:self.count(rate, table)]:
            self.set(table, position, "clap_cla_placement_type", "K3")
            self.claim(table, position)
            self.row("k3_under_16", table, self.keys(table)[position],
                     f"K3 placement of a child aged {age[position]} on {start[position]}")

    # --- family 7: people ---------------------------------------------------------------------------------------
    def duplicate_person(self, rate: float) -> None:
        """A second person record (new id, same name and date of birth) created by a new contact."""
        table = "ssd_person"
        persons = self.tables[table]
        mask = persons["pers_dob"].notna().to_numpy() & persons["pers_death_date"].isna().to_numpy()
        existing = set(self.text(table, "pers_person_id"))
        contact_ids = set(self.text("ssd_contacts", "cont_contact_id"))
        window_start = self.ctx.window_start(self.night)
        new_people, new_contacts = [], []
        template = self.tables["ssd_contacts"].iloc[:1]
        for position in self.ranked("duplicate_person", table, mask)[:self.count(rate, table)]:
            if template.empty:
                break
            original = persons.iloc[[position]].copy()
            new_id = self.new_id(existing, prefix="97")
            existing.add(new_id)
            copy = original.assign(pers_person_id=new_id, pers_single_unique_id="", pers_legacy_id="")
            new_people.append(copy)
            born = as_days(original["pers_dob"].to_numpy())[0]
            first = max(born, window_start)
            span = max(1, int((self.night - first).astype(np.int64)))
            when = pd.Timestamp(first + np.timedelta64(int(self.rng.integers(0, span)), "D")) + pd.Timedelta(hours=10)
            contact_id = self.new_id(contact_ids, prefix="96")
            contact_ids.add(contact_id)
            new_contacts.append(template.assign(cont_contact_id=contact_id, cont_person_id=new_id,
                                                cont_contact_date=when, cont_contact_outcome_json=NFA_CONTACT))
            person = self.text(table, "pers_person_id")[position]
            self.used_children.update({person, new_id})
            fault_id = self.row("duplicate_person", table, person, f"same name and date of birth as {new_id}")
            self.row("duplicate_person", table, new_id, f"duplicate of {person}, created by contact {contact_id}",
                     fault_id=fault_id)
        if new_people:
            self.replace(table, pd.concat([persons, *new_people], ignore_index=True))
            self.replace("ssd_contacts", pd.concat([self.tables["ssd_contacts"], *new_contacts], ignore_index=True))

    # --- family 1: structure --------------------------------------------------------------------------------------
    def future_date(self, rate: float) -> None:
        """A visit, contact or review dated after the extract date (a typo in the year or month)."""
        death = self.tables["ssd_person"].set_index("pers_person_id")["pers_death_date"]
        died = set(death[death.notna()].index.astype(str))
        for table, column in FUTURE:
            person_col = self.person_column(table)
            mask = ~np.isnat(self.dates(table, column))
            if person_col:
                mask &= ~_among(self.text(table, person_col), died)
            for position in self.ranked(f"future_date|{table}", table, mask)[:self.count(rate, table)]:
                old = self.tables[table][column].iloc[position]
                new = pd.Timestamp(self.night + np.timedelta64(int(self.rng.integers(1, 61)), "D")) + (
                    old - old.normalize())
                self.set(table, position, column, new)
                self.claim(table, position)
                self.row("future_date", table, self.keys(table)[position], f"{column} {new.date()} after the extract")

    def blank_required(self, rate: float) -> None:
        """A required value left blank."""
        for table, column in BLANKABLE:
            mask = self.tables[table][column].notna().to_numpy() & (self.text(table, column) != "")
            for position in self.ranked(f"blank_required|{table}", table, mask)[:self.count(rate, table)]:
                blank = pd.NaT if pd.api.types.is_datetime64_any_dtype(self.tables[table][column]) else ""
                self.set(table, position, column, blank)
                self.claim(table, position)
                self.row("blank_required", table, self.keys(table)[position], f"{column} is blank")

    def duplicate_primary_key(self, rate: float) -> None:
        """A row written twice (the loader refuses duplicate keys, so this is only in `all`)."""
        for table in DUPLICABLE:
            frame = self.tables[table]
            positions = self.ranked(f"duplicate_primary_key|{table}", table, np.ones(len(frame), dtype=bool))
            positions = positions[:self.count(rate, table)]
            for position in positions:
                self.claim(table, position)
                self.row("duplicate_primary_key", table, self.keys(table)[position], "row written twice")
            if len(positions):
                self.replace(table, pd.concat([frame, frame.iloc[positions]], ignore_index=True))

    # --- faults the checks once missed (issue 16) ---------------------------------------------------------------
    def referral_after_18(self, rate: float) -> None:
        """A referral of a young adult: dated on or after the person's 18th birthday (no further action, closed the
        same day, so it is never open and breaks no other rule). Copied from a referral of the same collection
        year, so its codes are valid for its date."""
        table = "ssd_cin_episodes"
        persons = self.tables["ssd_person"]
        ids = self.text("ssd_person", "pers_person_id")
        born = as_days(persons["pers_dob"].to_numpy())
        adult = add_years(np.where(np.isnat(born), self.night, born), 18)
        unique = ~pd.Series(ids).duplicated(keep=False).to_numpy()
        mask = ~np.isnat(born) & persons["pers_death_date"].isna().to_numpy() & unique & (ids != "")
        mask &= adult < self.night
        referral_date = self.dates(table, "cine_referral_date")
        templates = np.flatnonzero((self.text(table, "cine_referral_nfa") == "Y") & ~np.isnat(referral_date))
        used_here = {key for t, key in self.used_records if t == table}
        templates = templates[~_among(self.keys(table)[templates], used_here)]
        template_year = _collection_year(referral_date[templates])
        existing = set(self.text(table, "cine_referral_id"))
        earliest = self.night - np.timedelta64(365, "D")
        additions = []
        n = self.count(rate, "ssd_person")
        for position in self.ranked("referral_after_18", "ssd_person", mask):
            if n == 0:
                break
            first = max(adult[position], earliest)
            span = int((self.night - first).astype(np.int64))
            if span < 1:
                continue
            when = first + np.timedelta64(int(self.rng.integers(0, span)), "D")
            if completed_years(born[position], when) < 18:
                continue
            same_year = templates[template_year == _collection_year(np.array([when]))[0]]
            if same_year.size == 0:
                continue
            template = same_year[int(np.argmin(np.abs((referral_date[same_year] - when).astype(np.int64))))]
            person = ids[position]
            new_id = self.new_id(existing, prefix="95")
            existing.add(new_id)
            copy = self.tables[table].iloc[[template]].copy()
            copy["cine_referral_id"] = new_id
            copy["cine_person_id"] = person
            copy["cine_referral_date"] = pd.Timestamp(when)
            copy["cine_close_date"] = pd.Timestamp(when)
            additions.append(copy)
            self.used_children.add(person)
            self.row("referral_after_18", table, new_id,
                     f"referral of {person} on {when}, aged {int(completed_years(born[position], when))} "
                     f"(born {born[position]})")
            n -= 1
        if additions:
            self.replace(table, pd.concat([self.tables[table], *additions], ignore_index=True))

    def duplicate_involvement(self, rate: float) -> None:
        """A closed involvement written twice under two ids: same worker, child, role, start and end (closed, so
        the child never has two open allocations because of it)."""
        table = "ssd_involvements"
        s = self.dates(table, "invo_involvement_start_date")
        e = self.dates(table, "invo_involvement_end_date")
        mask = ~np.isnat(s) & ~np.isnat(e) & (e > s) & (e <= self.night)
        mask &= (self.text(table, "invo_professional_id") != "") & (self.text(table, "invo_person_id") != "")
        existing = set(self.text(table, "invo_involvements_id"))
        additions = []
        for position in self.ranked("duplicate_involvement", table, mask)[:self.count(rate, table)]:
            copy = self.tables[table].iloc[[position]].copy()
            new_id = self.new_id(existing, prefix="94")
            existing.add(new_id)
            copy["invo_involvements_id"] = new_id
            additions.append(copy)
            self.claim(table, position)
            original = self.keys(table)[position]
            fault_id = self.row("duplicate_involvement", table, original, f"written again as involvement {new_id}")
            self.row("duplicate_involvement", table, new_id, f"a second record of involvement {original}",
                     fault_id=fault_id)
        if additions:
            self.replace(table, pd.concat([self.tables[table], *additions], ignore_index=True))

    def allocation_outside_employment(self, rate: float) -> None:
        """A closed allocation recorded against a case holder who, per HR, had already left when it started, or
        (every other one) who started in post after it started."""
        inv = "ssd_involvements"
        s = self.dates(inv, "invo_involvement_start_date")
        e = self.dates(inv, "invo_involvement_end_date")
        role = pd.Series(self.text(inv, "invo_professional_role_id")).str.upper().to_numpy()
        mask = (role == ALLOCATED) & ~np.isnat(s) & ~np.isnat(e) & (e > s) & (e <= self.night)
        hr = "hr_workers"
        workers = self.text(hr, "worker_id")
        hs, he = self.dates(hr, "role_start_date"), self.dates(hr, "role_end_date")
        used_hr = {key for t, key in self.used_records if t == hr}
        usable = np.isin(self.text(hr, "org_role"), ["4", "5"]) & ~np.isnat(hs) & (np.isnat(he) | (he >= hs))
        usable &= ~_among(workers, self.used_workers) & ~_among(self.keys(hr), used_hr)
        usable &= _among(workers, set(self.text("ssd_professionals", "prof_professional_id")))
        usable &= ~pd.Series(workers).duplicated(keep=False).to_numpy()
        taken = np.zeros(len(workers), dtype=bool)
        n, made = self.count(rate, inv), 0
        for position in self.ranked("allocation_outside_employment", inv, mask):
            if n == 0:
                break
            left = usable & ~taken & ~np.isnat(he) & (he < s[position])
            not_yet = usable & ~taken & (hs > s[position])
            choices = (not_yet, left) if made % 2 else (left, not_yet)
            fits = next((c for c in choices if c.any()), None)
            if fits is None:
                continue
            chosen = int(np.flatnonzero(fits)[0])
            taken[chosen] = True
            worker = workers[chosen]
            why = (f"who left on {he[chosen]}" if not np.isnat(he[chosen]) and he[chosen] < s[position]
                   else f"who started in post on {hs[chosen]}")
            self.set(inv, position, "invo_professional_id", worker)
            self.used_workers.add(worker)
            self.claim(inv, position)
            self.row("allocation_outside_employment", inv, self.keys(inv)[position],
                     f"allocation starting {s[position]} recorded against worker {worker}, {why}")
            n -= 1
            made += 1

    def volume_drop(self, rate: float, previous_rows: dict[str, int]) -> None:
        """Part of one file missing compared with the night before (an extract that stopped early)."""
        table = VOLUME_TABLE
        frame = self.tables[table]
        keys = self.keys(table)
        faulty = np.array([(table, k) in self.used_records for k in keys], dtype=bool)
        score = pd.util.hash_array(("volume_drop|" + pd.Series(keys)).to_numpy(dtype=object),
                                   hash_key=f"{self.ctx.seed % 10**16:016d}")
        order = np.argsort(score, kind="stable")
        drop = order[~faulty[order]][: int(round(rate * len(frame)))]  # listed faulty records stay
        keep = np.ones(len(frame), dtype=bool)
        keep[drop] = False
        self.replace(table, frame[keep])
        self.row("volume_drop", table, "", f"{table} fell from {previous_rows.get(table, 0):,} rows the night before "
                                           f"to {int(keep.sum()):,}")


def _collection_year(days: np.ndarray) -> np.ndarray:
    """The April-March collection year a date falls in (named by the year it starts)."""
    days = as_days(days)
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return days.astype("datetime64[Y]").astype(np.int64) + 1970 - (month < 4)


def _among(values: np.ndarray, members: set) -> np.ndarray:
    """Membership test by hashing (numpy's isin sorts object arrays, which is slow on large tables)."""
    return pd.Series(values, dtype=object).isin(members).to_numpy()


# ---------------------------------------------------------------------------------------------------------------
def damage_files(injected: Injected, files: list) -> list:
    """File-level faults: the files as the source wrote them (the manifest describes them before any damage in
    transfer) and as they arrive."""
    from csc_synthetic.render import WrittenFile

    by_table = {f.table: f for f in files}
    for fault, table in injected.file_faults.items():
        if fault == "truncated_last_line":
            written = by_table[table]
            data = written.data.rstrip(b"\r\n")
            last = data.rfind(b"\n")
            cut = last + 1 + max(1, (len(data) - last - 1) // 2)
            written.described = written.data
            written.data = data[:cut]
        elif fault == "missing_required_column":
            written = by_table[table]
            written.data = _without_required_column(written.data, table)
        elif fault == "unknown_extra_file":
            files.append(WrittenFile(name=f"{table}.csv", table=table, rows=2,
                                     data=b"sdqs_table_id,sdqs_person_id,sdqs_sdq_score\n1,1000001,14\n2,1000002,21\n"))
    return files


def _without_required_column(data: bytes, table: str) -> bytes:
    import csv
    import io

    text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else None
    encoding = "utf-8-sig" if text is not None else "utf-8"
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text, encoding = data.decode("cp1252"), "cp1252"
    newline = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    contract_table = load_contract().table(table)
    required = [c for c in contract_table.required_columns if c not in contract_table.primary_key]
    header = [h.strip().lower() for h in rows[0]]
    drop = header.index(required[-1])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows([r[:drop] + r[drop + 1:] for r in rows])
    return buffer.getvalue().encode(encoding)


def damage_manifest(injected: Injected, manifest):
    for entry in manifest.files:
        fault = next((f for f, t in injected.file_faults.items() if t == entry["table"]), None)
        if fault == "manifest_row_count_mismatch":
            entry["rows"] += 1
        elif fault == "manifest_checksum_mismatch":
            entry["sha256"] = entry["sha256"][::-1]
    return manifest
