"""Fixtures of the alert tests: the data-quality tests' helpers (a warehouse per module, warning filters)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Airflow (the SMTP provider's hook) reads its configuration when first imported: a private, throwaway home.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="csc-airflow-test-"))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
sys.path.insert(0, str(Path(__file__).parents[1] / "quality"))

from csc.settings import Settings  # noqa: E402
from csc.warehouse.connection import Target  # noqa: E402

from dq_helpers import add_third_party_warning_filters, module_warehouse  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    add_third_party_warning_filters(items, Path(__file__).parent)


@pytest.fixture(scope="module")
def module_settings(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    yield from module_warehouse(pg_server, tmp_path_factory)
