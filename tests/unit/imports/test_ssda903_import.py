"""The SSDA903 importer on small hand-made returns: the DfE's CSV layout and its XML form, Excel's habits, legacy
codes, the episodes cut into periods of care, placements and legal statuses, and every refusal naming file, line
(or XML path) and field. No database."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from csc.imports import ImportRefused
from csc.imports.importset import combine
from csc.imports.ssda903 import EPISODES, parse_903

pytestmark = pytest.mark.unit

LA = "901"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES_HEADER = ("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,"
                   "URN\n")


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return folder


def a_year(tmp_path: Path, **overrides: str | bytes) -> Path:
    files: dict[str, str | bytes] = {
        "header.csv": HEADER + "C1,1,01/02/2010,WBRI,A123456789012,,\nC2,F,2008-05-06,WIRI,UN2,1,03/04/2024\n",
        "episodes.csv": EPISODES_HEADER
        + "C1,01/01/2024,S,C2,N1,U1,PR1,15/06/2024,X1,,,AB1 2CD,SC123456\n"
        + "C1,15/06/2024,P,C2,N1,U3,PR1,01/09/2024,X1,CHP,,EF3 4GH,SC999999\n"
        + "C1,01/09/2024,L,E1,N1,U3,PR1,,,,,EF3 4GH,SC999999\n"
        + "C2,10/05/2024,S,V2,N2,K2,PR2,20/12/2024,E13,,,,\n",
        "reviews.csv": "CHILD,DOB,REVIEW,REVIEW_CODE\nC1,01/02/2010,20/01/2024,PN1\nC1,01/02/2010,01/07/2024,pn2\n",
        "missing.csv": "CHILD,DOB,MISSING,MIS_START,MIS_END\nC2,06/05/2008,m,01/06/2024,03/06/2024\n",
    }
    files.update({k.replace("_csv", ".csv"): v for k, v in overrides.items()})
    return write(tmp_path / "903", files)


def test_episodes_become_periods_placements_and_legal_statuses(tmp_path):
    parsed = parse_903(a_year(tmp_path), LA, "2024-25")

    assert parsed.kind == "903" and parsed.year == "2024-25"
    assert parsed.window == (date(2024, 4, 1), date(2025, 3, 31))
    people = {p["pers_person_id"]: p for p in parsed.tables["ssd_person"]}
    assert people["C1"]["pers_sex"] == "M"  # legacy 1
    assert people["C2"]["pers_sex"] == "F"
    assert people["C2"]["pers_dob"] == date(2008, 5, 6)
    assert people["C2"]["pers_upn"] is None and people["C2"]["pers_upn_unknown"] == "UN2"
    assert people["C2"]["pers_is_mother"] == "Y"
    assert parsed.tables["ssd_mother"][0]["moth_childs_dob"] == date(2024, 4, 3)
    assert any("legacy sex codes" in n for n in parsed.notices)

    episodes = parsed.tables["ssd_cla_episodes"]
    assert len(episodes) == 4
    c1 = [e for e in episodes if e["clae_person_id"] == "C1"]
    assert len({e["clae_cla_id"] for e in c1}) == 1  # one period of care
    assert {e["clae_entered_care_date"] for e in c1} == {date(2024, 1, 1)}
    placements = sorted((p for p in parsed.tables["ssd_cla_placement"] if p["clap_person_id"] == "C1"),
                        key=lambda p: p["clap_cla_placement_start_date"])
    assert [(p["clap_cla_placement_type"], p["clap_cla_placement_start_date"], p["clap_cla_placement_end_date"])
            for p in placements] == [("U1", date(2024, 1, 1), date(2024, 6, 15)), ("U3", date(2024, 6, 15), None)]
    assert placements[0]["clap_cla_placement_change_reason"] is None  # X1 into the next: reason on the later row
    legal = sorted((s for s in parsed.tables["ssd_legal_status"] if s["lega_person_id"] == "C1"),
                   key=lambda s: s["lega_legal_status_start_date"])
    assert [(s["lega_legal_status"], s["lega_legal_status_end_date"]) for s in legal] == [
        ("C2", date(2024, 9, 1)), ("E1", None)]
    c2 = next(e for e in episodes if e["clae_person_id"] == "C2")
    assert c2["clae_cla_episode_ceased_reason"] == "E13"

    reviews = parsed.tables["ssd_cla_reviews"]
    assert {r["clar_cla_review_participation"] for r in reviews} == {"PN1", "PN2"}
    assert {r["clar_cla_id"] for r in reviews} == {c1[0]["clae_cla_id"]}
    missing = parsed.tables["ssd_missing"]
    assert missing[0]["miss_missing_episode_type"] == "M"


def test_ids_are_stable_and_depend_on_the_la(tmp_path):
    folder = a_year(tmp_path)
    first, again, other = parse_903(folder, LA, "2024-25"), parse_903(folder, LA, "2024-25"), parse_903(
        folder, "903", "2024-25")
    ids = [e["clae_cla_episode_id"] for e in first.tables["ssd_cla_episodes"]]
    assert ids == [e["clae_cla_episode_id"] for e in again.tables["ssd_cla_episodes"]]
    assert not set(ids) & {e["clae_cla_episode_id"] for e in other.tables["ssd_cla_episodes"]}


def test_excel_saved_files_read_the_same(tmp_path):
    plain = parse_903(a_year(tmp_path / "plain"), LA, "2024-25")
    excel_header = ("\ufeffCHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB,,\r\n"
                    "C1,1.0,01/02/2010 00:00,wbri,A123456789012,,,,\r\n"
                    "C2,F,39574,WIRI,UN2,1.0,03/04/2024,,\r\n,,,,,,,,\r\n,,,,,,,,\r\n")
    excel = parse_903(a_year(tmp_path / "excel", header_csv=excel_header.encode("utf-8")), LA, "2024-25")
    assert excel.tables["ssd_person"] == plain.tables["ssd_person"]
    windows = parse_903(a_year(tmp_path / "cp1252", header_csv=(HEADER + "C1,M,01/02/2010,WBRI,,,\n"
                                                                + "C2,F,06/05/2008,WIRI,,,\n").encode("cp1252")
                               + "C3,M,01/01/2012,WBRI,,,\n".encode("cp1252")), LA, "2024-25")
    assert len(windows.tables["ssd_person"]) == 3


def test_dfe_file_names_with_prefixes_and_the_validators_names(tmp_path):
    folder = a_year(tmp_path)
    (folder / "header.csv").rename(folder / "SSDA903_2024_Header.csv")
    (folder / "episodes.csv").rename(folder / "SSDA903_2024_Episodes.CSV")
    (folder / "notes.txt").write_text("hello", encoding="utf-8")
    parsed = parse_903(folder, LA, "2024-25")
    assert len(parsed.tables["ssd_cla_episodes"]) == 4
    assert any("notes.txt" in n for n in parsed.notices)


def test_the_xml_form_reads_as_the_csv_files(tmp_path):
    xml = """<?xml version="1.0" encoding="utf-8"?>
