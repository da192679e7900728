"""The change summary compares rows under the source-system profile the loader recorded for the batch: SystemC
writes new random keys (``NEWID()``) every night for ``ssd_care_leavers``, so those rows are matched on the
profile's natural key. Compared on the SSD key, every row would look deleted and added again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from csc import batches
from csc.contract.profiles import load_profile
from csc.ingest import load_extract
from csc.ingest.changes import compute_changes
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect

from source_db_setup import FIRST, LA, LAST

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def systemc_nights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from csc_synthetic import generate
    from csc_synthetic.render import Rendering

    out = tmp_path_factory.mktemp("systemc")
    generate(LA, "small", 1, LAST, out, nights=2, rendering=Rendering(system="systemc"))
    return out


def test_systemc_care_leavers_are_compared_on_their_natural_key(systemc_nights: Path, warehouse_settings) -> None:
    settings = warehouse_settings.model_copy(update={"las_config": warehouse_settings.home / "las.yml",
                                                     "change_warn_min_rows": 1})
    settings.las_config.write_text(yaml.safe_dump({"las": [{"code": LA, "name": "Tinyshire", "system": "systemc"}]}))

    def land(night) -> Path:
        folder = settings.landing_dir / LA / night.isoformat()
        shutil.copytree(systemc_nights / LA / night.isoformat(), folder)
        return folder

    first = load_extract(land(FIRST), settings)
    assert first.status == "loaded"
    with connect(settings, role=LOADER) as conn:
        batches.mark_checked(conn, first.batch_id)
        batches.mark_published(conn, first.batch_id)
    last = load_extract(land(LAST), settings)
    assert last.status == "loaded"

    on_ssd_key = {s.table: s for s in compute_changes(last.batch_id, settings, profile=load_profile("generic"))}
    by_profile = {s.table: s for s in compute_changes(last.batch_id, settings)}  # the recorded profile: systemc

    leavers = by_profile["ssd_care_leavers"]
    assert leavers.compared_by == "natural_key" and leavers.key_columns == ("clea_person_id",)
    assert leavers.total > 0
    assert leavers.unchanged + leavers.changed > leavers.new + leavers.deleted
    keyed = on_ssd_key["ssd_care_leavers"]
    assert keyed.compared_by == "primary_key"
    assert keyed.unchanged == keyed.changed == 0 and keyed.new == keyed.total  # new random keys every night
    assert leavers.warning is None and keyed.warning is not None
