"""--nights K: consecutive nightly extracts, each with its own truth, changing as a live system does."""

from __future__ import annotations

import copy
import json
from datetime import date

import pandas as pd
import pytest

from csc_synthetic import generate
from csc_synthetic.config import GeneratorConfig, load_config
from csc_synthetic.full_ssd import simulated_contract

from .redetect import detect

pytestmark = pytest.mark.unit

AS_OF = date(2025, 3, 27)  # a Thursday: the three nights are working days


@pytest.fixture(scope="session")
def three_nights(tmp_path_factory):
    """Three nights of an LA of 3,000 children (a tiny LA sees no activity in three days), with many provisional
    values corrected on later nights."""
    document = copy.deepcopy(load_config().document)
    document["nights"]["corrections_per_night_per_10000_rows"] = 100
    return generate("901", 3000, 4, AS_OF, tmp_path_factory.mktemp("nights"), nights=3,
                    config=GeneratorConfig(document))


def frames(night) -> dict[str, pd.DataFrame]:
    return {t.name: pd.read_csv(night.extract_dir / t.file_name, dtype=str, keep_default_na=False)
            for t in simulated_contract()}


def test_each_night_has_its_dated_extract_and_truth(three_nights):
    dates = [n.extract_date for n in three_nights.nights]
    assert dates == [date(2025, 3, 25), date(2025, 3, 26), date(2025, 3, 27)]
    for night in three_nights.nights:
        manifest = json.loads((night.extract_dir / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["extract_date"] == night.extract_date.isoformat()
        assert night.truth_dir.name == night.extract_date.isoformat()
        day = pd.read_csv(night.truth_dir / "indicators.csv", dtype=str)
        assert set(day.loc[day["period_type"] == "day", "period_end"]) == {night.extract_date.isoformat()}
        assert detect(night.extract_dir) == {}


def test_later_nights_add_close_and_correct_records_within_normal_volumes(three_nights):
    nights = [frames(n) for n in three_nights.nights]
    contract = simulated_contract()
    added = closed = corrected = 0
    for before, after in zip(nights, nights[1:], strict=False):
        for table in contract:
            b, a = before[table.name], after[table.name]
            if len(b) >= 20:
                assert abs(len(a) - len(b)) / len(b) <= 0.3, table.name
            key = table.primary_key[0]
            merged = b.merge(a, on=list(table.primary_key), suffixes=("_b", "_a"))
            added += len(set(a[key]) - set(b[key]))
            for column in table.column_names:
                if column in table.primary_key:
                    continue
                changed = merged[merged[f"{column}_b"] != merged[f"{column}_a"]]
                if column.endswith(("_end_date", "_close_date", "_ceased_date", "_auth_date")):
                    closed += int((changed[f"{column}_b"] == "").sum())
                elif column in ("pers_ethnicity", "pers_surname", "cine_referral_source_code"):
                    corrected += len(changed)
    assert added > 0 and closed > 0 and corrected > 0


def test_faults_stay_on_their_records_from_night_to_night(tmp_path):
    result = generate("999", "tiny", 3, AS_OF, tmp_path, faults="default", nights=2)
    first, second = (pd.read_csv(n.truth_dir / "faults.csv", dtype=str, keep_default_na=False) for n in result.nights)
    keys = [set(zip(f["fault_type"], f["table"], f["primary_key"], strict=True)) for f in (first, second)]
    assert len(keys[0] & keys[1]) >= 0.8 * len(keys[0]) > 0


def test_a_volume_drop_is_asked_for_not_accidental(tmp_path):
    result = generate("901", None, 4, AS_OF, tmp_path, faults="all", nights=2)
    before, after = result.nights
    assert after.rows["ssd_contacts"] < 0.7 * before.rows["ssd_contacts"]
    faults = [pd.read_csv(n.truth_dir / "faults.csv", dtype=str, keep_default_na=False) for n in result.nights]
    assert not {"volume_drop", "truncated_last_line"} & set(faults[0]["fault_type"])
    assert {"volume_drop", "truncated_last_line"} <= set(faults[1]["fault_type"])
