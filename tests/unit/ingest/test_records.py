"""The record scanner: what it forwards to COPY reads back, field for field and line for line, as the file was written.

Random files mix everything real exports do (quoted commas, doubled quotes, line breaks inside values, CRLF and
LF, quote-all and minimal quoting, a quote inside an unquoted value, no final line feed) and are cut into tiny
regions so that every fast/slow path hand-over and every region boundary is crossed many times.
"""

import csv
import hashlib
import io
import random

import numpy as np
import pytest

from csc.ingest.errors import ExtractRefused
from csc.ingest.records import FilePlan, RecordScanner, Regions, key_hash, parse_header

pytestmark = pytest.mark.unit

PLAIN = ["A1", "Smith", "O'Neil", "  padded  ", "Zoë", "😀 emoji", "£5", "x" * 30, "2024-03-01", "\\.", "\\N", "a\\b"]
NEEDS_QUOTES = ["a,b", 'say "hi"', "two\nlines", "crlf\r\nbreak", "lone\rcr", '"', '""', ",", "\n"]
STRAY_QUOTE = ['O"Brien', 'a"b"c']  # a quote inside an unquoted field: Python's csv keeps it as written


def _random_file(rng: random.Random, n_fields: int, n_records: int, needs_quotes=NEEDS_QUOTES):
    """A CSV text and what it holds: per record, its fields and the physical line it starts on."""
    terminator = rng.choice(["\n", "\r\n"])
    quote_all = rng.random() < 0.2
    header = [f"c{i}" for i in range(n_fields)]
    parts = [",".join(header) + terminator]
    expected = []
    line = 2
    for _ in range(n_records):
        fields, raw_fields = [], []
        for _ in range(n_fields):
            roll = rng.random()
            if roll < 0.2:
                value = ""
            elif roll < 0.6:
                value = rng.choice(PLAIN)
            elif roll < 0.95:
                value = rng.choice(needs_quotes)
            else:
                value = rng.choice(STRAY_QUOTE)
            fields.append(value)
            if value in STRAY_QUOTE and not quote_all:
                raw_fields.append(value)
            elif quote_all or any(c in value for c in ',"\r\n'):
                raw_fields.append('"' + value.replace('"', '""') + '"')
            else:
                raw_fields.append(value)
        if n_fields == 1 and fields[0] == "":
            raw_fields = ['""']  # a lone empty field would be a blank line
        text = ",".join(raw_fields) + terminator
        expected.append((line, fields))
        line += text.count("\n")
        parts.append(text)
    if rng.random() < 0.3:
        parts[-1] = parts[-1][: -len(terminator)]
    return "".join(parts), expected


def _scan(data: bytes, *, region_size: int, date_fields=(), key_fields=(), force_slow=False):
    out: list[bytes] = []
    regions = Regions(io.BytesIO(data), "utf-8", region_size=region_size)
    header = parse_header(regions.header())
    plan = FilePlan("t.csv", tuple(header), date_fields=tuple(date_fields), key_fields=tuple(key_fields))
    scanner = RecordScanner(plan, 42, emit=out.append, force_slow=force_slow)
    stats = scanner.scan(regions)
    return b"".join(out), stats, scanner


def _read_back(copy_data: bytes):
    """Parse the COPY stream as PostgreSQL's CSV mode would (standard CSV, LF records)."""
    outside_quotes = b"".join(copy_data.split(b'"')[0::2])
    assert b"\r" not in outside_quotes, "PostgreSQL needs one record terminator throughout: LF"
    rows = list(csv.reader(io.StringIO(copy_data.decode("utf-8"), newline=""), strict=True))
    return [(int(line), fields) for batch, line, *fields in rows if batch == "42"]


@pytest.mark.parametrize("seed", range(40))
def test_random_files_read_back_exactly(seed):
    rng = random.Random(seed)
    n_fields = rng.randint(1, 6)
    text, expected = _random_file(rng, n_fields, rng.randint(0, 120))
    copy_data, stats, _ = _scan(text.encode(), region_size=rng.choice([16, 64, 300, 1 << 20]))
    assert _read_back(copy_data) == expected
    assert stats.records == len(expected)


