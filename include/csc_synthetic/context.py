"""What one generator run is about: the LA, its size, the seed and the dates every stage works to."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from csc_synthetic.calendar import DAY, add_years
from csc_synthetic.config import GeneratorConfig, Size, SyntheticLA


@dataclass(frozen=True)
class Context:
    config: GeneratorConfig
    la: SyntheticLA
    size: Size
    seed: int
    as_of: np.datetime64   # the extract date of the last night
    nights: int

    @property
    def p(self):
        return self.config.params

    def rng(self, stage: str) -> np.random.Generator:
        """An independent stream per stage, so that changing one stage's draws leaves the others as they were."""
        key = [self.seed, zlib.crc32(self.la.code.encode()), zlib.crc32(self.size.name.encode()),
               zlib.crc32(stage.encode())]
        return np.random.default_rng(key)

    @cached_property
    def night_dates(self) -> np.ndarray:
        return self.as_of - np.arange(self.nights - 1, -1, -1).astype("timedelta64[D]")

    @property
    def first_night(self) -> np.datetime64:
        return self.night_dates[0]

    def window_start(self, night: np.datetime64) -> np.datetime64:
        """First day of the six years of history an extract of ``night`` holds."""
        return add_years(night, -int(self.p.history.window_years)) + DAY

    @cached_property
    def sim_start(self) -> np.datetime64:
        return add_years(self.window_start(self.first_night), -int(self.p.history.burn_in_years))

    def population(self, year: int) -> int:
        return self.config.population(self.size, year)

    def nights_overlap(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Whether [start, end) contains an extract date (allocation gaps must not, see allocation.py)."""
        return (start <= self.as_of) & (end > self.first_night) & (end > start)
