"""Suppression that holds (issue 15, finding 4): a differencing attack on the files of a shared return.

The attacker has only what travels: quarterly_return.csv, quarterly_return_teams.csv and quarterly_return.xlsx
(Indicators, Trend, Teams), and what the README says of them: each team column adds up to the LA's figure, the
unallocated children of a team are its CP, CLA and CIN parts, a count's value is its numerator, a percentage is
100 x numerator / denominator, a rate per 10,000 is numerator / denominator, an average caseload is children
allocated / FTE, the change is the value minus the previous quarter's, and the trend repeats the values. With these
it solves for every ``[c]`` (exact linear algebra over the rationals, plus the ratio rules whenever two of the three
terms are known, until nothing new is learnt). It must recover nothing, and no percentage of people may leave a
small complement ("79 of 80 on time": 1 was not).

It runs on two returns: the fixture marts of the return tests (every kind of small count, threshold 5), and the
return of a real pipeline run (``secure_home``: generated extract, dbt, publication; threshold 10 so that it bites).
The solver is this file's own: it shares no code with the product.
"""

from __future__ import annotations

import csv
import importlib.util
import shutil
import sys
import uuid
from fractions import Fraction
from pathlib import Path

import openpyxl
import psycopg
import pytest
from psycopg import sql

pytestmark = pytest.mark.security

C = "[c]"
HEADER_ROW = 4  # 1-based row of the headings in each sheet: title, subtitle, notice, headings
RETURNS_TESTS = Path(__file__).parents[1] / "integration" / "returns"
# Team columns that add up to an indicator's numerator in the Indicators sheet.
TEAM_TOTALS = {"Unallocated children": "UNALLOCATED", "Assessments past 45 working days": "ASMT_OVERDUE",
               "Children allocated": "CASELOAD_AVG", "Workers above caseload threshold": "CASELOAD_OVER_THRESHOLD"}
PARTS = ("of which CP", "of which CLA", "of which CIN")
SCALE = {"%": Fraction(100), "per 10,000 children": Fraction(1), "ratio": Fraction(1)}


def _number(cell: object) -> Fraction | None | str:
    """A published number as an exact fraction; ``[c]`` as is; anything else None."""
    if cell is None or cell == "":
        return None
    if cell == C:
        return C
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return Fraction(cell)
    if isinstance(cell, float):
        return Fraction(str(round(cell, 6)))
    try:
        return Fraction(str(cell))
    except (ValueError, ZeroDivisionError):
        return None


class Attack:
    """Cells are named (source, row key, heading); a cell is known (a number), hidden ([c]) or absent."""

    def __init__(self) -> None:
        self.known: dict[tuple, Fraction] = {}
        self.hidden: set[tuple] = set()
        self.linear: list[tuple[dict[tuple, Fraction], Fraction]] = []  # sum(coef * cell) = constant
        self.ratios: list[tuple[tuple, tuple, tuple, Fraction]] = []  # value = scale * numerator / denominator
        self.recovered: dict[tuple, Fraction] = {}

    def cell(self, name: tuple, raw: object) -> None:
        number = _number(raw)
        if number == C:
            self.hidden.add(name)
        elif number is not None:
            self.known[name] = number

    def same(self, a: tuple, b: tuple) -> None:
        self.linear.append(({a: Fraction(1), b: Fraction(-1)}, Fraction(0)))

    def value_of(self, name: tuple) -> Fraction | None:
        return self.known.get(name, self.recovered.get(name))

    def solve(self) -> dict[tuple, Fraction]:
        while True:
            learnt = self._ratio_round() | self._linear_round()
            if not learnt:
                return {name: self.recovered[name] for name in self.hidden if name in self.recovered}

    def _learn(self, name: tuple, value: Fraction) -> bool:
        if name in self.hidden and name not in self.recovered:
            self.recovered[name] = value
            return True
        return False

    def _ratio_round(self) -> bool:
        learnt = False
        for value, numerator, denominator, scale in self.ratios:
            v, n, d = self.value_of(value), self.value_of(numerator), self.value_of(denominator)
            if v is not None and d is not None and n is None:
                # The value is rounded to 4 places: a count comes back as the nearest whole number.
                learnt |= self._learn(numerator, Fraction(round(v * d / scale)))
            elif v is not None and n is not None and d is None and v != 0:
                learnt |= self._learn(denominator, Fraction(round(scale * n / v)))
            elif n is not None and d is not None and v is None and d != 0:
                learnt |= self._learn(value, scale * n / d)
        return learnt

    def _linear_round(self) -> bool:
        """Gaussian elimination of the equations over the unknown cells; a row left with one unknown gives it."""
        unknown = sorted(name for name in self.hidden if name not in self.recovered)
        if not unknown:
            return False
        index = {name: k for k, name in enumerate(unknown)}
        rows = []
        for terms, constant in self.linear:
            if any(name not in index and self.value_of(name) is None for name in terms):
                continue  # a term neither published nor hidden (absent): the equation says nothing
            row = [Fraction(0)] * (len(unknown) + 1)
            rest = constant
            for name, coefficient in terms.items():
                if name in index:
                    row[index[name]] += coefficient
                else:
                    rest -= coefficient * self.value_of(name)
            row[-1] = rest
            if any(row[:-1]):
                rows.append(row)
        pivot_row = 0
        for column in range(len(unknown)):
            found = next((r for r in range(pivot_row, len(rows)) if rows[r][column] != 0), None)
            if found is None:
                continue
            rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
            lead = rows[pivot_row][column]
            rows[pivot_row] = [x / lead for x in rows[pivot_row]]
            for r in range(len(rows)):
                if r != pivot_row and rows[r][column] != 0:
                    factor = rows[r][column]
                    rows[r] = [x - factor * y for x, y in zip(rows[r], rows[pivot_row], strict=True)]
            pivot_row += 1
        learnt = False
        for row in rows[:pivot_row]:
            nonzero = [k for k, x in enumerate(row[:-1]) if x != 0]
            if len(nonzero) == 1:
                learnt |= self._learn(unknown[nonzero[0]], row[-1] / row[nonzero[0]])
        return learnt


