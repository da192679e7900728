"""Same arguments, byte-identical files; another seed, another LA history."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run

pytestmark = pytest.mark.unit


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_arguments_give_byte_identical_files(tiny, tmp_path):
    run(tmp_path)
    first_root = tiny.nights[0].extract_dir.parents[1]
    assert _tree(first_root) == _tree(tmp_path)


def test_another_seed_gives_another_extract(tiny, tmp_path):
    other = run(tmp_path, seed=8)
    ours = _tree(tiny.nights[0].extract_dir.parents[1])
    theirs = _tree(tmp_path)
    assert ours.keys() == theirs.keys()
    different = [name for name in ours if ours[name] != theirs[name]]
    assert "901/2025-03-31/ssd_person.csv" in different
    assert "truth/901/2025-03-31/indicators.csv" in different
    assert other.total_rows != tiny.total_rows


def test_regenerating_into_the_same_folder_leaves_no_stale_file(tmp_path):
    run(tmp_path)
    stale = tmp_path / "901" / "2025-03-31" / "left_over.csv"
    stale.write_text("x\n")
    run(tmp_path)
    assert not stale.exists()


def test_truth_computed_beside_rendering_gives_the_same_files(tiny, tmp_path):
    """Large extracts compute their truth in a second process; the files must not depend on it."""
    import copy

    from csc_synthetic.config import GeneratorConfig, load_config

    document = copy.deepcopy(load_config().document)
    document["performance"]["truth_beside_rendering_from_rows"] = 0
    run(tmp_path, config=GeneratorConfig(document))
    assert _tree(tiny.nights[0].extract_dir.parents[1]) == _tree(tmp_path)