<Children>
  <CHILD><CHILDID>C1</CHILDID><SEX>1</SEX><DOB>01/02/2010</DOB><ETHNIC>WBRI</ETHNIC><UPN>A123456789012</UPN>
    <EPISODE><DECOM>01/01/2024</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U1</PL>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>15/06/2024</DEC><REC>X1</REC><PL_POST>AB1 2CD</PL_POST>
      <URN>SC123456</URN></EPISODE>
    <EPISODE><DECOM>15/06/2024</DECOM><RNE>P</RNE><LS>C2</LS><CIN>N1</CIN><PL>U3</PL>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>01/09/2024</DEC><REC>X1</REC><REASON_PLACE_CHANGE>CHP</REASON_PLACE_CHANGE>
      <PL_POST>EF3 4GH</PL_POST><URN>SC999999</URN></EPISODE>
    <EPISODE><DECOM>01/09/2024</DECOM><RNE>L</RNE><LS>E1</LS><CIN>N1</CIN><PL>U3</PL>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER><PL_POST>EF3 4GH</PL_POST><URN>SC999999</URN></EPISODE>
    <HEADER><AREVIEW><REVIEW>20/01/2024</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
      <AREVIEW><REVIEW>01/07/2024</REVIEW><REVIEW_CODE>PN2</REVIEW_CODE></AREVIEW></HEADER>
  </CHILD>
  <CHILD><CHILDID>C2</CHILDID><SEX>F</SEX><DOB>2008-05-06</DOB><ETHNIC>WIRI</ETHNIC><UPN>UN2</UPN>
    <EPISODE><DECOM>10/05/2024</DECOM><RNE>S</RNE><LS>V2</LS><CIN>N2</CIN><PL>K2</PL>
      <PLACE_PROVIDER>PR2</PLACE_PROVIDER><DEC>20/12/2024</DEC><REC>E13</REC></EPISODE>
    <HEADER><MOTHER>1</MOTHER><MC_DOB>03/04/2024</MC_DOB>
      <AMISSING><MISSING>M</MISSING><MIS_START>01/06/2024</MIS_START><MIS_END>03/06/2024</MIS_END></AMISSING>
    </HEADER>
  </CHILD>
