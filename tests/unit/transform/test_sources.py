"""The dbt sources and the staging layer cannot drift from the extract contract."""

import re

import pytest

from csc.contract import load_contract
from csc.settings import PROJECT_ROOT
from csc.transform.sources import (
    KEYS_MACRO_FILE,
    SOURCES_FILE,
    render_keys_macro,
    render_sources_file,
    source_table_name,
)

pytestmark = pytest.mark.unit

STAGING = PROJECT_ROOT / "dbt_project" / "models" / "staging"
# The staging models that hold a person's or worker's own identity beside its pseudonym (restricted: staging only).
IDENTITY_HOLDERS = {"ssd_person": "pers_person_id", "ssd_professionals": "prof_professional_id",
                    "hr_workers": "worker_id"}


def test_sources_file_is_the_contract_rendered():
    assert SOURCES_FILE.read_text(encoding="utf-8") == render_sources_file(), (
        "dbt_project/models/staging/__sources.yml differs from the extract contract: run "
        "`python -m csc.transform.sources`")


def test_primary_keys_macro_is_the_contract_rendered():
    assert KEYS_MACRO_FILE.read_text(encoding="utf-8") == render_keys_macro()


def staging_sql(table) -> str:
    path = STAGING / f"stg_{table.source}__{source_table_name(table.name, table.source)}.sql"
    assert path.exists(), f"no staging model for {table.name}: expected {path.name}"
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("table", list(load_contract()), ids=lambda t: t.name)
def test_each_contract_table_has_a_staging_model_reading_its_source(table):
    sql = staging_sql(table)
    # staging_source (dbt_project/macros/staging_source.sql) joins the source to ops.build_batches
    assert f"staging_source('{table.source}', '{source_table_name(table.name, table.source)}'" in sql, (
        "staging reads its source through staging_source: only the batches being built")
    for column in table.column_names:
        assert f"source.{column}" in sql, f"{table.name}.{column} is not read by its staging model"


@pytest.mark.parametrize("table", [t for t in load_contract() if any(c.identifies for c in t.columns)],
                         ids=lambda t: t.name)
def test_identifying_columns_are_pseudonymised_with_their_kind(table):
    sql = staging_sql(table)
    for column in table.columns:
        if not column.identifies:
            continue
        # a worker column that may hold a name or staff id is keyed to the professional it names first
        matched = re.search(rf"pseudonymise\('worker', matched_worker_id\(\s*'{table.name}\.{column.name}',"
                            rf"\s*'source\.{column.name}'\)\)", sql)
        assert f"pseudonymise('{column.identifies}', 'source.{column.name}')" in sql or matched, (
            f"{table.name}.{column.name} identifies a {column.identifies} but is not pseudonymised as one")
        uses = re.findall(rf"(\w+)\('source\.{column.name}'\)", sql)
        passed_through = [use for use in uses if use != "pseudonymise"]
        if IDENTITY_HOLDERS.get(table.name) != column.name:
            assert not passed_through, f"{table.name}.{column.name} also reaches staging in clear ({passed_through})"
