"""The generator's parameters (``config.yml``): synthetic LAs, size presets and every simulation rate.

Parameters live in one readable YAML file rather than in code so that a reviewer can check them against the sanity
anchors of INDICATORS.md in one place. The LA's 0-17 population is derived from the config alone (never from the
random seed), so the dbt population seed can be generated from it and kept in step by a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

CONFIG_PATH = Path(__file__).with_name("config.yml")
SIZE_NAMES = ("tiny", "small", "county")


def _namespace(value: Any) -> Any:
    """YAML mappings as attribute namespaces (keys that are not identifiers stay reachable through ``vars``)."""
    if isinstance(value, dict):
        return SimpleNamespace(**{str(k): _namespace(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_namespace(v) for v in value]
    return value


@dataclass(frozen=True)
class Size:
    """A size: the LA's 0-17 population trajectory and how many case-holding posts make a team."""

    name: str
    population_0_17: int
    annual_change: int
    team_size: int

    def population(self, year: int, reference_year: int) -> int:
        return self.population_0_17 + self.annual_change * (year - reference_year)


@dataclass(frozen=True)
class SyntheticLA:
    code: str
    name: str
    size: str
    source_system: str
    postcode_area: str
    ons_code: str = ""
    neighbours: tuple[str, ...] = ()
    # DfE LA numbers (config.yml ``dfe_codes``) of the LA's area and of its neighbours; "" where not known
    dfe_code: str = ""
    neighbour_dfe_codes: tuple[str, ...] = ()


class GeneratorConfig:
    """Typed access to the few structural items; the simulation rates are read as attributes of ``params``."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.params = _namespace(document)
        self.dfe_codes = {str(k): str(v) for k, v in (document.get("dfe_codes") or {}).items()}
        for area, number in self.dfe_codes.items():
            if not (len(number) == 3 and number.isdigit()):
                raise ValueError(f"{CONFIG_PATH}: dfe_codes: {area} has {number!r}, not a three-digit DfE LA number")
        self.las = {
            str(code): SyntheticLA(code=str(code), name=body["name"], size=body["size"],
                                   source_system=body["source_system"], postcode_area=body["postcode_area"],
                                   ons_code=body["ons_code"], neighbours=tuple(body["neighbours"]),
                                   dfe_code=self.dfe_codes.get(body["ons_code"], ""),
                                   neighbour_dfe_codes=tuple(self.dfe_codes[n] for n in body["neighbours"]
                                                             if n in self.dfe_codes))
            for code, body in document["las"].items()
        }
        self.sizes = {name: Size(name=name, population_0_17=int(body["population_0_17"]),
                                 annual_change=int(body["annual_change"]), team_size=int(body["team_size"]))
                      for name, body in document["sizes"].items()}
        self.reference_year = int(document["population_reference_year"])
        self.seed_years = tuple(int(y) for y in document["seed_years"])
        for la in self.las.values():
            if la.size not in self.sizes:
                raise ValueError(f"{CONFIG_PATH}: LA {la.code} has unknown size {la.size!r}")

    def la(self, code: str) -> SyntheticLA:
        try:
            return self.las[code]
        except KeyError:
            known = ", ".join(f"{c} ({la.name})" for c, la in sorted(self.las.items()))
            raise ValueError(f"unknown synthetic LA {code!r}; configured: {known}") from None

    def size(self, spec: str | int) -> Size:
        """A preset by name, or a custom size given as the number of children aged 0-17."""
        if isinstance(spec, str) and spec in self.sizes:
            return self.sizes[spec]
        try:
            children = int(spec)
        except (TypeError, ValueError):
            raise ValueError(f"size must be one of {', '.join(self.sizes)} or a number of children aged 0-17, "
                             f"not {spec!r}") from None
        if not 100 <= children <= 2_000_000:
            raise ValueError(f"a custom size is the 0-17 population and must be between 100 and 2,000,000, "
                             f"not {children}")
        county = self.sizes["county"]
        small = self.sizes["small"]
        team_size = county.team_size if children >= 100_000 else small.team_size if children >= 5_000 else 3
        return Size(name=str(children), population_0_17=children,
                    annual_change=round(children * float(self.document["custom_annual_change"])),
                    team_size=team_size)

    def population(self, size: Size, year: int) -> int:
        return size.population(year, self.reference_year)


@cache
def load_config(path: Path = CONFIG_PATH) -> GeneratorConfig:
    return GeneratorConfig(yaml.safe_load(path.read_text(encoding="utf-8")))
