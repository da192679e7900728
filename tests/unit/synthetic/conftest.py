"""Extracts generated once per test session and shared by the generator's tests (generation is the slow part)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from csc.settings import PROJECT_ROOT
from csc_synthetic import GenerationResult, generate

AS_OF = date(2025, 3, 31)
MANIFEST_SCHEMA = PROJECT_ROOT / "include" / "csc" / "ingest" / "manifest.schema.json"
INDICATORS_MD = PROJECT_ROOT / "docs" / "INDICATORS.md"


def run(out: Path, la: str = "901", seed: int = 7, **kwargs) -> GenerationResult:
    return generate(la, kwargs.pop("size", None), seed, kwargs.pop("as_of", AS_OF), out, **kwargs)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    """Tinyshire, clean, one night."""
    return run(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    """Demoshire, clean, one night."""
    return run(tmp_path_factory.mktemp("small"), la="999", seed=1)
