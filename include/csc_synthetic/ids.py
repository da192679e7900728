"""Identifiers as a case-management system would issue them: text, numbered per table, never real numbers.

NHS numbers are drawn from the 999 range the NHS reserves for testing (with a valid modulus-11 check digit), so no
synthetic number can belong to a real person.
"""

from __future__ import annotations

import numpy as np

# First number of each table's id series (ids are text; distinct series keep tables from sharing ids by accident).
ID_BASES = {
    "person": 1_000_001,
    "contact": 20_000_001,
    "referral": 30_000_001,
    "assessment": 40_000_001,
    "factors": 41_000_001,
    "cin_plan": 42_000_001,
    "cin_visit": 43_000_001,
    "s47": 44_000_001,
    "icpc": 45_000_001,
    "icpc_meeting": 46_000_001,
    "cp_plan": 47_000_001,
    "cp_visit": 48_000_001,
    "cp_review": 49_000_001,
    "cp_review_meeting": 50_000_001,
    "cla_episode": 51_000_001,
    "cla_period": 52_000_001,
    "placement": 53_000_001,
    "cla_review": 54_000_001,
    "cla_visit": 55_000_001,
    "legal_status": 56_000_001,
    "missing": 57_000_001,
    "care_leaver": 58_000_001,
    "involvement": 60_000_001,
    "disability": 59_000_001,
    "worker": 70_001,
}


def numbered(kind: str, n: int, start: int = 0) -> np.ndarray:
    return (ID_BASES[kind] + start + np.arange(n)).astype(str).astype(object)


def padded(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """prefix + zero-padded number, as text (empty in, empty out)."""
    return np.array([f"{prefix}{int(v):0{width}d}" for v in np.asarray(numbers)], dtype=object)


def nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Distinct test-range NHS numbers (999 + 6 digits + check digit)."""
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        body = 999_000_000 + rng.integers(0, 1_000_000, 2 * (n - out.size) + 16)
        digits = (body[:, None] // 10 ** np.arange(8, -1, -1)) % 10
        remainder = (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
        check = (11 - remainder) % 11
        valid = check != 10
        numbers = body[valid] * 10 + check[valid]
        out = np.unique(np.concatenate([out, numbers]))
    return rng.permutation(out)[:n].astype(str).astype(object)


def registration_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Social Work England style numbers: two letters and ten digits (synthetic: the 99 range)."""
    numbers = np.unique(rng.integers(0, 10**8, n * 2 + 16))
    numbers = rng.permutation(numbers)[:n]
    return padded("SW99", numbers, 8)


UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upns(rng: np.random.Generator, n: int, la_number: str = "") -> np.ndarray:
    """Distinct Unique Pupil Numbers in the DfE's format: a check letter, the 3-digit LA number, a 4-digit
    establishment number, a 2-digit year and a 3-digit serial (weights 2..13 on characters 2..13, modulo 23).

    ``la_number``: the DfE number of the LA that issued them (config.yml ``dfe_codes``, the real number of the area
    the synthetic LA stands in; CIN census rule 1530 accepts only real LA numbers). Without one (an area with no known
    DfE number) the UPNs carry 999, which is no LA: they are well formed, and the CIN validator's rule 1530 rejects
    them, as it should for a number no LA issued. The numbers drawn do not depend on ``la_number``."""
    la = (la_number if la_number.isdigit() and len(la_number) == 3 else "999")
    numbers = rng.permutation(np.unique(rng.integers(0, 10**9, 2 * n + 16)))[:n]
    out = np.empty(n, dtype=object)
    for i, number in enumerate(numbers):
        body = f"{la}{int(number):09d}"
        check = sum(int(d) * w for d, w in zip(body, range(2, 14), strict=True)) % 23
        out[i] = UPN_CHECK_LETTERS[check] + body
    return out