</Children>
"""
    path = tmp_path / "903.xml"
    path.write_text(xml, encoding="utf-8")
    from_xml = parse_903(path, LA, "2024-25")
    from_csv = parse_903(a_year(tmp_path), LA, "2024-25")
    for table in ("ssd_person", "ssd_cla_episodes", "ssd_cla_placement", "ssd_legal_status", "ssd_cla_reviews",
                  "ssd_missing", "ssd_mother"):
        key = lambda row: sorted((k, str(v)) for k, v in row.items())  # noqa: E731
        assert sorted(map(key, from_xml.tables[table])) == sorted(map(key, from_csv.tables[table])), table


@pytest.mark.parametrize(("files", "file", "where", "field", "says"), [
    ({"header_csv": HEADER + "C1,M,31/02/2010,WBRI,,,\n"}, "header.csv", "line 2", "DOB", "not a date"),
    ({"header_csv": "CHILD,DOB\nC1,01/01/2010\n"}, "header.csv", "line 1", "SEX", "missing from the header"),
    ({"header_csv": HEADER + "C1,M,01/02/2010,WBRI,,,\nC1,M,01/02/2010,WBRI,,,\n"}, "header.csv", "line 3",
     "CHILD", "twice"),
    ({"header_csv": HEADER + "C1,M,01/02/2010,WBRI,,,,EXTRA\n"}, "header.csv", "line 2", None, "values where"),
    ({"header_csv": HEADER + ",M,01/02/2010,WBRI,,,\n"}, "header.csv", "line 2", "CHILD", "blank"),
    ({"header_csv": HEADER + 'C1,M,"01/02/2010\n'}, "header.csv", "line 2", None, "malformed CSV"),
    ({"header_csv": b"CHILD,SEX,DOB\n\x00\x00"}, "header.csv", "line 2", None, "NUL"),
    ({"episodes_csv": EPISODES_HEADER + "C1,,S,C2,N1,U1,PR1,,,,,,\n"}, "episodes.csv", "line 2", "DECOM", "blank"),
    ({"episodes_csv": EPISODES_HEADER + "C1,01/05/2025,S,C2,N1,U1,PR1,,,,,,\n"}, "episodes.csv", "line 2",
     "DECOM", "after the collection year"),
    ({"episodes_csv": EPISODES_HEADER + "C1,01/05/2024,S,C2,N1,U1,PR1,,,,,,\nC1,01/05/2024,S,C2,N1,U1,PR1,,,,,,\n"},
     "episodes.csv", "line 3", "DECOM", "two episodes"),
    ({"reviews_csv": "CHILD,DOB,REVIEW,REVIEW_CODE\nC1,01/02/2010,2024/13/01,PN1\n"}, "reviews.csv", "line 2",
     "REVIEW", "not a date"),
])
def test_a_malformed_file_is_refused_naming_file_line_and_field(tmp_path, files, file, where, field, says):
    with pytest.raises(ImportRefused) as refused:
        parse_903(a_year(tmp_path, **files), LA, "2024-25")
    assert (Path(refused.value.file).name, refused.value.where, refused.value.field) == (file, where, field)
    assert says in refused.value.message
    assert file in str(refused.value) and where in str(refused.value)


def test_an_xml_refusal_names_its_path(tmp_path):
    path = tmp_path / "903.xml"
    path.write_text("<Children><CHILD><CHILDID>C1</CHILDID><SEX>M</SEX><DOB>01/02/2010</DOB>"
                    "<EPISODE><DECOM>32/01/2024</DECOM></EPISODE></CHILD></Children>", encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        parse_903(path, LA, "2024-25")
    assert refused.value.where == "/Children/CHILD[1]/EPISODE[1]" and refused.value.field == "DECOM"
    path.write_text("<Message><Header><Year>2025</Year></Header><Children><CHILD><CHILDID>C1</CHILDID></CHILD>"
                    "<CHILD><CHILDID>C2</CHILDID><SEX>M</SEX><DOB>01/02/2010</DOB><EPISODE><DECOM>01/05/2024</DECOM>"
                    "<RNE>S</RNE><LS>C2</LS><DEC>2024-02-30</DEC></EPISODE></CHILD></Children></Message>",
                    encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        parse_903(path, LA, "2024-25")
    assert (refused.value.where, refused.value.field) == ("/Message/Children[1]/CHILD[2]/EPISODE[1]", "DEC")
    path.write_text("<Children><CHILD>", encoding="utf-8")
    with pytest.raises(ImportRefused, match="not well-formed"):
        parse_903(path, LA, "2024-25")


def test_header_and_episodes_are_needed(tmp_path):
    folder = a_year(tmp_path)
    (folder / "episodes.csv").unlink()
    with pytest.raises(ImportRefused, match="no episodes.csv"):
        parse_903(folder, LA, "2024-25")


def _two_years(tmp_path: Path):
    first = a_year(tmp_path / "a", episodes_csv=EPISODES_HEADER
                   + "C1,01/01/2023,S,C2,N1,U1,PR1,01/03/2024,X1,,,AB1 2CD,SC1\n"
                   + "C1,01/03/2024,L,E1,N1,U1,PR1,,,,,AB1 2CD,SC1\n",
                   header_csv=HEADER + "C1,1,01/02/2010,WBRI,,,\n",
                   reviews_csv="CHILD,DOB,REVIEW,REVIEW_CODE\nC1,01/02/2010,20/01/2023,PN1\n",
                   missing_csv="CHILD,DOB,MISSING,MIS_START,MIS_END\nC1,01/02/2010,M,01/02/2024,02/02/2024\n")
    second = a_year(tmp_path / "b", episodes_csv=EPISODES_HEADER
                    + "C1,01/03/2024,L,E1,N1,U1,PR1,01/10/2024,X1,CHP,,AB1 2CD,SC1\n"
                    + "C1,01/10/2024,P,E1,N1,U3,PR1,,,,,EF3 4GH,SC2\n",
                    header_csv=HEADER + "C1,M,01/02/2010,WBRI,A123456789012,,\n",
                    reviews_csv="CHILD,DOB,REVIEW,REVIEW_CODE\nC1,01/02/2010,20/07/2024,PN1\n",
                    missing_csv="CHILD,DOB,MISSING,MIS_START,MIS_END\n")
    return parse_903(first, LA, "2023-24"), parse_903(second, LA, "2024-25")


def test_years_combine_into_one_history_whatever_their_order(tmp_path):
    earlier, later = _two_years(tmp_path)
    combined = combine(LA, [earlier, later])
    assert combined == combine(LA, [later, earlier])
    assert EPISODES not in combined
    episodes = combined["ssd_cla_episodes"]
    assert len(episodes) == 3  # the row open at 31 March 2024 is the same episode in both years
    assert len({e["clae_cla_id"] for e in episodes}) == 1
    assert {str(e["clae_entered_care_date"]) for e in episodes} == {"2023-01-01"}
    placements = sorted(combined["ssd_cla_placement"], key=lambda p: str(p["clap_cla_placement_start_date"]))
    # U1 runs across 31 March: one placement, from its start in the earlier year to its end in the later
    assert [(p["clap_cla_placement_type"], str(p["clap_cla_placement_start_date"]),
             str(p["clap_cla_placement_end_date"])) for p in placements] == [
        ("U1", "2023-01-01", "2024-10-01"), ("U3", "2024-10-01", "None")]
    assert len(combined["ssd_cla_reviews"]) == 2
    assert {r["clar_cla_id"] for r in combined["ssd_cla_reviews"]} == {episodes[0]["clae_cla_id"]}
    # the later return wins for the person; a missing episode dated in the earlier year stays
    person = combined["ssd_person"][0]
    assert person["pers_upn"] == "A123456789012" and person["pers_sex"] == "M"
    assert len(combined["ssd_missing"]) == 1


def test_the_later_return_wins_inside_its_window(tmp_path):
    earlier, later = _two_years(tmp_path)
    # a missing episode the earlier return put in the later year's window (a correction took it out)
    earlier.tables["ssd_missing"].append({"miss_table_id": "M-x", "miss_person_id": "C1",
                                          "miss_missing_episode_start_date": date(2024, 5, 1)})
    earlier.tables["ssd_cla_reviews"].append({"clar_cla_review_id": "R-x", "clar_cla_person_id": "C1",
                                              "clar_cla_review_date": date(2024, 6, 1)})
    # ... and one of a child the later return does not hold: kept
    earlier.tables["ssd_missing"].append({"miss_table_id": "M-y", "miss_person_id": "C9",
                                          "miss_missing_episode_start_date": date(2024, 5, 1)})
    combined = combine(LA, [earlier, later])
    assert {m["miss_table_id"] for m in combined["ssd_missing"]} & {"M-x", "M-y"} == {"M-y"}
    assert "R-x" not in {r["clar_cla_review_id"] for r in combined["ssd_cla_reviews"]}


def _annex_a(as_of: date, episodes: list[tuple[str, str, date]], reviews: list[tuple[str, str, date]]):
    from csc.imports import ParsedReturn
    from csc.imports.annex_a import six_months_before

    return ParsedReturn(
        kind="annex-a", la_code=LA, year=None, as_of=as_of,
        window=(six_months_before(as_of) + timedelta(days=1), as_of),
        tables={"ssd_person": [{"pers_person_id": c, "pers_sex": "M"} for c in {e[1] for e in episodes}],
                "ssd_cla_episodes": [{"clae_cla_episode_id": i, "clae_person_id": c, "clae_cla_episode_start_date": d}
                                     for i, c, d in episodes],
                "ssd_cla_reviews": [{"clar_cla_review_id": i, "clar_cla_person_id": c, "clar_cla_review_date": d}
                                    for i, c, d in reviews]})


def test_an_annex_a_adds_to_the_903_only_what_the_903_cannot_hold(tmp_path):
    """The 903 years stand up to their last 31 March for the children they hold (an Annex A's episode begun before
    is the 903's again, under another id); the Annex A adds its months after it and the children the 903 lacks."""
    earlier, later = _two_years(tmp_path)  # C1 looked after; the later year ends 31 March 2025
    annex = _annex_a(date(2025, 6, 30), [("AA-1", "C1", date(2024, 10, 1)),   # the 903's placement again
                                         ("AA-2", "C1", date(2025, 5, 1)),    # after the 903's year: kept
                                         ("AA-3", "C9", date(2024, 12, 1))],  # a child the 903 lacks: kept
                     [("AA-R1", "C1", date(2025, 2, 1)), ("AA-R2", "C1", date(2025, 6, 1))])
    combined = combine(LA, [earlier, later, annex])
    assert combined == combine(LA, [annex, later, earlier])  # whatever the order
    assert combine(LA, [earlier, later]) != combined
    episodes = {r["clae_cla_episode_id"] for r in combined["ssd_cla_episodes"]}
    assert {"AA-2", "AA-3"} <= episodes and "AA-1" not in episodes
    assert {r["clae_cla_episode_id"] for r in combine(LA, [earlier, later])["ssd_cla_episodes"]} <= episodes
    reviews = {r["clar_cla_review_id"] for r in combined["ssd_cla_reviews"]}
    assert "AA-R2" in reviews and "AA-R1" not in reviews
    person = next(p for p in combined["ssd_person"] if p["pers_person_id"] == "C1")
    assert person["pers_upn"] == "A123456789012"  # the 903's values first


def test_two_annex_as_combine_like_two_years(tmp_path):
    first = _annex_a(date(2025, 6, 30), [("AA-1", "C9", date(2025, 5, 1)), ("AA-2", "C9", date(2025, 9, 1))], [])
    second = _annex_a(date(2025, 12, 31), [("AA-3", "C9", date(2025, 10, 1))], [])
    combined = combine(LA, [second, first])
    # the later Annex A holds C9 from July to December: the earlier one's September episode is left out
    assert {r["clae_cla_episode_id"] for r in combined["ssd_cla_episodes"]} == {"AA-1", "AA-3"}
