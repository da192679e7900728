"""What the commands share: the explicit start of the warehouse (connecting never starts anything)."""

from __future__ import annotations

from csc.settings import Settings, get_settings


def ensure_warehouse(settings: Settings | None = None):
    """The explicit start every command that needs the warehouse makes once, before its work."""
    from csc.warehouse.connection import ensure_warehouse_running

    return ensure_warehouse_running(settings or get_settings())


def started_settings() -> Settings:
    """The settings, once the warehouse is running: for commands whose every use needs the warehouse."""
    settings = get_settings()
    ensure_warehouse(settings)
    return settings
