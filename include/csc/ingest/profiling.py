"""``csc profile``: what a real extract would do, without loading it (a dry run in Python: nothing is written).

Onboarding an LA starts here. Given an extract folder (or zip), a source-system profile and an export dialect, it
reports:

- the tables and columns found, beyond the contract (extra: kept or recorded at load) and short of it (missing:
  refused when required, empty when optional or when the profile says the system never writes them);
- per vocabulary column of the profile, the values no map knows, with their counts (``Vocabulary.translate``);
- worker columns that hold names or staff ids instead of professional ids;
- what the loader would refuse (field counts, dates, duplicate keys) and the structural data-quality rules that
  would fail (required values, id formats, codes, flags, references, outcome JSON), with their severities from the
  rule catalogue: the checks that need the whole warehouse (timelines, allocation) run after a real load;
- the indicators that would be "not available" (no HR extract, no population).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from csc.contract import Contract, Table, load_contract
from csc.contract.profiles import Profile, code_list, load_profile, normalise
from csc.ingest.dates import is_date
from csc.ingest.dialects import Dialect, detect, dialect, is_dash_line, sniff_encoding
from csc.ingest.shape import read_extra_table, system_named
from csc.ingest.source import MANIFEST, ExtractSource, FolderSource, ZipSource

ID_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,48}$")
_OUTCOME_PAIR = re.compile(r'"([A-Z][A-Z0-9_]*)"\s*:\s*(?:"([^"\\]{0,10})"|([0-9]{1,9})\b)')
_NAME = re.compile(r"^[^\W\d_]+([ '.-]+[^\W\d_]+)+$")
SAMPLE = 10  # values shown per finding


@dataclass
class Finding:
    rule_id: str
    records: int
    detail: str
    severity: str = "?"


@dataclass
class TableReport:
    table: str
    rows: int = 0
    renamed: dict[str, str] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # column -> absent | derived | optional | required


@dataclass
class ExtractReport:
    path: Path
    system: str
    dialect: str
    la_code: str | None
    tables: dict[str, TableReport] = field(default_factory=dict)
    extra_tables: list[tuple[str, tuple[str, ...] | None, int]] = field(default_factory=list)
    missing_tables: dict[str, str] = field(default_factory=dict)  # table -> optional | required
    unmapped: list[tuple[str, str, str, int]] = field(default_factory=list)  # concept, table.column, value, count
    worker_columns: dict[str, Counter] = field(default_factory=dict)  # table.column -> kind -> values
    refusals: list[str] = field(default_factory=list)
    failing: list[Finding] = field(default_factory=list)
    not_available: list[tuple[str, str]] = field(default_factory=list)  # indicator, reason

    @property
    def would_load(self) -> bool:
        return not self.refusals


def open_any(path: Path) -> ExtractSource:
    """The extract at ``path`` (a folder or a zip), wherever it is: a dry run reads, it never moves anything."""
    path = path.resolve()
    return ZipSource(path, path.parent) if path.is_file() else FolderSource(path, path.parent)


def profile_extract(path: Path, *, system: str | None = None, dialect_name: str | None = None,
                    delimiter: str | None = None, population: Path | None = None,
                    project_root: Path | None = None, vocabulary: dict | None = None) -> ExtractReport:
    """Read the extract at ``path`` as the loader would, and report what loading and checking it would do.
    ``vocabulary``: an LA's additions to the profile's maps (``vocabulary:`` in las.yml)."""
    contract = load_contract()
    with open_any(path) as source:
        manifest = _manifest(source)
        chosen_system = system or system_named(manifest.get("source_system")) or "generic"
        profile = load_profile(chosen_system).with_vocabulary(vocabulary)
        chosen = _choose_dialect(source, contract, dialect_name, delimiter)
        report = ExtractReport(path, profile.name, chosen.describe, manifest.get("la_code"))
        tables: dict[str, list[dict[str, str | None]]] = {}
        for name in sorted(source.names):
            if name in (MANIFEST, "READY") or not name.endswith(".csv"):
                continue
            table_name = name[:-4]
            if table_name not in contract.tables:
                columns, rows, _, _ = read_extra_table(source, name, chosen)
                report.extra_tables.append((table_name, columns, rows))
                continue
            table = contract.table(table_name)
            tables[table_name] = _read_table(source, table, chosen, profile, report, manifest.get("ssd_version"))
        for table in contract:
            if table.name not in tables:
                report.missing_tables[table.name] = "optional" if table.optional else "required"
                if not table.optional:
                    report.refusals.append(f"missing_table: no {table.file_name}")
        _vocabularies(profile, tables, report)
        _workers(contract, profile, tables, report)
        _structural_rules(contract, profile, tables, report)
        _not_available(report, tables, population, project_root)
    _severities(report)
    return report


# -- reading ----------------------------------------------------------------------------------------------------------
def _manifest(source: ExtractSource) -> dict:
    if MANIFEST not in source.names:
        return {}
    with source.open(MANIFEST) as stream:
        try:
            document = json.loads(stream.read().decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            return {}
    return document if isinstance(document, dict) else {}


def _choose_dialect(source: ExtractSource, contract: Contract, name: str | None, delimiter: str | None) -> Dialect:
    if name is not None:
        return dialect(name, delimiter)
    for table in contract:
        if table.file_name in source.names:
            with source.open(table.file_name) as stream:
                head = stream.read(64 << 10)
            encoding, bom = sniff_encoding(head, "utf-8")
            codec = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
            first = head[bom:].decode(codec, errors="replace").split("\n", 1)[0]
            found = detect(first.encode("utf-8"), table)
            if found is not None:
                return found
    return dialect("csv")


def _lines(source: ExtractSource, name: str) -> Iterator[str]:
    with source.open(name) as stream:
        head = stream.read(4)
    encoding, _ = sniff_encoding(head, "utf-8")
    codec = "utf-16" if encoding.startswith("utf-16") else "utf-8-sig"
    with source.open(name) as stream:
        text = io.TextIOWrapper(io.BufferedReader(stream, 1 << 20), encoding=codec, errors="replace", newline="")
        yield from text


def _read_table(source: ExtractSource, table: Table, chosen: Dialect, profile: Profile, report: ExtractReport,
                ssd_version: str | None) -> list[dict[str, str | None]]:
    """The file's records as contract column -> value (None for null); extras under their own names."""
    found = TableReport(table.name)
    report.tables[table.name] = found
    lines = _lines(source, table.file_name)
    if chosen.quoted:
        records: Iterator[list[str]] = csv.reader(lines, delimiter=chosen.delimiter, strict=False)
    else:
        records = (line.rstrip("\r\n").split(chosen.delimiter) for line in lines if line.strip("\r\n"))
    if chosen.header:
        header = next(records, None)
        if header is None:
            report.refusals.append(f"empty_file: {table.file_name} has no header")
            return []
        header = [h.replace("\0", "").strip().lower() for h in header]
    else:
        header = list(profile.file_columns(table, ssd_version))
    renames = profile.renames_for(table.name)
    aliases = {alias: c.name for c in table.columns for alias in c.aliases}
    names = []
    for written in header:
        name = aliases.get(renames.get(written, written), renames.get(written, written))
        if name != written:
            found.renamed[written] = name
        names.append(name)
    found.extra_columns = [n for n in names if n not in table.column_names]
    for column in table.columns:
        if column.name in names:
            continue
        if profile.derivation(table.name, column.name):
            found.missing[column.name] = "derived"
        elif profile.is_absent(table.name, column.name):
            found.missing[column.name] = "absent"
        elif column.required:
            found.missing[column.name] = "required"
            report.refusals.append(f"missing_required_column: {table.file_name} has no {column.name} (needed by "
                                   f"{column.needed_by})")
        else:
            found.missing[column.name] = "optional"
    rows: list[dict[str, str | None]] = []
    width = len(names)
    wrong = 0
    line = 1 if chosen.header else 0
    for fields in records:
        line += 1
        if not chosen.quoted and line == 2 and chosen.header and is_dash_line(chosen.delimiter.join(fields)):
            continue
        if len(fields) != width:
            if wrong == 0:
                report.refusals.append(f"wrong_field_count: {table.file_name}, line {line}: {len(fields)} fields "
                                       f"where {width} are expected")
            wrong += 1
            continue
        record: dict[str, str | None] = {}
        for name, value in zip(names, fields, strict=True):
            if chosen.nul_is_empty:
                value = value.replace("\0", "")
            record[name] = None if value == "" or (chosen.null_text and value == chosen.null_text) else value
        rows.append(record)
    found.rows = len(rows)
    return rows