def test_standard_csv_takes_the_fast_path_and_stray_quotes_the_slow_one():
    clean = b'id,note\n1,"a, b"\n2,"say ""hi"""\n3,"two\nlines"\n'
    _, stats, _ = _scan(clean, region_size=1 << 20)
    assert stats.slow_regions == 0
    _, stats, _ = _scan(b'id,note\n1,O"Brien\n', region_size=1 << 20)
    assert stats.slow_regions == 1


def test_slow_path_hands_back_to_the_fast_path():
    data = b"id,note\n" + b'1,O"Brien\n' + b"".join(b"%d,plain\n" % i for i in range(2, 400))
    copy_data, stats, _ = _scan(data, region_size=64)
    assert 1 <= stats.slow_regions < 5
    assert len(_read_back(copy_data)) == 399


def test_forwarded_records_use_lf_and_keep_values_byte_for_byte():
    data = b'id,note\r\n1,"keep\r\nthis"\r\n2," spaces "\r\n'
    copy_data, _, _ = _scan(data, region_size=1 << 20)
    assert copy_data == b'42,2,1,"keep\r\nthis"\n42,4,2," spaces "\n'


def test_lines_count_line_feeds_only():
    data = b'id,note\n1,"a\rb"\n2,"c\nd"\n3,e\n'
    assert [line for line, _ in _read_back(_scan(data, region_size=1 << 20)[0])] == [2, 3, 5]


def test_trailing_blank_lines_are_ignored_but_counted():
    _, stats, _ = _scan(b"id,n\n1,a\n\n\r\n", region_size=1 << 20)
    assert (stats.records, stats.trailing_blank_lines) == (1, 2)


def _refusal(data: bytes, **kw) -> ExtractRefused:
    with pytest.raises(ExtractRefused) as caught:
        _scan(data, region_size=kw.pop("region_size", 1 << 20), **kw)
    return caught.value


def test_blank_line_between_records_is_refused():
    refusal = _refusal(b"id,n\n1,a\n\n2,b\n")
    assert (refusal.reason, refusal.line) == ("blank_line", 3)


def test_wrong_field_count_names_line_and_column():
    refusal = _refusal(b"id,n,m\n1,a,b\n2,b\n3,c,d\n")
    assert (refusal.reason, refusal.line, refusal.column) == ("wrong_field_count", 3, "m")
    refusal = _refusal(b"id,n,m\n1,a,b,EXTRA\n")
    assert (refusal.reason, refusal.line) == ("wrong_field_count", 2)


def test_truncated_last_line():
    refusal = _refusal(b"id,n,m\n1,a,b\n2,b")
    assert (refusal.reason, refusal.line, refusal.column) == ("truncated_last_line", 3, "m")
    refusal = _refusal(b'id,n,m\n1,a,b\n2,"b\nc')
    assert (refusal.reason, refusal.line, refusal.column) == ("truncated_last_line", 3, "n")


def test_malformed_quoting_names_the_column():
    refusal = _refusal(b'id,n,m\n1,"a"x,b\n')
    assert (refusal.reason, refusal.line, refusal.column) == ("malformed_csv", 2, "n")


@pytest.mark.parametrize("force_slow", [False, True])
def test_bad_date_names_line_and_column(force_slow):
    data = b'id,start,note\n1,2024-01-01,a\n2,"",b\n3,2024-01-02,"c\nd"\n4,31/02/2024,f\n'
    refusal = _refusal(data, date_fields=[1], force_slow=force_slow)
    assert (refusal.reason, refusal.line, refusal.column) == ("bad_date", 6, "start")
    assert "31/02/2024" in refusal.message


@pytest.mark.parametrize("force_slow", [False, True])
def test_quoted_dates_are_read_without_their_quotes(force_slow):
    data = b'id,start\n"1","2024-01-01"\n"2",""\n'
    _, stats, _ = _scan(data, date_fields=[1], key_fields=[0], region_size=1 << 20, force_slow=force_slow)
    assert stats.records == 2


