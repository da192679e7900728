"""docker-compose.yml cannot be run here (no Docker engine): keep it valid and free of literal secrets."""

import json
import re

import jsonschema
import pytest
import yaml

from csc.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
SCHEMA = PROJECT_ROOT / "tests" / "reference" / "compose-spec.json"  # the public Compose specification
SECRET_NAME = re.compile(r"(PASSWORD|PASS|SECRET|KEY|TOKEN)$", re.I)
INTERPOLATION = re.compile(r"\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}")
URL_PASSWORD = re.compile(r"://[^:/@\s]+:([^@\s]+)@")


def literal_secrets(compose: dict) -> list[str]:
    """Environment entries that write a secret literally instead of interpolating it from the environment."""
    offending = []
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (entry.split("=", 1) for entry in env)
        for key, value in items:
            value = "" if value is None else str(value)
            if SECRET_NAME.search(key) and not INTERPOLATION.fullmatch(value):
                offending.append(f"{name}.{key}")
            if any(not INTERPOLATION.fullmatch(p) for p in URL_PASSWORD.findall(value)):
                offending.append(f"{name}.{key} (password in a URL)")
    return offending


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_valid_against_the_compose_specification(compose):
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(compose)


def test_an_invalid_file_is_rejected():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate({"services": {"x": {"ports": "8080"}}})


def test_has_the_production_like_services(compose):
    assert set(compose["services"]) >= {
        "warehouse", "redis", "airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
        "airflow-triggerer", "airflow-worker", "mailpit", "metabase"}


def test_every_long_running_service_has_a_healthcheck(compose):
    missing = [name for name, svc in compose["services"].items()
               if svc.get("restart") != "no" and "healthcheck" not in svc]
    assert missing == []


def test_landing_and_outputs_are_volumes(compose):
    mounts = compose["services"]["airflow-worker"]["volumes"]
    assert any(m.startswith("landing:") for m in mounts) and any(m.startswith("outputs:") for m in mounts)


def unknown_csc_variables(compose: dict) -> list[str]:
    """CSC_ variables the product does not read (no field of csc.settings.Settings): left over, or misspelt."""
    from csc.settings import Settings

    known = {f"CSC_{name.upper()}" for name in Settings.model_fields}
    found = []
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        keys = env if isinstance(env, dict) else (entry.split("=", 1)[0] for entry in env)
        found += [f"{name}.{key}" for key in keys if key.startswith("CSC_") and key not in known]
    return found


def test_every_csc_variable_is_a_setting(compose):
    assert unknown_csc_variables(compose) == []
    assert unknown_csc_variables({"services": {"x": {"environment": {"CSC_BI_READER_PASSWORD": "${X:?}"}}}}) == [
        "x.CSC_BI_READER_PASSWORD"]


def test_no_secret_is_written_literally(compose):
    assert literal_secrets(compose) == []


def test_the_secret_check_catches_literal_passwords():
    doc = {"services": {"x": {"environment": {"DB_PASSWORD": "hunter2", "URL": "postgresql://u:hunter2@h/db",
                                              "OK_PASSWORD": "${OK_PASSWORD:?set it}"}}}}
    assert literal_secrets(doc) == ["x.DB_PASSWORD", "x.URL (password in a URL)"]


def test_dockerfile_copies_only_what_exists():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    sources = [line.split()[1:-1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    missing = [s for group in sources for s in group if not (PROJECT_ROOT / s).exists()]
    assert sources and missing == []
