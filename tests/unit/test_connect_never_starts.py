"""connect() only connects: a stopped embedded warehouse is an error naming `csc warehouse start`, never a start."""

from __future__ import annotations

import pytest

from csc.settings import Settings
from csc.warehouse.connection import WarehouseUnavailable, connect, is_warehouse_unavailable, resolve_target

pytestmark = pytest.mark.unit


def test_connect_to_a_stopped_embedded_warehouse_starts_nothing(tmp_path):
    settings = Settings(home=tmp_path / "home")
    for attempt in (lambda: resolve_target(settings), lambda: connect(settings).__enter__()):
        with pytest.raises(WarehouseUnavailable) as raised:
            attempt()
        assert str(raised.value).startswith("the warehouse is not running: `csc warehouse start`")
        assert is_warehouse_unavailable(raised.value)
    assert not (tmp_path / "home").exists()  # no data folder created, no server started


def test_unreachable_server_url_is_unavailable():
    settings = Settings(warehouse_url="postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    with pytest.raises(WarehouseUnavailable, match="cannot be reached"), connect(settings):
        pass


def test_other_errors_are_not_unavailable():
    import psycopg

    assert not is_warehouse_unavailable(ValueError("bad"))
    assert not is_warehouse_unavailable(psycopg.errors.UniqueViolation("duplicate"))
    assert is_warehouse_unavailable(psycopg.errors.AdminShutdown("terminating connection"))
    wrapped = RuntimeError("Data-quality run 3 failed")
    wrapped.__cause__ = psycopg.OperationalError("server closed the connection unexpectedly")
    assert is_warehouse_unavailable(wrapped)  # anywhere in the cause chain