@pytest.mark.parametrize("force_slow", [False, True])
def test_duplicate_keys_are_suspected_and_blank_keys_ignored(force_slow):
    data = b'id,n\nA,1\n"B",2\n,3\n,4\nB,5\n'
    _, _, scanner = _scan(data, key_fields=[0], region_size=1 << 20, force_slow=force_slow)
    assert scanner.duplicate_key_hashes() == {key_hash((b"B",))}


def test_suspect_pass_names_both_lines_and_the_key():
    data = b'id,part,n\nA,1,x\nA,2,x\n"B","1",y\nC,1,z\nB,1,w\n'
    regions = Regions(io.BytesIO(data), "utf-8")
    plan = FilePlan("t.csv", tuple(parse_header(regions.header())), key_fields=(0, 1))
    scanner = RecordScanner(plan, 0, suspect_key_hashes={key_hash((b"B", b"1"))})
    with pytest.raises(ExtractRefused) as caught:
        scanner.scan(regions)
    refusal = caught.value
    assert (refusal.reason, refusal.line) == ("duplicate_primary_key", 6)
    assert "'B|1'" in refusal.message and "line 4" in refusal.message


def test_windows_1252_and_bom_are_forwarded_as_utf8():
    for data, encoding in [("id,n\n1,£5 café\n".encode("cp1252"), "cp1252"),
                           ("\ufeffid,n\n1,£5 café\n".encode(), "utf-8")]:
        out: list[bytes] = []
        regions = Regions(io.BytesIO(data), encoding)
        assert parse_header(regions.header()) == ["id", "n"]
        RecordScanner(FilePlan("t.csv", ("id", "n")), 1, emit=out.append).scan(regions)
        assert b"".join(out).decode("utf-8") == "1,2,1,£5 café\n"


@pytest.mark.parametrize("force_slow", [False, True])
def test_key_hashes_agree_between_paths_and_with_key_hash(force_slow):
    rng = random.Random(5)
    alphabet = "ABCxyz019_-é😀\""
    keys = {("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))),
             "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))) for _ in range(300)}
    keys.add(("L" * 200, "long"))
    text = "a,b,n\n" + "".join(",".join('"' + p.replace('"', '""') + '"' if '"' in p or rng.random() < 0.3 else p
                                         for p in key) + ",x\n" for key in sorted(keys))
    _, _, scanner = _scan(text.encode(), key_fields=[0, 1], region_size=2048, force_slow=force_slow)
    found = sorted(np.concatenate(scanner.stats.key_hashes).tolist())
    assert found == sorted(key_hash(tuple(p.encode() for p in key)) for key in keys)


def test_regions_count_and_hash_the_file_as_written_and_drop_only_a_leading_bom():
    data = "\ufeffid,n\r\n1,\ufeffa\r\n".encode()
    regions = Regions(io.BytesIO(data), region_size=5)
    assert parse_header(regions.header()) == ["id", "n"]
    assert b"".join(regions) == "1,\ufeffa\r\n".encode()
    assert (regions.bytes_read, regions.digest.hexdigest(), regions.encoding, regions.ends_with_newline) == (
        len(data), hashlib.sha256(data).hexdigest(), "utf-8-sig", True)


def test_drain_finishes_the_checksum_after_an_early_stop():
    data = b"id,n\n" + b"1,a\n" * 1000 + b"2,b"
    regions = Regions(io.BytesIO(data), region_size=64)
    regions.header()
    next(iter(regions))
    regions.drain()
    assert (regions.bytes_read, regions.digest.hexdigest()) == (len(data), hashlib.sha256(data).hexdigest())
    assert not regions.ends_with_newline


@pytest.mark.parametrize("seed", range(20))
def test_files_without_line_breaks_in_values_read_back_exactly(seed):
    """Regions whose line feeds all end records are framed by replacing each LF (CRLF, CR inside values too)."""
    rng = random.Random(1000 + seed)
    no_line_feeds = [v for v in NEEDS_QUOTES if "\n" not in v]
    text, expected = _random_file(rng, rng.randint(1, 6), rng.randint(1, 120), needs_quotes=no_line_feeds)
    copy_data, stats, _ = _scan(text.encode(), region_size=rng.choice([64, 300, 1 << 20]))
    assert _read_back(copy_data) == expected
    assert stats.records == len(expected)
