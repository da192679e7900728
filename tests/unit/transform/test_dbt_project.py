"""The dbt project is built the project's way: documented, lower-case import-CTE SQL, materialised per folder."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from csc.settings import PROJECT_ROOT, Settings
from csc.transform.build import dbt_executable
from csc.transform.environment import dbt_environment

pytestmark = pytest.mark.unit

MODELS = PROJECT_ROOT / "dbt_project" / "models"
SQL_KEYWORDS = re.compile(r"\b(SELECT|FROM|WHERE|JOIN|GROUP BY|ORDER BY|UNION|CASE|WHEN|THEN|END|AS|AND|OR|WITH)\b")
# The one model whose materialisation is its own: the daily history is incremental and never fully refreshed.
OWN_MATERIALISATION = {"int_indicator_daily_recorded"}
# Folders of views: the indicator members (read once, by int_indicator_contributions) and every record of the
# extract (read once, by the data-quality pass rate).
VIEW_FOLDERS = {"members", "extract"}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    """`dbt parse` needs the profile's variables but no database connection."""
    home = tmp_path_factory.mktemp("dbt-parse")
    settings = Settings(home=home, warehouse_url="postgresql://nobody@localhost:1/nowhere", pseudonym_key="unit")
    env = {**dbt_environment(settings), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([dbt_executable(), "parse", "--project-dir", str(settings.dbt_project_dir),
                             "--profiles-dir", str(settings.dbt_project_dir)],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((Path(env["DBT_TARGET_PATH"]) / "manifest.json").read_text())


def models(manifest: dict) -> list[dict]:
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]


def test_every_model_and_column_is_documented(manifest):
    undocumented = [m["name"] for m in models(manifest) if len(m["description"].strip()) < 20]
    assert not undocumented
    bare_columns = [f"{m['name']}.{c}" for m in models(manifest) for c, col in m["columns"].items()
                    if not col["description"].strip()]
    assert not bare_columns
    assert all(m["columns"] for m in models(manifest)), "every model lists its columns"


def test_materialisation_is_set_per_folder(manifest):
    for model in models(manifest):
        sql = (PROJECT_ROOT / "dbt_project" / model["original_file_path"]).read_text(encoding="utf-8")
        if model["name"] in OWN_MATERIALISATION:
            assert model["config"]["materialized"] == "incremental"
            assert model["config"]["full_refresh"] is False
            continue
        assert not re.search(r"materialized\s*=", sql), f"{model['name']} sets its materialisation in SQL"
        folder = model["fqn"][1]
        expected = "view" if VIEW_FOLDERS & set(model["fqn"]) else "table"
        assert model["config"]["materialized"] == expected, (model["name"], folder)


def test_published_models_are_granted_to_their_readers_only(manifest):
    for model in models(manifest):
        grants = model["config"].get("grants") or {}
        if "casework" in model["fqn"]:
            assert grants == {"select": ["csc_casework"]}, model["name"]
            assert any("restrict_rows_to_team_access" in hook["sql"] for hook in model["config"]["post-hook"])
        elif "regional" in model["fqn"]:
            assert grants == {"select": ["csc_analyst", "csc_regional_analyst"]}, model["name"]
            assert any("restrict_rows_to_region" in hook["sql"] for hook in model["config"]["post-hook"])
        elif model["fqn"][1] == "marts":
            assert grants == {"select": ["csc_analyst"]}, model["name"]
        elif model["fqn"][1] == "bi":
            assert grants == {"select": ["bi_reader"]}, model["name"]
        else:
            assert grants.get("select", []) == [], f"{model['name']} is restricted: nobody may be granted it"


@pytest.mark.parametrize("path", sorted(MODELS.rglob("*.sql")), ids=lambda p: p.stem)
def test_model_sql_style(path):
    sql = path.read_text(encoding="utf-8")
    body = re.sub(r"\{#.*?#\}", "", sql, flags=re.S)
    body = re.sub(r"'[^']*'", "''", body)
    assert not SQL_KEYWORDS.search(body), f"{path.name}: SQL is written in lower case"
    assert body.lstrip().startswith(("with", "{{")) or "\nwith\n" in body, f"{path.name}: starts with import CTEs"
    last = [line for line in body.strip().splitlines() if line.strip()][-1].strip()
    assert last in ("select * from final", "select * from renamed"), f"{path.name} ends with {last!r}"
    references = re.findall(r"\{\{\s*(?:ref|source)\(", body)
    imports = re.findall(r"\w+ as \(\s*select \* from \{\{ (?:ref|source)\(", body)
    assert len(imports) == len(references) or "extract_contract_keys" in body, (
        f"{path.name}: every ref/source is an import CTE (select * from ...)")
