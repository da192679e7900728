"""Reading one LA's quarter from the warehouse: indicator values, the catalogue and the team picture from the
published marts (as ``csc_analyst``, the named analysts' role: pseudonymised, nothing identifiable), data-quality
history and provenance from ``ops`` (as ``csc_dq_reader``). The return never computes an indicator itself: it shows what
the marts hold, and the team picture adds up the same children and records the indicators count."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import psycopg

from csc import __version__
from csc.las import la_registry
from csc.returns.model import (
    DataQualityRun,
    Indicator,
    IndicatorValue,
    NoPublishedMarts,
    Provenance,
    QuarterlyReturn,
    QuarterNotComplete,
    ReturnError,
    RuleFailures,
    TeamMeasure,
    TeamPicture,
    UnknownLocalAuthority,
)
from csc.returns.quarters import FinancialQuarter
from csc.settings import Settings
from csc.warehouse.bootstrap import ANALYST, DQ_READER
from csc.warehouse.connection import connect

# The picture by team at the quarter end, added up from the children, records and workers behind the indicators
# (marts.indicator_contributions, stock indicators counted "as at" the quarter end) that the marts place in a team:
# (measure, indicator, which term, case type). The CP and CLA visit and review indicators carry no team in the marts.
TEAM_MEASURES: list[tuple[TeamMeasure, str, str, str | None]] = [
    (TeamMeasure("unallocated", "Unallocated children", "count"), "UNALLOCATED", "numerator", None),
    (TeamMeasure("unallocated_cp", "of which CP", "count"), "UNALLOCATED", "numerator", "CP"),
    (TeamMeasure("unallocated_cla", "of which CLA", "count"), "UNALLOCATED", "numerator", "CLA"),
    (TeamMeasure("unallocated_cin", "of which CIN", "count"), "UNALLOCATED", "numerator", "CIN"),
    (TeamMeasure("overdue_assessments", "Assessments past 45 working days", "count"), "ASMT_OVERDUE", "numerator",
     None),
    (TeamMeasure("children_allocated", "Children allocated", "count"), "CASELOAD_AVG", "numerator", None),
    (TeamMeasure("case_holder_fte", "Case-holder FTE", "fte"), "CASELOAD_AVG", "denominator", None),
    (TeamMeasure("workers_over_threshold", "Workers above caseload threshold", "count"), "CASELOAD_OVER_THRESHOLD",
     "numerator", None),
    (TeamMeasure("vacant_fte", "Vacant FTE", "fte"), "WF_VACANCY_RATE", "numerator", None),
]
# Average caseload per team: children allocated / case-holder FTE, rounded as the marts round (INTERFACES.md).
CASELOAD = TeamMeasure("average_caseload", "Average caseload", "ratio")
NO_TEAM = "No team recorded"

# The order of docs/INDICATORS.md: referrals, assessments, child protection, looked after, allocation, workforce,
# data quality, as the DfE returns group them.
CATALOGUE_ORDER = [
    "REF_RATE", "REREF_12M", "REF_NFA", "ASMT_45WD", "ASMT_OVERDUE", "S47_RATE", "ICPC_15WD", "CPP_RATE",
    "CPP_REPEAT_EVER", "CPP_REPEAT_2Y", "CPP_2YR_ENDED", "CPP_REVIEW_TIMELY", "CPP_VISIT_10WD", "CLA_RATE",
    "CLA_3PLUS_PLACEMENTS", "CLA_LONG_TERM_STABILITY", "CLA_REVIEW_TIMELY", "CLA_VISIT_TIMELY", "CIN_RATE",
    "UNALLOCATED", "UNALLOCATED_CP", "UNALLOCATED_DAYS_MEDIAN", "CASELOAD_AVG", "CASELOAD_OVER_THRESHOLD",
    "WF_VACANCY_RATE", "WF_AGENCY_RATE", "WF_TURNOVER", "WF_NQSW_SHARE", "DQ_PASS_RATE",
]

_NO_MARTS = ("The warehouse has no published marts{detail}: run the nightly pipeline first "
             "(`csc run`, or the LA's nightly DAG), then write the return.")


@contextmanager
def _acting_as(settings: Settings, role: str) -> Iterator[psycopg.Connection]:
    """A connection acting as ``role``; a login that may not act as it gets told which grant it lacks."""
    try:
        with connect(settings, role=role, application="csc return") as conn:
            yield conn
    except psycopg.errors.InsufficientPrivilege as exc:
        if "permission denied to set role" not in str(exc):
            raise
        raise ReturnError(f"The warehouse login may not act as {role}, the role the return reads as: an "
                          f"administrator must `grant {role} to <login>`.") from None


def read_return(settings: Settings, la_code: str, quarter: FinancialQuarter,
                generated_at: datetime) -> QuarterlyReturn:
    quarters = quarter.last(8)
    with _acting_as(settings, DQ_READER) as ops:
        batch_id, extract_date = _published_batch(ops, settings, la_code)
        if extract_date < quarter.end:
            raise QuarterNotComplete(
                f"{quarter.name} ({quarter.label}) is not complete in the published data of LA {la_code}: it ends "
                f"on {quarter.end.isoformat()}, and the published extract is of {extract_date.isoformat()}. "
                f"The latest complete quarter is {FinancialQuarter.latest_complete(extract_date).name}.")
        dq_runs = _dq_runs_at_quarter_ends(ops, la_code, quarters)
        rules_failing = _rules_failing(ops, dq_runs, quarter)
        allocation_note = _allocation_note(ops, batch_id)
    with _acting_as(settings, ANALYST) as marts:
        try:
            catalogue = _catalogue(marts)
            values = _indicator_values(marts, la_code, quarters)
            if not any(q == quarter for _, q in values):
                raise NoPublishedMarts(
                    f"The published marts hold no indicator values of LA {la_code} for {quarter.name}: the quarter "
                    "is older than the extract's history, or the marts are out of date.")
            teams = _team_picture(marts, la_code, quarter)
        except psycopg.errors.UndefinedTable as exc:
            raise NoPublishedMarts(_NO_MARTS.format(detail=f" ({exc.diag.message_primary})")) from None
    known = {i.indicator_id for i in catalogue}
    catalogue += [_uncatalogued(indicator_id) for indicator_id in sorted({i for i, _ in values} - known)]
    provenance = Provenance(la_code=la_code, la_name=_la_name(settings, la_code), extract_date=extract_date,
                            batch_id=batch_id, product_version=__version__, generated_at=generated_at)
    return QuarterlyReturn(
        la_code=la_code, quarter=quarter, provenance=provenance, catalogue=catalogue, values=values,
        team_measures=team_measures(), teams=teams,
        teams_as_at=quarter.end, dq_run=dq_runs[quarter], dq_trend_runs=dq_runs, rules_failing=rules_failing,
        allocation_note=allocation_note)


def _allocation_note(ops: psycopg.Connection, batch_id: int) -> str | None:
    """What the latest check of the published batch said when allocation is approximated (ALLOC_APPROXIMATED)."""
    row = ops.execute(
        "select r.sample_keys from ops.dq_results r join ops.dq_runs d on d.dq_run_id = r.dq_run_id "
        "where d.batch_id = %s and r.rule_id = 'ALLOC_APPROXIMATED' and r.status in ('pass', 'fail') "
        "order by d.dq_run_id desc limit 1", (batch_id,)).fetchone()
    if row is None or not row[0]:
        return None
    return " ".join(str(line).split(": ", 1)[-1] for line in row[0])


def _la_name(settings: Settings, la_code: str) -> str:
    try:
        configured = {la.code: la.name for la in la_registry(settings)}
    except FileNotFoundError:
        configured = {}
    return configured.get(la_code, f"LA {la_code}")


def _published_batch(ops: psycopg.Connection, settings: Settings, la_code: str) -> tuple[int, date]:
    row = ops.execute(
        "select batch_id, extract_date from ops.extract_batches where la_code = %s and status = 'published' "
        "order by extract_date desc, batch_id desc limit 1", (la_code,)).fetchone()
    if row:
        return row[0], row[1]
    received = ops.execute("select count(*) from ops.extract_batches where la_code = %s", (la_code,)).fetchone()[0]
    try:
        configured = la_code in la_registry(settings)
    except FileNotFoundError:
        configured = False
    if not received and not configured:
        raise UnknownLocalAuthority(
            f"LA {la_code!r} is unknown: it is not configured in {settings.las_config} and the warehouse has "
            "received no extract for it. Check the LA code.")
    raise NoPublishedMarts(_NO_MARTS.format(detail=f" for LA {la_code} ({received} extract(s) received, none "
                                                    "published yet)"))


def _catalogue(marts: psycopg.Connection) -> list[Indicator]:
    rows = marts.execute(
        "select indicator_id, indicator_name, kind, unit, polarity, numerator_definition, denominator_definition, "
        "reference from marts.dim_indicator").fetchall()
    position = {indicator_id: k for k, indicator_id in enumerate(CATALOGUE_ORDER)}
    return [Indicator(*row) for row in sorted(rows, key=lambda r: (position.get(r[0], len(position)), r[0]))]


def _uncatalogued(indicator_id: str) -> Indicator:
    """An indicator the marts hold but the catalogue does not name: shown, never dropped."""
    return Indicator(indicator_id, indicator_id, "", "", "context", "not in the catalogue", "", "")


def _indicator_values(marts: psycopg.Connection, la_code: str,
                      quarters: list[FinancialQuarter]) -> dict[tuple[str, FinancialQuarter], IndicatorValue]:
    by_start = {q.start: q for q in quarters}
    # Marts built before not_available_reason existed have no such column: read it as NULL until the next build.
    has_reason = marts.execute(
        "select exists (select 1 from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'indicator_values' and column_name = 'not_available_reason')").fetchone()[0]
    reason = "not_available_reason" if has_reason else "null::text"
    rows = marts.execute(
        "select indicator_id, period_start, period_end, numerator, denominator, value, target, rag, " + reason
        + " from marts.indicator_values where la_code = %s and period_type = 'quarter' "
        "and period_start = any(%s)", (la_code, list(by_start))).fetchall()
    values = {}
    for indicator_id, start, end, numerator, denominator, value, target, rag, not_available in rows:
        quarter = by_start[start]
        if end != quarter.end:
            raise ValueError(f"marts.indicator_values: {indicator_id} quarter from {start} ends on {end}, "
                             f"not {quarter.end}")
        values[(indicator_id, quarter)] = IndicatorValue(
            indicator_id, quarter, start, end, _exact(numerator), _exact(denominator), _exact(value),
            _exact(target), rag, not_available)
    return values


def _exact(number: Decimal | int | float | None) -> Decimal | None:
    if number is None or isinstance(number, Decimal):
        return number
    return Decimal(str(number))


def team_measures() -> list[TeamMeasure]:
    """The columns of the team picture, in order."""
    measures = [measure for measure, *_ in TEAM_MEASURES]
    measures.insert([m.key for m in measures].index("case_holder_fte") + 1, CASELOAD)
    return measures


def _team_picture(marts: psycopg.Connection, la_code: str, quarter: FinancialQuarter) -> list[TeamPicture]:
    """Per team, the ``TEAM_MEASURES`` as at the quarter end; teams with nothing to show are left out."""
    rows = marts.execute(
        "select c.team_id, t.team_name, c.indicator_id, c.case_type, sum(c.numerator_amount), "
        "sum(c.denominator_amount) from marts.indicator_contributions c "
        "left join marts.dim_team t on t.la_code = c.la_code and t.team_id = c.team_id "
        "where c.la_code = %s and c.period_type = 'as_at' and c.period_end = %s and c.indicator_id = any(%s) "
        "group by c.team_id, t.team_name, c.indicator_id, c.case_type",
        (la_code, quarter.end, sorted({indicator for _, indicator, *_ in TEAM_MEASURES}))).fetchall()
    names: dict[str | None, str] = {}
    sums: dict[str | None, dict[str, Decimal]] = {}
    for team_id, team_name, indicator_id, case_type, numerator, denominator in rows:
        names[team_id] = team_name or team_id or NO_TEAM
        team_sums = sums.setdefault(team_id, {})
        for measure, measure_indicator, term, measure_case_type in TEAM_MEASURES:
            if measure_indicator == indicator_id and measure_case_type in (None, case_type):
                amount = numerator if term == "numerator" else denominator
                team_sums[measure.key] = team_sums.get(measure.key, Decimal(0)) + (amount or 0)
    pictures = []
    for team_id, team_sums in sums.items():
        if not any(team_sums.values()):
            continue
        values: dict[str, int | Decimal | None] = {
            measure.key: int(team_sums.get(measure.key, 0)) if measure.kind == "count"
            else team_sums.get(measure.key, Decimal(0)) for measure, *_ in TEAM_MEASURES}
        fte = values["case_holder_fte"]
        values[CASELOAD.key] = (Decimal(values["children_allocated"]) / fte).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP) if fte else None
        pictures.append(TeamPicture(names[team_id], values))
    return sorted(pictures, key=lambda picture: picture.team)


def _dq_runs_at_quarter_ends(ops: psycopg.Connection, la_code: str,
                             quarters: list[FinancialQuarter]) -> dict[FinancialQuarter, DataQualityRun | None]:
    """Per quarter, the last data-quality run of the last extract received on or before its end."""
    runs: dict[FinancialQuarter, DataQualityRun | None] = {}
    for quarter in quarters:
        row = ops.execute(
            "select r.dq_run_id, r.batch_id, b.extract_date, r.outcome, r.rules_evaluated, r.rules_failed_block, "
            "r.rules_failed_warn, r.rules_failed_error from ops.dq_runs r join ops.extract_batches b using (batch_id) "
            "where b.la_code = %s and b.extract_date <= %s and r.finished_at is not null "
            "and r.outcome is distinct from 'error' "
            "order by b.extract_date desc, r.dq_run_id desc limit 1", (la_code, quarter.end)).fetchone()
        runs[quarter] = DataQualityRun(*row) if row else None
    return runs


def _rules_failing(ops: psycopg.Connection, runs: dict[FinancialQuarter, DataQualityRun | None],
                   quarter: FinancialQuarter) -> list[RuleFailures]:
    """Rules that failed, or could not be evaluated, in the run at the quarter end: blocking first, data faults
    before practice backlogs, most records first."""
    current = runs[quarter]
    if current is None:
        return []
    failing = ops.execute(
        "select rule_id, description, kind, severity, status, family, table_name, rows_evaluated, rows_failing "
        "from ops.dq_results where dq_run_id = %s and status in ('fail', 'error') "
        "order by severity = 'block' desc, kind = 'fault' desc, status = 'error' desc, rows_failing desc nulls last, "
        "rule_id", (current.dq_run_id,)).fetchall()
    rule_ids = [row[0] for row in failing]
    trend: dict[str, dict[FinancialQuarter, int | None]] = {rule_id: {} for rule_id in rule_ids}
    for q, run in runs.items():
        if run is None:
            continue
        found = dict(ops.execute(
            "select rule_id, rows_failing from ops.dq_results where dq_run_id = %s and rule_id = any(%s) "
            "and status in ('pass', 'fail')", (run.dq_run_id, rule_ids)).fetchall())
        for rule_id in rule_ids:
            trend[rule_id][q] = found.get(rule_id)
    return [RuleFailures(*row, trend=trend[row[0]]) for row in failing]
