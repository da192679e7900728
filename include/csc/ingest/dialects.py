r"""Export dialects: how an LA's export tool writes the extract's files, and how they are read losslessly.

* ``csv``: RFC 4180 with a header (the default, read by ``records.py`` as it always was);
* ``ssms``: SSMS "save results as" and ``sqlcmd``: a header, unquoted fields, literal ``NULL`` for a null (only when
  declared: a surname can be "Null"); ``sqlcmd``'s line of dashes under the header is skipped;
* ``bcp``: ``bcp -c``: no header, tab between fields unless another delimiter is declared, unquoted, a NUL byte for
  an empty string, the columns in the profile's order for the declared ``ssd_version`` (``column_order``).

Unquoted dialects cannot carry a line break or the delimiter inside a value: such a record has the wrong number of
fields on its line and is refused naming file, line and column, never split or joined silently. bcp has no header to
say which column is which, so every typed field of every record is checked (dates by the record scanner; flags, ids,
numbers and codes here): a shifted or swapped column is refused, never loaded.

Any dialect may be UTF-16 with a byte-order mark (SSMS and ``sqlcmd -u`` write it), UTF-8 (a BOM allowed) or
Windows-1252. A file in an unquoted dialect, or in UTF-16, is read through :class:`DialectStream`, which turns it into
standard CSV (UTF-8, the values re-quoted where needed, nothing else changed) for the record scanner and COPY, while
counting and hashing the bytes as they are in the file. Raw therefore holds every value as written, after decoding;
a ``NULL`` (ssms), an empty field and a NUL (bcp) are NULL.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from typing import BinaryIO

from csc.contract import Table, column_order  # noqa: F401 - the loader asks dialects for the order
from csc.ingest.dates import DATE
from csc.ingest.errors import ExtractRefused
from csc.ingest.source import ExtractSource

DIALECTS = ("csv", "ssms", "bcp")
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
UTF8_BOM = b"\xef\xbb\xbf"
_BLOCK = 1 << 20
_DASHES = re.compile(r"^[-\s|,;]*-[-\s|,;]*$")  # sqlcmd's underline of the header: dashes and separators only


@dataclass(frozen=True)
class Dialect:
    name: str
    delimiter: str
    header: bool
    quoted: bool
    null_text: str | None = None  # a value read as null (ssms: NULL)
    nul_is_empty: bool = False  # bcp writes an empty string as one NUL byte
    typed: bool = False  # check every typed field's shape (no header says which column is which)

    @property
    def describe(self) -> str:
        shown = {"\t": "tab", ",": "comma"}.get(self.delimiter, repr(self.delimiter))
        return f"{self.name} ({shown}-delimited{'' if self.header else ', no header'})"


def dialect(name: str | None = None, delimiter: str | None = None) -> Dialect:
    """The dialect of that name (default csv), with its delimiter unless ``delimiter`` says otherwise."""
    name = name or "csv"
    if name not in DIALECTS:
        raise ValueError(f"unknown export dialect {name!r} (known: {', '.join(DIALECTS)})")
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '\r\n"\0'):
        raise ValueError("a delimiter is one character other than a quote, NUL or a line break")
    if name == "csv":
        if delimiter not in (None, ","):
            raise ValueError("the csv dialect is comma-delimited (RFC 4180); a file delimited otherwise is ssms "
                             "(with a header) or bcp (without)")
        return Dialect("csv", ",", header=True, quoted=True)
    if name == "ssms":
        return Dialect("ssms", delimiter or "\t", header=True, quoted=False, null_text="NULL")
    return Dialect("bcp", delimiter or "\t", header=False, quoted=False, nul_is_empty=True, typed=True)


def detect(first_line: bytes, table: Table) -> Dialect | None:
    """bcp when a file's first line is unmistakably a headerless bcp record: tab-delimited, as many fields as the
    contract has columns, and none of them a column name. Otherwise None (read as declared, csv by default)."""
    text = first_line.rstrip(b"\r\n").decode("utf-8", errors="replace")
    fields = text.split("\t")
    if len(fields) != len(table.column_names) or len(fields) < 2:
        return None
    names = set(table.column_names)
    if any(f.strip().lower() in names for f in fields):
        return None
    return dialect("bcp")


def sniff_encoding(head: bytes, declared: str) -> tuple[str, int]:
    """The encoding a file is read in (its BOM decides; else ``declared``) and the BOM's length."""
    for bom, encoding in UTF16_BOMS.items():
        if head.startswith(bom):
            return encoding, len(bom)
    if head.startswith(UTF8_BOM):
        return "utf-8-sig", len(UTF8_BOM)
    return declared, 0


