"""The rules that read raw text are written once (include/csc/warehouse/rules.sql) and the loader's fast date checks
are the same rule: on the same inputs, ``csc.ingest.dates.is_date`` accepts a value exactly when
``ops.extract_date`` reads it as a date, and both read the same day. dbt staging and the checks call the functions
(dbt_project/macros/*.sql, ops.dq_*), so they cannot drift apart."""

from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from csc.ingest.dates import is_date
from csc.settings import PROJECT_ROOT
from csc.warehouse.connection import connect

pytestmark = pytest.mark.integration

# The loader's own examples (tests/unit/ingest/test_dates.py) and the corners of each form.
EXAMPLES = [
    "2024-03-01", "2024-02-29", "2000-02-29", "2023-12-31", "1999-04-30", "0001-01-01",
    "2024-03-01 00:00", "2024-03-01 23:59:59", "2024-03-01T09:05:00", "2024-03-01 10:11:12.123",
    "2024-03-01 10:11:12.1234567", "01/03/2024", "1/3/2024", "29/02/2024", "31/12/2023", "30/04/2024",
    "01/03/2024 09:05", "01/03/2024 23:59:59", "9/09/2024", "09/9/2024 00:00",
    "", "2024-02-30", "2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "0000-01-01",
    "2024-3-1", "24-03-01", "2024-03-01 24:00", "2024-03-01 12:60", "2024-03-01 12:00:61", "2024-03-01Z",
    "2024-03-01 10:11:12.12345678", "2024-03-01T10:11:12+01:00", " 2024-03-01", "2024-03-01 ", "2024-03-01t10:00",
    "31/04/2024", "29/02/2023", "32/01/2024", "01/13/2024", "01/03/24", "01/03/2024 9:05", "01-03-2024",
    "2024/03/01", "March 1 2024", "NULL", "00/03/2024", "0/3/2024", "01/00/2024", "01/03/0000", "01/03/2024T09:05",
    "01/03/2024 09:05:00.1", "2024-03-01 09:05:00.", "\u0662\u0660\u0662\u0664-03-01", "2024-03-01\n",
    # SQL Server: CAST(datetime AS varchar), and the ISO text of a datetime
    "2024-12-10 00:00:00.000", "Jun 14 2022 12:00AM", "Jun  4 2022  9:05PM", "Jun 4 2022 9:05PM", "Feb 29 2024",
    "Feb 29 2023 12:00AM", "Jun 31 2022", "Dec 31 2023 11:59PM", "Jun 14 2022 13:00PM", "Jun 14 2022 12:00",
    "jun 14 2022", "JUN 14 2022", "Jun 00 2022", "Jun 14 0000", "Jun 14 2022 12:00AM ", "Jun   4 2022",
    "Jun 14 2022 00:00AM", "Jun 14 2022 012:00AM", "Jun 14 22", "Sept 1 2022", "Feb 29 1900", "Feb 29 2000 12:00AM",
]
PIECES = ["2024", "2023", "0000", "1999", "-", "/", " ", "T", ":", ".", "0", "1", "2", "3", "9", "12", "13",
          "29", "30", "31", "02", "00", "59", "60", "23", "24", "x", "\u0663"]