# -- what the profile maps --------------------------------------------------------------------------------------------
def _vocabularies(profile: Profile, tables: dict[str, list[dict]], report: ExtractReport) -> None:
    for vocabulary in profile.vocabularies.values():
        rows = tables.get(vocabulary.table)
        if not rows:
            continue
        unknown = Counter(r[vocabulary.column_name].strip() for r in rows
                          if r.get(vocabulary.column_name) and vocabulary.translate(r[vocabulary.column_name]) is None)
        for value, count in unknown.most_common():
            report.unmapped.append((vocabulary.concept, vocabulary.column, value, count))


def _workers(contract: Contract, profile: Profile, tables: dict[str, list[dict]], report: ExtractReport) -> None:
    """Each worker column's values: professional ids, staff ids, names, or none of these."""
    professionals = tables.get("ssd_professionals") or []
    ids = {r["prof_professional_id"].strip() for r in professionals if r.get("prof_professional_id")}
    staff = {r["prof_staff_id"].strip() for r in professionals if r.get("prof_staff_id")}
    for table in contract:
        if table.name not in tables:
            continue
        for column in table.columns:
            qualified = f"{table.name}.{column.name}"
            if column.identifies != "worker" or column.name in table.primary_key or table.source == "hr":
                continue
            kinds: Counter = Counter()
            for row in tables[table.name]:
                value = (row.get(column.name) or "").strip()
                if not value:
                    continue
                kinds["professional id" if value in ids else "staff id" if value in staff
                      else "name" if _NAME.match(value) else "unmatched"] += 1
            if kinds and (set(kinds) - {"professional id"} or qualified in profile.worker_columns):
                report.worker_columns[qualified] = kinds