def needs_transcoding(head: bytes, chosen: Dialect) -> bool:
    """Whether a file is read through ``DialectStream`` (unquoted dialects, and UTF-16 in any dialect)."""
    return not chosen.quoted or head.startswith(tuple(UTF16_BOMS))


# -- typed fields (bcp) ---------------------------------------------------------------------------------------------
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_DECIMAL = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
MAX_ID = 48  # the SSD's ids are nvarchar(48)
MAX_FLAG = 5  # the widest flag column is nchar(5)
MAX_CODE = 100  # code columns hold codes, or a system's descriptions (nvarchar(100))


def _looks_like_date(value: str) -> bool:
    if len(value) < 8 or not ("-" in value or "/" in value or " " in value):  # every accepted form has one
        return False
    return DATE.fullmatch(value.strip().encode("utf-8", errors="replace")) is not None


def field_problem(kind: str, value: str) -> str | None:
    """Why ``value`` cannot be a value of a column of that kind (bcp: a shifted or swapped column), or None."""
    if kind == "flag":
        if len(value) > MAX_FLAG:
            return f"is {len(value)} characters: a flag is at most {MAX_FLAG}"
    elif kind == "integer":
        if not _INTEGER.match(value):
            return "is not a whole number"
    elif kind == "decimal":
        if not _DECIMAL.match(value):
            return "is not a number"
    elif kind == "id":
        if len(value) > MAX_ID:
            return f"is {len(value)} characters: an id is at most {MAX_ID}"
        if _looks_like_date(value):
            return "is a date, not an id"
    elif kind == "code":
        if len(value) > MAX_CODE:
            return f"is {len(value)} characters: a code is at most {MAX_CODE}"
        if _looks_like_date(value):
            return "is a date, not a code"
    return None


def typed_kinds(table: Table, columns: tuple[str, ...]) -> dict[int, str]:
    """Field index -> kind of check, for the fields of a headerless file (dates are the record scanner's). A column
    beyond the contract (a system's extra column, kept in ``_extra``) is not typed."""
    kinds = {}
    names = set(table.column_names)
    for index, name in enumerate(columns):
        if name not in names:
            continue
        column = table.column(name)
        if column.type in ("flag", "integer", "decimal", "id"):
            kinds[index] = column.type
        elif column.code_list:
            kinds[index] = "code"
    return kinds


