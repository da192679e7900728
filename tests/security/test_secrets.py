"""Issue 17 (names that say what they do): ``Settings.secret()`` only reads; ``csc init`` creates the secrets."""

from __future__ import annotations

import stat

import pytest

from csc.settings import MissingSecret, Settings
from csc.warehouse.bootstrap import GENERATED_SECRETS, ensure_local_secrets

pytestmark = pytest.mark.integration


def test_reading_a_missing_secret_names_the_file_and_csc_init_and_writes_nothing(tmp_path):
    settings = Settings(home=tmp_path / "home")
    with pytest.raises(MissingSecret) as raised:
        settings.secret("pseudonym_key")
    message = str(raised.value)
    assert str(tmp_path / "home" / "secrets" / "pseudonym_key") in message and "csc init" in message
    assert "CSC_PSEUDONYM_KEY" in message
    assert not (tmp_path / "home").exists(), "reading a secret creates nothing"


def test_the_environment_still_overrides_the_file(tmp_path):
    settings = Settings(home=tmp_path / "home", pseudonym_key="from-the-environment")
    assert settings.secret("pseudonym_key") == "from-the-environment"
    assert "pseudonym_key" not in ensure_local_secrets(settings), "a secret set in the environment is not generated"


def test_csc_init_creates_the_secrets_owner_only_once(warehouse_settings):
    folder = warehouse_settings.secrets_dir
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    values = {}
    for name in GENERATED_SECRETS:
        path = folder / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        values[name] = warehouse_settings.secret(name)
        assert len(values[name]) >= 32
    from csc.warehouse.bootstrap import init_warehouse

    again = init_warehouse(warehouse_settings)
    assert again.created_secrets == []
    assert {name: warehouse_settings.secret(name) for name in GENERATED_SECRETS} == values, "never regenerated"