def _sheet(workbook: openpyxl.Workbook, name: str) -> tuple[list[str], list[list[object]]]:
    rows = list(workbook[name].iter_rows(min_row=HEADER_ROW, values_only=True))
    header = [str(h) if h is not None else "" for h in rows[0]]
    body = []
    for row in rows[1:]:
        if row[0] is None:
            break
        body.append(list(row))
    return header, body


def _csv(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    return rows[0], rows[1:]


def attack(folder: Path) -> tuple[dict[tuple, Fraction], int]:
    """Everything the attacker recovers from the return's files in ``folder``, and how many cells are hidden."""
    a = attacker(folder)
    return a.solve(), len(a.hidden)


def small_complements(folder: Path, threshold: int) -> dict[str, Fraction]:
    """Percentages of people whose complement (denominator - numerator: "79 of 80 visited, so 1 was not") is a
    count of 1 to threshold - 1, from the published figures and everything the attack recovers. The workforce rates
    are sums of FTE, not people (README)."""
    a = attacker(folder)
    a.solve()
    found = {}
    for value, numerator, denominator, scale in a.ratios:
        ident = value[1]
        if value[0] != "csv" or scale != 100 or ident.startswith("WF_"):
            continue
        n, d = a.value_of(numerator), a.value_of(denominator)
        if n is not None and d is not None and 0 < d - n < threshold:
            found[ident] = d - n
    return found


def attacker(folder: Path) -> Attack:
    a = Attack()
    workbook = openpyxl.load_workbook(folder / "quarterly_return.xlsx")

    # Indicators: the CSV and the sheet are the same cells, so they are one name each.
    for source, (header, body) in (("csv", _csv(folder / "quarterly_return.csv")),
                                   ("xlsx", _sheet(workbook, "Indicators"))):
        previous_heading = next(h for h in header if h.startswith("Previous quarter"))
        for row in body:
            cells = dict(zip(header, row, strict=True))
            ident = cells["Indicator id"]
            for heading in ("Numerator", "Denominator", "Value", previous_heading, "Change"):
                a.cell((source, ident, heading), cells[heading])
                if source == "xlsx":
                    a.same(("csv", ident, heading), ("xlsx", ident, heading))
            if source != "csv":
                continue
            unit = cells["Unit"]
            if unit == "count":
                a.same((source, ident, "Value"), (source, ident, "Numerator"))
            elif unit in SCALE:
                a.ratios.append(((source, ident, "Value"), (source, ident, "Numerator"), (source, ident, "Denominator"),
                                 SCALE[unit]))
            a.linear.append(({(source, ident, "Change"): Fraction(1), (source, ident, "Value"): Fraction(-1),
                              (source, ident, previous_heading): Fraction(1)}, Fraction(0)))
            a.same((source, ident, previous_heading), ("trend", ident, "previous"))
            a.same((source, ident, "Value"), ("trend", ident, "current"))

    header, body = _sheet(workbook, "Trend")
    quarters = [h for h in header if len(h) == 6 and h[4] == "Q"]
    for row in body:
        cells = dict(zip(header, row, strict=True))
        for k, quarter in enumerate(quarters):
            name = ("trend", cells["Indicator id"], "current" if k == len(quarters) - 1
                    else "previous" if k == len(quarters) - 2 else quarter)
            a.cell(name, cells[quarter])

    # Teams: the CSV and the sheet, each row its parts, each column its LA total.
    for source, (header, body) in (("teams-csv", _csv(folder / "quarterly_return_teams.csv")),
                                   ("teams-xlsx", _sheet(workbook, "Teams"))):
        columns: dict[str, list[tuple]] = {}
        for row in body:
            cells = dict(zip(header, row, strict=True))
            team = cells["Team"]
            for heading in header[1:]:
                a.cell((source, team, heading), cells[heading])
                columns.setdefault(heading, []).append((source, team, heading))
                if source == "teams-xlsx":
                    a.same(("teams-csv", team, heading), (source, team, heading))
            if all(h in header for h in ("Unallocated children", *PARTS)):
                terms = {(source, team, "Unallocated children"): Fraction(1)}
                terms.update({(source, team, part): Fraction(-1) for part in PARTS})
                a.linear.append((terms, Fraction(0)))
            if "Average caseload" in header:
                a.ratios.append(((source, team, "Average caseload"), (source, team, "Children allocated"),
                                 (source, team, "Case-holder FTE"), Fraction(1)))
        for heading, indicator in TEAM_TOTALS.items():
            if heading in columns:
                terms = {name: Fraction(1) for name in columns[heading]}
                terms[("csv", indicator, "Numerator")] = Fraction(-1)
                a.linear.append((terms, Fraction(0)))
    return a


def _truth(open_folder: Path) -> dict[tuple, Fraction]:
    """The cells of the same return written without suppression (inside the LA), by the attack's names."""
    truth = Attack()
    for source, (header, body) in (("csv", _csv(open_folder / "quarterly_return.csv")),
                                   ("teams-csv", _csv(open_folder / "quarterly_return_teams.csv"))):
        for row in body:
            for heading, cell in zip(header[1:], row[1:], strict=True):
                truth.cell((source, row[0], heading), cell)
    return truth.known


def _assert_nothing_recovered(folder: Path, open_folder: Path, threshold: int) -> None:
    """A guess that differs from the true figure (an equation that does not hold in these data) is no disclosure."""
    guesses, hidden = attack(folder)
    truth = _truth(open_folder)
    recovered = {name: value for name, value in guesses.items()
                 if truth.get((name[0].replace("xlsx", "csv"), *name[1:])) == value}
    print(f"differencing attack on {folder}: {hidden} hidden cells, {len(guesses)} solved, {len(recovered)} "
          "equal to the true figure")
    for name, value in sorted(recovered.items()):
        print(f"  recovered {name} = {value}")
    assert hidden > 0, "nothing was suppressed: the attack tests nothing"
    assert not recovered, f"the differencing attack recovers {len(recovered)} suppressed cells: {sorted(recovered)}"
    complements = small_complements(folder, threshold)
    assert not complements, f"percentages whose complement is a small count: {complements}"


def _returns_marts():
    """tests/integration/returns/returns_marts.py: the fixture marts of the return tests."""
    spec = importlib.util.spec_from_file_location("returns_marts_for_attack", RETURNS_TESTS / "returns_marts.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.integration
def test_the_differencing_attack_recovers_nothing_from_the_fixture_return(pg_server, tmp_path):
    from csc.returns import write_return
    from csc.settings import Settings
    from csc.warehouse.bootstrap import init_warehouse
    from csc.warehouse.connection import connect

    marts = _returns_marts()
    dbname = f"csc_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(home=tmp_path / "csc-home", warehouse_url=pg_server.for_database(dbname).conninfo(),
                        airflow_database=f"{dbname}_af")
    try:
        init_warehouse(settings)
        published = marts.publish(settings)
        with connect(settings, role="csc_transformer") as conn:
            # 79 of 80 assessments on time: the one that was not is a small count.
            conn.execute("update marts.indicator_values set numerator = 79, denominator = 80, value = 98.75 "
                         "where la_code = %s and indicator_id = 'ASMT_45WD' and period_type = 'quarter' "
                         "and period_start = %s", (published.la_code, published.quarter.start))
        open_files = write_return(published.la_code, published.quarter.name, settings)
        open_copy = tmp_path / "open"
        shutil.copytree(open_files.folder, open_copy)
        files = write_return(published.la_code, published.quarter.name, settings, suppress_small=5)
        assert small_complements(open_copy, 5).get("ASMT_45WD") == 1, "the fixture has a small complement"
        _assert_nothing_recovered(files.folder, open_copy, 5)
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.mark.slow
def test_the_differencing_attack_recovers_nothing_from_a_real_return(secure_home, tmp_path):
    from security_home import LA, QUARTER

    folder = secure_home.path / "outputs" / "returns" / LA / QUARTER
    secure_home.csc("return", "--la", LA, "--quarter", QUARTER)
    shutil.copytree(folder, tmp_path / "open")
    try:
        secure_home.csc("return", "--la", LA, "--quarter", QUARTER, "--suppress-small", "10")
        _assert_nothing_recovered(folder, tmp_path / "open", 10)
    finally:
        secure_home.csc("return", "--la", LA, "--quarter", QUARTER)  # as the other security tests expect it
