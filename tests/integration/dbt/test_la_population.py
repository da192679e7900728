"""An LA's own population file (config/las.yml `population:`, ONS mid-year 0-17 by year) is what dbt divides its
rates by (issue 11 item 7): the file's rows replace the la_population seed's for that LA (a year the file lacks has no
population, reason no_population, though the seed has one); an LA without a file keeps the seed's rows."""

from __future__ import annotations

import csv
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from csc.quality.reference import seed_path
from csc.settings import Settings
from csc.transform import build, publish
from csc.warehouse.connection import connect

from dbt_extracts import land_extract

pytestmark = [pytest.mark.integration]

AS_OF = date(2026, 9, 30)
OWN, SEEDED = "901", "999"  # both in the seed; only 901 keeps its own file
MISSING_YEAR = 2022  # financial year 2022-23: in the seed, not in 901's file
RATES = ("CIN_RATE", "CPP_RATE", "CLA_RATE", "REF_RATE", "S47_RATE")


def seed_rows(settings: Settings) -> dict[tuple[str, int], int]:
    with seed_path(settings, "la_population.csv").open(newline="", encoding="utf-8") as handle:
        return {(row["la_code"], int(row["year"])): int(row["population_0_17"]) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def published(dbt_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict]:
    work = tmp_path_factory.mktemp("population")
    seed = seed_rows(dbt_settings)
    own = {year: 3 * population + 7 for (la, year), population in seed.items() if la == OWN and year != MISSING_YEAR}
    population_file = work / "901_population.csv"
    population_file.write_text("year,population_0_17\n" + "".join(f"{y},{p}\n" for y, p in sorted(own.items())),
                               encoding="utf-8")
    (work / "las.yml").write_text(
        f"las:\n  - code: '{OWN}'\n    name: Tinyshire\n    population: {population_file}\n"
        f"  - code: '{SEEDED}'\n    name: Demoshire\n", encoding="utf-8")
    settings = dbt_settings.model_copy(update={"las_config": work / "las.yml"})
    for la_code in (OWN, SEEDED):
        land_extract(settings, work, la_code, AS_OF, size="tiny")
    result = build(settings, exclude=["test_type:unit"])
    assert result.ok, result.summary()
    publish(settings)
    expected = {(OWN, year): population for year, population in own.items()}
    expected.update({key: population for key, population in seed.items() if key[0] == SEEDED})
    return settings, expected


def test_rates_divide_by_the_las_own_population_file_else_the_seed(published):
    settings, expected = published
    with connect(settings) as conn:
        rows = conn.execute(
            "select la_code, indicator_id, period_end, numerator, denominator, value, not_available_reason "
            "from marts.indicator_values where indicator_id = any(%s) and la_code = any(%s)",
            (list(RATES), [OWN, SEEDED])).fetchall()
        stored = conn.execute("select count(*) from ops.dq_population where la_code = %s and population_file = %s",
                              (OWN, str(settings.las_config.parent / "901_population.csv"))).fetchone()[0]
    assert stored == len([key for key in expected if key[0] == OWN])
    seen = {OWN: 0, SEEDED: 0}
    missing = 0
    for la_code, indicator, period_end, numerator, denominator, value, reason in rows:
        year = period_end.year - (1 if period_end.month < 4 else 0)
        population = expected.get((la_code, year))
        if population is None:
            assert (la_code, year, numerator, denominator, value, reason) == (
                OWN, MISSING_YEAR, None, None, None, "no_population"), (la_code, indicator, period_end)
            missing += 1
            continue
        want = (Decimal(population) / 10000).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        assert reason is None and denominator == want, (la_code, indicator, period_end, denominator, want)
        assert value == (numerator / denominator).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        seen[la_code] += 1
    assert missing > 0 and seen[OWN] > 0 and seen[SEEDED] > 0, (missing, seen)


def test_the_population_unit_tests_pass(published):
    """dbt's unit tests of the rates (_indicators__unit_tests_values.yml, values_population_from_the_las_own_file
    among them) against this warehouse."""
    settings, _ = published
    result = build(settings, select=["test_type:unit,int_indicator_values_computed"])
    assert result.ok, result.summary()
