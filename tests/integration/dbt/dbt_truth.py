"""Compare the warehouse with the synthetic generator's ground truth (truth/<la>/<date>/*.csv), row by row.

Every value, numerator and denominator of every indicator for every period is compared exactly (as decimals: the
truth writes ``35.1234`` where PostgreSQL returns ``35.12340000``). Differences are returned as readable lines so
that a failing test prints all of them, not only the first.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import psycopg

Key = tuple[str, str, str, str, str]  # la_code, indicator_id, period_type, period_start, period_end


def _number(text: str | None) -> Decimal | None:
    if text is None or text == "":
        return None
    return Decimal(str(text)).normalize()


def read_truth_indicators(path: Path) -> dict[Key, tuple[Decimal | None, ...]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            (row["la_code"], row["indicator_id"], row["period_type"], row["period_start"], row["period_end"]):
                (_number(row["numerator"]), _number(row["denominator"]), _number(row["value"]))
            for row in csv.DictReader(handle)
        }


def warehouse_indicators(conn: psycopg.Connection, schema: str, la_code: str) -> dict[Key, tuple[Decimal | None, ...]]:
    """indicator_values (months, quarters, years) and indicator_daily (the extract date, period_type 'day')."""
    rows = conn.execute(
        f"select la_code, indicator_id, period_type, period_start::text, period_end::text, numerator, denominator, "
        f"value from {schema}.indicator_values where la_code = %s "
        f"union all "
        f"select la_code, indicator_id, 'day', extract_date::text, extract_date::text, numerator, denominator, value "
        f"from {schema}.indicator_daily where la_code = %s "
        f"and extract_date = (select max(extract_date) from {schema}.indicator_daily where la_code = %s)",
        (la_code, la_code, la_code)).fetchall()
    return {tuple(row[:5]): tuple(_number(v) for v in row[5:]) for row in rows}


def indicator_differences(truth: dict, actual: dict) -> list[str]:
    lines = []
    for key in sorted(set(truth) | set(actual)):
        expected, got = truth.get(key), actual.get(key)
        if expected == got:
            continue
        label = " ".join(key[1:4])
        if expected is None:
            lines.append(f"{label}: not in the truth, warehouse has {_show(got)}")
        elif got is None:
            lines.append(f"{label}: missing from the warehouse, truth is {_show(expected)}")
        else:
            lines.append(f"{label}: truth {_show(expected)}, warehouse {_show(got)}")
    return lines


def _show(values: tuple) -> str:
    return "num={} den={} value={}".format(*("" if v is None else v for v in values))


def read_truth_exceptions(path: Path) -> set[tuple[str, str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {(row["exception_type"], row["table"], row["primary_key"]) for row in csv.DictReader(handle)}


CASEWORK_EXCEPTIONS = {
    "assessment_overdue": ("overdue_assessments", "ssd_cin_assessments", "assessment_id"),
    "s47_without_conference": ("s47_enquiries_awaiting_conference", "ssd_s47_enquiry", "s47_enquiry_id"),
    "cp_review_overdue": ("overdue_cp_reviews", "ssd_cp_plans", "cp_plan_id"),
    "cp_visit_overdue": ("overdue_cp_visits", "ssd_cp_plans", "cp_plan_id"),
    "cla_review_overdue": ("overdue_cla_reviews", "ssd_cla_episodes", "cla_episode_id"),
    "cla_visit_overdue": ("overdue_cla_visits", "ssd_cla_episodes", "cla_episode_id"),
}


def warehouse_exceptions(conn: psycopg.Connection, schema: str, la_code: str) -> set[tuple[str, str, str]]:
    found = set()
    for exception_type, (relation, table, id_column) in CASEWORK_EXCEPTIONS.items():
        for (record_id,) in conn.execute(f"select {id_column} from {schema}.{relation} where la_code = %s",
                                         (la_code,)):
            found.add((exception_type, table, record_id))
    return found
