"""Export dialects read as standard CSV (dialects.py): values kept, lines kept, the file's own bytes hashed."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest

from csc.contract import load_contract
from csc.ingest.dialects import DialectStream, detect, dialect, field_problem, typed_kinds
from csc.ingest.errors import ExtractRefused
from csc.orchestration.triggers import ExtractArrivedTrigger, extract_is_ready

pytestmark = pytest.mark.unit

COLUMNS = ("a", "b", "c")


def read(data: bytes, name: str, *, delimiter: str | None = None, columns=COLUMNS, kinds=None, skip=0,
         encoding="utf-8") -> tuple[bytes, DialectStream]:
    stream = DialectStream(io.BytesIO(data), dialect(name, delimiter), "t.csv", columns, encoding, kinds=kinds,
                           skip_lines=skip)
    out = b""
    while block := stream.read(7):  # small reads: records cross read boundaries
        out += block
    return out, stream


def rows(text: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.decode("utf-8"), newline="")))


def test_bcp_gets_a_header_and_keeps_every_value():
    data = b"1\tO\"Brien, Jr\t\0\r\n2\t\t  x  \r\n"
    out, stream = read(data, "bcp")
    assert rows(out) == [["a", "b", "c"], ["1", 'O"Brien, Jr', ""], ["2", "", "  x  "]]
    assert stream.digest.hexdigest() == hashlib.sha256(data).hexdigest() and stream.bytes_read == len(data)
    assert out.count(b"\n") == data.count(b"\n") + 1  # one line per line, plus the header


def test_ssms_reads_null_only_as_a_whole_value():
    out, _ = read("a\tb\tc\nNULL\tNull\tNULLS\n".encode("utf-16"), "ssms")
    assert rows(out) == [["a", "b", "c"], ["", "Null", "NULLS"]]


def test_ssms_skips_sqlcmd_dashes():
    out, _ = read(b"a\tb\tc\r\n---\t---\t---\r\n1\t2\t3\r\n", "ssms", skip=1)
    assert rows(out) == [["a", "b", "c"], ["1", "2", "3"]]


def test_csv_in_utf16_is_passed_on_as_utf8():
    text = 'a,b,c\r\n1,"x\r\ny",é\r\n'
    out, stream = read(text.encode("utf-16"), "csv")
    assert out.decode("utf-8") == text and stream.encoding == "utf-16-le"


@pytest.mark.parametrize(("data", "line", "column"), [
    (b"1\t2\t3\n4\t5\n", 2, "c"),              # too few: the record ends before c
    (b"1\t2\t3\t4\n", 1, "c"),                 # too many: a tab inside a value
    (b"1\t2\nx\t3\n", 1, "c"),                 # a line break inside a value
])
def test_wrong_field_counts_name_line_and_column(data, line, column):
    with pytest.raises(ExtractRefused) as caught:
        read(data, "bcp")
    assert (caught.value.reason, caught.value.line, caught.value.column) == ("wrong_field_count", line, column)


def test_a_nul_inside_a_value_is_refused_and_a_nul_alone_is_an_empty_string():
    assert rows(read(b"\0\t1\t2\n", "bcp")[0])[1] == ["", "1", "2"]
    with pytest.raises(ExtractRefused) as caught:
        read(b"1\t2\tx\0y\n", "bcp")
    assert (caught.value.reason, caught.value.line, caught.value.column) == ("nul_byte", 1, "c")
    with pytest.raises(ExtractRefused) as caught:
        read(b"a\tb\tc\n1\t\0\t2\n", "ssms")
    assert (caught.value.reason, caught.value.line, caught.value.column) == ("nul_byte", 2, "b")


def test_bad_utf16_is_refused_with_its_line():
    data = "a\tb\tc\n1\t2\t3\n".encode("utf-16") + b"\x00\xd8" + "4\t5\t6\n".encode("utf-16-le")
    with pytest.raises(ExtractRefused) as caught:
        read(data, "ssms")
    assert (caught.value.reason, caught.value.line) == ("undecodable_bytes", 3)


def test_typed_fields_catch_a_shifted_column():
    person = load_contract().table("ssd_person")
    kinds = typed_kinds(person, tuple(person.column_names))
    assert kinds[0] == "id" and kinds[person.column_names.index("pers_send_flag")] == "flag"
    assert field_problem("id", "2024-01-01 00:00:00.000") == "is a date, not an id"
    assert field_problem("flag", "Smith") is None and field_problem("flag", "Porter") is not None
    assert field_problem("integer", "12") is None and field_problem("integer", "1.5") is not None
    assert field_problem("decimal", "0.8") is None and field_problem("decimal", "Jun 14 2022") is not None
    assert field_problem("code", "Jun 14 2022 12:00AM") == "is a date, not a code"
    values = ["P1", "Ann", "Lee", "F", "", "", "2012-01-01"] + [""] * (len(person.column_names) - 7)
    shifted = values[1:] + [""]
    with pytest.raises(ExtractRefused) as caught:
        read("\t".join(shifted).encode() + b"\n", "bcp", columns=tuple(person.column_names), kinds=kinds)
    assert (caught.value.reason, caught.value.line, caught.value.column) == ("bad_value", 1, "pers_ethnicity")


def test_detect_only_an_unmistakable_bcp_line():
    person = load_contract().table("ssd_person")
    n = len(person.column_names)
    assert detect(("\t".join(["1"] * n)).encode(), person).name == "bcp"
    assert detect(("\t".join(person.column_names)).encode(), person) is None  # a tab-delimited header
    assert detect((",".join(["1"] * n)).encode(), person) is None
    assert detect(("\t".join(["1"] * (n - 1))).encode(), person) is None


def test_dialect_options():
    assert dialect().name == "csv" and dialect("ssms").delimiter == "\t" and dialect("bcp", "|").delimiter == "|"
    for bad in (lambda: dialect("xml"), lambda: dialect("csv", "\t"), lambda: dialect("bcp", '"')):
        with pytest.raises(ValueError):
            bad()


def test_the_nightly_wait_takes_the_marker_when_the_manifest_is_optional(tmp_path):
    folder = tmp_path / "999" / "2026-01-01"
    folder.mkdir(parents=True)
    (folder / "ssd_person.csv").write_text("")
    assert not extract_is_ready(str(folder), "READY")
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()

    async def first_event(marker):
        trigger = ExtractArrivedTrigger(str(folder), 0.05, past, marker=marker)
        async for event in trigger.run():
            return event.payload["status"]

    assert asyncio.run(first_event("READY")) == "timeout"
    (folder / "READY").write_text("")
    assert extract_is_ready(str(folder), "READY") and not extract_is_ready(str(folder))
    assert asyncio.run(first_event("READY")) == "arrived"
    assert asyncio.run(first_event(None)) == "timeout"  # an LA whose manifest is required waits for it
    path, kwargs = ExtractArrivedTrigger(str(folder), 5, past, marker="READY").serialize()
    assert kwargs["marker"] == "READY"


def test_the_pipeline_finds_an_extract_by_its_marker_only_where_the_manifest_is_optional(tmp_path):
    import yaml

    from csc.ingest import next_extract
    from csc.pipeline import extract_arrived
    from csc.settings import Settings

    las = tmp_path / "las.yml"
    las.write_text(yaml.safe_dump({"las": [
        {"code": "901", "name": "Tinyshire", "export": {"dialect": "bcp", "manifest": "optional", "marker": "done"}},
        {"code": "999", "name": "Demoshire"}]}))
    settings = Settings(home=tmp_path / "home", las_config=las)
    night = datetime(2026, 11, 30).date()
    for code in ("901", "999"):
        folder = settings.landing_dir / code / night.isoformat()
        folder.mkdir(parents=True)
        (folder / "ssd_person.csv").write_text("")
        assert extract_arrived(code, night, settings) is None and next_extract(code, settings) is None
        (folder / "done").write_text("")
    assert extract_arrived("901", night, settings) == settings.landing_dir / "901" / night.isoformat()
    assert next_extract("901", settings) == settings.landing_dir / "901" / night.isoformat()
    assert extract_arrived("999", night, settings) is None  # its manifest is required: a marker is not enough
