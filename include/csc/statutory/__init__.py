"""The DfE statutory returns built from the warehouse: SSDA903 (children looked after), the CIN census and the
Ofsted Annex A lists, and their validation by the DfE's own validators (tools/dfe-validators).

The returns carry the LA's own child ids (CHILD, LAchildID), read from staging as the casework lists do: every file
is written owner-only (umask 077) into a folder of its own.
"""

from csc.statutory.years import CollectionYear, StatutoryError, ensure_fresh

__all__ = ["CollectionYear", "StatutoryError", "ensure_fresh"]
