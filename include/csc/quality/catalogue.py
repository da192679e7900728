"""The rule catalogue (``expectations/catalogue.yml``): load it, expand its templates from the extract contract, render
each rule's SQL for one batch.

Kept free of Great Expectations so that the catalogue can be listed, validated and unit-tested without the 7-11 s
GX import.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import jinja2
import yaml

from csc.contract import Contract, Table, load_contract
from csc.settings import PROJECT_ROOT, Settings

CATALOGUE_PATH = PROJECT_ROOT / "expectations" / "catalogue.yml"

Family = Literal["structure", "codes", "referential_integrity", "timelines", "allocation", "timeliness",
                 "volume_freshness"]
Expectation = Literal["not_null", "unique", "regex", "row_count_between", "unexpected_rows"]
BUILT_IN: frozenset[str] = frozenset({"not_null", "unique", "regex", "row_count_between"})
ID_PATTERN = re.compile(r"^[A-Z0-9_]+(\.[a-z0-9_]+){0,2}$")


class CatalogueError(ValueError):
    """The catalogue is inconsistent (unknown table, duplicate id...): fails loudly at load time."""


@dataclass(frozen=True)
class Rule:
    """One data-quality rule, expanded and ready to be turned into a GX expectation."""

    id: str
    family: str
    kind: Literal["fault", "exception"]
    severity: Literal["block", "warn"]
    description: str
    why: str
    tables: tuple[str, ...]
    covers: tuple[str, ...]
    expectation: str
    subject: Literal["record", "batch"] = "record"
    reference: str | None = None
    column: str | None = None
    columns: tuple[str, ...] = ()
    regex: str | None = None
    sql_template: str | None = None
    requires_previous: bool = False
    inputs_any: bool = False  # ``inputs: any``: applies to a batch holding any one of its tables
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def table(self) -> str:
        """The table the rule is about: its GX data asset, and where its failing records mostly are."""
        return self.tables[0]

    @property
    def built_in(self) -> bool:
        return self.expectation in BUILT_IN

    @property
    def blocks(self) -> bool:
        return self.kind == "fault" and self.severity == "block"


@dataclass(frozen=True)
class BatchContext:
    """What a rule's SQL needs to know about the batch under check."""

    batch_id: int
    extract_date: date
    previous_batch_id: int | None = None
    expected_extract_date: date | None = None
    timezone: str = "Europe/London"
    work_prefix: str = ""  # the run's work tables of this batch: ops.<work_prefix><table> (see csc.quality.work)
    # a batch of imported returns: the kinds it combines and the contract tables they cannot hold
    # (csc.imports.validation.tables_not_held); empty for an extract
    return_kinds: tuple[str, ...] = ()
    not_held: frozenset[str] = frozenset()

    def not_applicable(self, rule: Rule) -> str | None:
        """Why ``rule`` does not apply to a returns batch: it reads a table no return of the batch can hold (a rule
        with ``inputs: any``: none of its tables held). None when it applies."""
        inputs = [*rule.tables, *([rule.params["ref_table"]] if rule.params.get("ref_table") else [])]
        missing = [t for t in dict.fromkeys(inputs) if t in self.not_held]
        if not missing or (rule.inputs_any and len(missing) < len(rule.tables)):
            return None
        return (f"not applicable: a batch of imported returns ({', '.join(self.return_kinds) or 'none'}) holds no "
                f"{', '.join(missing)}")

    def work_table(self, table: str) -> str:
        """The run's work relation holding this batch's rows of a raw table (or of an ``ops.`` table)."""
        name = f"ops_{table.removeprefix('ops.')}" if table.startswith("ops.") else table
        return f"ops.{self.work_prefix}{name}"


