"""Published marts and DQ history in the shape of the dbt marts and docs/INTERFACES.md, with
the awkward cases a return must survive: small counts, a quarter with no value, team names that look like
formulas or markup, another LA's rows and non-quarter periods that must stay out.

Tests compare what the return wrote with the warehouse through their own SQL, never with the numbers below.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from csc.returns.quarters import FinancialQuarter
from csc.settings import Settings
from csc.warehouse.connection import connect

LA = "999"
QUARTER = FinancialQuarter(2026, 2)  # July-September 2026; the published extract is of 30 September 2026
EXTRACT_DATE = date(2026, 9, 30)

FORMULA_TEAMS = ['=HYPERLINK("http://x","y")', "-1+1", "@SUM(A1:A9)", "+44 20 7946 0000"]
MARKUP_TEAM = "Équipe <script>alert(1)</script> & Co"

# (id, name, kind, unit, polarity): a catalogue covering every unit, every headline and chart of the report.
CATALOGUE = [
    ("UNALLOCATED", "Open cases with no allocated social worker", "stock", "count", "lower"),
    ("UNALLOCATED_CP", "Unallocated child protection cases", "stock", "count", "lower"),
    ("UNALLOCATED_DAYS_MEDIAN", "Median days unallocated", "stock", "days", "lower"),
    ("ASMT_45WD", "Assessments completed within 45 working days", "flow", "percent", "higher"),
    ("ASMT_OVERDUE", "Open assessments past 45 working days (backlog)", "stock", "count", "lower"),
    ("REREF_12M", "Re-referrals within 12 months", "flow", "percent", "lower"),
    ("CPP_RATE", "Children on a CP plan per 10,000", "stock", "per_10000", "context"),
    ("CPP_2YR_ENDED", "CP plans ending that lasted 2 years or more", "flow", "percent", "lower"),
    ("CLA_RATE", "Children looked after per 10,000", "stock", "per_10000", "context"),
    ("CASELOAD_AVG", "Average caseload", "stock", "ratio", "lower"),
    ("WF_VACANCY_RATE", "Social worker vacancy rate", "stock", "percent", "lower"),
    ("WF_AGENCY_RATE", "Agency social worker rate", "stock", "percent", "lower"),
    ("DQ_PASS_RATE", "Records passing blocking and warning checks", "stock", "percent", "higher"),
]
TARGETS = {"UNALLOCATED": (0, 10), "UNALLOCATED_CP": (0, 0), "ASMT_45WD": (85, 75), "REREF_12M": (20, 23),
           "CASELOAD_AVG": (16, 18), "WF_VACANCY_RATE": (12, 15), "WF_AGENCY_RATE": (10, 15),
           "CPP_2YR_ENDED": (4, 6), "UNALLOCATED_DAYS_MEDIAN": (2, 5), "ASMT_OVERDUE": (0, 25)}
POPULATION = Decimal("6.0123")  # 60,123 children aged 0-17, / 10,000


def _q4(number: Decimal) -> Decimal:
    return number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _rag(indicator_id: str, polarity: str, value: Decimal | None) -> str | None:
    if indicator_id not in TARGETS or value is None:
        return None
    target, amber = (Decimal(t) for t in TARGETS[indicator_id])
    if polarity == "higher":
        return "green" if value >= target else "amber" if value >= amber else "red"
    return "green" if value <= target else "amber" if value <= amber else "red"


def _terms(indicator_id: str, unit: str, k: int, rng: random.Random) -> tuple[Decimal | None, Decimal | None]:
    """Numerator and denominator of one quarter (k = 0 is the oldest), with the small counts the tests need."""
    current, previous = k == 9, k == 8
    if indicator_id == "UNALLOCATED":
        return Decimal(4 if previous else 42 if current else rng.randint(20, 120)), None
    if indicator_id == "UNALLOCATED_CP":
        return Decimal(3 if current else rng.randint(0, 9)), None
    if indicator_id == "UNALLOCATED_DAYS_MEDIAN":
        return Decimal(rng.randint(2, 40)) + Decimal("0.5") * rng.randint(0, 1), None
    if indicator_id == "ASMT_OVERDUE":
        return Decimal(rng.randint(0, 60)), None
    if indicator_id == "CPP_2YR_ENDED":
        return (Decimal(1), Decimal(4)) if current else (Decimal(rng.randint(0, 3)), Decimal(rng.randint(8, 30)))
    if unit == "per_10000":
        return Decimal(rng.randint(150, 600)), POPULATION
    if indicator_id == "CASELOAD_AVG":
        return Decimal(rng.randint(700, 1100)), _q4(Decimal(rng.randint(450, 700)) / 10)
    if indicator_id.startswith("WF_"):
        denominator = Decimal(rng.randint(600, 800)) / 10
        return _q4(denominator * Decimal(rng.randint(5, 30)) / 100), denominator
    denominator = Decimal(rng.randint(150, 900))
    return _q4(denominator * Decimal(rng.randint(55, 95)) / 100).to_integral_value(), denominator


def _value(unit: str, numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None:
        return None
    if unit in ("count", "days"):
        return numerator
    if not denominator:
        return None
    return _q4(numerator * (100 if unit == "percent" else 1) / denominator)


@dataclass
class PublishedMarts:
    settings: Settings
    la_code: str
    quarter: FinancialQuarter
    published_batch_id: int


def _create_marts(conn) -> None:
    conn.execute("""
        create table marts.dim_indicator (
            indicator_id text primary key, indicator_name text not null, kind text, unit text not null,
            polarity text not null, numerator_definition text, denominator_definition text, reference text,
            catalogue_order integer not null)""")
    conn.execute("""
        create table marts.indicator_values (
            la_code text not null, indicator_id text not null, period_type text not null, period_start date not null,
            period_end date not null, numerator numeric, denominator numeric, value numeric, unit text not null,
            target numeric, rag text, primary key (la_code, indicator_id, period_type, period_start))""")
    conn.execute("""
        create table marts.dim_team (la_code text not null, team_id text not null, team_name text,
                                     parent_team_id text, parent_team_name text, primary key (la_code, team_id))""")
    conn.execute("""
        create table marts.indicator_contributions (
            la_code text not null, indicator_id text not null, period_type text not null, period_start date not null,
            period_end date not null, subject_type text not null, subject_key text not null, team_id text,
            case_type text, numerator_amount numeric, denominator_amount numeric)""")


def _fill_marts(conn, la_code: str, seed: int) -> None:
    rng = random.Random(seed)
    quarters = QUARTER.last(10)
    for order, (indicator_id, name, kind, unit, polarity) in enumerate(CATALOGUE):
        if la_code == LA:
            conn.execute(
                "insert into marts.dim_indicator values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (indicator_id, name, kind, unit, polarity, f"numerator of {name.lower()}",
                 "population / 10,000" if unit == "per_10000" else "—" if unit in ("count", "days") else "records",
                 "DfE CIN" if order % 2 else "local", order))
        for k, quarter in enumerate(quarters):
            if indicator_id == "WF_AGENCY_RATE" and k == 6:
                continue  # no value that quarter: the trend shows a gap
            numerator, denominator = _terms(indicator_id, unit, k, rng)
            value = _value(unit, numerator, denominator)
            target = Decimal(TARGETS[indicator_id][0]) if indicator_id in TARGETS else None
            conn.execute(
                "insert into marts.indicator_values values (%s, %s, 'quarter', %s, %s, %s, %s, %s, %s, %s, %s)",
                (la_code, indicator_id, quarter.start, quarter.end, numerator, denominator, value, unit, target,
                 _rag(indicator_id, polarity, value)))
            # A month and a financial year with the same start: never to be read as the quarter.
            conn.execute(
                "insert into marts.indicator_values values (%s, %s, 'month', %s, %s, 999999, null, 999999, %s, null, "
                "null)", (la_code, indicator_id, quarter.start, quarter.start.replace(day=28), unit))


def _fill_teams(conn, la_code: str, teams: dict[str | None, list[tuple]], as_at: date) -> None:
    """Team rows of dim_team and their children/records in indicator_contributions (stock: 'as_at' the date)."""
    for k, (team, contributions) in enumerate(teams.items()):
        team_id = None if team is None else f"T{k:02d}"
        if team is not None:
            conn.execute("insert into marts.dim_team (la_code, team_id, team_name) values (%s, %s, %s) "
                         "on conflict do nothing", (la_code, team_id, team))
        conn.cursor().executemany(
            "insert into marts.indicator_contributions values (%s, %s, 'as_at', %s, %s, 'child', %s, %s, %s, %s, %s)",
            [(la_code, indicator_id, as_at, as_at, f"{team_id}-{indicator_id}-{case_type}-{n}", team_id, case_type,
              numerator, denominator)
             for indicator_id, case_type, subjects, numerator, denominator in contributions for n in range(subjects)])


# Data-quality rules of the fixture: id -> (kind, severity, description).
RULES = {
    "ALLOC_DEPARTED_WORKER": ("fault", "warn", "Open case allocated to a worker who has left"),
    "CODE_ETHNICITY": ("fault", "warn", "Ethnicity code not in the year's code list"),
    "TL_PLAN_END": ("fault", "warn", "CP plan ends before it starts"),
    "ORPHAN_ASSESSMENT_REFERRAL": ("fault", "warn", "Assessment points at a missing referral"),
    "BACKLOG_ASSESSMENT_45WD": ("exception", "warn", "Assessment open more than 45 working days"),
    "VOLUME_OPEN_CASES": ("fault", "warn", "Open cases changed by more than 30% overnight"),
}


def _fill_ops(conn, la_code: str) -> int:
    """Two extracts of the LA: 30 June (superseded) and 30 September (published), each checked once. A failing
    count of None is a rule that could not be evaluated (status error)."""
    published = None
    for extract_date, status, failing in [
        (date(2026, 6, 30), "superseded", {"ALLOC_DEPARTED_WORKER": 14, "CODE_ETHNICITY": 3, "TL_PLAN_END": 2,
                                           "BACKLOG_ASSESSMENT_45WD": 11, "VOLUME_OPEN_CASES": 0}),
        (EXTRACT_DATE, "published", {"ALLOC_DEPARTED_WORKER": 9, "CODE_ETHNICITY": 0, "TL_PLAN_END": 4,
                                     "ORPHAN_ASSESSMENT_REFERRAL": 2, "BACKLOG_ASSESSMENT_45WD": 7,
                                     "VOLUME_OPEN_CASES": None}),
    ]:
        batch_id = conn.execute(
            "insert into ops.extract_batches (la_code, extract_date, extracted_at, content_sha256, landing_path, "
            "status) values (%s, %s, %s, %s, %s, %s) returning batch_id",
            (la_code, extract_date, datetime.combine(extract_date, datetime.min.time(), tzinfo=UTC),
             f"sha-{la_code}-{extract_date}", f"/landing/{la_code}/{extract_date}", status)).fetchone()[0]
        run_id = conn.execute(
            "insert into ops.dq_runs (batch_id, started_at, finished_at, outcome, rules_evaluated, rules_failed_block, "
            "rules_failed_warn, rules_failed_error) values (%s, now(), now(), 'warn', 40, 0, %s, %s) "
            "returning dq_run_id",
            (batch_id, sum(1 for n in failing.values() if n), sum(1 for n in failing.values() if n is None))
        ).fetchone()[0]
        for rule_id, rows_failing in failing.items():
            kind, severity, description = RULES[rule_id]
            result = "error" if rows_failing is None else "fail" if rows_failing else "pass"
            conn.execute(
                "insert into ops.dq_results (dq_run_id, rule_id, severity, family, table_name, rows_evaluated, "
                "rows_failing, kind, status, description) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (run_id, rule_id, severity, rule_id.split("_")[0].lower(), "ssd_involvements", 2400,
                 rows_failing or 0, kind, result, description))
        published = batch_id
    return published


# Per team: (indicator, case type, subjects, numerator amount, denominator amount) of each child, record or worker.
# Unallocated children add up to 42, the UNALLOCATED value of the quarter.
DEFAULT_TEAMS: dict[str | None, list[tuple]] = {
    "Assessment Team North": [("UNALLOCATED", "CIN", 15, 1, None), ("UNALLOCATED", "CP", 2, 1, None),
                              ("ASMT_OVERDUE", None, 12, 1, None), ("CASELOAD_AVG", None, 61, 1, 0),
                              ("CASELOAD_AVG", None, 3, 0, Decimal("0.8")), ("CASELOAD_AVG", None, 1, 0, 1),
                              ("CASELOAD_OVER_THRESHOLD", None, 2, 1, 1), ("CASELOAD_OVER_THRESHOLD", None, 2, 0, 1),
                              ("WF_VACANCY_RATE", None, 1, Decimal("1.7"), Decimal("1.7"))],
    "Child Protection East": [("UNALLOCATED", "CP", 1, 1, None), ("UNALLOCATED", "CIN", 8, 1, None),
                              ("CASELOAD_AVG", None, 40, 1, 0), ("CASELOAD_AVG", None, 3, 0, 1),
                              ("CPP_REVIEW_TIMELY", None, 3, 0, 1)],
    "Children in Care": [("UNALLOCATED", "CLA", 2, 1, None), ("CASELOAD_AVG", None, 3, 1, 0),
                         ("CASELOAD_AVG", None, 1, 0, Decimal("0.5"))],
    FORMULA_TEAMS[0]: [("UNALLOCATED", "CIN", 6, 1, None), ("ASMT_OVERDUE", None, 1, 1, None)],
    FORMULA_TEAMS[1]: [("UNALLOCATED", "CIN", 5, 1, None)],
    FORMULA_TEAMS[2]: [("ASMT_OVERDUE", None, 3, 1, None)],
    FORMULA_TEAMS[3]: [("UNALLOCATED", "CLA", 1, 1, None)],
    MARKUP_TEAM: [("UNALLOCATED", "CIN", 2, 1, None)],
    None: [("ASMT_OVERDUE", None, 4, 1, None)],
    "Leaving Care Team": [("WF_VACANCY_RATE", None, 1, 0, 0)],  # nothing to show: left out
}


def publish(settings: Settings, teams: dict[str | None, list[tuple]] | None = None) -> PublishedMarts:
    """Create the marts and the ops history in ``settings``' warehouse."""
    with connect(settings, role="csc_transformer") as conn:
        _create_marts(conn)
        _fill_marts(conn, LA, seed=7)
        _fill_marts(conn, "998", seed=8)
        _fill_teams(conn, LA, DEFAULT_TEAMS if teams is None else teams, QUARTER.end)
        _fill_teams(conn, LA, {"Assessment Team North": [("UNALLOCATED", "CIN", 40, 1, None)]},
                    QUARTER.previous().end)
        _fill_teams(conn, "998", {"Other LA team": [("UNALLOCATED", "CIN", 50, 1, None)]}, QUARTER.end)
    with connect(settings, role="csc_loader") as conn:
        batch_id = _fill_ops(conn, LA)
    return PublishedMarts(settings, LA, QUARTER, batch_id)
