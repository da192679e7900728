"""End to end in each export dialect: a tiny generated extract (with the demo's publishable faults) rendered as ssms
(UTF-16, literal NULL, SQL Server date text), bcp (no header, tabs, NULs, SQL Server datetimes, no manifest: the LA's
READY marker, its dialect declared in las.yml) and csv (UTF-16) loads, passes the real checks without a blocking
failure, builds with dbt, publishes, and every indicator equals the generator's truth.

LA 901 (configured tiny, so the population seed describes it) on three consecutive nights, one per dialect.
"""

from __future__ import annotations

import shutil
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from csc.ingest import load_extract
from csc.quality import run_checks
from csc.settings import PROJECT_ROOT
from csc.transform import build, publish
from csc.warehouse.bootstrap import ANALYST, ensure_local_secrets
from csc.warehouse.connection import connect
from csc_synthetic import generate
from csc_synthetic.render import Rendering

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))
from dbt_truth import indicator_differences, read_truth_indicators, warehouse_indicators  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    # Great Expectations' import warns (Python's own re internals); not ours to fix.
    pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning"),
]

LA = "901"
NIGHTS = {
    "ssms": (date(2026, 11, 28), Rendering(dialect="ssms", encoding="utf-16", datetime_style="sqlserver-text"),
             {"dialect": "ssms"}),
    "bcp": (date(2026, 11, 29), Rendering(dialect="bcp", datetime_style="sqlserver", manifest=False),
            {"dialect": "bcp", "manifest": "optional"}),
    "csv": (date(2026, 11, 30), Rendering(encoding="utf-16", datetime_style="sqlserver"), {}),
}
FAULTS = PROJECT_ROOT / "config" / "demo_faults.yml"  # warning-level faults: publishable


@pytest.fixture(scope="module")
def settings(_module_warehouse, tmp_path_factory):
    settings = _module_warehouse.model_copy(update={"home": tmp_path_factory.mktemp("e2e-home")})
    ensure_local_secrets(settings)  # a new home: the local secrets `csc init` would write
    return settings


@pytest.mark.parametrize("dialect", list(NIGHTS))
def test_a_tiny_extract_in_each_dialect_loads_checks_builds_and_equals_the_truth(dialect, settings, tmp_path):
    as_of, rendering, export = NIGHTS[dialect]
    las = tmp_path / "las.yml"
    las.write_text(yaml.safe_dump({"las": [{"code": LA, "name": "Tinyshire", "export": export}]}))
    night_settings = settings.model_copy(update={"las_config": las})
    night = generate(LA, "tiny", 1, as_of, tmp_path / "out", faults=str(FAULTS), rendering=rendering).nights[-1]
    landed = night_settings.landing_dir / LA / as_of.isoformat()
    landed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(night.extract_dir, landed)

    loaded = load_extract(landed, night_settings)  # the dialect comes from las.yml
    assert loaded.status == "loaded"
    checked = run_checks(loaded.batch_id, night_settings, send_alerts=False)
    assert checked.outcome in ("pass", "warn"), f"{dialect}: the checks blocked the batch"
    build(night_settings)
    publish(night_settings)

    truth = read_truth_indicators(night.truth_dir / "indicators.csv")
    with connect(night_settings, role=ANALYST) as conn:
        actual = warehouse_indicators(conn, "marts", LA)
    assert truth
    differences = indicator_differences(truth, actual)
    assert not differences, f"{dialect}: {len(differences)} differences from the truth:\n" + "\n".join(differences)
