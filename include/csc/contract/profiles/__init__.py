"""Source-system profiles: how each case-management system's SSD deployment differs from the contract, as data.

One YAML file per system (``systemc.yml``, ``mosaic.yml``, ``eclipse.yml``, ``generic.yml``) holds:

- ``column_renames``: a source column name -> the contract's name, per table (Mosaic's ``cin_plan_id``);
- ``absent_columns``: contract columns the system's SSD never writes (they load as empty, with a notice);
- ``natural_keys``: tables whose SSD key cannot identify a row from one night to the next (SystemC's ``NEWID()``,
  Mosaic's blank ``cinf_table_id``), with the columns that do;
- ``worker_columns``: columns that hold a worker's name or staff id instead of ``prof_professional_id``;
- ``vocabularies``: per concept, the column it lives in and how its values map to DfE codes or product roles;
- ``allocation``: which role means "allocated case worker" and the source flag that must confirm it, if any.

The loader (renames, absent columns), dbt (vocabularies, allocation), the change summary (natural keys), the
generator (rendering the same LA in any system's conventions) and ``csc profile`` all read profiles from here.
An LA may override or extend a profile's vocabularies in config/las.yml (``vocabulary:``): see
:meth:`Profile.with_vocabulary`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from csc.contract import Contract, Table, load_contract

PROFILES_DIR = Path(__file__).resolve().parent
CODE_LISTS_PATH = PROFILES_DIR.parents[3] / "dbt_project" / "seeds" / "reference" / "code_lists.csv"
DEFAULT_SYSTEM = "generic"

# The product's own involvement roles (what a vocabulary of kind "map" for involvement_role maps to).
PRODUCT_ROLES = ("allocated_case_worker", "team_manager", "independent_reviewing_officer", "child_protection_chair",
                 "family_support_worker", "other")

Match = Literal["code", "description", "prefix2", "map"]
WorkerColumnKind = Literal["name", "staff_id"]


class UnknownSystem(KeyError):
    def __str__(self) -> str:
        return (f"unknown source system {self.args[0]!r}: the profiles are {', '.join(available_systems())} "
                f"(include/csc/contract/profiles/)")


def normalise(value: str) -> str:
    """How vocabulary values are compared: trimmed, upper case, runs of white space as one space."""
    return re.sub(r"\s+", " ", value.strip()).upper()


class Vocabulary(BaseModel):
    """How the values of one column map to DfE codes (``code_list``) or to product roles (``map``).

    ``match``:
      - ``code``: values are the code list's codes;
      - ``description``: values are the code list's descriptions (a code is accepted too);
      - ``prefix2``: the DfE code is the value's first two characters, trimmed (SystemC's referral source id);
      - ``map``: only the explicit ``map`` applies.
    An explicit ``map`` entry always wins, whatever the match.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    concept: str
    column: str  # "<table>.<column>"
    code_list: str | None = None
    match: Match = "code"
    map: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _needs_a_code_list(self) -> Vocabulary:
        if self.match != "map" and not self.code_list:
            raise ValueError(f"vocabulary {self.concept!r}: match {self.match!r} needs a code_list")
        if "." not in self.column:
            raise ValueError(f"vocabulary {self.concept!r}: column must be '<table>.<column>', not {self.column!r}")
        return self

    @property
    def table(self) -> str:
        return self.column.split(".", 1)[0]

    @property
    def column_name(self) -> str:
        return self.column.split(".", 1)[1]

    def entries(self) -> dict[str, str]:
        """Every known source value (normalised) -> its target code or role."""
        out: dict[str, str] = {}
        if self.code_list:
            for code, description in code_list(self.code_list).items():
                out[normalise(code)] = code
                if self.match == "description":
                    out.setdefault(normalise(description), code)
        for source, target in self.map.items():
            out[normalise(source)] = target
        return out

    def translate(self, value: str | None) -> str | None:
        """The target of a source value, or None when no map knows it (blank in, None out)."""
        if value is None or not value.strip():
            return None
        if self.match == "prefix2":
            explicit = {normalise(k): v for k, v in self.map.items()}
            key = normalise(value)
            if key in explicit:
                return explicit[key]
            value = value.strip()[:2].strip()
        return self.entries().get(normalise(value))

    def render(self, target: str) -> str:
        """How this system writes ``target`` (the generator's inverse): the first map entry for it, else the code
        list's description (match ``description``) or the code itself."""
        for source, mapped in self.map.items():
            if mapped == target:
                return source
        if self.match == "description" and self.code_list:
            description = code_list(self.code_list).get(target)
            if description is not None:
                return description
        if self.match == "map":
            raise KeyError(f"vocabulary {self.concept!r} has no source value for {target!r}")
        return target