# -- reading --------------------------------------------------------------------------------------------------------
class DialectStream:
    """A binary stream of standard CSV (UTF-8, LF or CRLF as written) read from a file in ``dialect``.

    ``digest``, ``bytes_read`` and ``encoding`` describe the file as it is (not the CSV handed on). Physical lines
    are kept one for one, so the record scanner's line numbers are the file's: ``skip_lines`` lines after the header
    (sqlcmd's dashes) are dropped and the plan's first record line says so; a headerless file gets the columns as a
    header line, and its first record is line 1.
    """

    def __init__(self, raw: BinaryIO, chosen: Dialect, file_name: str, columns: tuple[str, ...],
                 encoding: str = "utf-8", *, kinds: dict[int, str] | None = None, skip_lines: int = 0):
        self._raw = raw
        self.dialect = chosen
        self.file_name = file_name
        self.columns = columns
        self._declared = encoding
        self._kinds = kinds or {}
        self._skip = skip_lines
        self.digest = hashlib.sha256()
        self.bytes_read = 0
        self.encoding: str | None = None
        self._decoder = None
        self._pending = ""  # decoded text after the last complete line
        self._out = bytearray()
        self._eof = False
        self._line = 0  # physical lines handed on (or skipped)
        self._ok: dict[int, set[str]] = {k: set() for k in self._kinds}
        self._started = False
        self.last_byte = b""

    # the file-like surface used by records.Regions
    def read(self, size: int = -1) -> bytes:
        want = size if size and size > 0 else 1 << 62
        while len(self._out) < want and not self._eof:
            self._fill()
        if size is None or size < 0:
            data, self._out = bytes(self._out), bytearray()
        else:
            data, self._out = bytes(self._out[:size]), self._out[size:]
        return data

    def drain_raw(self) -> None:
        """Read (and hash) the rest of the file as it is, after a refusal: its size and sha256 are still known."""
        if not self._started:
            self._started = True
            self.encoding, _ = sniff_encoding(b"", self._declared)
        while block := self._raw.read(8 << 20):
            self.digest.update(block)
            self.bytes_read += len(block)
        self._eof = True

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> DialectStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------------------------------
    def _fill(self) -> None:
        raw = self._raw.read(_BLOCK)
        if not self._started:
            self._started = True
            self.encoding, bom = sniff_encoding(raw, self._declared)
            codec = {"utf-8-sig": "utf-8"}.get(self.encoding, self.encoding)
            self._decoder = codecs.getincrementaldecoder(codec)(errors="strict")
            self.digest.update(raw)
            self.bytes_read += len(raw)
            self.last_byte = raw[-1:] if raw else b""
            raw = raw[bom:]
            if not self.dialect.header:
                self._out += (",".join(self.columns) + "\n").encode("utf-8")
        else:
            self.digest.update(raw)
            self.bytes_read += len(raw)
            if raw:
                self.last_byte = raw[-1:]
        final = not raw
        try:
            text = self._decoder.decode(raw, final=final)
        except UnicodeDecodeError as exc:
            if self.encoding.startswith("utf-16"):
                line = self._line + 1 + (self._pending + exc.object[:exc.start].decode(
                    self.encoding, errors="replace")).count("\n")
                raise ExtractRefused("undecodable_bytes", f"bytes {exc.object[exc.start:exc.end].hex(' ')} are not "
                                     f"{self.encoding.upper()} (the file starts with a UTF-16 byte-order mark)",
                                     file=self.file_name, line=line) from None
            raise
        if self.dialect.quoted:
            if "\0" in text:
                line = self._line + 1 + (self._pending + text[:text.index("\0")]).count("\n")
                raise ExtractRefused("nul_byte", "a NUL byte (0x00): PostgreSQL text cannot hold it",
                                     file=self.file_name, line=line)
            self._line += text.count("\n")
            self._out += text.encode("utf-8")
        else:
            text = self._pending + text
            cut = text.rfind("\n") + 1
            if final:
                cut = len(text)
            self._pending = text[cut:]
            if cut:
                self._out += self._lines(text[:cut]).encode("utf-8")
        if final:
            self._eof = True

    def _lines(self, text: str) -> str:
        """Complete lines of decoded text as standard CSV, one output line per input line (LF-terminated)."""
        out = []
        append = out.append
        lines = text.split("\n")
        last_open = lines.pop()  # "" when text ends with LF; else the last line, unterminated
        if last_open:
            lines.append(last_open)
        header, skip = self.dialect.header, self._skip
        for line in lines:
            self._line += 1
            if line.endswith("\r"):
                line = line[:-1]
            if header and self._line <= 1 + skip:
                if self._line == 1:
                    append(_csv_line(line.split(self.dialect.delimiter)))
                continue
            if not line:  # a blank line: the record scanner refuses it between records, and allows it at the end
                append("")
                continue
            fields = self._record(line)
            append(_csv_line(fields) if ('"' in line or "," in line or "\r" in line) else ",".join(fields))
        if not out:  # only skipped lines (sqlcmd's dashes)
            return ""
        result = "\n".join(out)
        return result if last_open else result + "\n"

    def _record(self, line: str) -> list[str]:
        d = self.dialect
        fields = line.split(d.delimiter)
        if len(fields) != len(self.columns):
            self._refuse_count(fields, line)
        if "\0" in line:
            for k, value in enumerate(fields):
                if "\0" in value:
                    if d.nul_is_empty and value == "\0":
                        fields[k] = ""
                    else:
                        raise ExtractRefused(
                            "nul_byte", "a NUL byte inside a value"
                            + (" (bcp writes an empty string as a NUL byte alone)" if d.nul_is_empty else
                               ": PostgreSQL text cannot hold it"),
                            file=self.file_name, line=self._line, column=self.columns[k])
        if d.null_text is not None and d.null_text in line:
            fields = ["" if f == d.null_text else f for f in fields]
        for k, kind in self._kinds.items():
            value = fields[k]
            if value and value not in self._ok[k]:
                problem = field_problem(kind, value)
                if problem is not None:
                    raise ExtractRefused(
                        "bad_value", f"{value[:60]!r} {problem}: the columns are not in the order this "
                                     f"{d.name} file must have (a shifted or swapped column?)",
                        file=self.file_name, line=self._line, column=self.columns[k])
                if kind != "id" and len(self._ok[k]) < 100_000:  # ids are unique: remembering them saves nothing
                    self._ok[k].add(value)
        return fields

    def _refuse_count(self, fields: list[str], line: str) -> None:
        n, found = len(self.columns), len(fields)
        d = self.dialect
        shown = {"\t": "tab", ",": "comma"}.get(d.delimiter, repr(d.delimiter))
        if found < n:
            column = self.columns[found]
            what = f"the record ends before column {column}"
            if not self._eof and not line:
                what = "a blank line"
        else:
            # Where the extra field starts: the first typed field that no longer fits, else the last column.
            column = self.columns[-1]
            for k, kind in self._kinds.items():
                if fields[k] and field_problem(kind, fields[k]) is not None:
                    column = self.columns[k]
                    break
            what = (f"a {shown} inside a value, or a line break, at or before column {column} (the {d.name} "
                    "dialect cannot quote: the value must not contain the delimiter)")
        raise ExtractRefused("wrong_field_count", f"{found} {shown}-delimited fields where {n} are expected: {what}",
                             file=self.file_name, line=self._line, column=column)