class Catalogue:
    """The expanded rule list plus what is needed to render it (macros, measures, settings)."""

    def __init__(self, rules: list[Rule], macros: str, measures: dict[str, str], families: dict[str, dict],
                 settings: Settings, contract: Contract):
        self.rules = rules
        self.macros = macros
        self.measures = measures
        self.families = families
        self.settings = settings
        self.contract = contract
        self._env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self._compiled: dict[str, jinja2.Template] = {}

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    @cached_property
    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def family_title(self, family: str) -> str:
        info = self.families[family]
        return f"{info['number']}. {info['title']}"

    # --- SQL ---------------------------------------------------------------------------------------------------
    def render(self, template: str, ctx: BatchContext, **params: Any) -> str:
        """Render a SQL template for one batch. ``{batch}`` is left for Great Expectations to substitute."""
        values = {
            "d": _date_literal(ctx.extract_date),
            "batch_id": ctx.batch_id,
            "previous_batch_id": ctx.previous_batch_id if ctx.previous_batch_id is not None else "null",
            "expected_date": _date_literal(ctx.expected_extract_date),
            "timezone": ctx.timezone,
            "cfg": self.settings,
            # Optional tables (the HR files) may be missing: the loader records that, and the indicators that need
            # them are "not available" (STR_TABLES_PRESENT asks only for the others).
            "contract_tables": [t.name for t in self.contract if not t.optional],
            "batch_of": lambda table: self._batch_of(table, ctx),
            "key": lambda table, alias: record_key_sql(self.contract.table(table), alias),
            **params,
        }
        try:
            compiled = self._compiled.get(template)
            if compiled is None:
                compiled = self._compiled[template] = self._env.from_string(self.macros + template)
            return compiled.render(values).strip()
        except jinja2.TemplateError as exc:
            raise CatalogueError(f"cannot render SQL ({exc}): {template[:120]}...") from exc

    def rule_sql(self, rule: Rule, ctx: BatchContext) -> str:
        """The rule's unexpected-rows query for Great Expectations: braces other than ``{batch}`` doubled."""
        if rule.sql_template is None:
            raise CatalogueError(f"rule {rule.id} is a built-in expectation and has no SQL")
        rendered = self.render(rule.sql_template, ctx, **rule.params)
        if "{batch}" not in rendered:
            raise CatalogueError(f"rule {rule.id}: its query must read {rule.table} through {{batch}} (the batch)")
        # GX substitutes ``{batch}`` with "(<asset query>) AS subselect": wrapped once more, the rule can alias it.
        return escape_braces(rendered).replace("{batch}", "(select * from {batch})")

    def measure_sql(self, name: str, ctx: BatchContext) -> str:
        return self.render(self.measures[name], ctx)

    def _batch_of(self, table: str, ctx: BatchContext) -> str:
        self.contract.table(table)  # an unknown table fails here, naming it
        return ctx.work_table(table)


def _date_literal(value: date | None) -> str:
    return f"date '{value.isoformat()}'" if value else "null::date"


def escape_braces(sql: str) -> str:
    """Great Expectations formats the query with ``{batch}``: every other brace (regex quantifiers) is doubled."""
    return sql.replace("{", "{{").replace("}", "}}").replace("{{batch}}", "{batch}")


def record_key_sql(table: Table, alias: str) -> str:
    """The record key as docs/INTERFACES.md and dbt's stg_extract__records spell it: key values as extracted,
    blank as '', composite keys joined with '|'."""
    parts = [f"coalesce({alias}.{column}, '')" for column in table.primary_key]
    return " || '|' || ".join(parts)


# --- loading and expansion ---------------------------------------------------------------------------------------
def load_catalogue(settings: Settings, path: Path = CATALOGUE_PATH, contract: Contract | None = None) -> Catalogue:
    contract = contract or load_contract()
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    families = document["families"]
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    rules: list[Rule] = []
    for template in document.get("generated", []):
        for params in _expansions(template, contract):
            rules.append(_make_rule(template, params, env, settings, contract, generated=True))
    for entry in document.get("rules", []):
        # A rule's own parameter lists (e.g. CODE_UNMAPPED's vocabulary_columns) reach its SQL by name.
        own = {k: entry[k] for k in RULE_PARAMETERS if k in entry}
        rules.append(_make_rule(entry, own, env, settings, contract, generated=False))
    _validate(rules, families, contract)
    return Catalogue(rules, document.get("macros", ""), document.get("measures", {}), families, settings, contract)


