"""Great Expectations 1.x on PostgreSQL for one check run: the catalogue's rules as suites, validated on the batch.

One ephemeral context per run (suites as code: no ``great_expectations.yml`` with the connection string in clear
text). Each table of the batch is a GX table asset on the run's work table (``csc.quality.work``), so GX reflects its
columns from the catalogue instead of running a query, and every expectation is computed by the database; nothing
reads a table into Python. One suite per asset. Imported lazily: the GX import takes 7-11 s and must stay out of DAG
files and of ``csc --help``.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from csc.quality.catalogue import BatchContext, Catalogue, Rule
from csc.quality.measures import row_count_bounds
from csc.settings import Settings
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import resolve_target

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
DOCS_SITE = "csc_data_quality"


@dataclass
class Evaluation:
    """What Great Expectations found for one rule."""

    rule: Rule
    status: str  # pass | fail | error | skipped
    rows_evaluated: int | None = None
    rows_failing: int = 0
    observed: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class CheckSession:
    """The GX context and the single database session of one check run. Use as a context manager."""

    def __init__(self, settings: Settings, *, docs_dir: Path | None = None, progress: Progress = lambda _: None):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        started = time.monotonic()
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        progress(f"Great Expectations loaded in {time.monotonic() - started:.1f} s")
        self.gx = gx
        self.settings = settings
        self.docs_dir = docs_dir
        self.progress = progress
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        if docs_dir is not None:
            self.context.add_data_docs_site(DOCS_SITE, {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            })
        self.datasource = self.context.data_sources.add_postgres("warehouse", connection_string=_gx_url(settings))

    def __enter__(self) -> CheckSession:
        return self

    def __exit__(self, *exc) -> None:
        self.datasource.get_engine().dispose()
        self.datasource.get_execution_engine().engine.dispose()

    # --- Great Expectations ---------------------------------------------------------------------------------------
    def validate(self, catalogue: Catalogue, ctx: BatchContext, *,
                 previous_measures: dict[str, float] | None) -> dict[str, Evaluation]:
        """Every rule of the catalogue on the batch, one GX suite per table; one Evaluation per rule id."""
        gx = self.gx
        evaluations: dict[str, Evaluation] = {}
        by_asset: dict[str, list[Rule]] = defaultdict(list)
        for rule in catalogue:
            skip_reason = _skip_reason(rule, ctx, previous_measures)
            if skip_reason:
                evaluations[rule.id] = Evaluation(rule, "skipped", observed={"reason": skip_reason})
            else:
                by_asset[rule.table].append(rule)
        count_only = _count_only_expectation()
        for asset_name, rules in sorted(by_asset.items()):
            asset_started = time.monotonic()
            # The session's search path is ops (see _gx_url): the work table is named without its schema.
            asset = self.datasource.add_table_asset(
                asset_name, table_name=ctx.work_table(asset_name).removeprefix("ops."))
            batch_definition = asset.add_batch_definition_whole_table(f"batch {ctx.batch_id}")
            # Built whole, then added once: adding expectations one by one to a stored suite re-serialises it each time.
            suite = self.context.suites.add(gx.ExpectationSuite(
                name=asset_name,
                expectations=[_expectation(gx, count_only, rule, catalogue, ctx, previous_measures) for rule in rules]))
            validation = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=asset_name, data=batch_definition, suite=suite))
            # Counts, but no sample of values: a sample query scans the whole table when nothing fails.
            result = validation.run(result_format={"result_format": "BASIC", "partial_unexpected_count": 0})
            for expectation_result in result.results:
                rule = catalogue.by_id[expectation_result.expectation_config.meta["rule_id"]]
                evaluations[rule.id] = _evaluation(rule, expectation_result)
            failing = sum(1 for r in rules if evaluations[r.id].status != "pass")
            self.progress(f"{asset_name}: {len(rules)} rules, {failing} not passing "
                          f"({time.monotonic() - asset_started:.1f} s)")
        return evaluations

    def build_docs(self) -> Path | None:
        if self.docs_dir is None:
            return None
        started = time.monotonic()
        self.context.build_data_docs(site_names=[DOCS_SITE])
        self.progress(f"Great Expectations Data Docs written to {self.docs_dir} ({time.monotonic() - started:.1f} s)")
        return self.docs_dir / "index.html"


def _gx_url(settings: Settings) -> str:
    """The warehouse as an SQLAlchemy URL acting as the loader role (checks read raw and ops as the loader does),
    with ``ops`` (where the run's work tables are) as its schema.

    ``add_postgres`` rejects socket-only URLs, so a socket host goes in the query string after ``localhost``."""
    url = resolve_target(settings).sqlalchemy_url("psycopg2")
    return url + ("&" if "?" in url else "?") + f"options=-c%20role%3D{LOADER}%20-c%20search_path%3Dops"


def _skip_reason(rule: Rule, ctx: BatchContext, previous: dict[str, float] | None) -> str | None:
    not_applicable = ctx.not_applicable(rule)
    if not_applicable:
        return not_applicable
    if not rule.requires_previous:
        return None
    if ctx.previous_batch_id is None:
        return "no previously published batch of this LA to compare with"
    if previous is None or (rule.expectation == "row_count_between" and f"rows:{rule.table}" not in previous):
        return f"no measures kept for the published batch {ctx.previous_batch_id}"
    return None


@cache
def _count_only_expectation():
    """UnexpectedRowsExpectation that only counts: GX's own also fetches up to 200 of the rows, which runs every
    query twice. The records themselves are written afterwards, server-side, for failing rules only."""
    from great_expectations.expectations import UnexpectedRowsExpectation

    class UnexpectedRowCountExpectation(UnexpectedRowsExpectation):
        """Succeeds when the query returns no rows; reports how many it returned."""

        metric_dependencies = ("unexpected_rows_query.row_count",)

        def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
            count = metrics["unexpected_rows_query.row_count"]
            return {"success": count == 0, "result": {"observed_value": count}}

    return UnexpectedRowCountExpectation


def _expectation(gx, count_only, rule: Rule, catalogue: Catalogue, ctx: BatchContext,
                 previous: dict[str, float] | None):
    common = {"meta": {"rule_id": rule.id, "severity": rule.severity, "family": rule.family},
              "description": rule.description}
    e = gx.expectations
    if rule.expectation == "not_null":
        return e.ExpectColumnValuesToNotBeNull(column=rule.column, **common)
    if rule.expectation == "regex":
        return e.ExpectColumnValuesToMatchRegex(column=rule.column, regex=rule.regex, **common)
    if rule.expectation == "unique":
        if len(rule.columns) == 1:
            return e.ExpectColumnValuesToBeUnique(column=rule.columns[0], **common)
        return e.ExpectCompoundColumnsToBeUnique(column_list=list(rule.columns), **common)
    if rule.expectation == "row_count_between":
        low, high = row_count_bounds(previous[f"rows:{rule.table}"], catalogue.settings)
        return e.ExpectTableRowCountToBeBetween(min_value=low, max_value=high, **common)
    return count_only(unexpected_rows_query=catalogue.rule_sql(rule, ctx), **common)


def _raised(exception_info: Any) -> str | None:
    """GX reports errors per expectation, or per metric when a metric failed: the first message either way."""
    if not isinstance(exception_info, dict):
        return None
    if exception_info.get("raised_exception"):
        return exception_info.get("exception_message") or "error"
    for value in exception_info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message") or "error"
    return None


def _evaluation(rule: Rule, result) -> Evaluation:
    error = _raised(result.exception_info)
    if error:
        return Evaluation(rule, "error", error=error.splitlines()[0][:500])
    details = result.result or {}
    status = "pass" if result.success else "fail"
    if rule.expectation == "row_count_between":
        observed = details.get("observed_value")
        config = result.expectation_config.kwargs
        return Evaluation(rule, status, rows_evaluated=observed, rows_failing=0 if result.success else 1,
                          observed={"rows": observed, "min": config.get("min_value"), "max": config.get("max_value")})
    if rule.expectation == "unexpected_rows":
        return Evaluation(rule, status, rows_failing=int(details.get("observed_value") or 0))
    return Evaluation(rule, status, rows_evaluated=details.get("element_count"),
                      rows_failing=int(details.get("unexpected_count") or 0))
