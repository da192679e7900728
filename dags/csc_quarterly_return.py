"""Quarterly return of each LA in config/las.yml, written when its nightly run publishes new marts.

One DAG per LA (``csc_quarterly_return_<code>``), scheduled on the LA's published-marts asset (``csc://marts/<la>``),
which the nightly DAG's ``publish`` task updates. Each run looks at the latest published extract date: if the latest
quarter complete at that date has no return yet, it writes it (``csc.returns.write_return``: workbook, CSVs, report);
otherwise the task is skipped. Nothing here touches a database, the network or a file at import time.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from csc.las import LocalAuthority, la_registry
from csc.orchestration.assets import marts_asset
from csc.orchestration.defaults import default_task_args
from csc.privacy import private_umask
from csc.settings import get_settings

private_umask()  # task processes write owner-only files, whoever started the scheduler


def quarterly_return_dag(la: LocalAuthority, settings):
    @dag(
        dag_id=f"csc_quarterly_return_{la.code}",
        description=f"Quarterly return of {la.name} once a quarter has closed in its published marts",
        schedule=[marts_asset(la.code)],
        start_date=pendulum.datetime(2025, 1, 1, tz=la.timezone),
        catchup=False,
        max_active_runs=1,
        tags=["csc", "returns", f"la:{la.code}"],
        default_args=default_task_args(settings),
        doc_md=__doc__,
    )
    def quarterly():
        @task
        def write_quarterly_return() -> dict:
            from airflow.sdk.exceptions import AirflowSkipException

            from csc.orchestration.failures import retry_only_transient
            from csc.orchestration.quarterly import write_due_return

            with retry_only_transient():
                outcome = write_due_return(la.code)
            if outcome["written"] is False:
                raise AirflowSkipException(outcome["reason"])
            return outcome

        write_quarterly_return()

    return quarterly()


_settings = get_settings()
for _la in la_registry(_settings):
    globals()[f"csc_quarterly_return_{_la.code}"] = quarterly_return_dag(_la, _settings)