def _make_rule(entry: dict, params: dict, env: jinja2.Environment, settings: Settings, contract: Contract,
               *, generated: bool) -> Rule:
    rule_id = entry["id"].format(**params) if generated else entry["id"]
    where = f"{rule_id} ({CATALOGUE_PATH.name})"
    context = {**params, "cfg": settings, "timezone": "the LA's timezone"}
    try:
        description = env.from_string(entry["description"]).render(context)
    except jinja2.TemplateError as exc:
        raise CatalogueError(f"{where}: description: {exc}") from exc
    severity, why = entry["severity"], entry["why"]
    dotted = f"{params.get('table')}.{params.get('column')}"
    if dotted in entry.get("severity_block", {}):
        severity, why = "block", entry["severity_block"][dotted]
    if dotted in entry.get("severity_warn", {}):
        severity, why = "warn", entry["severity_warn"][dotted]
    table_name = params.get("table")
    if (generated and severity == "block" and table_name in contract.tables
            and contract.table(table_name).optional and contract.table(table_name).source == "ssd"):
        # an optional SSD table (one only the statutory returns read): no indicator depends on it, so its faults
        # never hold up the night; the return readiness reports what they do to the returns
        severity = "warn"
        why = f"{why} {table_name} is an optional table that only the statutory returns read: a warning, never a block."
    expectation = entry.get("expectation", "unexpected_rows")
    sql_template = entry.get("sql")
    if params.get("convention_systems") and entry.get("convention_sql"):
        # the column holds something else by some system's convention: a query that leaves those batches out
        expectation, sql_template = "unexpected_rows", entry["convention_sql"]
    if generated:
        tables = tuple(t.format(**params) for t in entry.get("tables", ["{table}"]))
    else:
        tables = tuple(entry["tables"])
    if expectation == "unexpected_rows" and not sql_template:
        raise CatalogueError(f"{where}: an unexpected_rows rule needs sql")
    columns: tuple[str, ...] = ()
    if expectation == "unique":
        columns = tuple(contract.table(params["table"]).primary_key)
    subject = entry.get("subject", "batch" if expectation == "row_count_between" else "record")
    return Rule(
        id=rule_id,
        family=entry["family"],
        kind=entry["kind"],
        severity=severity,
        description=description,
        why=" ".join(str(why).split()),
        tables=tables,
        covers=tuple(entry["covers"]),
        expectation=expectation,
        subject=subject,
        reference=entry.get("reference") or params.get("reference"),
        column=params.get("column"),
        columns=columns,
        regex=entry.get("regex"),
        sql_template=sql_template,
        requires_previous=bool(entry.get("requires_previous", False)),
        inputs_any=entry.get("inputs") == "any",
        params=params,
    )


# Keys of a (non-generated) rule that are parameters of its SQL rather than rule attributes.
RULE_PARAMETERS = ("vocabulary_columns", "worker_columns", "hr_indicators")

# Which columns of the contract a column template expands to (planned dates are left out where a template lists them).
COLUMN_SELECTORS = {
    "required_column": lambda col: col.required,
    "id_column": lambda col: col.type == "id",
    "datetime_column": lambda col: col.type == "datetime",
    "recorded_date_column": lambda col: col.type == "datetime",
    "number_column": lambda col: col.type in ("integer", "decimal"),
    "json_column": lambda col: col.type == "json" and not col.code_list,
    "flag_column": lambda col: col.type == "flag",
    "code_column": lambda col: bool(col.code_list) and col.type != "json",
}


def _expansions(template: dict, contract: Contract) -> Iterator[dict[str, Any]]:
    """The parameter sets a generated rule expands to, from the contract (or a literal list)."""
    kind = template["for_each"]
    if kind == "params":
        yield from (dict(p) for p in template["params"])
        return
    planned = set(template.get("planned_dates", []))
    event_dates = template.get("event_dates", {})
    vocabularies = template.get("vocabularies", {})  # column -> the profile vocabulary that maps its values
    for table in contract:
        if kind == "table":
            yield {"table": table.name, "primary_key": list(table.primary_key), "required": table.required_columns}
            continue
        if kind == "foreign_key":
            for fk in table.foreign_keys:
                yield {"table": table.name, "column": fk.column, "ref_table": fk.table,
                       "ref_column": fk.referenced_column,
                       "convention_systems": _convention_systems(template, f"{table.name}.{fk.column}")}
            continue
        if kind == "person_reference":
            linked = {fk.column for fk in table.foreign_keys if fk.references == "ssd_person.pers_person_id"}
            for col in table.columns:
                if (col.identifies == "person" and table.name != "ssd_person" and col.name not in linked):
                    yield {"table": table.name, "column": col.name}
            continue
        if kind not in COLUMN_SELECTORS:
            raise CatalogueError(f"{template['id']}: unknown for_each {kind!r}")
        for col in table.columns:
            dotted = f"{table.name}.{col.name}"
            if COLUMN_SELECTORS[kind](col) and dotted not in planned:
                params = {"table": table.name, "column": col.name, "column_type": col.type,
                          "convention_systems": _convention_systems(template, dotted)}
                if template.get("only_with_convention") and not params["convention_systems"]:
                    continue  # a rule about a system's convention, and no system has it for this column
                if kind == "code_column":
                    params.update(code_list=col.code_list, event_date=event_dates.get(dotted),
                                  vocabulary=vocabularies.get(dotted))
                yield params


