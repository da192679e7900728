"""The first pass over a file: size, sha256, and the encoding decision with the line of any bad byte."""

import hashlib
import io

import pytest

from csc.ingest import probe as probe_module
from csc.ingest.probe import probe

pytestmark = pytest.mark.unit


def test_utf8_file_size_and_checksum():
    data = "id,name\n1,Zoë 😀\n".encode()
    found = probe(io.BytesIO(data))
    assert (found.bytes, found.sha256, found.encoding, found.problem) == (
        len(data), hashlib.sha256(data).hexdigest(), "utf-8", None)
    assert found.ends_with_newline


def test_bom_means_utf8_sig():
    found = probe(io.BytesIO(b"\xef\xbb\xbfid\n1\n"))
    assert found.encoding == "utf-8-sig" and found.problem is None


def test_windows_1252_is_recognised():
    data = "id,note\n1,£5 for Renée’s bus\n".encode("cp1252")
    found = probe(io.BytesIO(data))
    assert found.encoding == "cp1252" and found.problem is None
    assert not probe(io.BytesIO(data[:-1])).ends_with_newline


def test_bytes_invalid_in_both_encodings_name_the_line():
    data = b"id,note\n1,ok\n2,bad \x81 byte\n"
    found = probe(io.BytesIO(data))
    assert found.problem.reason == "undecodable_bytes"
    assert found.problem.line == 3
    assert "0x81" in found.problem.message


def test_invalid_utf8_after_a_bom_is_not_read_as_windows_1252():
    found = probe(io.BytesIO(b"\xef\xbb\xbfid\n1\n\xa3 5\n"))
    assert found.problem.reason == "undecodable_bytes" and found.problem.line == 3


def test_mixed_utf8_and_windows_1252_is_refused():
    data = "id,note\n1,café\n".encode() + "2,£5\n".encode("cp1252")
    found = probe(io.BytesIO(data))
    assert found.problem.reason == "mixed_encoding"
    assert found.problem.line == 3 and "line 2" in found.problem.message


def test_nul_byte_names_its_line():
    found = probe(io.BytesIO(b"id\n1\n2\x00\n"))
    assert found.problem.reason == "nul_byte" and found.problem.line == 3


def test_utf16_is_refused_with_advice():
    found = probe(io.BytesIO("id\n1\n".encode("utf-16")))
    assert found.problem.reason == "undecodable_bytes" and "UTF-16" in found.problem.message


def test_lines_are_counted_across_blocks(monkeypatch):
    monkeypatch.setattr(probe_module, "BLOCK_SIZE", 7)
    data = b"id,note\n" + b"1,abc\n" * 50 + b"2,\x81\n"
    found = probe(io.BytesIO(data))
    assert found.problem.line == 52
    assert found.bytes == len(data) and found.sha256 == hashlib.sha256(data).hexdigest()
