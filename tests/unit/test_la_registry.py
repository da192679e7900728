"""The one LA registry (csc.las.la_registry): read once per process and path, a clear error for an unknown LA."""

from __future__ import annotations

import pytest

from csc import las
from csc.las import UnknownLA, la_registry
from csc.settings import Settings

pytestmark = pytest.mark.unit

LAS = """\
las:
  - code: "901"
    name: Tinyshire
  - code: "999"
    name: Demoshire
"""


def test_read_once_per_path_and_again_only_when_the_file_changes(tmp_path, monkeypatch):
    path = tmp_path / "las.yml"
    path.write_text(LAS)
    reads = []
    real = las.load_las
    monkeypatch.setattr(las, "load_las", lambda p: reads.append(p) or real(p))

    settings = Settings(las_config=path)
    first = la_registry(settings)
    assert la_registry(settings) is first and la_registry(path) is first
    assert len(reads) == 1
    assert [la.code for la in first] == ["901", "999"] and first.get("901").name == "Tinyshire"

    path.write_text(LAS.replace("Tinyshire", "Tinyshire Council"))
    assert la_registry(settings).get("901").name == "Tinyshire Council"
    assert len(reads) == 2


def test_unknown_la_names_the_file_and_the_configured_codes(tmp_path):
    path = tmp_path / "las.yml"
    path.write_text(LAS)
    with pytest.raises(UnknownLA) as raised:
        la_registry(path).get("123")
    message = str(raised.value)
    assert str(path) in message and "'123'" in message and "901, 999" in message
    assert isinstance(raised.value, KeyError)  # callers that handle a missing key keep working


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="las.yml"):
        la_registry(tmp_path / "las.yml")


def test_every_lookup_goes_through_the_registry():
    """No module reads config/las.yml itself (load_las is the registry's parser only)."""
    from csc.settings import PROJECT_ROOT

    offenders = []
    for folder in ("include", "dags"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            if path.name == "las.py":
                continue
            if "load_las(" in path.read_text(encoding="utf-8"):
                offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert offenders == []