def random_values(count: int) -> list[str]:
    """Strings built from the pieces dates are made of, biased towards near-misses of the accepted shapes."""
    rng = random.Random(20261206)
    shapes = ["{y}-{m}-{d}", "{d}/{m}/{y}", "{y}-{m}-{d} {h}:{mi}", "{y}-{m}-{d}T{h}:{mi}:{s}", "{d}/{m}/{y} {h}:{mi}",
              "{d}/{m}/{y} {h}:{mi}:{s}", "{y}-{m}-{d} {h}:{mi}:{s}.{f}", "{mon}{sp}{d} {y}",
              "{mon}{sp}{d} {y}{sp}{h}:{mi}{ampm}"]
    values = []
    for _ in range(count):
        if rng.random() < 0.7:
            values.append(rng.choice(shapes).format(
                y=rng.choice(["2024", "2023", "1900", "2000", "0000", "0001", "24", "20245"]),
                m=rng.choice(["1", "01", "02", "2", "12", "13", "00", "0", "09", "9", "10"]),
                d=rng.choice(["1", "01", "28", "29", "30", "31", "32", "00", "0", "9", "09"]),
                h=rng.choice(["00", "09", "9", "23", "24"]), mi=rng.choice(["00", "59", "60", "5"]),
                s=rng.choice(["00", "59", "60", "5"]), f=rng.choice(["1", "1234567", "12345678", ""]),
                mon=rng.choice(["Jan", "Feb", "Apr", "Jun", "Dec", "jun", "Sep", "Mon"]),
                sp=rng.choice([" ", "  ", "   ", ""]), ampm=rng.choice(["AM", "PM", "am", "", "XM"])))
        else:
            values.append("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8))))
    return values


def python_day(value: str) -> date:
    """The day of a value the loader accepted."""
    if value[:3].isalpha():  # SQL Server text: Mon DD YYYY [hh:mmAM]
        month, day, year = value.split()[:3]
        return datetime.strptime(f"{month} {day} {year}", "%b %d %Y").date()
    if "/" in value:
        day, month, year = value.split(" ")[0].split("/")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(value[:10])


def test_the_loader_and_the_sql_date_rule_accept_the_same_values_and_read_the_same_day(module_settings):
    values = sorted(set(EXAMPLES + random_values(20000)))
    with connect(module_settings, autocommit=True) as conn:
        read = dict(conn.execute("select v, ops.extract_date(v) from unnest(%s::text[]) as v", (values,)).fetchall())
        # The checks' name for it is the same function.
        assert conn.execute("select bool_and(ops.dq_date(v) is not distinct from ops.extract_date(v)) "
                            "from unnest(%s::text[]) as v", (values,)).fetchone()[0]
    accepted = [v for v in values if is_date(v.encode("utf-8"))]
    disagreements = [(v, is_date(v.encode("utf-8")), read[v]) for v in values
                     if is_date(v.encode("utf-8")) != (read[v] is not None)]
    assert not disagreements, disagreements[:20]
    assert len(accepted) > 500 and len(values) - len(accepted) > 500, "both sides of the rule are exercised"
    assert [v for v in accepted if read[v] != python_day(v)] == []


def test_codes_flags_and_working_days_are_one_rule_for_dbt_and_the_checks(module_settings):
    # dbt's macros are calls of the functions the checks use, nothing else.
    macros = {name: (PROJECT_ROOT / "dbt_project" / "macros" / name).read_text(encoding="utf-8")
              for name in ("parse_extract_values.sql", "normalise_codes.sql", "working_days.sql")}
    for macro, function in (("parse_extract_values.sql", "ops.extract_date("),
                            ("parse_extract_values.sql", "ops.extract_code("),
                            ("parse_extract_values.sql", "ops.extract_flag("),
                            ("normalise_codes.sql", "ops.extract_sex("),
                            ("normalise_codes.sql", "ops.extract_category_of_abuse("),
                            ("working_days.sql", "ops.working_days_between(")):
        assert function in macros[macro], (macro, function)
    with connect(module_settings, autocommit=True) as conn:
        row = conn.execute(
            "select ops.dq_normalised_code('sex', ' 1 '), ops.extract_sex(' 1 '), "
            "ops.dq_normalised_code('category_of_abuse', 'Physical abuse'), "
            "ops.extract_category_of_abuse('Physical abuse'), "
            "ops.dq_flag(' y '), ops.extract_flag(' y '), ops.dq_code(' ab '), ops.extract_code('  '), "
            "ops.working_days_between(10, 7), ops.working_days_between(7, 10), ops.working_days_between(null, 3)"
        ).fetchone()
    assert row == ("M", "M", "PHY", "PHY", True, True, "AB", None, 0, 3, None)
