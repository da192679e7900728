"""The rule catalogue covers DATA_QUALITY.md and the extract contract, and its rules are well formed."""

from __future__ import annotations

import re
from datetime import date

import pytest

from csc.contract import load_contract
from csc.quality.catalogue import (
    CATALOGUE_PATH,
    BatchContext,
    catalogue_markdown,
    escape_braces,
    load_catalogue,
    record_key_sql,
)
from csc.quality.measures import row_count_bounds
from csc.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.unit

DATA_QUALITY = PROJECT_ROOT / "docs" / "DATA_QUALITY.md"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(Settings())


def data_quality_bullets() -> set[str]:
    """'family.bullet' for every bullet of DATA_QUALITY.md (continuation lines belong to the bullet above)."""
    bullets, family, n = set(), None, 0
    for line in DATA_QUALITY.read_text().splitlines():
        heading = re.match(r"## (\d)\. ", line)
        if heading:
            family, n = int(heading.group(1)), 0
        elif line.startswith("- ") and family:
            n += 1
            bullets.add(f"{family}.{n}")
    return bullets


def test_every_bullet_of_data_quality_md_is_covered(catalogue):
    bullets = data_quality_bullets()
    assert len(bullets) == 19
    covered = {bullet for rule in catalogue for bullet in rule.covers}
    assert bullets - covered == set()
    assert covered - bullets == set()


def test_every_code_list_named_by_data_quality_md_has_a_rule(catalogue):
    named = {  # DATA_QUALITY.md section 2, in its words -> the code lists of code_lists.csv
        "referral source": "referral_source", "primary need": "primary_need", "category of abuse": "category_of_abuse",
        "closure reason": "cin_closure_reason", "legal status": "legal_status", "placement type": "placement_type",
        "provider": "placement_provider", "reason episode ceased": "reason_episode_ceased",
        "reason for new episode": "reason_new_episode", "ethnicity": "ethnicity", "sex": "sex",
        "disability": "disability", "care leaver codes": "care_leaver_in_touch",
    }
    text = " ".join(DATA_QUALITY.read_text().split())
    checked = {rule.params.get("code_list") for rule in catalogue if rule.id.startswith("CODE.")}
    for words, code_list in named.items():
        assert words in text
        assert code_list in checked, f"no rule checks the {code_list} codes ({words})"
    assert "care_leaver_activity" in checked
    assert {"CODE_ASSESSMENT_FACTOR", "CODE_ASSESSMENT_FACTOR_21_ALONE", "CODE_ASSESSMENT_FACTOR_DUPLICATE",
            "CODE_K3_UNDER_16"} <= set(catalogue.by_id)


def test_structural_rules_are_generated_from_the_contract(catalogue):
    contract = load_contract()
    ids = set(catalogue.by_id)
    for table in contract:
        assert f"STR_PK_UNIQUE.{table.name}" in ids
        assert f"VOL_ROWS.{table.name}" in ids
        for column in table.required_columns:
            assert f"STR_REQUIRED.{table.name}.{column}" in ids
        for column in table.columns:
            if column.type == "id":
                assert f"STR_ID_FORMAT.{table.name}.{column.name}" in ids
            if column.type == "datetime":
                assert f"STR_DATE_PARSES.{table.name}.{column.name}" in ids
            if column.code_list and column.type != "json":
                assert f"CODE.{table.name}.{column.name}" in ids
        for fk in table.foreign_keys:
            assert f"REF.{table.name}.{fk.column}" in ids
    planned = {"ssd_person.pers_expected_dob", "ssd_initial_cp_conference.icpc_icpc_target_date",
               "ssd_cp_reviews.cppr_cp_review_due", "ssd_cla_reviews.clar_cla_review_due_date"}
    future = {r.id.removeprefix("STR_DATE_NOT_FUTURE.") for r in catalogue if r.id.startswith("STR_DATE_NOT_FUTURE.")}
    assert not planned & future
    assert "ssd_cin_episodes.cine_referral_date" in future


def test_severities_follow_the_decisions(catalogue):
    for rule in catalogue:
        assert rule.why, rule.id
        if rule.kind == "exception":
            assert (rule.family, rule.severity) == ("timeliness", "warn")
        if rule.family == "timeliness":
            assert rule.kind == "exception"
        if rule.family in ("referential_integrity", "timelines", "allocation"):
            assert rule.severity == "warn", rule.id
        if rule.id.startswith(("STR_REQUIRED", "STR_PK_UNIQUE", "STR_ID_FORMAT", "STR_DATE", "FRESH_", "STR_TABLES",
                               "STR_MANIFEST")) and rule.id not in WORKER_COLUMN_WARNINGS:
            # faults in an optional SSD table (read only by the statutory returns) never hold up the night
            optional = any(catalogue.contract.tables[t].optional and catalogue.contract.tables[t].source == "ssd"
                           for t in rule.tables if t in catalogue.contract.tables)
            assert rule.severity == ("warn" if optional else "block"), rule.id
    block_codes = {r.id for r in catalogue if r.family == "codes" and r.severity == "block"}
    assert block_codes == {"CODE.ssd_legal_status.lega_legal_status", "CODE.hr_workers.org_role",
                           "CODE_FLAG.ssd_cin_episodes.cine_referral_nfa", "CODE_FLAG.hr_workers.agency_worker"}
    assert {r.id for r in catalogue if r.family == "volume_freshness" and r.severity == "block"} == {
        "FRESH_EXPECTED_NIGHT", "FRESH_EXTRACT_AGE"}


