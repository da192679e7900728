"""The dbt seeds the generator owns stay in step with their sources (never typed by hand)."""

from __future__ import annotations

import csv

import holidays
import pytest
import yaml

from csc.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds" / "reference"
CONFIG = PROJECT_ROOT / "include" / "csc_synthetic" / "config.yml"


def _rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_bank_holidays_are_what_the_holidays_library_says_for_england_and_wales():
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    first, last = config["seed_years"]
    years = range(first, last + 1)
    england = holidays.country_holidays("GB", subdiv="ENG", years=years)
    wales = holidays.country_holidays("GB", subdiv="WLS", years=years)
    assert sorted(england.items()) == sorted(wales.items()), "Wales must have England's bank holidays"
    expected = [{"date": d.isoformat(), "name": n} for d, n in sorted(england.items())]
    assert _rows("bank_holidays.csv") == expected


def test_la_population_follows_the_generator_config_for_every_synthetic_la():
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    first, last = config["seed_years"]
    reference = config["population_reference_year"]
    expected = []
    for code in sorted(config["las"]):
        size = config["sizes"][config["las"][code]["size"]]
        for year in range(first, last + 1):
            population = size["population_0_17"] + size["annual_change"] * (year - reference)
            expected.append({"la_code": code, "year": str(year), "population_0_17": str(population)})
    assert _rows("la_population.csv") == expected
    assert {"999", "901", "903"} <= {row["la_code"] for row in expected}


def test_the_seed_command_reports_no_drift():
    from click.testing import CliRunner

    from csc.cli import cli

    result = CliRunner().invoke(cli, ["synthetic-seeds", "--check"])
    assert result.exit_code == 0, result.output


def test_truth_population_matches_the_seed_for_the_configured_size(tiny):
    seed = {(r["la_code"], r["year"]): r["population_0_17"] for r in _rows("la_population.csv")}
    with (tiny.nights[0].truth_dir / "population.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            assert seed[("901", row["year"])] == row["population_0_17"]
