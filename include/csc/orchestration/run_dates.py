"""The real start of the product's own Airflow runs made with ``dag.test()``.

``csc backfill`` runs each night with ``dag.test()`` and ``make run`` with ``airflow dags test`` (the same call).
Airflow creates such a run with its start date set to its logical date (the morning after the extract night), so the
UI and the API showed a run of minutes as lasting since that night ("66d"). After such a run the product writes the
moment it really started into the run's ``dag_run`` row (and its end, if Airflow left none or an older one); runs
started by the scheduler or the UI already have both and are not touched.
"""

from __future__ import annotations

from datetime import datetime


def record_real_run_dates(metadata_url: str, dag_id: str, started_at: datetime, finished_at: datetime, *,
                          run_id: str | None = None) -> int:
    """Set ``start_date`` (and a missing ``end_date``) of the ``dag.test()`` run of ``dag_id`` made between
    ``started_at`` and ``finished_at`` (timezone-aware): the run ``run_id``, else the runs that ended in that window.
    A start already inside the window is kept. Returns the number of runs corrected."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    if started_at.tzinfo is None or finished_at.tzinfo is None:
        raise ValueError("record_real_run_dates needs timezone-aware datetimes")
    which = "run_id = :run_id" if run_id is not None else "end_date between :started and :finished"
    engine = create_engine(metadata_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            return conn.execute(text(
                "update dag_run set start_date = :started, "
                "end_date = case when end_date is null or end_date < :started then :finished else end_date end "
                f"where dag_id = :dag_id and {which} "
                "and (start_date is null or start_date < :started or start_date > :finished)"),
                {"dag_id": dag_id, "run_id": run_id, "started": started_at, "finished": finished_at}).rowcount
    finally:
        engine.dispose()
