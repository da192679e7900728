"""Statutory return files as a second input (issue 14): ``csc import 903|cin|annex-a``.

An LA's past SSDA903 and CIN census files (and Ofsted's Annex A lists) are parsed into rows of the SSD's own tables
(:class:`ParsedReturn`). Each import is kept per LA, kind and year in an *import set*; the LA's combined history (every
year's episodes and events by date, the latest return winning where two overlap, a re-imported year replacing that
year) is rendered as one SSD-shaped extract and loaded through the ordinary loader, so imports get the same
verification, quarantine, idempotency and lineage as extracts. Its batch is marked ``source_kind = 'returns'`` in
``ops.extract_batches`` (migration 1600).
"""

from csc.imports.model import ImportRefused, ParsedReturn

__all__ = ["ImportRefused", "ParsedReturn"]
