"""Each LA's indicator targets, from the file its entry in config/las.yml names, into ``ops.la_indicator_targets``.

``build`` calls :func:`sync_targets` before dbt runs, so the targets in force are those of the LA configuration at
build time: an LA that keeps its own file (say, the targets of its improvement notice) edits that file and the next
nightly build rates every period against it. dbt's ``int_indicator_targets`` reads these rows, falling back to the
``indicator_targets`` seed for an LA with none here. A file with a bad row is refused with its line and field, and
nothing is changed.
"""

from __future__ import annotations

import psycopg

from csc.las import TargetsFileError, la_registry
from csc.settings import PROJECT_ROOT, Settings

__all__ = ["TargetsFileError", "sync_regions", "sync_targets"]


def sync_targets(conn: psycopg.Connection, settings: Settings) -> dict[str, int]:
    """Replace every configured LA's rows of ``ops.la_indicator_targets`` with its targets file's, in the caller's
    transaction; rows of LAs no longer configured are removed. Returns the rows per LA."""
    files = []
    for la in la_registry(settings):
        path = la.targets_path(PROJECT_ROOT)
        files.append((la.code, path, la.read_targets(PROJECT_ROOT)))  # all checked before anything changes
    conn.execute("delete from ops.la_indicator_targets")
    with conn.cursor() as cursor:
        for _, path, rows in files:
            cursor.executemany(
                "insert into ops.la_indicator_targets (la_code, indicator_id, effective_from, target, "
                "amber_threshold, target_source, targets_file) values (%s, %s, %s, %s, %s, %s, %s)",
                [(r.la_code, r.indicator_id, r.effective_from, r.target, r.amber_threshold, r.target_source,
                  str(path)) for r in rows])
    return {la_code: len(rows) for la_code, _, rows in files}


def sync_regions(conn: psycopg.Connection, settings: Settings) -> dict[str, list[str]]:
    """Replace ``ops.la_regions`` with each configured LA's ``region:`` (issue 14, regional pooling), in the caller's
    transaction: dbt's regional comparison mart pools the LAs of each region. Returns each region's LA codes."""
    registry = la_registry(settings)
    conn.execute("delete from ops.la_regions")
    with conn.cursor() as cursor:
        cursor.executemany("insert into ops.la_regions (la_code, la_name, region) values (%s, %s, %s)",
                           [(la.code, la.name, la.region) for la in registry if la.region is not None])
    return registry.regions()