# -- the structural rules ---------------------------------------------------------------------------------------------
def outcome_flags(value: str | None) -> dict[str, str] | None:
    """The Python twin of ``ops.outcome_json`` (rules.sql): the object, or its recovered pairs, or None."""
    if value is None or not value.strip():
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        pairs: dict[str, str] = {}
        for key, text, number in _OUTCOME_PAIR.findall(value):
            pairs.setdefault(key, text if text or not number else number)
        return pairs or None
    return parsed if isinstance(parsed, dict) else None


def _structural_rules(contract: Contract, profile: Profile, tables: dict[str, list[dict]],
                      report: ExtractReport) -> None:
    def fail(rule_id: str, bad: list[str], detail: str) -> None:
        if bad:
            shown = ", ".join(repr(v) for v in list(dict.fromkeys(bad))[:SAMPLE])
            report.failing.append(Finding(rule_id, len(bad), f"{detail}: {shown}"))

    for table in contract:
        rows = tables.get(table.name)
        if rows is None:
            continue
        present = report.tables[table.name]
        for column in table.columns:
            if column.name in present.missing:
                continue
            values = [r.get(column.name) for r in rows]
            written = [v for v in values if v is not None and v.strip()]
            key = f"{table.name}.{column.name}"
            if column.required and len(written) < len(values):
                report.failing.append(Finding(f"STR_REQUIRED.{key}", len(values) - len(written), "blank values"))
            if column.type == "id" and column.name not in ("worker_id",):
                fail(f"STR_ID_FORMAT.{key}", [v for v in written if not ID_FORMAT.match(v.strip())],
                     "not an id of letters, digits, '_' or '-' (at most 48)")
            if column.type == "datetime":
                bad = [v for v in written if not is_date(v.strip().encode("utf-8"))]
                if bad:
                    report.refusals.append(f"bad_date: {table.file_name}, column {column.name}: {bad[0]!r} is not "
                                           f"a date ({len(bad)} values)")
            if column.type == "flag":
                fail(f"CODE_FLAG.{key}", [v for v in written if v.strip().upper() not in ("Y", "N")], "not Y or N")
            if column.type == "json" and not column.code_list:
                fail(f"STR_JSON.{key}", [v[:60] for v in written if outcome_flags(v) is None],
                     "an outcome object from which no flag can be read")
            if column.code_list and column.type != "json":
                vocabulary = next((v for v in profile.vocabularies.values() if v.column == key), None)
                if vocabulary is not None:
                    bad = [v for v in written if vocabulary.translate(v) is None]
                else:
                    codes = {normalise(c) for c in code_list(column.code_list)}
                    bad = [v for v in written if normalise(v) not in codes]
                fail(f"CODE.{key}", bad, f"not a {column.code_list} code")
        if all(k in (rows[0] if rows else {}) for k in table.primary_key) and rows:
            keys = Counter(tuple(r.get(k) for k in table.primary_key) for r in rows)
            duplicates = [k for k, n in keys.items() if n > 1 and all(k)]
            if duplicates:
                report.refusals.append(f"duplicate_primary_key: {table.file_name}: {len(duplicates)} keys repeated, "
                                       f"e.g. {'|'.join(duplicates[0])}")
            blank_keyed = sum(n for k, n in keys.items() if not all(k))
            natural = profile.natural_key(table.name)
            if blank_keyed and not natural:
                report.failing.append(Finding(f"STR_PK_UNIQUE.{table.name}", blank_keyed, "records with a blank key"))
        for fk in table.foreign_keys:
            target = tables.get(fk.table)
            if target is None or fk.column in present.missing:
                continue
            known = {(r.get(fk.referenced_column) or "").strip() for r in target}
            orphans = [r[fk.column] for r in rows if r.get(fk.column) and r[fk.column].strip() not in known]
            fail(f"REF.{table.name}.{fk.column}", orphans, f"no {fk.references}")


