"""Three generated LAs of one region loaded into one warehouse (issue 14, regional pooling), for the regional tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from csc.settings import Settings
from csc.warehouse.connection import connect

from dbt_extracts import land_extract

AS_OF = date(2026, 9, 30)
REGION = "test_region"
# Three LAs with a 0-17 population in the seed (la_population), so their rates per 10,000 pool too.
LAS = {"901": "Northshire", "903": "Southshire", "999": "Demoshire"}
# An LA whose extract came without the HR files: the region's workforce figures are not available.
WITHOUT_HR = "903"


def regional_las_config(path: Path, region: str = REGION, extra: dict[str, tuple[str, str]] | None = None) -> Path:
    """A config/las.yml listing the three LAs in ``region`` (and ``extra``: code -> (name, region))."""
    entries = [(code, name, region) for code, name in LAS.items()]
    entries += [(code, name, other) for code, (name, other) in (extra or {}).items()]
    path.write_text("las:\n" + "".join(f'  - code: "{code}"\n    name: {name}\n    region: {other}\n'
                                       for code, name, other in entries), encoding="utf-8")
    return path


def land_region(settings: Settings, work: Path, codes: list[str] | None = None) -> None:
    """Generate and load a tiny extract of each LA (``codes``: default the three), LA WITHOUT_HR without HR files."""
    for code in codes or list(LAS):
        extract = land_extract(settings, work, code, AS_OF, size="tiny")
        if code == WITHOUT_HR:
            with connect(settings) as conn:
                for table in ("hr_workers", "hr_establishment"):
                    conn.execute(f"delete from raw.{table} where _batch_id = %s", (extract.batch_id,))
                conn.commit()
