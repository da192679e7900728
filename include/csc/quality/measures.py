"""Per-batch measures (rows per table, key stocks) kept in ``ops.dq_batch_measures``.

The volume rules compare tonight's measures with those of the LA's previously published batch; keeping them per
batch also gives the report its trends without re-reading raw tables of batches long gone.
"""

from __future__ import annotations

import psycopg

from csc.quality.catalogue import BatchContext, Catalogue
from csc.settings import Settings


def record_measures(conn: psycopg.Connection, catalogue: Catalogue, ctx: BatchContext) -> dict[str, float]:
    """Measure one batch (rows per contract table and the catalogue's stocks) from its work tables; store them."""
    counts = " union all ".join(f"select 'rows:{table.name}', count(*) from {ctx.work_table(table.name)}"
                                for table in catalogue.contract)
    values: dict[str, float] = dict(conn.execute(counts).fetchall())
    for name in catalogue.measures:
        values[name] = conn.execute(catalogue.measure_sql(name, ctx)).fetchone()[0]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "insert into ops.dq_batch_measures (batch_id, measure, value, measured_at) values (%s, %s, %s, now()) "
            "on conflict (batch_id, measure) do update set value = excluded.value, measured_at = now()",
            [(ctx.batch_id, measure, value) for measure, value in values.items()])
    return values


def stored_measures(conn, batch_id: int) -> dict[str, float]:
    return {m: float(v) for m, v in conn.execute(
        "select measure, value from ops.dq_batch_measures where batch_id = %s", (batch_id,))}


def has_raw_rows(conn, batch_id: int) -> bool:
    """Whether a batch's raw rows are still there (published and candidate batches; superseded ones are gone)."""
    return conn.execute("select exists (select 1 from raw.ssd_person where _batch_id = %s)", (batch_id,)).fetchone()[0]


def row_count_bounds(rows_before: float, settings: Settings) -> tuple[int, int]:
    """The row counts a table may have tonight, given last night's (configured bounds, never tighter than
    ``dq_volume_min_change`` rows either way)."""
    down = max(rows_before * settings.dq_volume_max_drop, settings.dq_volume_min_change)
    up = max(rows_before * settings.dq_volume_max_rise, settings.dq_volume_min_change)
    return max(0, int(rows_before - down)), int(rows_before + up)