def _not_available(report: ExtractReport, tables: dict[str, list[dict]], population: Path | None,
                   project_root: Path | None) -> None:
    root = project_root or Path(__file__).resolve().parents[3]
    catalogue = root / "dbt_project" / "seeds" / "reference" / "indicator_catalogue.csv"
    with catalogue.open(encoding="utf-8", newline="") as f:
        indicators = list(csv.DictReader(f))
    no_hr = not tables.get("hr_workers") or not tables.get("hr_establishment")
    populations = [root / "dbt_project" / "seeds" / "reference" / "la_population.csv"]
    if population is not None:
        populations.append(population)
    has_population = False
    for path in populations:
        if path.exists() and report.la_code:
            with path.open(encoding="utf-8-sig", newline="") as f:
                has_population |= any((r.get("la_code") or report.la_code).strip() == report.la_code
                                      and (r.get("population_0_17") or "").strip() for r in csv.DictReader(f))
    for indicator in indicators:
        if no_hr and indicator["indicator_id"].startswith("WF_"):
            report.not_available.append((indicator["indicator_id"], "no_hr_extract"))
        elif indicator["denominator_basis"] == "population" and not has_population:
            report.not_available.append((indicator["indicator_id"], "no_population"))


def _severities(report: ExtractReport) -> None:
    """Each finding's severity as the rule catalogue sets it (``?`` for a rule it does not expand to)."""
    from csc.quality.catalogue import load_catalogue
    from csc.settings import get_settings

    by_id = load_catalogue(get_settings()).by_id
    for finding in report.failing:
        rule = by_id.get(finding.rule_id)
        if rule is not None:
            finding.severity = rule.severity if rule.kind == "fault" else "exception"


def render(report: ExtractReport) -> str:
    """The report as text, for the terminal."""
    out = [f"{report.path}: read as {report.dialect}, with the {report.system} profile"
           + (f" (LA {report.la_code})" if report.la_code else ""), ""]
    out.append("Tables")
    for name, table in report.tables.items():
        notes = []
        if table.renamed:
            notes.append("renamed " + ", ".join(f"{a} -> {b}" for a, b in table.renamed.items()))
        if table.extra_columns:
            notes.append("extra " + ", ".join(table.extra_columns))
        for kind in ("required", "optional", "absent", "derived"):
            columns = [c for c, k in table.missing.items() if k == kind]
            if columns:
                notes.append(f"missing ({kind}) " + ", ".join(columns))
        out.append(f"  {name:<28} {table.rows:>9,} rows" + (f"  {'; '.join(notes)}" if notes else ""))
    for name, columns, rows in report.extra_tables:
        shape = f"{len(columns)} columns" if columns is not None else "no header"
        out.append(f"  {name:<28} {rows:>9,} rows  extra table ({shape}): recorded, not loaded")
    for name, kind in report.missing_tables.items():
        out.append(f"  {name:<28}         -  missing ({kind})")
    out += ["", "Unmapped codes (vocabulary, column, value, records)"]
    out += [f"  {concept:<22} {column:<48} {value!r}: {count:,}" for concept, column, value, count in report.unmapped]
    if not report.unmapped:
        out.append("  none")
    out += ["", "Worker columns (values by what they match)"]
    for column, kinds in report.worker_columns.items():
        out.append(f"  {column:<48} " + ", ".join(f"{k} {n:,}" for k, n in kinds.most_common()))
    if not report.worker_columns:
        out.append("  every worker value is a professional id")
    out += ["", "The loader would refuse" if report.refusals else "The loader would accept the extract"]
    out += [f"  {line}" for line in report.refusals]
    out += ["", "Rules that would fail (severity, rule, records: detail)"]
    order = {"block": 0, "warn": 1, "exception": 2, "?": 3}
    for finding in sorted(report.failing, key=lambda f: (order.get(f.severity, 3), f.rule_id)):
        out.append(f"  {finding.severity:<9} {finding.rule_id}  {finding.records:,}: {finding.detail}")
    if not report.failing:
        out.append("  none of the structural rules")
    out += ["", "Indicators not available"]
    out += [f"  {indicator}: {reason}" for indicator, reason in report.not_available] or ["  none"]
    return "\n".join(out) + "\n"
