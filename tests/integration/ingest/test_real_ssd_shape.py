"""Real SSD extracts are accepted as they come (issue 11): extra tables recorded and skipped, extra columns kept in
raw ``_extra``, the HR files optional, the source-system profile applied at load (renames, absent and derived
columns) and recorded on the batch, and a refusal for a missing required column naming what needs it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from csc.ingest import ExtractRefused, load_extract
from csc.warehouse.connection import connect

from ingest_extracts import ExtractSpec, write_manifest

pytestmark = pytest.mark.integration


@dataclass
class RealSpec(ExtractSpec):
    """An extract with columns beyond the contract (appended to the header; values from the rows)."""

    extra: dict[str, list[str]] = field(default_factory=dict)

    def columns(self, table: str) -> list[str]:
        return super().columns(table) + self.extra.get(table, [])


def _add_extra_tables(folder: Path, spec: ExtractSpec, *, listed: dict[str, str], unlisted: dict[str, str]) -> None:
    """Write extra tables: ``listed`` ones go into the manifest, ``unlisted`` ones do not."""
    for name, text in {**listed, **unlisted}.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    document = write_manifest(folder, spec)
    for name in listed:
        data = (folder / f"{name}.csv").read_bytes()
        document["files"].append({"name": f"{name}.csv", "table": name, "rows": data.count(b"\n") - 1,
                                  "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    (folder / "manifest.json").write_text(json.dumps(document), encoding="utf-8")


def _systemc_v145(landing: Path) -> Path:
    """SystemC v1.4.5 as an LA exports it: ssd_voice_of_child and ssd_s251_finance beside the contract's tables,
    no HR files,
    IS_ALLOCATED_CW_FLAG and a column of a later version on the involvements, pers_common_child_id (older name)."""
    spec = RealSpec(extra={"ssd_involvements": ["IS_ALLOCATED_CW_FLAG", "invo_future_column"]})
    spec.rows["ssd_involvements"][0].update({"IS_ALLOCATED_CW_FLAG": "Y", "invo_future_column": "a \"quoted\" value"})
    spec.rows["ssd_involvements"][0]["invo_professional_role_id"] = "CW"
    folder = spec.write(landing)
    for name in ("hr_workers.csv", "hr_establishment.csv"):
        (folder / name).unlink()
    _add_extra_tables(folder, spec, listed={"ssd_voice_of_child": "voch_table_id,voch_person_id,voch_agree_worker\r\n"
                                                                  "1,P001,Y\r\n2,P002,N\r\n"},
                      unlisted={"ssd_s251_finance": 's251_table_id,s251_cla_placement_id,s251_placeholder_1\n'
                                                    '1,PL1,"AB1 2CD"\n2,PL2,"AB1\n2CE"\n3,PL3,\n'})
    return folder


def test_v145_extract_without_hr_files_loads_and_records_its_shape(warehouse_settings, landing):
    folder = _systemc_v145(landing)
    result = load_extract(folder, warehouse_settings, system="systemc")
    assert result.status == "loaded" and result.profile == "systemc"
    lines = [n.line() for n in result.notes]
    assert "extra table ssd_voice_of_child (2 rows, 3 columns): recorded, not loaded" in lines
    assert "extra table ssd_s251_finance (3 rows, 3 columns): recorded, not loaded" in lines
    assert any(line.startswith("no hr_workers: loaded as empty") for line in lines)
    with connect(warehouse_settings) as conn:
        extra = conn.execute("select invo_involvements_id, invo_professional_role_id, _extra "
                             "from raw.ssd_involvements where _batch_id = %s", (result.batch_id,)).fetchall()
        others = conn.execute("select count(*) from raw.ssd_person where _batch_id = %s and _extra is not null",
                              (result.batch_id,)).fetchone()[0]
        shape = conn.execute("select kind, table_name, column_name, columns, rows, detail from ops.extract_shape "
                             "where batch_id = %s order by kind, table_name, column_name",
                             (result.batch_id,)).fetchall()
        profile = conn.execute("select source_profile from ops.extract_batches where batch_id = %s",
                               (result.batch_id,)).fetchone()[0]
        hr_rows = conn.execute("select count(*) from raw.hr_workers").fetchone()[0]
    assert extra == [("I1", "CW", {"is_allocated_cw_flag": "Y", "invo_future_column": 'a "quoted" value'})]
    assert others == 0, "a file without extra columns leaves _extra null"
    assert ("extra_table", "ssd_s251_finance", None, ["s251_table_id", "s251_cla_placement_id", "s251_placeholder_1"],
            3, "not in the manifest") in shape
    assert ("extra_table", "ssd_voice_of_child", None, ["voch_table_id", "voch_person_id", "voch_agree_worker"], 2,
            None) in shape
    assert ("extra_column", "ssd_involvements", "is_allocated_cw_flag", None, None, None) in shape
    assert {(k, t) for k, t, *_ in shape if k == "missing_table"} == {("missing_table", "hr_workers"),
                                                                      ("missing_table", "hr_establishment")}
    assert profile == "systemc" and hr_rows == 0
    # The extra tables travel with the extract into the archive, with their checksums.
    import zipfile

    with zipfile.ZipFile(result.archive_path) as bundle:
        sums = bundle.read("SHA256SUMS").decode()
    assert "ssd_voice_of_child.csv" in sums and "ssd_s251_finance.csv" in sums


def test_csc_load_prints_the_shape_notices(warehouse_settings, landing, monkeypatch):
    from csc.cli import cli

    folder = _systemc_v145(landing)
    monkeypatch.setenv("CSC_HOME", str(warehouse_settings.home))
    monkeypatch.setenv("CSC_WAREHOUSE_URL", warehouse_settings.warehouse_url.get_secret_value())
    monkeypatch.setenv("CSC_AIRFLOW_DATABASE", warehouse_settings.airflow_database)
    outcome = CliRunner().invoke(cli, ["load", "--system", "systemc", str(folder)])
    assert outcome.exit_code == 0, outcome.output
    assert "read with the systemc profile" in outcome.output
    assert "notice: extra table ssd_voice_of_child (2 rows, 3 columns): recorded, not loaded" in outcome.output
    assert "notice: no hr_workers: loaded as empty" in outcome.output
    assert "(+2 extra columns: _extra)" in outcome.output
    unknown = CliRunner().invoke(cli, ["load", "--system", "caredirector", str(folder)])
    assert unknown.exit_code == 2 and "unknown source system 'caredirector'" in unknown.output


def test_mosaic_extract_is_renamed_and_derived_at_load(warehouse_settings, landing):
    """Mosaic: cin_plan_id for cinp_cin_plan_id; no invo_person_id or cinv_person_id (filled from the referral,
    the visit's link being the extra column cinv_cin_plan_id); cinf_table_id blank. The manifest names the
    profile."""
    spec = RealSpec(
        drop_columns={"ssd_involvements": ["invo_person_id"], "ssd_cin_visits": ["cinv_person_id"],
                      "ssd_cin_plans": ["cinp_cin_plan_id"]},
        extra={"ssd_cin_plans": ["cin_plan_id"], "ssd_cin_visits": ["cinv_cin_plan_id"]})
    spec.rows["ssd_cin_episodes"] = [
        {"cine_referral_id": "101", "cine_person_id": "P001", "cine_referral_date": "2024-01-01"},
        {"cine_referral_id": "102", "cine_person_id": "P002", "cine_referral_date": "2024-01-03"}]
    spec.rows["ssd_involvements"][0].update({"invo_referral_id": "102", "invo_professional_role_id": "REL.ALLWORK"})
    spec.rows["ssd_cin_plans"] = [{"cin_plan_id": "55", "cinp_person_id": "P001",
                                   "cinp_cin_plan_start_date": "2024-02-01"}]
    spec.rows["ssd_cin_visits"] = [{"cinv_cin_visit_id": "V1", "cinv_cin_plan_id": "101",
                                    "cinv_cin_visit_date": "2024-02-10"},
                                   {"cinv_cin_visit_id": "V2", "cinv_cin_plan_id": "999",
                                    "cinv_cin_visit_date": "2024-02-11"}]
    spec.rows["ssd_assessment_factors"] = [{"cinf_table_id": "", "cinf_assessment_id": "A1",
                                            "cinf_assessment_factors_json": '["1A"]'}]
    folder = spec.write(landing)
    write_manifest(folder, spec, source_system="mosaic")
    result = load_extract(folder, warehouse_settings)
    assert result.profile == "mosaic"
    with connect(warehouse_settings) as conn:
        plans = conn.execute("select cinp_cin_plan_id, _extra from raw.ssd_cin_plans").fetchall()
        involvements = conn.execute("select invo_person_id from raw.ssd_involvements").fetchall()
        visits = conn.execute("select cinv_cin_visit_id, cinv_person_id, _extra ->> 'cinv_cin_plan_id' "
                              "from raw.ssd_cin_visits order by 1").fetchall()
        derived = conn.execute("select table_name, column_name, rows from ops.extract_shape "
                               "where kind = 'derived_column' order by 1").fetchall()
        absent = conn.execute("select count(*) from ops.extract_shape where kind = 'absent_column'").fetchone()[0]
    assert plans == [("55", None)], "the renamed column is the contract's, not an extra one"
    assert involvements == [("P002",)]
    assert visits == [("V1", "P001", "101"), ("V2", None, "999")], "a link to no referral stays blank"
    assert derived == [("ssd_cin_visits", "cinv_person_id", 1), ("ssd_involvements", "invo_person_id", 1)]
    assert absent >= 2


def test_missing_required_column_names_what_needs_it(warehouse_settings, landing):
    folder = ExtractSpec(drop_columns={"ssd_involvements": ["invo_professional_role_id"]}).write(landing)
    with pytest.raises(ExtractRefused) as caught:
        load_extract(folder, warehouse_settings)
    refusal = caught.value
    assert (refusal.reason, refusal.column) == ("missing_required_column", "invo_professional_role_id")
    assert "needed by UNALLOCATED and CASELOAD" in refusal.message


def test_a_file_that_is_no_table_is_still_refused(warehouse_settings, landing):
    folder = ExtractSpec().write(landing)
    (folder / "notes.txt").write_text("hello")
    with pytest.raises(ExtractRefused) as caught:
        load_extract(folder, warehouse_settings)
    assert (caught.value.reason, caught.value.file) == ("unknown_file", "notes.txt")


def test_an_extra_table_whose_checksum_disagrees_is_refused(warehouse_settings, landing):
    spec = ExtractSpec()
    folder = spec.write(landing)
    _add_extra_tables(folder, spec, listed={"ssd_voice_of_child": "voch_table_id\n1\n"}, unlisted={})
    (folder / "ssd_voice_of_child.csv").write_text("voch_table_id\n2\n")
    with pytest.raises(ExtractRefused) as caught:
        load_extract(folder, warehouse_settings)
    assert (caught.value.reason, caught.value.file) == ("sha256_mismatch", "ssd_voice_of_child.csv")


@pytest.mark.slow
@pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning")
def test_dq_report_lists_the_extract_shape(warehouse_settings, landing):
    from csc.quality import run_checks

    result = load_extract(_systemc_v145(landing), warehouse_settings, system="systemc")
    checked = run_checks(result.batch_id, warehouse_settings)
    with connect(warehouse_settings) as conn:
        tables_present = conn.execute(
            "select rows_failing from ops.dq_results r join ops.dq_runs d using (dq_run_id) where d.batch_id = %s "
            "and r.rule_id = 'STR_TABLES_PRESENT'", (result.batch_id,)).fetchone()
    assert tables_present == (0,), "no HR files is not a missing table"
    html = checked.report_path.read_text(encoding="utf-8")
    shape = html[html.index('id="extract-shape"'):html.index("Volume: tonight")]
    assert "<strong>systemc</strong>" in shape
    assert "Extra table (recorded, not loaded)</td><td>ssd_s251_finance" in shape
    assert "voch_table_id, voch_person_id, voch_agree_worker" in shape
    assert "Extra columns (kept in raw _extra)</td><td>ssd_involvements</td>" in shape
    assert "invo_future_column, is_allocated_cw_flag" in shape
    assert "Missing optional table (empty)</td><td>hr_workers" in shape


def test_a_full_v145_systemc_extract_loads_with_every_extra_table_recorded(warehouse_settings, landing):
    """All 46 tables of the SystemC v1.4.5 deployment (ssd_v1.4.5_systemc_columns.csv), columns in its DDL order,
    no HR files: the 38 the contract reads are loaded (the 15 optional ones the returns need among them), the other 8
    recorded with their columns and rows."""
    import csv as csv_module

    from csc.contract import SYSTEMC_COLUMNS_PATH, column_order, load_contract

    contract = load_contract()
    with SYSTEMC_COLUMNS_PATH.open(encoding="utf-8", newline="") as f:
        deployed: dict[str, list[str]] = {}
        for row in csv_module.DictReader(f):
            deployed.setdefault(row["table"], []).append(row["column"])

    class DeployedOrder(ExtractSpec):
        def columns(self, table: str) -> list[str]:
            return list(column_order(contract.table(table), "1.4.5", "systemc"))

    spec = DeployedOrder(headers={})
    spec.rows["ssd_address"] = [{"addr_table_id": "A1", "addr_person_id": "P001", "addr_address_type": "HOME",
                                 "addr_address_start_date": "2020-01-01", "addr_address_postcode": "AB1 2CD"}]
    folder = spec.write(landing)
    for name in ("hr_workers.csv", "hr_establishment.csv"):
        (folder / name).unlink()
    extra = {t: ",".join(columns) + "\r\n" + ",".join(str(i) for i in range(len(columns))) + "\r\n"
             for t, columns in deployed.items() if t not in contract.tables}
    assert len(extra) == 8 and "ssd_address" not in extra
    _add_extra_tables(folder, spec, listed=extra, unlisted={})
    result = load_extract(folder, warehouse_settings, system="systemc")
    assert result.status == "loaded"
    with connect(warehouse_settings) as conn:
        recorded = dict(conn.execute("select table_name, columns from ops.extract_shape "
                                     "where batch_id = %s and kind = 'extra_table'", (result.batch_id,)).fetchall())
        people = conn.execute("select count(*) from raw.ssd_person where _batch_id = %s",
                              (result.batch_id,)).fetchone()[0]
        postcodes = conn.execute("select addr_address_postcode from raw.ssd_address where _batch_id = %s",
                                 (result.batch_id,)).fetchall()
    assert recorded == {t: [c.lower() for c in deployed[t]] for t in extra}
    assert people == 3
    assert postcodes == [("AB1 2CD",)], "an optional table the returns need is loaded, not recorded"
