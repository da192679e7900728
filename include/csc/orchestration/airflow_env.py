"""The Airflow environment of this install, derived from the one settings object.

``csc airflow ...``, ``make run`` (``airflow dags test``) and ``make airflow`` (the UI and scheduler) all run Airflow
with these variables, so the metadata database, the DAG folder and the logs are the same everywhere. Variables
already set in the environment win, so a production deployment configures Airflow the usual way.

Login: Airflow's simple auth manager with named users (``AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS``, default
:data:`DEFAULT_USERS`) whose passwords are generated once into ``<secrets>/airflow_passwords.json`` (mode 0600).
Anonymous access is never on: ``simple_auth_manager_all_admins`` is forced off whatever the environment says.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

from csc.settings import Settings

API_HOST = "127.0.0.1"
DEFAULT_API_PORT = 8080
# Data engineers administer Airflow; a viewer sees DAGs, runs and logs, never connections, variables or config.
DEFAULT_USERS = "engineer:admin,viewer:viewer"
PASSWORDS_FILE = "airflow_passwords.json"
ROLES = ("viewer", "user", "op", "admin")  # the simple auth manager's, each with the rights of those before it


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
        # Real login in every mode: named users with generated passwords (see the module's docstring).
        **login_env(settings),
        # Every listener on loopback. The scheduler's and triggerer's log servers have no bind setting in Airflow
        # 3.3 (always 0.0.0.0): local_airflow starts them with --skip-serve-logs, logs are read from the folder.
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": API_HOST,
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
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
    env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] = "False"  # never anonymous admins, whatever is set
    ensure_passwords(settings, env)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def login_env(settings: Settings) -> dict[str, str]:
    """The login part of the environment: auth manager, users, passwords file (the operator's variables win)."""
    ours = {
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": DEFAULT_USERS,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(settings.secrets_dir / PASSWORDS_FILE),
    }
    return {key: os.environ.get(key, value) for key, value in ours.items()}


def _fernet_key(settings: Settings) -> str:
    """A Fernet key kept with the local secrets (Airflow encrypts connection passwords with it)."""
    path = settings.secrets_dir / "airflow_fernet_key"
    if not path.exists():
        from cryptography.fernet import Fernet

        settings.secrets_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(Fernet.generate_key().decode())
    return path.read_text().strip()


def airflow_users(env: dict[str, str]) -> list[tuple[str, str]]:
    """``(user, role)`` of every configured simple-auth-manager user."""
    users = []
    for entry in env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "").split(","):
        if entry.strip():
            name, _, role = entry.strip().partition(":")
            role = role.split(":")[0].strip()
            if not name.strip() or role.lower() not in ROLES:
                raise ValueError(f"AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: entry {entry.strip()!r}: expected "
                                 f"USER:ROLE with ROLE one of {', '.join(ROLES)}")
            users.append((name.strip(), role.lower()))
    return users


def passwords_file(env: dict[str, str]) -> Path:
    return Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])


def ensure_passwords(settings: Settings, env: dict[str, str]) -> Path | None:
    """Generate a password (owner-only file) for every configured user that has none yet; return the file.

    Airflow would generate missing ones itself, but print them to the api-server's log: generating them here first
    keeps them out of every log. An existing file is re-moded to 0600.
    """
    if not env.get("AIRFLOW__CORE__AUTH_MANAGER", "").endswith(".SimpleAuthManager"):
        return None  # the operator configured another auth manager (e.g. FAB)
    path = passwords_file(env)
    if path.parent == settings.secrets_dir:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
    try:
        stored = json.loads(path.read_text() or "{}") if path.exists() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: line {exc.lineno}: not a JSON object of user names and passwords "
                         f"({exc.msg})") from None
    if not isinstance(stored, dict):
        raise ValueError(f"{path}: line 1: not a JSON object of user names and passwords")
    missing = [name for name, _ in airflow_users(env) if name not in stored]
    if missing or not path.exists():
        stored.update({name: secrets.token_urlsafe(18) for name in missing})
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps(stored, indent=2) + "\n")
    path.chmod(0o600)
    return path
