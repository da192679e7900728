"""Real postcodes for placements and homes: a fixed sample per area (postcodes.csv), never a download at run time.

The DfE SSDA903 validator looks each placement and home postcode up in the ONS Postcode Directory and derives the
placing area and the distance from home from them (rules 169, 179, 392a, 392c, 241, 1015), so made-up postcodes fail
it. postcodes.csv holds 300 real postcodes
of each area the synthetic LAs use (config.yml ``ons_code`` and ``neighbours``), sampled once from the ONS directory
(Open Government Licence v3.0) by tools/postcodes/sample_postcodes.py and committed. Postcodes are public reference
data, not personal data; a sample of 300 spread over an area identifies no household.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np

from csc_synthetic.config import SyntheticLA

POSTCODES_PATH = Path(__file__).with_name("postcodes.csv")


class PostcodeError(ValueError):
    pass


@cache
def by_area() -> dict[str, np.ndarray]:
    """The sampled postcodes of each upper-tier area (ONS code), sorted."""
    areas: dict[str, list[str]] = {}
    with POSTCODES_PATH.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            code, postcode = (row.get("ons_code") or "").strip(), (row.get("postcode") or "").strip()
            if not code or not postcode:
                raise PostcodeError(f"{POSTCODES_PATH}, line {line}: ons_code and postcode are both required")
            areas.setdefault(code, []).append(postcode)
    return {code: np.array(sorted(values), dtype=object) for code, values in areas.items()}


def _area(code: str, la: SyntheticLA) -> np.ndarray:
    areas = by_area()
    if code not in areas:
        raise PostcodeError(f"{POSTCODES_PATH}: no postcodes of area {code} (LA {la.code} {la.name} in config.yml); "
                            "run tools/postcodes/sample_postcodes.py")
    return areas[code]


def placement_postcodes(rng: np.random.Generator, la: SyntheticLA, inside: np.ndarray) -> np.ndarray:
    """One real postcode per placement: in the LA's own area where ``inside``, else in one of its neighbours."""
    n = len(inside)
    own = _area(la.ons_code, la)
    out = np.empty(n, dtype=object)
    out[:] = own[rng.integers(0, len(own), n)]
    away = np.flatnonzero(~np.asarray(inside, dtype=bool))
    if away.size and la.neighbours:
        which = rng.integers(0, len(la.neighbours), away.size)
        for k, code in enumerate(la.neighbours):
            pool = _area(code, la)
            rows = away[which == k]
            out[rows] = pool[rng.integers(0, len(pool), rows.size)]
    return out


def home_postcodes(u: np.ndarray, la: SyntheticLA) -> np.ndarray:
    """One real postcode of the LA's own area per home address, chosen by ``u`` (uniform draws in [0, 1): the full
    SSD tables draw from stable hashes, not from the simulation's streams)."""
    own = _area(la.ons_code, la)
    return own[np.minimum((np.asarray(u, dtype=float) * len(own)).astype(np.int64), len(own) - 1)]