def _convention_systems(template: dict, dotted: str) -> list[str]:
    """The source systems whose profile makes ``dotted``'s values valid by convention for this rule
    (``convention: worker_column | blank_by_design`` in the template): their batches are not flagged."""
    conventions = template.get("convention") or []
    from csc.contract.profiles import systems_with

    found: list[str] = []
    for convention in [conventions] if isinstance(conventions, str) else conventions:
        found += [s for s in systems_with(convention, dotted) if s not in found]
    return found


def _validate(rules: list[Rule], families: dict, contract: Contract) -> None:
    seen: set[str] = set()
    for rule in rules:
        where = f"rule {rule.id} ({CATALOGUE_PATH.name})"
        if rule.id in seen:
            raise CatalogueError(f"{where}: the id is used twice")
        seen.add(rule.id)
        if not ID_PATTERN.match(rule.id):
            raise CatalogueError(f"{where}: ids are UPPER_CASE, optionally followed by .table[.column]")
        if rule.family not in families:
            raise CatalogueError(f"{where}: unknown family {rule.family!r}")
        if rule.kind not in ("fault", "exception") or rule.severity not in ("block", "warn"):
            raise CatalogueError(f"{where}: kind must be fault|exception and severity block|warn")
        if rule.kind == "exception" and (rule.severity != "warn" or rule.family != "timeliness"):
            raise CatalogueError(f"{where}: exceptions are timeliness backlogs and never block")
        if rule.expectation not in BUILT_IN | {"unexpected_rows"}:
            raise CatalogueError(f"{where}: unknown expectation {rule.expectation!r}")
        if rule.expectation == "regex" and not rule.regex:
            raise CatalogueError(f"{where}: a regex rule needs its regex")
        for table in rule.tables:
            if not table.startswith("ops.") and table not in contract.tables:
                raise CatalogueError(f"{where}: {table!r} is not a table of the extract contract")
        for bullet in rule.covers:
            if not re.fullmatch(r"[1-7]\.\d+", bullet) or int(bullet.split(".")[0]) != families[rule.family]["number"]:
                raise CatalogueError(f"{where}: covers {bullet!r}, which is not a bullet of its family")


def catalogue_markdown(catalogue: Catalogue) -> str:
    """Every expanded rule as a Markdown page (``expectations/CATALOGUE.md``), grouped by family."""
    lines = ["# Data-quality rule catalogue (generated)", "",
             "Every rule the nightly checks run, expanded from `expectations/catalogue.yml` and the extract contract.",
             "Regenerate with `csc check --list-rules --markdown > expectations/CATALOGUE.md`",
             "(a test keeps it in step).",
             "Severity: `block` stops publication, `warn` publishes and tells the performance leads; `exception` rules",
             "list practice backlogs that never block.", ""]
    counts: dict[str, int] = {}
    for rule in catalogue:
        label = "exception" if rule.kind == "exception" else rule.severity
        counts[label] = counts.get(label, 0) + 1
    lines.append(f"{len(catalogue)} rules: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ".")
    for family in sorted(catalogue.families, key=lambda name: catalogue.families[name]["number"]):
        rules = [r for r in catalogue if r.family == family]
        lines += ["", f"## {catalogue.family_title(family)} ({len(rules)} rules)", "",
                  "| id | severity | tables | reference | what it checks | why this severity |",
                  "|---|---|---|---|---|---|"]
        for r in rules:
            label = "exception" if r.kind == "exception" else r.severity
            cells = [f"`{r.id}`", label, ", ".join(r.tables), r.reference or "", r.description, r.why]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
