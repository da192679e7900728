"""The Airflow environment of this install, derived from the one settings object.

``csc airflow ...``, ``make run`` (``airflow dags test``) and ``make airflow`` (the UI and scheduler) all run Airflow
with these variables, so the metadata database, the DAG folder and the logs are the same everywhere. Variables
already set in the environment win, so a production deployment configures Airflow the usual way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from csc.settings import Settings

API_HOST = "127.0.0.1"
DEFAULT_API_PORT = 8080


def airflow_env(settings: Settings, *, api_port: int = DEFAULT_API_PORT) -> dict[str, str]:
    """The full process environment for running Airflow against this install."""
    from csc.warehouse.connection import resolve_target

    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    metadata_url = resolve_target(settings).for_database(settings.airflow_database).sqlalchemy_url("psycopg2")
    ours = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_dir),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/London",
        "AIRFLOW__CORE__FERNET_KEY": _fernet_key(settings),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(settings.logs_dir / "airflow"),
        # Task logs hold what the tasks print: owner-only, as everything else (Airflow chmods them 0664/0775 else).
        "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS": "0o700",
        "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS": "0o600",
        "AIRFLOW__API__HOST": API_HOST,
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://{API_HOST}:{api_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{API_HOST}:{api_port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": settings.secret("airflow_jwt_secret"),
        # Local UI on loopback: every user is an admin (SimpleAuthManager). Production sets its own auth manager.
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.home / "cache" / "cosmos"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "SCARF_ANALYTICS": "false",
        "DO_NOT_TRACK": "true",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "GX_ANALYTICS_ENABLED": "False",
        # Tasks run in child processes: they must see the same csc settings as this process.
        "CSC_HOME": str(settings.home),
    }
    if settings.warehouse_url is not None:
        ours["CSC_WAREHOUSE_URL"] = settings.warehouse_url.get_secret_value()
    env = dict(os.environ)
    for key, value in ours.items():
        if key.startswith("AIRFLOW__") and key in os.environ:
            continue  # configured by the operator: keep it
        env[key] = value
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _fernet_key(settings: Settings) -> str:
    """A Fernet key kept with the local secrets (Airflow encrypts connection passwords with it)."""
    path = settings.secrets_dir / "airflow_fernet_key"
    if not path.exists():
        from cryptography.fernet import Fernet

        settings.secrets_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(Fernet.generate_key().decode())
    return path.read_text().strip()
