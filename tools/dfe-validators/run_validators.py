"""Run one DfE return validator on files the product wrote and print one JSON document on stdout.

Runs inside the validators' own environment (tools/dfe-validators/.venv: Python 3.11, pandas 1.5, numpy < 2),
never the product's. Called by ``csc statutory validate`` as a subprocess:

    python run_validators.py 903 --ruleset lac2025_26 --collection-year 2026 --la E10000099 DIR
    python run_validators.py cin --ruleset cin2025_26 FILE.xml

Output: {"validator", "version", "ruleset", "rules": [{"code", "description", "status", "detail"}],
"issues": [{"rule", "description", "child", "table", "field", "row"}]}. status is "passed", "failed",
"skipped" (the validator itself skipped it: the tables it needs were not supplied) or "not_run" (the rule crashed:
its traceback's last line is in detail). A crashed rule is never reported as passed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import io
import json
import logging
import sys
import traceback
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path


def _crash_line(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1][:500]


def run_903(folder: Path, ruleset: str, collection_year: str, la: str) -> dict:
    import pandas as pd
    from lac_validator import lac_validator
    from lac_validator.utils import process_uploaded_files

    files = sorted(str(p) for p in folder.glob("*.csv"))
    if not files:
        raise SystemExit(f"no SSDA903 CSV files in {folder}")
    registry = importlib.import_module(f"lac_validator.rules.{ruleset}").registry
    crashes: dict[str, str] = {}
    wrapped = {}
    for code, rule in registry.items():
        def guarded(ds, _func=rule.func, _code=str(code)):
            try:
                return _func(ds)
            except Exception as exc:  # recorded, then re-raised so the validator records the failure too
                crashes[_code] = _crash_line(exc)
                raise
        wrapped[code] = dataclasses.replace(rule, func=guarded)
    metadata = {"collectionYear": collection_year, "localAuthority": la}
    validator = lac_validator.LacValidator(metadata=metadata, files=process_uploaded_files({"This year": files}),
                                           registry=wrapped, selected_rules=None)
    failing: dict[str, int] = {}
    issues = []
    for table, frame in validator.ds_results.items():
        if table == "metadata" or not isinstance(frame, pd.DataFrame):
            continue
        for column in [c for c in frame.columns if str(c).startswith("ERR_")]:
            code = column[4:]
            rule = registry[code]
            fields = [f for f in (rule.affected_fields or []) if f in frame.columns] or [None]
            hit = frame[frame[column] == True]  # noqa: E712 (pandas)
            for row_id, row in hit.iterrows():
                failing[code] = failing.get(code, 0) + 1
                for field in fields:
                    issues.append({"rule": code, "description": rule.message,
                                   "child": None if pd.isna(row.get("CHILD")) else str(row.get("CHILD")),
                                   "table": table, "field": field, "row": int(row_id)})
    skipped = set(validator.skips)
    rules = []
    for code, rule in registry.items():
        code = str(code)
        if code in crashes or code in validator.fails:
            status, detail = "not_run", crashes.get(code, "crashed")
        elif code in failing:
            status, detail = "failed", f"{failing[code]} rows"
        elif code in skipped:
            status, detail = "skipped", "the validator skipped it: a table or lookup it needs was not supplied"
        else:
            status, detail = "passed", None
        rules.append({"code": code, "description": rule.message, "status": status, "detail": detail})
    return {"validator": "csc-validator-be-903", "version": version("csc-validator-be-903"), "ruleset": ruleset,
            "rules": rules, "issues": issues}


def run_cin(xml_file: Path, ruleset: str) -> dict:
    import pandas as pd
    from cin_validator import cin_validator

    root = ET.parse(xml_file).getroot()
    data_files = cin_validator.process_data(cin_validator.convert_data(root))
    registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
    crashes: dict[str, str] = {}

    class Guarded(dict):
        pass

    wrapped = Guarded()
    for code, rule in registry.items():
        def guarded(data, ctx, _func=rule.func, _code=str(rule.code)):
            try:
                return _func(data, ctx)
            except Exception as exc:
                crashes[_code] = _crash_line(exc)
                raise
        wrapped[code] = dataclasses.replace(rule, func=guarded)
    with contextlib.redirect_stdout(io.StringIO()):  # the validator prints each crash; we report them in JSON
        validator = cin_validator.CinValidator(data_files, wrapped, selected_rules=None)
    issues = []
    failing: set[str] = set()
    frame = validator.full_issue_df
    for _, row in frame.iterrows():
        code = str(row["rule_code"])
        failing.add(code)
        child = row.get("child_id")
        row_id = row.get("row_id")
        issues.append({"rule": code, "description": row.get("rule_description"),
                       "child": None if child is None or pd.isna(child) else str(child),
                       "table": None if pd.isna(row.get("tables_affected")) else str(row["tables_affected"]),
                       "field": None if pd.isna(row.get("columns_affected")) else str(row["columns_affected"]),
                       "row": None if row_id is None or pd.isna(row_id) else int(row_id)})
    for _, row in validator.multichild_issues.iterrows():
        code = str(row["rule_code"])
        failing.add(code)
        issues.append({"rule": code, "description": row.get("rule_description"), "child": None, "table": "Header",
                       "field": None, "row": None})
    rules = []
    for rule in registry.values():
        code = str(rule.code)
        if code in crashes:
            status, detail = "not_run", crashes[code]
        elif code in failing:
            status, detail = "failed", None
        else:
            status, detail = "passed", None
        rules.append({"code": code, "description": rule.message, "status": status, "detail": detail,
                      "type": getattr(rule.rule_type, "name", None)})
    return {"validator": "csc-validator-be-cin", "version": version("csc-validator-be-cin"), "ruleset": ruleset,
            "rules": rules, "issues": issues}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["903", "cin"])
    parser.add_argument("path", type=Path)
    parser.add_argument("--ruleset", required=True)
    parser.add_argument("--collection-year", help="903: the year the collection ends, e.g. 2026 for 2025-26")
    parser.add_argument("--la", help="903: the LA's ONS code, e.g. E10000099")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the validators log every rule at INFO
    import warnings

    warnings.simplefilter("ignore")
    with contextlib.redirect_stdout(sys.stderr):  # only our JSON goes to stdout
        if args.kind == "903":
            result = run_903(args.path, args.ruleset, args.collection_year, args.la)
        else:
            result = run_cin(args.path, args.ruleset)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
