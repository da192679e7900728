"""Data-quality checks: the rule catalogue (``expectations/catalogue.yml``) run with Great Expectations on a loaded
batch, results kept in ``ops``, a report per run and alerts to the LA's performance leads.

``run_checks(batch_id, settings)`` is what the nightly DAG's check step and ``csc check`` call. Importing this package
is cheap; Great Expectations is imported only when checks run.
"""

from __future__ import annotations

from csc.quality.runner import CheckResult, DataQualityRunError, run_checks

__all__ = ["CheckResult", "DataQualityRunError", "run_checks"]
