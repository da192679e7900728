"""Checks on imported returns (issue 14, item 4): a generated LA with injected faults through the whole pipeline,
its SSDA903 and CIN census written (``csc statutory 903|cin``) and imported into another LA code. The DfE validators
run on the files as they came in and their issues are kept in ops, linked to the import; the rule catalogue runs on
the returns batch with every rule that reads a table a return cannot hold reported as not applicable (none fails for
lack of inputs); the two side by side agree child by child on the faults both look for."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from csc.statutory import CollectionYear
from csc.warehouse.connection import connect

from imports_setup import warehouse

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Great Expectations' import warns (Python's own re internals); not ours to fix.
    pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning"),
]

SOURCE, IMPORTED = "999", "901"
AS_OF = date(2026, 6, 30)
YEAR = CollectionYear.latest_complete(AS_OF)  # 2025-26
# Faults both sides can see, at rates a tiny LA shows them at; none blocks the source's night (blank_required,
# future_date and invalid_code would: no return would be written from it). open_case_no_allocation is one only an
# extract can show: on the returns it is not applicable.
FAULTS = {"end_before_start": 0.04, "k3_under_16": 0.3, "before_referral": 0.05, "icpc_weekend": 0.1,
          "cp_start_not_icpc_date": 0.1, "open_case_no_allocation": 0.05}


@pytest.fixture(scope="module")
def imported(pg_server, tmp_path_factory):
    """The source LA published; its 903 and CIN of YEAR imported into IMPORTED by ``csc import`` (which validates
    them as they came in); the returns batch checked. Yields (settings, the check's result, the import commands'
    outputs)."""
    from click.testing import CliRunner

    from csc.cli import cli
    from csc.ingest import load_extract
    from csc.quality import run_checks
    from csc.statutory.cin import write_cin
    from csc.statutory.ssda903 import write_903
    from csc.transform import build, publish
    from csc_synthetic import generate
    from csc_synthetic.render import Rendering

    root = tmp_path_factory.mktemp("import-checks")
    with warehouse(pg_server, root / "csc-home", dq_data_docs=False) as settings:
        plan = root / "faults.yml"
        plan.write_text(yaml.safe_dump({"rates": FAULTS}), encoding="utf-8")
        generate(SOURCE, "tiny", 1, AS_OF, settings.landing_dir, faults=plan, rendering=Rendering(full_ssd=True))
        loaded = load_extract(settings.landing_dir / SOURCE / AS_OF.isoformat(), settings)
        checked = run_checks(loaded.batch_id, settings, send_alerts=False)
        assert checked.outcome != "block", checked.blocking_rules
        build(settings)
        publish(settings)

        ssda = write_903(settings, SOURCE, YEAR, root / "returns" / "903")
        census = write_cin(settings, SOURCE, YEAR, root / "returns" / "cin")
        env = {"CSC_HOME": str(settings.home), "CSC_WAREHOUSE_URL": settings.warehouse_url.get_secret_value(),
               "CSC_AIRFLOW_DATABASE": settings.airflow_database}
        outputs = {}
        for kind, path in (("903", ssda.folder), ("cin", census.path), ("903 again", ssda.folder)):
            done = CliRunner().invoke(cli, ["import", kind.split()[0], str(path), "--la", IMPORTED, "--year",
                                            YEAR.name], env=env)
            assert done.exit_code == 0, done.output
            outputs[kind] = done.output
        with connect(settings) as conn:
            batch_id = conn.execute("select batch_id from ops.return_import_revisions where la_code = %s "
                                    "order by revision_id desc limit 1", (IMPORTED,)).fetchone()[0]
        checked = run_checks(batch_id, settings, send_alerts=False)
        outputs["report"] = CliRunner().invoke(cli, ["import", "report", "--la", IMPORTED], env=env).output
        yield settings, checked, outputs


def test_the_dfe_validators_issues_on_the_imported_files_are_stored(imported):
    settings, checked, outputs = imported
    for kind in ("903", "cin"):
        assert "DfE validator on the files as received" in outputs[kind], outputs[kind]
    assert "DfE validator: already validated" in outputs["903 again"], outputs["903 again"]
    with connect(settings) as conn:
        runs = conn.execute(
            "select v.return_kind, v.import_id, i.kind, i.la_code, v.files_folder, v.batch_id, "
            "(select count(*) from ops.statutory_issues s where s.validation_run_id = v.validation_run_id), "
            "(select count(*) from ops.statutory_rule_results r where r.validation_run_id = v.validation_run_id) "
            "from ops.statutory_validation_runs v join ops.return_imports i on i.import_id = v.import_id "
            "order by 1").fetchall()
        built = conn.execute("select count(*) from ops.statutory_validation_runs where import_id is null").fetchone()
    assert [r[0] for r in runs] == ["903", "cin"]
    for kind, import_id, import_kind, la_code, folder, _batch, issues, rules in runs:
        assert (import_kind, la_code) == (kind, IMPORTED)
        assert f"import {import_id})" in outputs[kind]
        assert rules > 50 and issues > 0, (kind, rules, issues)  # the injected faults are seen
        assert "returns" in folder  # the files as they came in, not a return written again
    assert built[0] == 0
    assert runs[0][5] is not None and runs[1][5] == checked.batch_id


def test_the_catalogue_runs_on_the_returns_batch_without_failing_for_lack_of_inputs(imported):
    from csc.imports.validation import return_checks
    from csc.quality.catalogue import load_catalogue

    settings, checked, _ = imported
    assert checked.outcome != "block", checked.blocking_rules
    held = set(return_checks()["holds"]["903"]) | set(return_checks()["holds"]["cin"])
    catalogue = load_catalogue(settings)
    with connect(settings) as conn:
        results = {r[0]: (r[1], r[2] or {}) for r in conn.execute(
            "select rule_id, status, observed from ops.dq_results where dq_run_id = %s", (checked.dq_run_id,))}
    assert len(results) == len(catalogue)
    not_applicable = {rule for rule, (status, observed) in results.items()
                      if status == "skipped" and str(observed.get("reason", "")).startswith("not applicable")}
    for rule in catalogue:
        inputs = {t for t in rule.tables if not t.startswith("ops.")} | (
            {rule.params["ref_table"]} if rule.params.get("ref_table") else set())
        lacking = inputs - held
        if lacking and not (rule.inputs_any and inputs & held):
            assert rule.id in not_applicable, (rule.id, results[rule.id])
        else:
            assert rule.id not in not_applicable, rule.id
    # what only an extract holds: allocation, visits, workforce
    for rule_id in ("ALLOC_OPEN_CASE_UNALLOCATED", "EXC_CLA_VISIT_OVERDUE", "EXC_CP_VISIT_OVERDUE",
                    "REF_HR_EXTRACT_AVAILABLE", "STR_REQUIRED.ssd_cin_visits.cinv_cin_visit_date"):
        assert rule_id in not_applicable, rule_id
    # and what the returns hold is checked
    for rule_id in ("TL_END_BEFORE_START.ssd_cla_episodes", "CODE_K3_UNDER_16",
                    "TL_BEFORE_REFERRAL.ssd_cin_assessments", "CODE_UNMAPPED"):
        assert results[rule_id][0] in ("pass", "fail"), (rule_id, results[rule_id])
    assert not [r for r, (status, _) in results.items() if status == "error"]


def test_agreement_is_shown_child_by_child_per_mapped_pair(imported):
    from csc.imports.validation import agreement

    settings, checked, outputs = imported
    print(outputs["report"])
    report = agreement(settings, IMPORTED)
    assert report.batch_id == checked.batch_id and report.dq_run_id == checked.dq_run_id
    assert {i["kind"] for i in report.imports} == {"903", "cin"}
    assert all(i["validation_run_id"] for i in report.imports)
    both_flag = [p for p in report.pairs if p.compared and p.both]
    assert len(both_flag) >= 2, [(p.id, p.ours_status, p.dfe_status, len(p.ours_children), len(p.dfe_children))
                                 for p in report.pairs]
    for pair in report.pairs:
        by_child = pair.by_child()
        assert set(by_child) == pair.ours_children | pair.dfe_children
        assert {c for c, where in by_child.items() if where == "both"} == pair.both
        assert pair.agree is None or pair.agree == (not pair.only_ours and not pair.only_dfe)
    # the end-before-start faults of looked-after care: every child the DfE's 356 flags, the catalogue flags too
    ended = next(p for p in report.pairs if p.id == "cla_episode_ends_before_start")
    assert ended.compared and not ended.only_dfe, ended.by_child()
    # the command shows each pair, and the children of each, with where they are flagged
    for pair in both_flag:
        assert pair.id in outputs["report"]
        for child, where in pair.by_child().items():
            assert f"    {child}: {where}" in outputs["report"]
