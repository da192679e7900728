"""Waiting for the night's extract to land."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import BaseSensorOperator, PokeReturnValue


class ExtractArrivedSensor(BaseSensorOperator):
    """Done when ``<landing>/<la>/<extract date>/manifest.json`` exists (the manifest is written last).

    ``run`` is the run record returned by the ``start_run`` task (it carries the LA and the extract date).
    Its XCom value is the extract folder.
    """

    template_fields = ("run",)

    def __init__(self, *, run: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = run

    def poke(self, context: Any) -> PokeReturnValue:
        from csc.pipeline import extract_arrived

        folder = extract_arrived(self.run["la_code"], pendulum.parse(self.run["extract_date"]).date())
        if folder is None:
            self.log.info("No extract yet for LA %s dated %s", self.run["la_code"], self.run["extract_date"])
        return PokeReturnValue(is_done=folder is not None, xcom_value=str(folder) if folder else None)
