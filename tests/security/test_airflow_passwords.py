"""The Airflow environment of every mode asks for a login: named users, passwords generated into an owner-only file,
never all-admins (even when an operator's environment says so)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from csc.orchestration.airflow_env import airflow_env
from csc.settings import Settings
from csc.warehouse.bootstrap import ensure_local_secrets

pytestmark = [pytest.mark.unit, pytest.mark.security]


@pytest.fixture
def settings(tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("AIRFLOW__CORE__SIMPLE_AUTH")]:
        monkeypatch.delenv(name)
    # A URL (no embedded server is started: the environment is only computed); the local secrets as `csc init`
    # leaves them.
    settings = Settings(home=tmp_path / "home", warehouse_url="postgresql://csc@127.0.0.1:1/csc")
    ensure_local_secrets(settings)
    return settings


def test_every_mode_uses_named_users_and_never_all_admins(settings, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    env = airflow_env(settings)
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "engineer:admin,viewer:viewer"
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"


def test_passwords_are_generated_once_into_an_owner_only_file(settings):
    env = airflow_env(settings)
    path = settings.secrets_dir / "airflow_passwords.json"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == str(path)
    first = json.loads(path.read_text())
    assert set(first) == {"engineer", "viewer"} and all(len(p) >= 20 for p in first.values())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.secrets_dir.stat().st_mode) == 0o700
    airflow_env(settings)
    assert json.loads(path.read_text()) == first  # kept


def test_a_new_user_gets_a_password_and_the_others_keep_theirs(settings, monkeypatch):
    airflow_env(settings)
    path = settings.secrets_dir / "airflow_passwords.json"
    first = json.loads(path.read_text())
    path.chmod(0o644)
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "engineer:admin,viewer:viewer,alice:op")
    airflow_env(settings)
    now = json.loads(path.read_text())
    assert set(now) == {"engineer", "viewer", "alice"}
    assert {k: now[k] for k in first} == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_damaged_password_file_is_named(settings):
    path = settings.secrets_dir / "airflow_passwords.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"engineer": "x",\n oops}\n')
    with pytest.raises(ValueError, match=r"airflow_passwords\.json: line 2"):
        airflow_env(settings)
    assert path.read_text() == '{"engineer": "x",\n oops}\n'  # nothing lost


def test_an_unknown_role_is_named(settings, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "engineer:admin,alice:superuser")
    with pytest.raises(ValueError, match=r"USERS: entry 'alice:superuser'.*viewer, user, op, admin"):
        airflow_env(settings)


def test_csc_init_writes_the_password_file_and_airflow_keeps_it(tmp_path, monkeypatch):
    """`csc init` (ensure_local_secrets) writes the file, not only `csc airflow`; one writer, so Airflow keeps it."""
    for name in [k for k in os.environ if k.startswith("AIRFLOW__CORE__")]:
        monkeypatch.delenv(name)
    settings = Settings(home=tmp_path / "home", warehouse_url="postgresql://csc@127.0.0.1:1/csc")
    created = ensure_local_secrets(settings)
    path = settings.secrets_dir / "airflow_passwords.json"
    assert "airflow_passwords.json" in created
    first = json.loads(path.read_text())
    assert set(first) == {"engineer", "viewer"} and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "airflow_passwords.json" not in ensure_local_secrets(settings)
    airflow_env(settings)
    assert json.loads(path.read_text()) == first
