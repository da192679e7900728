"""Fixtures of the statutory-return tests: one warehouse per session holding a fault-free generated extract of the
demo LA with the full SSD table set (two of its teams renamed to formula-like names), loaded, checked, built by dbt
and published (tests/pipeline_build.py, shared with the quarterly return's acceptance tests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from csc.settings import Settings
from csc.warehouse.connection import Target

from pipeline_build import built_pipeline
from statutory_setup import AS_OF, FORMULA_TEAMS, LA


@dataclass
class Built:
    settings: Settings
    batch_id: int
    raw_person_ids: set[str]


@pytest.fixture(scope="session")
def built(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from csc.warehouse.connection import connect
    from csc_synthetic.render import Rendering

    # the full SSD table set (ssd_address, ssd_mother, the OC2 tables...) that the returns read
    with built_pipeline(pg_server, tmp_path_factory.mktemp("statutory"), LA, AS_OF, teams=FORMULA_TEAMS,
                        faults="none", rendering=Rendering(full_ssd=True)) as pipeline:
        with connect(pipeline.settings) as conn:
            ids = {r[0] for r in conn.execute("select pers_person_id from raw.ssd_person")}
        yield Built(pipeline.settings, pipeline.batch_id, ids)
