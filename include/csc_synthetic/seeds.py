"""dbt seeds derived from the generator, never typed by hand: the synthetic LAs' 0-17 population by year (from
the generator config) and England and Wales bank holidays (from the ``holidays`` library)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from csc_synthetic.calendar import bank_holidays
from csc_synthetic.config import GeneratorConfig, load_config
from csc_synthetic.paths import REFERENCE_SEEDS

SEED_DIR = REFERENCE_SEEDS
POPULATION_SEED = SEED_DIR / "la_population.csv"
BANK_HOLIDAY_SEED = SEED_DIR / "bank_holidays.csv"
SEED_FILES = (POPULATION_SEED, BANK_HOLIDAY_SEED)


def _csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def population_rows(config: GeneratorConfig) -> list[list]:
    """Every configured synthetic LA at its configured size, for each seed year (year = mid-year estimate)."""
    first, last = config.seed_years
    rows = []
    for code in sorted(config.las):
        size = config.size(config.las[code].size)
        rows.extend([code, year, config.population(size, year)] for year in range(first, last + 1))
    return rows


def expected_seed_bytes(config: GeneratorConfig | None = None) -> dict[Path, bytes]:
    config = config or load_config()
    return {
        POPULATION_SEED: _csv(["la_code", "year", "population_0_17"], population_rows(config)),
        BANK_HOLIDAY_SEED: _csv(["date", "name"], [[d.isoformat(), name] for d, name in bank_holidays()]),
    }
