"""The environment a dbt process needs: where the warehouse is (profile variables) and the pseudonymisation pads.

Everything dbt needs comes from here, so ``csc build``, the nightly DAG and astronomer-cosmos run dbt the same
way: ``dbt_environment(settings)`` returns the variables to add to the process environment.

The thresholds the indicators share with the data-quality checks (the visit standards, the history reporting
periods reach back over) come from the settings object too, as ``CSC_DBT_VAR_*`` variables that dbt_project.yml
reads into its vars (``dbt_vars(settings)``): one value per threshold, whoever runs dbt.

The pseudonymisation key never reaches dbt: only the HMAC-SHA256 inner and outer pads derived from it do, and
only through ``PGOPTIONS`` (``-c csc.hmac_ipad=... -c csc.hmac_opad=...``), which libpq sends as session settings.
The key is therefore absent from SQL text, compiled files, dbt logs and tables.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from csc.settings import Settings
from csc.warehouse.connection import Target, resolve_target

HMAC_BLOCK_SIZE = 64  # bytes, SHA-256
# dbt's sessions sort and hash whole intermediate tables (a county's children x 72 reporting dates): give them room
# so they do not spill to disk. Only dbt's own sessions get it; BI keeps the server's default.
DBT_SESSION_OPTIONS = "-c work_mem=256MB"


def hmac_pads(key: str) -> tuple[str, str]:
    """The HMAC-SHA256 inner and outer pads of ``key`` as hex (RFC 2104)."""
    raw = key.encode("utf-8")
    if len(raw) > HMAC_BLOCK_SIZE:
        raw = hashlib.sha256(raw).digest()
    block = raw.ljust(HMAC_BLOCK_SIZE, b"\0")
    inner = bytes(b ^ 0x36 for b in block)
    outer = bytes(b ^ 0x5C for b in block)
    return inner.hex(), outer.hex()


def pgoptions_with_pads(key: str, existing: str | None = None) -> str:
    inner, outer = hmac_pads(key)
    options = f"{DBT_SESSION_OPTIONS} -c csc.hmac_ipad={inner} -c csc.hmac_opad={outer}"
    return f"{existing} {options}" if existing else options


def dbt_environment(settings: Settings, target: Target | None = None) -> dict[str, str]:
    """Variables for a dbt process: profile connection, threads, pads, and where dbt writes its files."""
    target = target or resolve_target(settings)
    dbt_home = dbt_work_dir(settings)
    env = {
        "CSC_DBT_HOST": target.host,
        "CSC_DBT_PORT": str(target.port),
        "CSC_DBT_USER": target.user,
        "CSC_DBT_DBNAME": target.dbname,
        "CSC_DBT_THREADS": str(settings.dbt_threads),
        "DBT_PROFILES_DIR": str(settings.dbt_project_dir),
        "DBT_PROJECT_DIR": str(settings.dbt_project_dir),
        "DBT_TARGET_PATH": str(dbt_home / "target"),
        "DBT_LOG_PATH": str(dbt_home / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PGOPTIONS": pgoptions_with_pads(settings.secret("pseudonym_key"), os.environ.get("PGOPTIONS")),
        **dbt_vars(settings),
    }
    if target.password:
        env["DBT_ENV_SECRET_CSC_DBT_PASSWORD"] = target.password
    return env


def dbt_vars(settings: Settings) -> dict[str, str]:
    """The dbt vars that are settings (dbt_project.yml ``vars:`` reads each with ``env_var``): the same values the
    data-quality checks render into their rules as ``cfg.<setting>``."""
    return {
        "CSC_DBT_VAR_CP_VISIT_WORKING_DAYS": str(settings.dq_cp_visit_working_days),
        "CSC_DBT_VAR_CLA_VISIT_DAYS": str(settings.dq_cla_visit_days),
        "CSC_DBT_VAR_HISTORY_YEARS": str(settings.history_years),
    }


def dbt_work_dir(settings: Settings) -> Path:
    """Where dbt writes target/ and logs/ for this install (inside CSC_HOME, never in the repository)."""
    return settings.home / "dbt"
