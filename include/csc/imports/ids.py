"""Stable ids for the records a return does not number (episodes, placements, reviews...).

The same LA, record kind and defining values (the child's id and the record's dates) always give the same id, so a
re-imported return, or a child's open episode reported again in the next year's return, keeps its id: that is what
lets the import set combine several years by id (``importset``) and the loader's change counts match records.
"""

from __future__ import annotations

import hashlib
from datetime import date


def stable_id(la_code: str, kind: str, *parts: object) -> str:
    """``<KIND>-<16 hex>``: sha256 of the LA, the record kind and its defining values (dates in ISO form)."""
    text = "\x1f".join([la_code, kind, *(p.isoformat() if isinstance(p, date) else str(p or "") for p in parts)])
    return f"{kind.upper()}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"
