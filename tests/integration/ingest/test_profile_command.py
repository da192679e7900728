"""``csc profile``: a dry run of a real extract lists its shape, unmapped codes, worker columns holding names, what
the loader would refuse, the rules that would fail and the indicators that would not be available (issue 11).

The SystemC- and Mosaic-shaped extracts are made from a generated generic one, transformed as those systems write
(role codes, descriptions, worker names, renamed and missing columns, extra tables, no HR files).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from csc.cli import cli
from csc.contract.profiles import load_profile

pytestmark = pytest.mark.integration

NIGHT = "2025-03-31"


@pytest.fixture(scope="module")
def generic(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    result = CliRunner().invoke(cli, ["generate", "--la", "901", "--size", "tiny", "--as-of", NIGHT, "--out",
                                      str(out), "--faults", "default"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out / "901" / NIGHT


def _rewrite(folder: Path, table: str, change: Callable[[list[str], list[list[str]]], tuple[list[str], list]]) -> None:
    path = folder / f"{table}.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        records = list(csv.reader(f))
    header, rows = change(records[0], records[1:])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _map_column(column: str, mapping: Callable[[int, str], str]):
    def change(header, rows):
        index = header.index(column)
        for number, row in enumerate(rows):
            row[index] = mapping(number, row[index])
        return header, rows
    return change


def _drop_column(column: str):
    def change(header, rows):
        index = header.index(column)
        return header[:index] + header[index + 1:], [r[:index] + r[index + 1:] for r in rows]
    return change


ROLES_SYSTEMC = {"ALLOCATED CASE WORKER": "CW", "TEAM MANAGER": "TM", "INDEPENDENT REVIEWING OFFICER": "IRO",
                 "CHILD PROTECTION CHAIR": "CPC", "FAMILY SUPPORT WORKER": "FSW"}
ROLES_MOSAIC = {"ALLOCATED CASE WORKER": "REL.ALLWORK", "TEAM MANAGER": "REL.TEAMMAN",
                "INDEPENDENT REVIEWING OFFICER": "REL.IRO", "CHILD PROTECTION CHAIR": "REL.CPCHAIR",
                "FAMILY SUPPORT WORKER": "REL.FSW"}


def _role(roles: dict[str, str], unmapped: str):
    return lambda number, value: unmapped if number < 2 else roles.get(value.strip().upper(), value)


@pytest.fixture
def systemc(generic, tmp_path) -> Path:
    folder = shutil.copytree(generic, tmp_path / "systemc" / NIGHT)
    legal = load_profile("systemc").vocabulary("legal_status")
    _rewrite(folder, "ssd_involvements", _map_column("invo_professional_role_id", _role(ROLES_SYSTEMC, "XCW")))
    _rewrite(folder, "ssd_legal_status", _map_column(
        "lega_legal_status", lambda n, v: "Interim care order (legacy)" if n == 0 else (legal.render(v) if v else v)))
    _rewrite(folder, "ssd_cin_episodes", _map_column("cine_referral_worker_id",
                                                     lambda n, v: "Jane Smith" if n < 3 else v))
    for name in ("hr_workers.csv", "hr_establishment.csv"):
        (folder / name).unlink()
    (folder / "ssd_voice_of_child.csv").write_text("voch_table_id,voch_person_id,voch_agree_worker\r\n1,P1,Y\r\n")
    return folder


@pytest.fixture
def mosaic(generic, tmp_path) -> Path:
    folder = shutil.copytree(generic, tmp_path / "mosaic" / NIGHT)
    _rewrite(folder, "ssd_involvements", _map_column("invo_professional_role_id", _role(ROLES_MOSAIC, "REL.KEYW")))
    _rewrite(folder, "ssd_involvements", _drop_column("invo_person_id"))
    _rewrite(folder, "ssd_cin_plans", lambda h, r: (["cin_plan_id" if c == "cinp_cin_plan_id" else c for c in h], r))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["source_system"] = "mosaic"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_profile_of_a_systemc_extract(systemc):
    result = CliRunner().invoke(cli, ["profile", str(systemc), "--system", "systemc"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "with the systemc profile" in out
    assert "involvement_role" in out and "'XCW': 2" in out, "the unmapped role code, with its count"
    assert "legal_status" in out and "'Interim care order (legacy)': 1" in out
    assert "'CW'" not in out, "a code the profile maps is not listed"
    assert "ssd_voice_of_child" in out and "extra table (3 columns): recorded, not loaded" in out
    assert "hr_workers" in out and "missing (optional)" in out
    assert "ssd_cin_episodes.cine_referral_worker_id" in out and "name 3" in out
    assert "The loader would accept the extract" in out
    assert "Rules that would fail" in out and "CODE.ssd_person.pers_sex" in out  # a generated fault
    assert "CODE.ssd_legal_status.lega_legal_status" in out  # the unmapped description fails its code check
    assert "WF_VACANCY_RATE: no_hr_extract" in out


def test_profile_of_a_mosaic_extract(mosaic):
    result = CliRunner().invoke(cli, ["profile", str(mosaic)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "with the mosaic profile" in out, "chosen from the manifest's source_system"
    assert "'REL.KEYW': 2" in out
    assert "renamed cin_plan_id -> cinp_cin_plan_id" in out
    assert "missing (derived) invo_person_id" in out
    assert "REF.ssd_cin_plans" in out or "CODE.ssd_person.pers_sex" in out
    assert "no_hr_extract" not in out


def test_profile_says_what_the_loader_would_refuse(mosaic):
    _rewrite(mosaic, "ssd_contacts", _drop_column("cont_contact_date"))
    result = CliRunner().invoke(cli, ["profile", str(mosaic), "--system", "generic"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "The loader would refuse" in result.output
    assert "missing_required_column: ssd_contacts.csv has no cont_contact_date (needed by CONTACTS" in result.output
    assert "missing_required_column: ssd_involvements.csv has no invo_person_id" in result.output


def test_profile_with_the_las_vocabulary(mosaic, tmp_path, monkeypatch):
    """An LA's vocabulary: in las.yml maps its own code: with --la, the code is no longer unmapped."""
    las = tmp_path / "las.yml"
    las.write_text("las:\n  - code: '901'\n    name: Tinyshire\n    system: mosaic\n    vocabulary:\n"
                   "      involvement_role:\n        map: {REL.KEYW: allocated_case_worker}\n")
    monkeypatch.setenv("CSC_LAS_CONFIG", str(las))
    result = CliRunner().invoke(cli, ["profile", str(mosaic), "--la", "901"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "with the mosaic profile" in result.output and "REL.KEYW" not in result.output
