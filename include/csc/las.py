"""The LAs this install serves (``config/las.yml``): one nightly DAG each, with its own schedule and recipients.

:func:`la_registry` is the one way to find an LA: ``la_registry(settings).get(code)``. The file is read once per
process and path (again only if it changes on disk, so a long-lived DAG processor sees an edited file).
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

if TYPE_CHECKING:
    from csc.settings import Settings

# Where an LA's targets are when its entry names no file: the targets seed dbt builds (every LA's rows in one file).
DEFAULT_TARGETS = Path("dbt_project/seeds/reference/indicator_targets.csv")
TARGET_COLUMNS = ("la_code", "indicator_id", "effective_from", "target", "amber_threshold", "target_source")


class TargetsFileError(ValueError):
    """A targets file that cannot be used as it is (named file, line and field)."""


@dataclass(frozen=True)
class TargetRow:
    la_code: str
    indicator_id: str
    effective_from: date
    target: Decimal | None
    amber_threshold: Decimal | None
    target_source: str | None


def read_targets_file(path: Path, la_code: str) -> list[TargetRow]:
    """The rows of ``la_code`` in a targets CSV (the columns of the indicator_targets seed), typed and checked."""
    rows = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise TargetsFileError(f"targets file of LA {la_code} not found: {path}") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in TARGET_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise TargetsFileError(f"{path}, line 1: missing column(s) {', '.join(missing)}")
        for row in reader:
            if row["la_code"].strip() != la_code:
                continue
            line = reader.line_num
            field = "effective_from"
            try:
                effective_from = date.fromisoformat(row["effective_from"].strip())
                field = "target"
                target = _number(row["target"])
                field = "amber_threshold"
                amber = _number(row["amber_threshold"])
            except (ValueError, InvalidOperation):
                raise TargetsFileError(f"{path}, line {line}, field {field}: {row[field]!r} is not a "
                                       f"{'date (YYYY-MM-DD)' if field == 'effective_from' else 'number'}") from None
            if not row["indicator_id"].strip():
                raise TargetsFileError(f"{path}, line {line}, field indicator_id: blank")
            rows.append(TargetRow(la_code, row["indicator_id"].strip(), effective_from, target, amber,
                                  (row.get("target_source") or "").strip() or None))
    keys = [(r.indicator_id, r.effective_from) for r in rows]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise TargetsFileError(f"{path}: LA {la_code} has more than one target for "
                               + ", ".join(f"{i} from {d}" for i, d in duplicates))
    return rows


POPULATION_COLUMNS = ("year", "population_0_17")


def read_population_file(path: Path, la_code: str) -> list[tuple[str, int, int]]:
    """An LA's ONS mid-year population aged 0-17 by year (``population:`` in las.yml): (la_code, year, population)
    rows, checked. Columns year and population_0_17; an la_code column, if present, must be the LA's on every row.
    Errors name the file, line and field."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise TargetsFileError(f"population file of LA {la_code} not found: {path}") from None
    rows: dict[int, tuple[str, int, int]] = {}
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in POPULATION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise TargetsFileError(f"{path}, line 1: missing column(s) {', '.join(missing)} (the columns are year, "
                                   "population_0_17 and, optionally, la_code)")
        for row in reader:
            line = reader.line_num
            if "la_code" in row and (row["la_code"] or "").strip() not in ("", la_code):
                raise TargetsFileError(f"{path}, line {line}, field la_code: {row['la_code']!r} is not LA {la_code}")
            values = {}
            for name in POPULATION_COLUMNS:
                text = (row.get(name) or "").strip().replace(",", "")
                if not text.isdigit() or (name == "year" and not 1900 < int(text) < 2200):
                    raise TargetsFileError(f"{path}, line {line}, field {name}: {row.get(name)!r} is not a "
                                           f"{'year' if name == 'year' else 'whole number of children'}")
                values[name] = int(text)
            if values["year"] in rows:
                raise TargetsFileError(f"{path}, line {line}, field year: {values['year']} is given twice")
            rows[values["year"]] = (la_code, values["year"], values["population_0_17"])
    if not rows:
        raise TargetsFileError(f"{path}: no population rows for LA {la_code}")
    return sorted(rows.values())


