"""The rules that read the profiles name the same columns and indicators as the profiles and dbt do."""

from __future__ import annotations

import yaml

from csc.contract.profiles import available_systems, load_profile
from csc.quality.vocabulary import ANY_LA, effective_profiles, vocabulary_rows
from csc.settings import PROJECT_ROOT

CATALOGUE = yaml.safe_load((PROJECT_ROOT / "expectations" / "catalogue.yml").read_text(encoding="utf-8"))
RULES = {rule["id"]: rule for rule in CATALOGUE["rules"]}


def test_code_unmapped_reads_every_vocabulary_column_of_every_profile():
    listed = {concept: f"{where['table']}.{where['column']}"
              for concept, where in RULES["CODE_UNMAPPED"]["vocabulary_columns"].items()}
    for system in available_systems():
        for concept, vocabulary in load_profile(system).vocabularies.items():
            assert listed[concept] == vocabulary.column, (system, concept)


def test_code_rules_map_the_columns_the_profiles_map():
    code_rule = next(t for t in CATALOGUE["generated"] if t["id"] == "CODE.{table}.{column}")
    for system in available_systems():
        for concept, vocabulary in load_profile(system).vocabularies.items():
            if vocabulary.code_list:
                assert code_rule["vocabularies"][vocabulary.column] == concept, (system, concept)


def test_worker_columns_rule_reads_every_profiles_worker_columns():
    listed = {f"{t}.{c}" for t, c in RULES["REF_WORKER_COLUMNS_MATCHED"]["worker_columns"]}
    for system in available_systems():
        assert set(load_profile(system).worker_columns) <= listed, system


def test_hr_rule_names_the_indicators_dbt_publishes_as_not_available():
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    inputs = {table: rule["indicators"] for table, rule in project["vars"]["indicator_inputs"].items()}
    assert RULES["REF_HR_EXTRACT_AVAILABLE"]["hr_indicators"] == inputs


class _LA:
    def __init__(self, code: str, system: str | None = None, vocabulary: dict | None = None):
        self.code, self.system, self.vocabulary = code, system, vocabulary


def test_effective_profiles_apply_the_las_overrides_and_keep_every_profile():
    overrides = {"involvement_role": {"map": {"SW1": "allocated_case_worker"}}}
    profiles = effective_profiles([_LA("801", "systemc", overrides), _LA("802")])
    own = {(code, p.name) for code, p, is_own in profiles if is_own}
    assert own == {("801", "systemc"), ("802", "generic"), (ANY_LA, "generic")}
    assert len(profiles) == 3 * len(available_systems())
    systemc_801 = next(p for code, p, _ in profiles if code == "801" and p.name == "systemc")
    assert systemc_801.vocabulary("involvement_role").translate(" sw1 ") == "allocated_case_worker"
    rows = {(r.concept, r.source_value): (r.target, r.is_explicit) for r in vocabulary_rows("801", systemc_801)}
    assert rows[("involvement_role", "SW1")] == ("allocated_case_worker", True)
    assert rows[("legal_status", "INTERIM CARE ORDER")] == ("C1", False)
    assert rows[("legal_status", "C1")] == ("C1", False)
    generic_any = next(p for code, p, _ in profiles if code == ANY_LA and p.name == "systemc")
    assert generic_any.vocabulary("involvement_role").translate("SW1") is None


def test_an_la_without_system_is_generic():
    from csc.quality.vocabulary import la_system

    assert la_system(object()) == "generic"
    assert la_system(_LA("801", "mosaic")) == "mosaic"
