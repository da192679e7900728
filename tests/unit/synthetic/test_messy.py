"""--messy renders the same values the way real exports arrive; parsed back and normalised they are the clean
values, and the truth does not change."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from csc_synthetic.full_ssd import simulated_contract

from .conftest import run
from .redetect import detect

pytestmark = pytest.mark.unit

SEX = {"1": "M", "2": "F"}
WORDS = {"Neglect": "NEG", "Physical": "PHY", "Sexual": "SAB", "Emotional": "EMO", "Multiple": "MUL"}
DATE_FORMS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%d/%m/%Y %H:%M:%S")


@pytest.fixture(scope="session")
def tiny_messy(tmp_path_factory):
    """The same LA, seed and date as the clean `tiny` fixture, rendered messily."""
    return run(tmp_path_factory.mktemp("tiny_messy"), messy=True)


def decoded(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def parsed(path, table) -> pd.DataFrame:
    text, _ = decoded(path.read_bytes())
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lower() for c in frame.columns]
    frame = frame[table.column_names].copy()
    for column in table.columns:
        if column.type == "datetime":
            frame[column.name] = frame[column.name].map(_canonical_date)
    if table.name == "ssd_person":
        frame["pers_sex"] = frame["pers_sex"].map(lambda v: SEX.get(v, v))
    if table.name == "ssd_cp_plans":
        for name in ("cppl_cp_plan_initial_category", "cppl_cp_plan_latest_category"):
            frame[name] = frame[name].map(lambda v: WORDS.get(v, v))
    if table.name == "ssd_involvements":
        frame["invo_professional_role_id"] = frame["invo_professional_role_id"].str.strip().str.upper()
    return frame


def _canonical_date(text: str) -> str:
    for form in DATE_FORMS:
        try:
            return pd.to_datetime(text, format=form).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
    assert text == "", f"unparseable date {text!r}"
    return ""


def test_messy_files_parse_back_to_the_clean_values(tiny, tiny_messy):
    clean_dir = tiny.nights[0].extract_dir
    messy_dir = tiny_messy.nights[0].extract_dir
    for table in simulated_contract():
        clean = parsed(clean_dir / table.file_name, table)
        messy = parsed(messy_dir / table.file_name, table)
        pd.testing.assert_frame_equal(clean, messy, obj=table.name)


def test_messy_rendering_does_not_change_the_truth(tiny, tiny_messy):
    for name in ("indicators.csv", "faults.csv", "exceptions.csv", "population.csv"):
        assert (tiny.nights[0].truth_dir / name).read_bytes() == (tiny_messy.nights[0].truth_dir / name).read_bytes()


def test_messy_files_show_every_variation(tiny_messy):
    folder = tiny_messy.nights[0].extract_dir
    encodings, seen = {}, set()
    contract = simulated_contract()
    for table in contract:
        data = (folder / table.file_name).read_bytes()
        text, encoding = decoded(data)
        encodings[table.name] = encoding
        header = next(csv.reader(io.StringIO(text, newline="")))
        if b"\r\n" in data:
            seen.add("crlf")
        if header != table.column_names and sorted(h.lower() for h in header) == sorted(table.column_names):
            seen.add("order" if [h.lower() for h in header] != table.column_names else "upper")
        if any(h.isupper() for h in header):
            seen.add("upper")
        if text.startswith('"'):
            seen.add("quoted")
        values = text.replace("\n", ",").split(",")
        if any(len(value) == 10 and value[2] == "/" and value[5] == "/" for value in values):
            seen.add("dd/mm/yyyy")
        if "\U0001F4F1" in text or "\U0001F64F" in text:
            assert encoding.startswith("utf-8"), "emoji only in UTF-8 files"
            seen.add("emoji")
        if "£" in text and encoding == "cp1252":
            assert "£".encode("cp1252") in data
            seen.add("pound in cp1252")
    assert set(encodings.values()) == {"utf-8", "utf-8-sig", "cp1252"}
    assert {"crlf", "order", "upper", "quoted", "dd/mm/yyyy", "pound in cp1252"} <= seen
    person = pd.read_csv(io.StringIO(decoded((folder / "ssd_person.csv").read_bytes())[0]), dtype=str)
    person.columns = [c.lower() for c in person.columns]
    assert {"1", "2"} <= set(person["pers_sex"])
    plans = pd.read_csv(io.StringIO(decoded((folder / "ssd_cp_plans.csv").read_bytes())[0]), dtype=str)
    plans.columns = [c.lower() for c in plans.columns]
    assert set(plans["cppl_cp_plan_latest_category"]) <= set(WORDS)
    involvements = pd.read_csv(io.StringIO(decoded((folder / "ssd_involvements.csv").read_bytes())[0]), dtype=str)
    involvements.columns = [c.lower() for c in involvements.columns]
    roles = set(involvements["invo_professional_role_id"])
    assert any(r != "ALLOCATED CASE WORKER" and r.strip().upper() == "ALLOCATED CASE WORKER" for r in roles)


def test_names_and_free_text_carry_what_breaks_naive_loaders(small):
    folder = small.nights[0].extract_dir
    person = (folder / "ssd_person.csv").read_text(encoding="utf-8")
    assert "'" in person and any(c in person for c in "éëáíóúñüöç")
    assert ", " in (folder / "ssd_professionals.csv").read_text(encoding="utf-8")  # "Surname, Forename"
    contacts = (folder / "ssd_contacts.csv").read_text(encoding="utf-8")
    assert "\"\"" in contacts and ("\U0001F4F1" in contacts or "\U0001F64F" in contacts)


def test_the_re_detector_reads_messy_extracts_too(tiny_messy, tmp_path):
    assert detect(tiny_messy.nights[0].extract_dir) == {}
    faulty = run(tmp_path, seed=9, faults="default", messy=True)
    listed = pd.read_csv(faulty.nights[0].truth_dir / "faults.csv", dtype=str, keep_default_na=False)
    expected = {rule: set(zip(g["table"], g["primary_key"], strict=True)) for rule, g in listed.groupby("fault_type")}
    assert detect(faulty.nights[0].extract_dir) == expected