# Real extracts (REAL_SSD): worker columns that are not a table's key may hold a name or a staff id, and a team-only
# involvement has no professional. Warnings naming the column, never a block (issue 16).
WORKER_COLUMN_WARNINGS = {
    "STR_ID_FORMAT.ssd_cin_episodes.cine_referral_worker_id",
    "STR_ID_FORMAT.ssd_cin_assessments.cina_assessment_worker_id",
    "STR_ID_FORMAT.ssd_cin_plans.cinp_cin_plan_worker_id",
    "STR_ID_FORMAT.ssd_s47_enquiry.s47e_s47_completed_by_worker_id",
    "STR_ID_FORMAT.ssd_initial_cp_conference.icpc_icpc_worker_id",
    "STR_ID_FORMAT.ssd_care_leavers.clea_care_leaver_worker_id",
    "STR_ID_FORMAT.ssd_involvements.invo_professional_id",
    "STR_REQUIRED.ssd_involvements.invo_professional_id",
    "STR_ID_FORMAT.ssd_permanence.perm_adoption_worker_id",
    "STR_ID_FORMAT.ssd_early_help_episodes.earl_episode_worker_id",
}


def test_worker_columns_holding_names_and_team_only_involvements_warn_naming_the_column(catalogue):
    contract = load_contract()
    worker_columns = {f"{t.name}.{c.name}" for t in contract for c in t.columns
                      if c.identifies == "worker" and c.name not in t.primary_key}
    assert {rule_id.split(".", 1)[1] for rule_id in WORKER_COLUMN_WARNINGS} == worker_columns
    for rule_id in WORKER_COLUMN_WARNINGS:
        rule = catalogue.by_id[rule_id]
        assert (rule.severity, rule.blocks) == ("warn", False), rule_id
        assert rule.column in rule.description and rule.table in rule.description, rule_id
    # the keys of the worker tables still block
    assert catalogue.by_id["STR_ID_FORMAT.hr_workers.worker_id"].blocks
    assert catalogue.by_id["STR_ID_FORMAT.ssd_professionals.prof_professional_id"].blocks
    assert catalogue.by_id["STR_REQUIRED.hr_workers.worker_id"].blocks


def test_the_faults_the_checks_once_missed_have_rules_of_their_family(catalogue):
    """Issue 16: a referral of an adult (timelines), a duplicated involvement and an allocation outside the
    worker's time in post (allocation): warnings, each listing the records."""
    expected = {"TL_REFERRAL_AFTER_18": ("timelines", ("ssd_cin_episodes", "ssd_person")),
                "ALLOC_DUPLICATE_INVOLVEMENT": ("allocation", ("ssd_involvements",)),
                "ALLOC_OUTSIDE_WORKER_EMPLOYMENT": ("allocation", ("ssd_involvements", "hr_workers"))}
    for rule_id, (family, tables) in expected.items():
        rule = catalogue.by_id[rule_id]
        assert (rule.family, rule.kind, rule.severity, rule.tables) == (family, "fault", "warn", tables), rule_id
        assert rule.subject == "record" and rule.sql_template, rule_id


def test_statutory_references_are_kept(catalogue):
    refs = {r.id: r.reference for r in catalogue}
    assert refs["TL_CP_START_IS_ICPC"] == "CIN 2885"
    assert refs["TL_ONE_OPEN.ssd_cin_episodes"] == "CIN 8815"
    assert refs["TL_ONE_OPEN.ssd_cin_plans"] == "CIN 4004"
    assert refs["EXC_ASSESSMENT_OVER_45_WORKING_DAYS"] == "CIN 8670Q"
    assert refs["EXC_S47_NO_CONFERENCE_15_WORKING_DAYS"] == "CIN 8675Q"


def test_every_rule_renders_and_reads_its_batch(catalogue):
    ctx = BatchContext(batch_id=7, extract_date=date(2025, 3, 31), previous_batch_id=6,
                       expected_extract_date=date(2025, 3, 31))
    for rule in catalogue:
        if rule.sql_template is None:
            continue
        sql = catalogue.rule_sql(rule, ctx)
        assert "(select * from {batch})" in sql, rule.id
        assert "{{ " not in sql and "{%" not in sql, rule.id
        assert not re.search(r"\b(SELECT|FROM|WHERE|JOIN|AND|OR|NOT|EXISTS|GROUP BY|ORDER BY|UNION)\b", sql), \
            f"{rule.id}: SQL is written in lower case"
        sql.format(batch="(select 1) as subselect")  # what GX does: every other brace must be escaped


def test_catalogue_markdown_is_up_to_date(catalogue):
    page = (CATALOGUE_PATH.parent / "CATALOGUE.md").read_text()
    assert page == catalogue_markdown(load_catalogue(Settings())), \
        "run: csc check --list-rules --markdown > expectations/CATALOGUE.md"


def test_record_keys_follow_the_interface():
    contract = load_contract()
    assert record_key_sql(contract.table("ssd_person"), "t") == "coalesce(t.pers_person_id, '')"
    assert record_key_sql(contract.table("ssd_disability"), "d") == \
        "coalesce(d.disa_person_id, '') || '|' || coalesce(d.disa_table_id, '')"


def test_braces_other_than_the_batch_are_escaped_for_gx():
    assert escape_braces("select x from {batch} where y ~ '^a{2}$'") == "select x from {batch} where y ~ '^a{{2}}$'"


def test_row_count_bounds_never_tighter_than_the_minimum_change():
    settings = Settings(dq_volume_max_drop=0.3, dq_volume_max_rise=0.5, dq_volume_min_change=10)
    assert row_count_bounds(1000, settings) == (700, 1500)
    assert row_count_bounds(12, settings) == (2, 22)
