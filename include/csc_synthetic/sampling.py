"""Vectorised draws used throughout the simulation (one call per column, never one per record)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

DAY = np.timedelta64(1, "D")


def weights(mapping: SimpleNamespace | dict) -> tuple[np.ndarray, np.ndarray]:
    """Keys and normalised probabilities of a config mapping of relative weights."""
    items = vars(mapping) if isinstance(mapping, SimpleNamespace) else mapping
    keys = np.array(list(items.keys()), dtype=object)
    p = np.array([float(v) for v in items.values()])
    return keys, p / p.sum()


def choose(rng: np.random.Generator, mapping: SimpleNamespace | dict, n: int) -> np.ndarray:
    keys, p = weights(mapping)
    return keys[rng.choice(len(keys), size=n, p=p)]


def integers(rng: np.random.Generator, bounds, n: int) -> np.ndarray:
    """Uniform integers in [lo, hi] (both inclusive)."""
    lo, hi = int(bounds[0]), int(bounds[1])
    return rng.integers(lo, hi + 1, n)


def lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def days(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).astype("timedelta64[D]")


def intervals_with_lateness(rng: np.random.Generator, usual, late, n: int) -> np.ndarray:
    """Gaps between recurring events (visits, reviews): mostly within ``usual``, a share ``late.share`` longer."""
    gap = integers(rng, usual, n)
    key = "days" if hasattr(late, "days") else "wd"
    is_late = rng.random(n) < float(late.share)
    gap[is_late] = integers(rng, getattr(late, key), int(is_late.sum()))
    return gap


def recurring(rng: np.random.Generator, starts: np.ndarray, ends: np.ndarray, first_gap: np.ndarray,
              next_gap, max_events: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events at start + first_gap, then every ``next_gap(n)`` days, strictly before each end.

    Returns (owner index, event date, ordinal from 0). ``next_gap`` draws n gaps at once. Vectorised over owners:
    rounds of one event per still-active owner.
    """
    starts = np.asarray(starts, dtype="datetime64[D]")
    ends = np.asarray(ends, dtype="datetime64[D]")
    owners, dates, ordinals = [], [], []
    current = starts + days(first_gap)
    active = np.flatnonzero(current < ends)
    current = current[active]
    k = 0
    while active.size and k < max_events:
        owners.append(active)
        dates.append(current)
        ordinals.append(np.full(active.size, k))
        current = current + days(next_gap(active.size))
        keep = current < ends[active]
        active, current = active[keep], current[keep]
        k += 1
    if not owners:
        empty = np.array([], dtype=np.int64)
        return empty, np.array([], dtype="datetime64[D]"), empty
    owner = np.concatenate(owners)
    order = np.lexsort((np.concatenate(ordinals), owner))
    return owner[order], np.concatenate(dates)[order], np.concatenate(ordinals)[order]
