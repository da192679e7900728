"""The Airflow assets the pipeline produces: an LA's published marts (its nightly DAG's ``publish`` task updates it;
the LA's quarterly-return DAG is scheduled on it)."""

from __future__ import annotations

from airflow.sdk import Asset


def marts_asset(la_code: str) -> Asset:
    return Asset(name=f"csc_marts_{la_code}", uri=f"csc://marts/{la_code}", group="csc")