class Derivation(BaseModel):
    """A contract column the system does not write, filled at load from another table of the same extract:
    ``lookup`` is the table, ``via`` pairs (a column of this table, which may be an extra column the system writes,
    with a column of ``lookup``), ``take`` the column of ``lookup`` whose value fills this one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lookup: str
    via: tuple[str, str]
    take: str


class Allocation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # The product role (of the involvement_role vocabulary) that means "allocated case worker".
    role: str = "allocated_case_worker"
    # A source flag column (an extra column of ssd_involvements, lower case) that must also be Y, where the
    # extract carries it. Without it, the role alone decides and allocation is reported as approximated.
    flag_column: str | None = None


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    ssd_version: str
    database: Literal["mssql", "postgresql"]
    column_renames: dict[str, dict[str, str]] = Field(default_factory=dict)
    absent_columns: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    natural_keys: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    derived_columns: dict[str, Derivation] = Field(default_factory=dict)  # "<table>.<column>" -> how
    # Columns beyond the contract that the system's export writes, after the contract's (lower case): kept in raw
    # ``_extra``; they give a headerless (bcp) file its full column list.
    extra_columns: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    worker_columns: dict[str, WorkerColumnKind] = Field(default_factory=dict)
    # Contract columns the system leaves blank on some records by design ("<table>.<column>"): SystemC writes no
    # professional on a team-only involvement. Such a blank is valid data, not a missing value.
    blank_by_design: tuple[str, ...] = ()
    vocabularies: dict[str, Vocabulary] = Field(default_factory=dict)
    allocation: Allocation = Allocation()

    def renames_for(self, table: str) -> dict[str, str]:
        """Source column name -> contract column name for ``table`` (empty when the system uses the contract's)."""
        return dict(self.column_renames.get(table, {}))

    def source_name(self, table: str, column: str) -> str:
        """The name the system writes for the contract's ``column`` (the generator's inverse of the renames)."""
        for source, target in self.column_renames.get(table, {}).items():
            if target == column:
                return source
        return column

    def file_columns(self, table: Table, ssd_version: str | None = None, *,
                     with_extras: bool = True) -> tuple[str, ...]:
        """The columns of a headerless (bcp) file of ``table`` as this system writes it, in order: the system's
        order for the SSD version (:func:`csc.contract.column_order`), absent columns left out, renamed columns
        under the system's names, then the profile's ``extra_columns`` (``with_extras``). The loader and the
        generator both ask here."""
        from csc.contract import column_order

        columns = [self.source_name(table.name, c) for c in column_order(table, ssd_version, self.name)
                   if not self.is_absent(table.name, c)]
        if with_extras:
            columns += [c for c in self.extra_columns.get(table.name, ()) if c not in columns]
        return tuple(columns)

    def is_absent(self, table: str, column: str) -> bool:
        return column in self.absent_columns.get(table, ())

    def derivation(self, table: str, column: str) -> Derivation | None:
        return self.derived_columns.get(f"{table}.{column}")

    def natural_key(self, table: str) -> tuple[str, ...] | None:
        """The columns that identify a row of ``table`` from night to night, where the SSD's own key cannot."""
        key = self.natural_keys.get(table)
        return tuple(key) if key else None

    def vocabulary(self, concept: str) -> Vocabulary:
        try:
            return self.vocabularies[concept]
        except KeyError:
            raise KeyError(f"profile {self.name!r} has no vocabulary {concept!r}") from None

    def vocabularies_for(self, table: str) -> Iterator[Vocabulary]:
        return (v for v in self.vocabularies.values() if v.table == table)

    def with_vocabulary(self, overrides: Mapping[str, Mapping[str, object]] | None) -> Profile:
        """This profile with an LA's ``vocabulary:`` (config/las.yml) applied: per concept, ``map`` entries are
        added to (and win over) the profile's, and ``match``/``code_list``/``column`` replace the profile's."""
        if not overrides:
            return self
        vocabularies = dict(self.vocabularies)
        for concept, body in overrides.items():
            body = dict(body)
            base = vocabularies.get(concept)
            if base is None:
                vocabularies[concept] = Vocabulary(concept=concept, **body)  # type: ignore[arg-type]
                continue
            merged = base.model_dump()
            extra_map = body.pop("map", None) or {}
            merged.update(body)
            merged["map"] = {**base.map, **{str(k): str(v) for k, v in dict(extra_map).items()}}  # type: ignore[arg-type]
            vocabularies[concept] = Vocabulary(**merged)
        return self.model_copy(update={"vocabularies": vocabularies})


@cache
def code_list(name: str) -> dict[str, str]:
    """Code -> description of one list of the repository's code lists (dbt seed ``code_lists.csv``)."""
    with CODE_LISTS_PATH.open(encoding="utf-8", newline="") as f:
        rows = {row["code"]: row["description"] for row in csv.DictReader(f) if row["code_list"] == name}
    if not rows:
        raise KeyError(f"no code list {name!r} in {CODE_LISTS_PATH}")
    return rows


def available_systems() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yml"))


@cache
def load_profile(name: str | None = None) -> Profile:
    """The profile of source system ``name`` (default: generic), checked against the contract."""
    name = name or DEFAULT_SYSTEM
    path = PROFILES_DIR / f"{name}.yml"
    if not path.is_file():
        raise UnknownSystem(name)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    vocabularies = {concept: Vocabulary(concept=concept, **body)
                    for concept, body in (document.pop("vocabularies", None) or {}).items()}
    profile = Profile(vocabularies=vocabularies, **document)
    if profile.name != name:
        raise ValueError(f"{path}: name {profile.name!r} does not match the file name")
    check_profile(profile, load_contract())
    return profile


def check_profile(profile: Profile, contract: Contract) -> None:
    """Every table and column a profile names must be in the contract (natural keys of tables the contract does
    not hold yet excepted), so that a typo fails loudly when the profile is loaded."""
    where = f"profile {profile.name!r}"
    for table, renames in profile.column_renames.items():
        columns = contract.table(table).column_names
        for source, target in renames.items():
            if target not in columns:
                raise ValueError(f"{where}: {table}.{source} renamed to {target!r}, not a contract column")
    for table, absent in profile.absent_columns.items():
        t = contract.table(table)
        for column in absent:
            if column not in t.column_names:
                raise ValueError(f"{where}: absent column {table}.{column} is not a contract column")
            if t.column(column).required and profile.derivation(table, column) is None:
                raise ValueError(f"{where}: {table}.{column} is required by the contract: absent, it needs a "
                                 "derivation (derived_columns)")
    for qualified, derivation in profile.derived_columns.items():
        table, column = qualified.split(".", 1)
        if column not in contract.table(table).column_names:
            raise ValueError(f"{where}: derived column {qualified} is not a contract column")
        lookup = contract.table(derivation.lookup)
        for name in (derivation.via[1], derivation.take):
            if name not in lookup.column_names:
                raise ValueError(f"{where}: derivation of {qualified}: {derivation.lookup}.{name} is not a column")
    for table, key in profile.natural_keys.items():
        if table in contract.tables:
            missing = [c for c in key if c not in contract.table(table).column_names]
            if missing:
                raise ValueError(f"{where}: natural key of {table} names unknown columns {missing}")
    for qualified in [*profile.worker_columns, *profile.blank_by_design,
                      *(v.column for v in profile.vocabularies.values())]:
        table, column = qualified.split(".", 1)
        if column not in contract.table(table).column_names:
            raise ValueError(f"{where}: {qualified} is not a contract column")
    role = profile.vocabularies.get("involvement_role")
    if role is not None and profile.allocation.role not in role.map.values():
        raise ValueError(f"{where}: no involvement role maps to the allocation role {profile.allocation.role!r}")


def systems_with(convention: Literal["worker_column", "blank_by_design", "derived"], qualified: str) -> list[str]:
    """The source systems whose profile declares ``qualified`` ("<table>.<column>") a worker column (a name or a
    staff id), blank by design, or derived at load: the checks treat those values by the system's convention in
    those systems' batches."""
    out = []
    for name in available_systems():
        profile = load_profile(name)
        declared = {"worker_column": profile.worker_columns, "blank_by_design": profile.blank_by_design,
                    "derived": profile.derived_columns}[convention]
        if qualified in declared:
            out.append(name)
    return out
