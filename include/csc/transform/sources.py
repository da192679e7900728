"""The dbt sources, rendered from the extract contract so that they cannot drift from it.

``dbt_project/models/staging/__sources.yml`` and ``dbt_project/macros/extract_contract_keys.sql`` (each table's
primary key, for the record-level data-quality join) are written by :func:`write_generated_files` (``python -m
csc.transform.sources``); a unit test fails whenever they and the contract disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from csc.contract import Contract, load_contract
from csc.settings import PROJECT_ROOT

SOURCES_FILE = PROJECT_ROOT / "dbt_project" / "models" / "staging" / "__sources.yml"
KEYS_MACRO_FILE = PROJECT_ROOT / "dbt_project" / "macros" / "extract_contract_keys.sql"

HEADER = """\
# Generated from include/csc/contract/extract_contract.yml by `python -m csc.transform.sources`; do not edit.
# tests/unit/transform/test_sources.py fails when this file and the contract disagree.
"""

SOURCE_DESCRIPTIONS = {
    "ssd": "The nightly Standard Safeguarding Dataset extract as landed by the loader: every value as text, one "
           "row per CSV record, tagged with its batch (_batch_id) and source line (_line_no). Identifiable.",
    "hr": "The supplementary HR workforce extract (DfE social work workforce census fields), landed like the SSD "
          "tables. Identifiable.",
}

OPS_TABLES: list[dict[str, Any]] = [
    {"name": "build_batches",
     "description": "Per LA, the batch dbt builds: the checked candidate if there is one, else the published batch."},
    {"name": "extract_batches", "description": "One row per nightly extract received, with its lifecycle status."},
    {"name": "dq_runs", "description": "One row per data-quality run of a batch."},
    {"name": "dq_failing_records",
     "description": "Every record a data-quality rule flagged in a run (fault = data error, exception = practice "
                    "backlog)."},
    {"name": "la_indicator_targets",
     "description": "Per LA, the rows of the targets file config/las.yml names for it, synced by every csc build."},
    {"name": "la_regions",
     "description": "Per LA: its region in config/las.yml (`region:`), synced by every csc build."},
    {"name": "batch_source_systems",
     "description": "Per batch: the source-system profile it is read with, its allocation rule and worker columns."},
    {"name": "batch_vocabulary",
     "description": "Per batch: every known source value of each vocabulary of its profile (with the LA's "
                    "vocabulary: overrides) and its DfE code or product role."},
    {"name": "dq_population",
     "description": "Population aged 0-17 by LA and year: the la_population seed, with an LA's own population: file "
                    "(config/las.yml) replacing its rows (population_file says which), refreshed before every check "
                    "run and every build."},
]


def source_table_name(table_name: str, source: str) -> str:
    """``ssd_person`` -> ``person``; ``hr_workers`` -> ``workers``."""
    prefix = f"{source}_"
    return table_name[len(prefix):] if table_name.startswith(prefix) else table_name


def render_sources(contract: Contract | None = None) -> dict[str, Any]:
    contract = contract or load_contract()
    sources: list[dict[str, Any]] = []
    for source in ("ssd", "hr"):
        tables = []
        for table in contract:
            if table.source != source:
                continue
            columns: list[dict[str, Any]] = [
                {"name": "_batch_id", "description": "The batch (ops.extract_batches) the row was loaded with."},
                {"name": "_line_no", "description": "The physical CSV line on which the record starts (header = 1)."},
            ]
            for column in table.columns:
                meta: dict[str, Any] = {"contract_type": column.type}
                if column.required:
                    meta["required"] = True
                if column.code_list:
                    meta["code_list"] = column.code_list
                if column.identifies:
                    meta["identifies"] = column.identifies
                if column.personal:
                    meta["personal"] = True
                columns.append({"name": column.name, "description": column.description, "config": {"meta": meta}})
            entry: dict[str, Any] = {
                "name": source_table_name(table.name, source),
                "identifier": table.name,
                "description": table.description or f"Raw rows of {table.file_name}.",
                "config": {"meta": {"primary_key": list(table.primary_key)}},
                "columns": columns,
            }
            tables.append(entry)
        sources.append({"name": source, "schema": "raw", "description": SOURCE_DESCRIPTIONS[source],
                        "tables": tables})
    sources.append({"name": "ops", "schema": "ops",
                    "description": "The pipeline's operational record (csc init migrations). Never written by dbt.",
                    "tables": OPS_TABLES})
    return {"version": 2, "sources": sources}


def render_sources_file(contract: Contract | None = None) -> str:
    return HEADER + yaml.safe_dump(render_sources(contract), sort_keys=False, width=118, allow_unicode=True)


def render_keys_macro(contract: Contract | None = None) -> str:
    """A macro returning, per source and table, the primary-key columns of the contract."""
    contract = contract or load_contract()
    lines = [
        "{# Generated from include/csc/contract/extract_contract.yml by `python -m csc.transform.sources`; do not",
        "   edit. Per source and table of the extract, its primary-key columns (composite keys are joined with '|'",
        "   in record keys, as in ops.dq_failing_records). #}",
        "{% macro extract_contract_keys() -%}",
        "    {{ return({",
    ]
    for source in ("ssd", "hr"):
        lines.append(f"        '{source}': {{")
        for table in contract:
            if table.source == source:
                keys = ", ".join(f"'{key}'" for key in table.primary_key)
                lines.append(f"            '{source_table_name(table.name, source)}': [{keys}],")
        lines.append("        },")
    lines += ["    }) }}", "{%- endmacro %}", ""]
    returns_only = ", ".join(f"'{t.name}'" for t in contract if t.optional and t.source == "ssd")
    lines += [
        "{# The optional SSD tables only the statutory returns read (an LA may export them or not): the indicators",
        "   of the whole extract (DQ_PASS_RATE) leave them out, so that exporting them does not move the figure. #}",
        "{% macro extract_returns_only_tables() -%}",
        f"    {{{{ return([{returns_only}]) }}}}",
        "{%- endmacro %}",
        "",
    ]
    return "\n".join(lines)


def write_generated_files() -> list[Path]:
    SOURCES_FILE.write_text(render_sources_file(), encoding="utf-8")
    KEYS_MACRO_FILE.write_text(render_keys_macro(), encoding="utf-8")
    return [SOURCES_FILE, KEYS_MACRO_FILE]


if __name__ == "__main__":
    for written in write_generated_files():
        print(f"wrote {written}")
