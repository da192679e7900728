"""Triggers the triggerer runs while a nightly run waits: asynchronous, light, importable without the pipeline.

Only the standard library and Airflow's trigger base are imported here: the triggerer process imports this module to
re-create the trigger, and must not pay for (or depend on) the warehouse, dbt or Great Expectations.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


def _utcnow() -> datetime:
    return datetime.now(UTC)


def extract_is_ready(folder: str, marker: str | None = None) -> bool:
    """An extract is ready when its folder has manifest.json (written last), or it arrived as ``<date>.zip``, or
    (an LA whose extracts come without a manifest: ``marker``) its export job's completion marker is there."""
    path = Path(folder)
    return ((path / "manifest.json").is_file() or path.with_name(path.name + ".zip").is_file()
            or (marker is not None and (path / marker).is_file()))


class ExtractArrivedTrigger(BaseTrigger):
    """Polls for ``<landing>/<la>/<date>/manifest.json`` (or ``<date>.zip``) without blocking a worker.

    Fires one event: ``arrived`` when the extract is there; ``late`` when ``late_at`` passes first (the run's
    deadline: the task alerts, then waits on); ``timeout`` when ``give_up_at`` passes first.
    """

    def __init__(self, folder: str, poll_seconds: float, give_up_at: str, late_at: str | None = None,
                 marker: str | None = None) -> None:
        super().__init__()
        self.folder = folder
        self.marker = marker
        self.poll_seconds = float(poll_seconds)
        self.give_up_at = give_up_at
        self.late_at = late_at

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}",
                {"folder": self.folder, "poll_seconds": self.poll_seconds, "give_up_at": self.give_up_at,
                 "late_at": self.late_at, "marker": self.marker})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        give_up_at = datetime.fromisoformat(self.give_up_at)
        late_at = datetime.fromisoformat(self.late_at) if self.late_at else None
        while True:
            if await asyncio.to_thread(extract_is_ready, self.folder, self.marker):
                yield TriggerEvent({"status": "arrived", "folder": self.folder, "give_up_at": self.give_up_at})
                return
            now = _utcnow()
            if now >= give_up_at:
                yield TriggerEvent({"status": "timeout", "folder": self.folder, "give_up_at": self.give_up_at})
                return
            if late_at is not None and now >= late_at:
                yield TriggerEvent({"status": "late", "folder": self.folder, "give_up_at": self.give_up_at})
                return
            wake = min(t for t in (give_up_at, late_at) if t is not None)
            await asyncio.sleep(max(0.05, min(self.poll_seconds, (wake - now).total_seconds())))
