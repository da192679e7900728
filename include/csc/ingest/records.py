r"""Frame, check and forward the records of one CSV file to ``COPY ... (format csv)`` at the speed of COPY itself.

PostgreSQL parses the CSV, as it does for ``psql \copy``. Python does what PostgreSQL cannot: it tags every record
with the batch id and the physical line on which the record starts, and refuses what cannot be loaded losslessly
(wrong field counts, truncated last records, bad dates, duplicate primary keys), naming line and column.

Both must read every record the same way. They do for standard CSV (RFC 4180: a field is either unquoted and free
of quotes, or wholly quoted with inner quotes doubled). They do not for a quote inside an unquoted field
(``O"Brien``): Python's csv module keeps it, PostgreSQL starts a quoted section. So the file is read in regions of
a few megabytes cut at record boundaries, and each region takes one of two paths:

* fast path (numpy, no Python code per record): find quotes and delimiters, track quote parity, prove every quote
  stands where standard CSV puts it, count fields per record, check date columns (ISO values as numbers, other
  forms with one regular expression per column), hash primary keys, and forward the region's records unchanged
  behind a ``<batch>,<line>,`` prefix;
* slow path (the csv module, one record at a time) for any region the fast path cannot prove standard. Records are
  re-quoted in standard form before they go to PostgreSQL, so its reading matches Python's. The slow path hands
  back to the fast path at the first region boundary that is also a record boundary.

Lines are counted by line feeds (CRLF counts once; a lone CR inside a quoted value is not a line break), the header
being line 1. Record terminators are normalised to LF on the way to PostgreSQL; values are never touched.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from csc.ingest.dates import ACCEPTED_FORMS, ISO_WIDTH, first_bad_line, is_date, iso_dates
from csc.ingest.errors import ExtractRefused

REGION_SIZE = 2 << 20  # numpy's passes over a region stay in cache; larger regions were slower per byte
_QUOTE, _COMMA, _LF, _CR = 34, 44, 10, 13
_MAX_CUT_TRIES = 64
_DATES_CACHE = 200_000  # distinct date values remembered as valid (dates repeat: most are checked once)
_PAD = bytes(32)  # after a region's bytes: fixed-width reads from any value's start (dates, key words) stay inside

# Primary-key hash: FNV-1a over each part's little-endian 8-byte words, then its length, parts chained. Computed
# with numpy for whole regions and in Python for single records; the two must agree (tests/unit/ingest).
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = (1 << 64) - 1
_MAX_VECTOR_KEY = 128  # longer keys (none in the contract: ids are at most 48 characters) are hashed one by one
_WORD_MASKS = np.array([(1 << (8 * r)) - 1 for r in range(8)] + [_MASK64], dtype=np.uint64)  # a word's first r bytes


def key_hash(parts: tuple[bytes, ...]) -> int:
    """The 64-bit hash of one primary key (its parts as bytes), as the numpy fast path computes it."""
    h = _FNV_OFFSET
    for part in parts:
        for i in range(0, len(part), 8):
            h = ((h ^ int.from_bytes(part[i:i + 8], "little")) * _FNV_PRIME) & _MASK64
        h = ((h ^ len(part)) * _FNV_PRIME) & _MASK64
    return h


@dataclass(frozen=True)
class FilePlan:
    """What to check in one file: the contract column of each field (file order), date fields, key fields."""

    file_name: str
    columns: tuple[str, ...]
    date_fields: tuple[int, ...] = ()
    key_fields: tuple[int, ...] = ()
    first_line: int = 2  # the physical line of the first record (1 without a header; 3 under sqlcmd's dashes)


@dataclass
class ScanStats:
    records: int = 0
    lines: int = 0  # physical lines including the header
    slow_regions: int = 0
    trailing_blank_lines: int = 0
    key_hashes: list[np.ndarray] = field(default_factory=list)


class Regions:
    """UTF-8 regions of a CSV file after its header, each cut where quote parity says a record ends.

    Reading is also verification: the file's bytes are counted and hashed (sha256) as they go by, so each file is
    read once. Windows-1252 input is transcoded to UTF-8 here; a leading UTF-8 byte-order mark is dropped (and
    noted). UTF-8 input is passed on unchecked: PostgreSQL checks it (and the slow path decodes it).
    """

    def __init__(self, stream: BinaryIO, encoding: str = "utf-8", region_size: int = REGION_SIZE):
        if encoding not in ("utf-8", "utf-8-sig", "cp1252"):
            raise ValueError(f"unsupported encoding {encoding!r}")
        self._stream = stream
        self._encoding = encoding
        self._region_size = region_size
        self._buffer = b""
        self._eof = False
        self._first = True
        self._digest = hashlib.sha256()
        self._bytes_read = 0
        self.bom = False
        self._last_byte = b""
        # A file in another dialect or in UTF-16 arrives as standard CSV through a DialectStream (dialects.py),
        # which knows the file's own size, checksum and encoding.
        self._through = stream if hasattr(stream, "drain_raw") else None

    @property
    def digest(self):
        return self._through.digest if self._through is not None else self._digest

    @property
    def bytes_read(self) -> int:
        return self._through.bytes_read if self._through is not None else self._bytes_read

    @property
    def encoding(self) -> str:
        """The encoding as found: ``utf-8-sig`` when a UTF-8 file starts with a byte-order mark."""
        if self._through is not None:
            return self._through.encoding or self._encoding
        return "utf-8-sig" if self.bom else ("utf-8" if self._encoding == "utf-8-sig" else self._encoding)

    @property
    def ends_with_newline(self) -> bool:
        return self._last_byte == b"\n"

    def drain(self) -> None:
        """Read (and hash) the rest of the file, so that its size and sha256 are known after an early refusal."""
        if self._through is not None:
            self._through.drain_raw()
            self._eof = True
            return
        while block := self._stream.read(8 << 20):
            self._digest.update(block)
            self._bytes_read += len(block)
            self._last_byte = block[-1:]
        self._eof = True

    def _read(self) -> bool:
        raw = self._stream.read(self._region_size)
        if not raw:
            self._eof = True
            return False
        self._digest.update(raw)
        self._bytes_read += len(raw)
        self._last_byte = raw[-1:]
        block = raw
        if self._first:
            self._first = False
            if self._encoding != "cp1252" and block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]
                self.bom = True
        if self._encoding == "cp1252":
            block = block.decode("cp1252").encode("utf-8")
        self._buffer += block
        return True

    def header(self) -> bytes:
        """The header record's bytes (with its line end), or b'' for an empty file."""
        while True:
            cut = _record_cut(self._buffer, first=True)
            if cut:
                header, self._buffer = self._buffer[:cut], self._buffer[cut:]
                return header
            if not self._read():
                header, self._buffer = self._buffer, b""
                return header

    def __iter__(self) -> Iterator[bytes]:
        while True:
            while not self._eof and len(self._buffer) < self._region_size:
                self._read()
            if self._eof:
                if self._buffer:
                    region, self._buffer = self._buffer, b""
                    yield region
                return
            cut = _record_cut(self._buffer)
            if not cut and len(self._buffer) >= 2 * self._region_size:
                cut = self._buffer.rfind(b"\n") + 1  # a run-away quote: let the slow path explain it
            if not cut:
                self._read()
                continue
            region, self._buffer = self._buffer[:cut], self._buffer[cut:]
            yield region