def _csv_line(fields: list[str]) -> str:
    """Fields as one standard CSV record: a value holding a comma, a quote or a carriage return is quoted."""
    return ",".join([('"' + f.replace('"', '""') + '"') if ('"' in f or "," in f or "\r" in f) else f
                     for f in fields])


def read_head(raw: BinaryIO, declared: str = "utf-8", lines: int = 2) -> tuple[list[str], str]:
    """The first ``lines`` lines of a file as text (any encoding the loader accepts) and the encoding found."""
    head = raw.read(64 << 10)
    encoding, bom = sniff_encoding(head, declared)
    codec = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
    text = head[bom:].decode(codec, errors="replace")
    return text.split("\n")[:lines], encoding


def is_dash_line(line: str) -> bool:
    return bool(_DASHES.match(line.rstrip("\r"))) and line.strip() != ""


@dataclass(frozen=True)
class DialectFile:
    """How one file of an extract is read: its dialect, its columns as in the file, typed checks, lines skipped."""

    dialect: Dialect
    columns: tuple[str, ...]
    kinds: dict[int, str]
    skip_lines: int = 0


class DialectSource(ExtractSource):
    """An extract whose ``files`` are opened as standard CSV through a DialectStream (the others as they are)."""

    def __init__(self, inner: ExtractSource, files: dict[str, DialectFile], encodings: dict[str, str]):
        super().__init__(inner.path, inner.root)
        self.inner = inner
        self._files = files
        self._encodings = encodings  # the loader's: a file found to be Windows-1252 is re-read as such

    @property
    def names(self) -> list[str]:
        return self.inner.names

    def size(self, name: str) -> int:
        return self.inner.size(name)

    def open(self, name: str) -> BinaryIO:
        raw = self.inner.open(name)
        spec = self._files.get(name)
        if spec is None:
            return raw
        declared = self._encodings.get(name, "utf-8")
        return DialectStream(raw, spec.dialect, name, spec.columns,
                             "cp1252" if declared == "cp1252" else "utf-8", kinds=spec.kinds,
                             skip_lines=spec.skip_lines)

    def close(self) -> None:
        """The loader closes the extract it opened."""
