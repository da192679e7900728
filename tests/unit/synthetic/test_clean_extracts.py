"""A clean extract (--faults none) breaks no rule of DATA_QUALITY.md families 1-5 and 7, found by the independent
re-detector in redetect.py."""

from __future__ import annotations

import pytest

from .redetect import detect

pytestmark = pytest.mark.unit


def test_the_re_detector_finds_nothing_in_clean_extracts(tiny, small):
    for result in (tiny, small):
        assert detect(result.nights[0].extract_dir) == {}


def test_the_re_detector_does_see_a_broken_record(tiny, tmp_path):
    """Guard against a re-detector that can find nothing: break one referral by hand."""
    import csv
    import hashlib
    import json
    import shutil

    copy = tmp_path / "extract"
    shutil.copytree(tiny.nights[0].extract_dir, copy)
    path = copy / "ssd_cin_episodes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    close = rows[0].index("cine_close_date")
    rows[1][close] = "2001-01-01"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["name"] == path.name:
            entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
            entry["bytes"] = path.stat().st_size
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    found = detect(copy)
    assert found["end_before_start"] == {("ssd_cin_episodes", rows[1][0])}
