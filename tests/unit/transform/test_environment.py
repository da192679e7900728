"""The pseudonymisation pads reach dbt only through PGOPTIONS, and they are the pads of an HMAC-SHA256."""

import hashlib
import hmac

import pytest

from csc.settings import Settings
from csc.transform.environment import dbt_environment, hmac_pads, pgoptions_with_pads

pytestmark = pytest.mark.unit


def hmac_from_pads(key: str, message: bytes) -> str:
    inner_pad, outer_pad = (bytes.fromhex(p) for p in hmac_pads(key))
    inner = hashlib.sha256(inner_pad + message).digest()
    return hashlib.sha256(outer_pad + inner).hexdigest()


@pytest.mark.parametrize("key", ["k", "a-typical-urlsafe-token-of-43-characters-abcdefghij", "x" * 64, "é" * 40,
                                 "long" * 50])
def test_pads_give_the_standard_hmac(key):
    for message in (b"person:P123", b"worker:W-9", b"referral:"):
        assert hmac_from_pads(key, message) == hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def test_pgoptions_carry_both_pads_and_keep_existing_options():
    inner, outer = hmac_pads("secret")
    options = pgoptions_with_pads("secret", "-c statement_timeout=0")
    assert options == f"-c statement_timeout=0 -c work_mem=256MB -c csc.hmac_ipad={inner} -c csc.hmac_opad={outer}"


def test_dbt_environment_has_the_profile_but_never_the_key(tmp_path):
    key = "the-pseudonym-key-itself"
    settings = Settings(home=tmp_path, warehouse_url="postgresql://dbtuser:pw@db.example:6543/wh",
                        pseudonym_key=key, dbt_threads=3)
    env = dbt_environment(settings)
    assert env["CSC_DBT_HOST"] == "db.example" and env["CSC_DBT_PORT"] == "6543"
    assert env["CSC_DBT_USER"] == "dbtuser" and env["CSC_DBT_DBNAME"] == "wh" and env["CSC_DBT_THREADS"] == "3"
    assert env["DBT_ENV_SECRET_CSC_DBT_PASSWORD"] == "pw", "dbt scrubs DBT_ENV_SECRET_ values from its logs"
    assert env["DBT_TARGET_PATH"].startswith(str(tmp_path)) and env["DBT_LOG_PATH"].startswith(str(tmp_path))
    assert all(key not in value for value in env.values())
    assert "csc.hmac_ipad=" in env["PGOPTIONS"] and "csc.hmac_opad=" in env["PGOPTIONS"]


def test_thresholds_reach_dbt_from_the_settings_object(tmp_path, monkeypatch):
    """The visit standards and the history are settings: dbt reads the values the checks render (cfg.<setting>)."""
    import yaml

    from csc.settings import PROJECT_ROOT

    monkeypatch.setenv("CSC_DQ_CP_VISIT_WORKING_DAYS", "7")
    settings = Settings(home=tmp_path, warehouse_url="postgresql://u@db.example/wh", pseudonym_key="k",
                        dq_cla_visit_days=30, history_years=4)
    env = dbt_environment(settings)
    assert (env["CSC_DBT_VAR_CP_VISIT_WORKING_DAYS"], env["CSC_DBT_VAR_CLA_VISIT_DAYS"],
            env["CSC_DBT_VAR_HISTORY_YEARS"]) == ("7", "30", "4")
    project_vars = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text())["vars"]
    for var, variable in (("cp_visit_working_days", "CSC_DBT_VAR_CP_VISIT_WORKING_DAYS"),
                          ("cla_visit_days", "CSC_DBT_VAR_CLA_VISIT_DAYS"),
                          ("history_years", "CSC_DBT_VAR_HISTORY_YEARS")):
        assert project_vars[var] == f"{{{{ env_var('{variable}') }}}}", "no second value in dbt_project.yml"
