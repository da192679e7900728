"""Reference data for real LAs (issue 11): the shipped ONS codes of every English LA, an LA's population file checked
with file, line and field, and the per-LA system and vocabulary settings in las.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from csc.las import LocalAuthority, TargetsFileError, read_population_file
from csc.reference.english_las import TARGET, english_upper_tier, read

pytestmark = pytest.mark.unit


def test_every_english_upper_tier_la_is_shipped():
    las = read()
    assert len(las) == 152 and all(code[:3] in ("E06", "E08", "E09", "E10") for code in las)
    assert las["E10000003"] == "Cambridgeshire" and las["E09000001"] == "City of London"
    assert TARGET.name == "english_las.csv"


def test_english_upper_tier_skips_wales_and_repeated_districts():
    records = [{"UTLA21CD": "E10000003", "UTLA21NM": "Cambridgeshire"},
               {"UTLA21CD": "E10000003", "UTLA21NM": "Cambridgeshire"},
               {"UTLA21CD": "W06000001", "UTLA21NM": "Isle of Anglesey"}]
    assert english_upper_tier(records) == [("E10000003", "Cambridgeshire", "2021-04")]


def test_population_file_is_read_and_checked(tmp_path: Path):
    good = tmp_path / "pop.csv"
    good.write_text("year,population_0_17\n2023,\"101,200\"\n2024,101500\n")
    assert read_population_file(good, "873") == [("873", 2023, 101200), ("873", 2024, 101500)]
    bad = tmp_path / "bad.csv"
    bad.write_text("la_code,year,population_0_17\n873,2023,100\n873,2024,lots\n")
    with pytest.raises(TargetsFileError, match=r"bad.csv, line 3, field population_0_17: 'lots'"):
        read_population_file(bad, "873")
    other = tmp_path / "other.csv"
    other.write_text("la_code,year,population_0_17\n874,2023,100\n")
    with pytest.raises(TargetsFileError, match=r"line 2, field la_code: '874' is not LA 873"):
        read_population_file(other, "873")
    twice = tmp_path / "twice.csv"
    twice.write_text("year,population_0_17\n2023,1\n2023,2\n")
    with pytest.raises(TargetsFileError, match=r"line 3, field year: 2023 is given twice"):
        read_population_file(twice, "873")
    with pytest.raises(TargetsFileError, match="missing column"):
        (tmp_path / "cols.csv").write_text("yr,pop\n")
        read_population_file(tmp_path / "cols.csv", "873")


def test_la_system_and_vocabulary():
    la = LocalAuthority(code="873", name="Shire", system="mosaic",
                        vocabulary={"involvement_role": {"map": {"REL.KEYW": "allocated_case_worker"}}})
    role = la.profile().vocabulary("involvement_role")
    assert role.translate("rel.keyw") == "allocated_case_worker" and role.translate("REL.ALLWORK")
    assert la.profile("generic").name == "generic"
    with pytest.raises(ValueError, match="unknown source system 'azeus'"):
        LocalAuthority(code="873", name="Shire", system="azeus")
    with pytest.raises(ValueError):
        LocalAuthority(code="873", name="Shire", vocabulary={"new_concept": {"match": "map"}})