def _number(text: str) -> Decimal | None:
    text = text.strip()
    return Decimal(text) if text else None


class Recipients(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    data_quality: tuple[EmailStr, ...] = ()
    failures: tuple[EmailStr, ...] = ()


class ExportFormat(BaseModel):
    """How the LA's export job writes its extract (README: "Bringing your own SSD: export dialects")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # csv: RFC 4180 with a header; ssms: header, unquoted, literal NULL as null; bcp: no header, unquoted, NUL bytes
    # for empty strings, columns in the profile's order for the declared ssd_version. None: csv, or bcp where a
    # file's first line is unmistakably not a header (csc.ingest.dialects.detect).
    dialect: Literal["csv", "ssms", "bcp"] | None = None
    delimiter: str | None = None  # default: "," for csv, tab for ssms and bcp
    # required: manifest.json (written last) says the extract is complete and describes every file. optional: an
    # extract without one is accepted once the export job has written ``marker``; counts and checksums are then
    # computed and recorded, not verified.
    manifest: Literal["required", "optional"] = "required"
    marker: str = Field(default="READY", pattern=r"^[^/\\]+$")
    # The SSD version the export follows, when no manifest says it (bcp's column order depends on it).
    ssd_version: str | None = None

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 1 or value in "\r\n\"\0"):
            raise ValueError("delimiter must be one character other than a quote, NUL or a line break")
        return value

    def ready_marker(self) -> str | None:
        """The completion marker the nightly wait looks for when the extract may come without a manifest."""
        return self.marker if self.manifest == "optional" else None


class Retention(BaseModel):
    """Days each local store keeps this LA's files (``csc purge``, csc.retention). Unset: the install's default
    (``CSC_<STORE>_RETENTION_DAYS``, csc.settings). docs/DATA_PROTECTION.md says what each store holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    archive: int | None = Field(default=None, ge=0)  # loaded extracts (zips)
    quarantine: int | None = Field(default=None, ge=1)  # refused extracts
    dq_reports: int | None = Field(default=None, ge=1)  # data-quality reports, and the failing keys kept in ops
    returns: int | None = Field(default=None, ge=1)  # quarterly returns
    outbox: int | None = Field(default=None, ge=1)  # alert e-mails written as .eml files
    logs: int | None = Field(default=None, ge=1)  # Airflow task logs and csc logs of the LA's runs


class SourceDatabase(BaseModel):
    """The LA's reporting database, read each night by ``csc extract`` (README: "Reading the SSD from the LA's
    reporting database"). The credentials are in the Airflow connection, never here."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    # Airflow connection id: AIRFLOW_CONN_<ID> in the environment, or the Airflow UI (metadata database).
    connection: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    # Schema of the SSD tables (default: the login's default, dbo on SQL Server, public on PostgreSQL).
    db_schema: str | None = Field(default=None, alias="schema", pattern=r"^[A-Za-z0-9_]+$")
    # Read hr_workers and hr_establishment (views the LA provides) from the same database.
    hr: bool = True
    # A query whose first value is true once the night's SSD rebuild has finished (none: no check).
    ready_query: str | None = None
    ready_wait: timedelta = timedelta(hours=2)
    ready_poll: timedelta = timedelta(minutes=1)
    # Attempts when the rebuild interferes with the snapshot (SQL Server error 3961, a table truncated meanwhile).
    attempts: int = Field(default=3, ge=1, le=20)
    # PostgreSQL: connections reading tables at once, all in the same snapshot (SQL Server: always one).
    parallel: int = Field(default=2, ge=1, le=8)
    retry_wait: timedelta = timedelta(minutes=5)


def export_format(las_config: Path, la_code: str | None) -> ExportFormat:
    """How LA ``la_code``'s export job writes its extract (``export:``); the defaults for an LA not configured."""
    if la_code is not None and Path(las_config).exists():
        registry = la_registry(Path(las_config))
        if la_code in registry:
            return registry.get(la_code).export
    return ExportFormat()


class LocalAuthority(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[0-9A-Za-z]{1,10}$")
    name: str
    landing: Path | None = None
    schedule: str = "30 2 * * *"
    timezone: str = "Europe/London"
    # The nightly run must have finished by this local time on the morning after the extract date.
    deadline: time = time(7, 0)
    # How long the nightly run waits for the extract before it gives up and alerts the data engineers.
    extract_wait: timedelta = timedelta(hours=6)
    # The first night the nightly DAG processes: catch-up (backfill) runs start here, never earlier.
    start_date: date = date(2026, 1, 1)
    # The LA's indicator targets and RAG thresholds (CSV, the columns of the indicator_targets seed). Relative paths
    # are relative to the repository. Default: the seed dbt builds, which holds every LA's rows.
    targets: Path = DEFAULT_TARGETS
    alerts: Recipients = Recipients()
    # How the LA's export job writes the extract (dialect, delimiter, manifest or completion marker).
    export: ExportFormat = ExportFormat()
    # How long each local store keeps this LA's files (``retention:``; csc.retention).
    retention: Retention = Retention()
    # The case-management system whose SSD deployment writes the extract: a profile of csc.contract.profiles
    # (generic, systemc, mosaic, eclipse). None: the manifest's source_system when it names one, else generic.
    system: str | None = None
    # The LA's additions to its profile's vocabulary maps, per concept (csc.contract.profiles.Profile.with_vocabulary):
    # e.g. {involvement_role: {map: {SWK: allocated_case_worker}}}.
    vocabulary: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # ONS mid-year population estimates of the LA's children (0-17) by year: a CSV with columns year and
    # population_0_17 (csc.quality.reference). Relative paths are relative to the repository.
    population: Path | None = None
    # The LA's identity in national data: its ONS code (E06/E08/E09/E10 and six digits, one of the upper-tier LAs in
    # include/csc/reference/english_las.csv; the DfE validators' LA rules need it) and its three-digit DfE LA number
    # (the CIN census's LEA). None: not known (the validators'
    # LA rules then fail, and the CIN census carries the LA's ``code``).
    ons_code: str | None = Field(default=None, pattern=r"^E(06|08|09|10)[0-9]{6}$")
    dfe_code: str | None = Field(default=None, pattern=r"^[0-9]{3}$")
    # Nightly return readiness (csc.statutory.readiness) after each publication; also CSC_STATUTORY_READINESS.
    statutory_readiness: bool = True
    # The region whose LAs this warehouse pools (issue 14, "Regional pooling"): the LAs naming the same region are
    # compared side by side, with regional totals, in marts.regional_indicator_comparison, which the region's
    # analysts read (csc bi add-login NAME --region REGION). None: the LA is in no region.
    region: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,39}$")

    @field_validator("ons_code")
    @classmethod
    def _known_ons_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from csc.reference.english_las import TARGET, read

        if value not in read():
            raise ValueError(f"ons_code {value} is not an English LA with children's social care duties (upper tier) "
                             f"in {TARGET.name}")
        return value

    @field_validator("system")
    @classmethod
    def _known_system(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from csc.contract.profiles import UnknownSystem, available_systems

        if value not in available_systems():
            raise ValueError(str(UnknownSystem(value)))
        return value

    @model_validator(mode="after")
    def _vocabulary_applies(self) -> LocalAuthority:
        if self.vocabulary:
            self.profile()  # an override naming no column, or a bad match, fails when the file is read
        return self

    def profile(self, system: str | None = None):
        """The source-system profile of this LA's extracts (``system``, else its own ``system:``, else generic),
        with its ``vocabulary:`` applied."""
        from csc.contract.profiles import load_profile

        return load_profile(system or self.system).with_vocabulary(self.vocabulary)

    def population_path(self, project_root: Path) -> Path | None:
        if self.population is None:
            return None
        return self.population if self.population.is_absolute() else project_root / self.population

    def read_population(self, project_root: Path) -> list[tuple[str, int, int]]:
        """This LA's population rows from its ``population:`` file (none when it names no file)."""
        path = self.population_path(project_root)
        return read_population_file(path, self.code) if path is not None else []


    # The LA's reporting database, when the nightly run reads the SSD from it instead of waiting for a file.
    source: SourceDatabase | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("extract_wait")
    @classmethod
    def _positive_wait(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("extract_wait must be positive")
        return value

    def landing_dir(self, landing_root: Path) -> Path:
        return self.landing or landing_root / self.code

    def deadline_for(self, extract_date: date) -> datetime:
        """When the run of ``extract_date`` must have finished: ``deadline`` local time on the following day."""
        return datetime.combine(extract_date + timedelta(days=1), self.deadline, tzinfo=ZoneInfo(self.timezone))

    def targets_path(self, project_root: Path) -> Path:
        return self.targets if self.targets.is_absolute() else project_root / self.targets

    def read_targets(self, project_root: Path) -> list[TargetRow]:
        """This LA's rows of its targets file, typed and checked (errors name the file, line and field)."""
        return read_targets_file(self.targets_path(project_root), self.code)


def load_las(path: Path) -> list[LocalAuthority]:
    """Read and validate the LA configuration. Errors name the file and the offending entry."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise FileNotFoundError(f"LA configuration not found: {path}") from None
    las = []
    for index, entry in enumerate(document.get("las", [])):
        try:
            las.append(LocalAuthority.model_validate(entry))
        except ValueError as exc:
            raise ValueError(f"{path}: entry {index + 1} of 'las' is invalid: {exc}") from None
    codes = [la.code for la in las]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValueError(f"{path}: LA codes listed more than once: {', '.join(duplicates)}")
    regions = [la.region for la in las if la.region is not None]
    alone = sorted({r for r in regions if regions.count(r) == 1})
    if alone:
        raise ValueError(f"{path}: a region pools several LAs, but only one LA names region(s) {', '.join(alone)}")
    return las


class UnknownLA(KeyError):
    """An LA code that the LA configuration does not list (the message names the file and the codes it lists)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class LARegistry:
    """The configured LAs, by code, in the order of the file."""

    def __init__(self, path: Path, las: list[LocalAuthority]) -> None:
        self.path = path
        self._by_code = {la.code: la for la in las}

    def get(self, code: str) -> LocalAuthority:
        """The LA ``code``; :class:`UnknownLA` naming the file if it is not configured."""
        try:
            return self._by_code[str(code)]
        except KeyError:
            listed = ", ".join(self._by_code) or "none"
            raise UnknownLA(f"LA {code!r} is not configured in {self.path} (configured: {listed})") from None

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[LocalAuthority]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    @property
    def codes(self) -> list[str]:
        return list(self._by_code)

    def regions(self) -> dict[str, list[str]]:
        """Each region (``region:``) with the codes of its LAs, in the order of the file."""
        regions: dict[str, list[str]] = {}
        for la in self._by_code.values():
            if la.region is not None:
                regions.setdefault(la.region, []).append(la.code)
        return regions


_registries: dict[Path, tuple[tuple[int, int], LARegistry]] = {}
_registries_lock = threading.Lock()


def la_registry(source: Settings | Path | None = None) -> LARegistry:
    """The LA registry of ``settings.las_config`` (or of a path): read and validated once per process and path."""
    if source is None:
        from csc.settings import get_settings

        source = get_settings()
    path = Path(source if isinstance(source, str | Path) else source.las_config).expanduser().resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"LA configuration not found: {path}") from None
    version = (stat.st_mtime_ns, stat.st_size)
    with _registries_lock:
        cached = _registries.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
        registry = LARegistry(path, load_las(path))
        _registries[path] = (version, registry)
        return registry


def identity_codes(source: Settings | Path | None, la_code: str) -> tuple[str | None, str | None]:
    """(ONS code, DfE LA number) of LA ``la_code`` from its ``ons_code:`` and ``dfe_code:``; None for what is not
    configured (also for an LA the file does not list, or no file)."""
    try:
        registry = la_registry(source)
    except FileNotFoundError:
        return None, None
    if la_code not in registry:
        return None, None
    la = registry.get(la_code)
    return la.ons_code, la.dfe_code