def _record_cut(buffer: bytes, first: bool = False) -> int:
    """Offset just after the last (or, for the header, first) line feed with an even number of quotes before it."""
    if first:
        pos = buffer.find(b"\n")
        while pos >= 0:
            if buffer.count(b'"', 0, pos) % 2 == 0:
                return pos + 1
            pos = buffer.find(b"\n", pos + 1)
        return 0
    total = int(np.count_nonzero(np.frombuffer(buffer, dtype=np.uint8) == _QUOTE))  # bytes.count: 4x slower
    pos = buffer.rfind(b"\n")
    for _ in range(_MAX_CUT_TRIES):
        if pos < 0:
            return 0
        if (total - buffer.count(b'"', pos)) % 2 == 0:
            return pos + 1
        pos = buffer.rfind(b"\n", 0, pos)
    return 0


def parse_header(header: bytes) -> list[str]:
    """The header's field names. Raises ValueError if it is not exactly one CSV record."""
    text = header.decode("utf-8")
    records = list(csv.reader(io.StringIO(text, newline="\n"), strict=True))
    if len(records) != 1 or not records[0]:
        raise ValueError("the header is not a single line of column names")
    return records[0]


class RecordScanner:
    """Checks the records of one file and hands them, framed for COPY, to ``emit`` (or only checks, if None)."""

    def __init__(self, plan: FilePlan, batch_id: int, *, first_line: int = 2,
                 emit: Callable[[bytes], None] | None = None, force_slow: bool = False,
                 suspect_key_hashes: set[int] | None = None):
        self.plan = plan
        self.n = len(plan.columns)
        self.emit = emit
        self.force_slow = force_slow
        self._regions: Regions | None = None
        self.next_line = first_line
        self.stats = ScanStats(lines=first_line - 1)
        self._batch_prefix = b"%d," % batch_id
        self._slow_prefix = f"{batch_id},"
        self._pending_blank: int | None = None
        self._dates_ok: set[bytes] = set()
        # Second pass after suspected duplicates: remember the line of each suspect key, refuse on a real repeat.
        self._suspects = suspect_key_hashes
        self._suspect_array = (np.array(sorted(suspect_key_hashes), dtype=np.uint64)
                               if suspect_key_hashes is not None else None)
        self._suspect_lines: dict[tuple[bytes, ...], int] = {}

    # -- driver -----------------------------------------------------------------------------------------------------
    def scan(self, source: Regions) -> ScanStats:
        """Check (and forward) every record after the header, which ``source`` must already have read."""
        self._regions = source
        regions = iter(source)
        for region in regions:
            if not region:
                continue
            if self.force_slow or not self._fast(region):
                self.stats.slow_regions += 1
                self._slow(region, regions)
        if self._pending_blank is not None:
            self.stats.trailing_blank_lines = self.next_line - self._pending_blank
        self.stats.lines = self.next_line - 1
        return self.stats

    def duplicate_key_hashes(self) -> set[int]:
        """Key hashes seen twice or more: duplicates, or (rarely) two keys sharing a hash; checked exactly later."""
        if not self.stats.key_hashes:
            return set()
        hashes = np.concatenate(self.stats.key_hashes)
        hashes.sort()
        repeated = hashes[1:][hashes[1:] == hashes[:-1]]
        return set(np.unique(repeated).tolist())

    # -- fast path ------------------------------------------------------------------------------------------------
    def _fast(self, region: bytes) -> bool:
        """Check and forward a region without Python code per record. False if the region is not provably standard."""
        n = self.n
        padded = not region.endswith(b"\n")
        # A leading LF stands for the previous record's end; the padding is not part of ``a``.
        buf = b"\n" + region + (b"\n" if padded else b"") + _PAD
        a = np.frombuffer(buf, dtype=np.uint8, count=len(buf) - len(_PAD))
        quotes = np.flatnonzero(a == _QUOTE)
        marks = np.flatnonzero((a == _COMMA) | (a == _LF) | (a == _CR))  # inside quoted values too
        kind = a[marks]
        is_lf = kind == _LF
        if quotes.size:
            if quotes.size % 2:
                return False  # the region ends inside a quoted value
            before_opening = a[quotes[0::2] - 1]
            if not ((before_opening == _COMMA) | (before_opening == _LF) | (before_opening == _QUOTE)).all():
                return False  # a quote inside an unquoted field
            after_closing = a[quotes[1::2] + 1]
            if not ((after_closing == _COMMA) | (after_closing == _LF) | (after_closing == _CR)
                    | (after_closing == _QUOTE)).all():
                return False  # something between a closing quote and the next delimiter
            outside = (np.searchsorted(quotes, marks) & 1) == 0  # an even number of quotes before it
            delimiters = marks[(kind == _COMMA) & outside]
            carriage_returns = marks[(kind == _CR) & outside]
            record_lf = np.flatnonzero(outside[is_lf])  # indexes into the line feeds
        else:
            delimiters = marks[kind == _COMMA]
            carriage_returns = marks[kind == _CR]
            record_lf = None
        if carriage_returns.size and not (a[carriage_returns + 1] == _LF).all():
            return False  # a lone carriage return outside quotes
        line_feeds = marks[is_lf]  # the sentinel first
        every_lf_ends_a_record = record_lf is None or record_lf.size == line_feeds.size
        if record_lf is None:
            record_lf = np.arange(line_feeds.size)
        ends_at = line_feeds[record_lf]
        records = ends_at.size - 1
        fields_per_record = np.diff(np.searchsorted(delimiters, ends_at))
        if not (fields_per_record == n - 1).all():
            return False  # blank lines, wrong field counts, a truncated last record: the slow path names them
        starts = ends_at[:-1] + 1
        ends = ends_at[1:] - (a[ends_at[1:] - 1] == _CR)
        if n == 1 and (ends == starts).any():
            return False
        if self._pending_blank is not None:
            self._refuse_blank_line()
        bounds = np.empty((records, n + 1), dtype=np.int64)
        bounds[:, 0] = starts - 1
        if n > 1:
            bounds[:, 1:n] = delimiters.reshape(records, n - 1)
        bounds[:, n] = ends
        first_line = self.next_line
        record_lines = first_line + record_lf[:-1]

        for k in self.plan.date_fields:
            self._check_dates_fast(buf, a, bounds[:, k] + 1, bounds[:, k + 1], k, record_lines)
        if self.plan.key_fields:
            self._hash_keys_fast(buf, a, bounds, record_lines, quotes)

        if self.emit is None:
            pass
        elif every_lf_ends_a_record:
            self.emit(self._framed_by_lines(buf, a, line_feeds, carriage_returns.size > 0, record_lines))
        else:
            self.emit(self._framed(a, starts, ends, ends_at, carriage_returns.size > 0, record_lines))
        self.stats.records += records
        self.next_line += line_feeds.size - 1  # the padding LF stands for an unterminated last line
        return True

    def _prefixes(self, record_lines: np.ndarray) -> np.ndarray:
        """``<batch>,<line>,`` of each record as rows of one width: line numbers zero-padded to the region's widest
        (PostgreSQL reads 0042 as 42)."""
        batch = np.frombuffer(self._batch_prefix, dtype=np.uint8)
        digits = len(str(int(record_lines[-1])))
        prefixes = np.empty((record_lines.size, batch.size + digits + 1), dtype=np.uint8)
        prefixes[:, :batch.size] = batch
        rest = record_lines.astype(np.int64)
        for column in range(batch.size + digits - 1, batch.size - 1, -1):
            quotient = rest // 10
            prefixes[:, column] = rest - quotient * 10 + 48
            rest = quotient
        prefixes[:, -1] = _COMMA
        return prefixes

    def _framed_by_lines(self, buf: bytes, a: np.ndarray, line_feeds: np.ndarray, crlf: bool,
                         record_lines: np.ndarray) -> memoryview:
        """The region's records behind their prefixes, when every line feed ends a record (no line break inside a
        value): each LF becomes LF plus a gap of the prefixes' width (bytes.replace), and the gaps are filled."""
        prefixes = self._prefixes(record_lines)
        records, width = prefixes.shape
        body = buf[:a.size]
        if crlf:  # every CRLF ends a record here: drop the CR (a CR inside a value is not followed by LF here)
            body = body.replace(b"\r\n", b"\n")
            dropped = np.zeros(line_feeds.size, dtype=np.int64)
            np.cumsum(a[line_feeds[1:] - 1] == _CR, out=dropped[1:])
            line_feeds = line_feeds - dropped
        out = bytearray(body.replace(b"\n", b"\n" + bytes(width)))
        gaps = line_feeds[:records] + 1 + np.arange(records, dtype=np.int64) * width
        np.ndarray((len(out) - width + 1, width), dtype=np.uint8, buffer=out, strides=(1, 1))[gaps] = prefixes
        return memoryview(out)[1:len(out) - width]  # the leading LF, and the gap after the last record, go

    def _framed(self, a: np.ndarray, starts: np.ndarray, ends: np.ndarray, ends_at: np.ndarray, crlf: bool,
                record_lines: np.ndarray) -> bytes:
        """The region's records, each behind ``<batch>,<line>,`` and ended by LF, assembled by numpy scatter.

        Every prefix has the same length, so the output is the records with fixed-size gaps filled by the prefixes.
        """
        if crlf:  # drop each record terminator's CR (values keep theirs)
            keep = np.ones(a.size, dtype=bool)
            keep[0] = False
            terminating_cr = ends_at[1:][a[ends_at[1:] - 1] == _CR] - 1
            keep[terminating_cr] = False
            content = a[keep]
        else:
            content = a[1:]
        records = starts.size
        prefixes = self._prefixes(record_lines)
        width = prefixes.shape[1]
        lengths = ends - starts + 1
        record_at = np.cumsum(lengths) - lengths + np.arange(records, dtype=np.int64) * width
        out = np.empty(content.size + records * width, dtype=np.uint8)
        is_prefix = np.zeros(out.size, dtype=bool)
        prefix_at = (record_at[:, None] + np.arange(width)).ravel()
        is_prefix[prefix_at] = True
        out[prefix_at] = prefixes.ravel()
        out[~is_prefix] = content
        return out.tobytes()

    def _check_dates_fast(self, buf: bytes, a: np.ndarray, starts: np.ndarray, ends: np.ndarray, k: int,
                          record_lines: np.ndarray) -> None:
        """Check a date column: ISO values by numpy (``iso_dates``); any others as ``_check_dates_by_value``."""
        quoted = (ends > starts) & (a[starts] == _QUOTE)
        inner_starts = starts + quoted
        lengths = ends - quoted - inner_starts
        firsts = np.ndarray((a.size, ISO_WIDTH), dtype=np.uint8, buffer=buf, strides=(1, 1))[inner_starts]
        unproven = np.flatnonzero((lengths > 0) & ~iso_dates(firsts, lengths))
        if unproven.size:
            self._check_dates_by_value(buf, a, starts[unproven], ends[unproven], k, record_lines[unproven])

    def _check_dates_by_value(self, buf: bytes, a: np.ndarray, starts: np.ndarray, ends: np.ndarray, k: int,
                              record_lines: np.ndarray) -> None:
        """Check date values: the distinct ones (found by numpy) against the cache, new ones by regex."""
        quoted = (ends > starts) & (a[starts] == _QUOTE)
        inner_starts, inner_ends = starts + quoted, ends - quoted
        lengths = inner_ends - inner_starts
        width = int(lengths.max()) if lengths.size else 0
        if width == 0:
            return
        if width <= ISO_WIDTH:
            offsets = np.arange(width)
            matrix = a[np.minimum(inner_starts[:, None] + offsets, a.size - 1)]
            matrix[offsets[None, :] >= lengths[:, None]] = 0  # NUL padding: never in a value (refused earlier)
            distinct = set(np.unique(matrix.view(f"S{width}").ravel()).tolist())
            distinct.discard(b"")
            new = distinct - self._dates_ok
            if not new:
                return
            joined = b"\n".join(new)
            if joined.count(b"\n") == len(new) - 1 and first_bad_line(joined + b"\n") is None:
                if len(self._dates_ok) > _DATES_CACHE:
                    self._dates_ok.clear()
                self._dates_ok.update(new)
                return
        # Something is wrong (or unusual): find the first bad value in file order, one value at a time.
        values = [_unquote(buf[s:e]) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
        bad = next(i for i, v in enumerate(values) if v and not is_date(v))
        self._refuse_bad_date(int(record_lines[bad]), k, values[bad].decode("utf-8", errors="replace"))

    def _hash_keys_fast(self, buf: bytes, a: np.ndarray, bounds: np.ndarray, record_lines: np.ndarray,
                        quotes: np.ndarray) -> None:
        """Hash every record's primary key in numpy; blank keys are left to the data-quality rules."""
        words = np.ndarray((a.size,), dtype="<u8", buffer=buf, strides=(1,))  # the 8 bytes from each offset
        records = bounds.shape[0]
        hashes = np.full(records, _FNV_OFFSET, dtype=np.uint64)
        present = np.ones(records, dtype=bool)
        irregular = np.zeros(records, dtype=bool)  # doubled quotes inside, or very long: hashed in Python
        spans = []
        for k in self.plan.key_fields:
            starts, ends = bounds[:, k] + 1, bounds[:, k + 1]
            quoted = (ends > starts) & (a[starts] == _QUOTE)
            starts, ends = starts + quoted, ends - quoted
            lengths = ends - starts
            present &= lengths > 0
            irregular |= lengths > _MAX_VECTOR_KEY
            if quotes.size and quoted.any():  # a doubled quote inside a quoted value
                inside = np.flatnonzero(quoted)
                irregular[inside] |= (np.searchsorted(quotes, starts[inside])
                                      != np.searchsorted(quotes, ends[inside]))
            hashes = _fold_key_part(hashes, words, starts, np.minimum(lengths, _MAX_VECTOR_KEY))
            spans.append((starts, ends))
        for row in np.flatnonzero(irregular & present).tolist():
            parts = tuple(buf[s[row]:e[row]].replace(b'""', b'"') for s, e in spans)
            hashes[row] = key_hash(parts)
        if self._suspects is None:
            self.stats.key_hashes.append(hashes[present])
            return
        for row in np.flatnonzero(present & np.isin(hashes, self._suspect_array)).tolist():
            parts = tuple(buf[s[row]:e[row]].replace(b'""', b'"') for s, e in spans)
            self._note_suspect(parts, int(record_lines[row]))

    # -- slow path ------------------------------------------------------------------------------------------------
    def _slow(self, region: bytes, regions: Iterator[bytes]) -> None:
        feeder = _LineFeeder(region, regions)
        reader = csv.reader(feeder, strict=True)
        base = self.next_line
        consumed = 0
        out: list[str] = []
        out_size = 0
        while True:
            feeder.mark()
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                self._refuse_malformed(exc, base + consumed, feeder.since_mark())
            start = base + consumed
            consumed = reader.line_num
            if not fields:
                if self._pending_blank is None:
                    self._pending_blank = start
                continue
            if self._pending_blank is not None:
                self._refuse_blank_line()
            if len(fields) != self.n:
                self._refuse_field_count(fields, start, last=not feeder.more())
            self._check_record(fields, start)
            if self.emit is not None:
                line = self._slow_prefix + str(start) + "," + ",".join(map(_quote_field, fields)) + "\n"
                out.append(line)
                out_size += len(line)
                if out_size > (1 << 20):
                    self.emit("".join(out).encode("utf-8"))
                    out.clear()
                    out_size = 0
            self.stats.records += 1
            if feeder.at_region_end():
                break
        if out:
            self.emit("".join(out).encode("utf-8"))
        self.next_line = base + reader.line_num

    def _check_record(self, fields: list[str], line: int) -> None:
        for k in self.plan.date_fields:
            value = fields[k].encode("utf-8")
            if value and value not in self._dates_ok:
                if not is_date(value):
                    self._refuse_bad_date(line, k, fields[k])
                if len(self._dates_ok) > _DATES_CACHE:
                    self._dates_ok.clear()
                self._dates_ok.add(value)
        if self.plan.key_fields:
            parts = tuple(fields[k].encode("utf-8") for k in self.plan.key_fields)
            if all(parts):
                if self._suspects is None:
                    self.stats.key_hashes.append(np.array([key_hash(parts)], dtype=np.uint64))
                else:
                    self._note_suspect(parts, line)

    def _note_suspect(self, key: tuple[bytes, ...], line: int) -> None:
        if not all(key) or key_hash(key) not in self._suspects:
            return
        first = self._suspect_lines.setdefault(key, line)
        if first != line:
            shown = "|".join(p.decode("utf-8") for p in key)
            names = ", ".join(self.plan.columns[k] for k in self.plan.key_fields)
            raise ExtractRefused(
                "duplicate_primary_key",
                f"primary key ({names}) = {shown!r} is on line {first} and again on line {line}",
                file=self.plan.file_name, line=line, column=names)

    # -- refusals -------------------------------------------------------------------------------------------------
    def _refuse_bad_date(self, line: int, k: int, value: str):
        raise ExtractRefused(
            "bad_date", f"{value!r} is not a date (accepted: {ACCEPTED_FORMS})",
            file=self.plan.file_name, line=line, column=self.plan.columns[k])

    def _refuse_blank_line(self):
        raise ExtractRefused("blank_line", "a blank line between records",
                             file=self.plan.file_name, line=self._pending_blank)

    def _refuse_field_count(self, fields: list[str], line: int, *, last: bool):
        found = len(fields)
        if found < self.n:
            column = self.plan.columns[found]
            what = f"{found} fields where the header has {self.n}: the record ends before column {column}"
        else:
            column = None
            what = f"{found} fields where the header has {self.n} (the last column is {self.plan.columns[-1]})"
        if last and found < self.n and not self._regions.ends_with_newline:
            raise ExtractRefused("truncated_last_line", f"the last record is cut short: {what}",
                                 file=self.plan.file_name, line=line, column=column)
        raise ExtractRefused("wrong_field_count", what, file=self.plan.file_name, line=line, column=column)

    def _refuse_malformed(self, exc: csv.Error, line: int, record_text: str):
        field_index = _field_at_fault(record_text)
        column = self.plan.columns[field_index] if field_index < self.n else None
        text = str(exc)
        if "unexpected end of data" in text:
            raise ExtractRefused("truncated_last_line",
                                 "the file ends inside a quoted value: the last record is cut short "
                                 "(unterminated quote)", file=self.plan.file_name, line=line, column=column)
        if "field larger than field limit" in text:
            message = ("a quoted value runs on for more than 131072 characters: a closing quote is probably "
                       "missing")
        elif "expected after" in text:
            message = "a closing quote is followed by something other than a comma or the end of the line"
        elif "new-line character seen in unquoted field" in text:
            message = "a carriage return inside an unquoted value (quote the value, or remove it)"
        else:
            message = f"malformed CSV ({text})"
        raise ExtractRefused("malformed_csv", message, file=self.plan.file_name, line=line, column=column)


class _LineFeeder:
    """Lines (split on LF only, LF kept) for csv.reader, pulling further regions only when a record needs them."""

    def __init__(self, region: bytes, regions: Iterator[bytes]):
        self._lines: deque[str] = deque(_split_lines(region))
        self._regions = regions
        self._marked: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        while not self._lines:
            region = next(self._regions)  # StopIteration ends the reader
            self._lines.extend(_split_lines(region))
        line = self._lines.popleft()
        self._marked.append(line)
        return line

    def mark(self) -> None:
        self._marked = []

    def since_mark(self) -> str:
        return "".join(self._marked)

    def at_region_end(self) -> bool:
        return not self._lines

    def more(self) -> bool:
        """Whether any line follows (reads ahead one region if needed)."""
        while not self._lines:
            region = next(self._regions, None)
            if region is None:
                return False
            self._lines.extend(_split_lines(region))
        return True


def _split_lines(region: bytes) -> list[str]:
    lines = region.decode("utf-8").split("\n")
    last = lines.pop()
    lines = [line + "\n" for line in lines]
    if last:
        lines.append(last)
    return lines


def _fold_key_part(hashes: np.ndarray, words: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Fold one key part into the running hashes (as ``key_hash``); ``words[i]``: the 8 bytes from offset i."""
    prime = np.uint64(_FNV_PRIME)
    last = words.size - 1
    for w in range((int(lengths.max()) + 7) // 8 if lengths.size else 0):
        remaining = lengths - 8 * w
        word = words[np.minimum(starts + 8 * w, last)] & _WORD_MASKS[np.clip(remaining, 0, 8)]
        hashes = np.where(remaining > 0, (hashes ^ word) * prime, hashes)
    return (hashes ^ lengths.astype(np.uint64)) * prime


def _unquote(raw: bytes) -> bytes:
    if len(raw) >= 2 and raw[:1] == b'"' and raw[-1:] == b'"':
        return raw[1:-1].replace(b'""', b'"')
    return raw


def _quote_field(value: str) -> str:
    if not value:
        return ""
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _field_at_fault(record_text: str) -> int:
    """Index of the field in which csv parsing of ``record_text`` fails (for the error's column)."""
    field_index = 0
    state = "start"
    for ch in record_text:
        if state == "start":
            if ch == '"':
                state = "quoted"
            elif ch == ",":
                field_index += 1
            elif ch in "\r\n":
                return field_index
            else:
                state = "unquoted"
        elif state == "unquoted":
            if ch == ",":
                field_index += 1
                state = "start"
            elif ch in "\r\n":
                return field_index
        elif state == "quoted":
            if ch == '"':
                state = "quote_in_quoted"
        elif state == "quote_in_quoted":
            if ch == '"':
                state = "quoted"
            elif ch == ",":
                field_index += 1
                state = "start"
            else:
                return field_index
    return field_index
