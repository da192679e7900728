"""Fixtures of the data-quality tests (see dq_helpers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from csc.settings import Settings
from csc.warehouse.connection import Target

from dq_helpers import add_third_party_warning_filters, module_warehouse


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    add_third_party_warning_filters(items, Path(__file__).parent)


@pytest.fixture(scope="module")
def module_settings(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    yield from module_warehouse(pg_server, tmp_path_factory)
