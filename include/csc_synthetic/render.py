"""Writing an extract the way source systems write them: CSV files and the manifest.

A clean extract is UTF-8, LF, ISO dates, lower-case headers in contract order, codes as codes. ``--messy`` keeps
every value but renders it as real exports arrive: Windows-1252 or UTF-8 with a BOM, CRLF, dd/mm/yyyy dates,
datetimes, shuffled columns, upper-case headers, every field quoted, legacy sex codes 1/2, categories of abuse as
words, role text in other cases and with stray spaces. Parsing a messy file back and normalising those renderings
gives the clean values (tests/unit/synthetic/test_messy.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from csc.contract import Table

LEGACY_SEX = {"M": "1", "F": "2"}
ABUSE_WORDS = {"NEG": "Neglect", "PHY": "Physical", "SAB": "Sexual", "EMO": "Emotional", "MUL": "Multiple"}
ROLE_VARIANTS = ("Allocated Case Worker", " ALLOCATED CASE WORKER", "allocated case worker ", "Allocated case worker  ")


DIALECTS = ("csv", "ssms", "bcp")
DATETIME_STYLES = {"iso": "iso", "sqlserver": "sqlserver", "sqlserver-text": "sqlserver_text"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class FileStyle:
    encoding: str = "utf-8"            # utf-8 | utf-8-sig | cp1252 | utf-16 (with its byte-order mark)
    newline: str = "\n"
    # iso | dmy | iso_datetime | dmy_datetime | sqlserver (2024-12-10 00:00:00.000) |
    # sqlserver_text (CAST(datetime AS varchar): Jun 14 2022 12:00AM)
    dates: str = "iso"
    # csv: RFC 4180 with a header; ssms: header, unquoted, NULL for a null; bcp -c: no header, unquoted, an empty
    # text value as a NUL byte (csc.ingest.dialects reads each)
    dialect: str = "csv"
    delimiter: str | None = None       # unquoted dialects: default tab
    upper_headers: bool = False
    quote_all: bool = False
    column_order: tuple[str, ...] = ()  # empty: contract order
    legacy_sex_share: float = 0.0
    abuse_words_share: float = 0.0
    role_variant_share: float = 0.0
    variant_seed: int = 0


CLEAN = FileStyle()


@dataclass(frozen=True)
class Rendering:
    """How a whole extract is written, whatever the simulated LA holds (``csc generate --dialect ...``)."""

    dialect: str = "csv"               # csv | ssms | bcp
    delimiter: str | None = None       # ssms and bcp: default tab
    encoding: str | None = None        # None: the style's (UTF-8); utf-16: with its byte-order mark
    datetime_style: str = "iso"        # iso | sqlserver | sqlserver-text
    manifest: bool = True              # False: no manifest.json, the export job's completion marker instead
    marker: str = "READY"
    system: str = "generic"            # the source system's conventions (csc_synthetic.systems)
    allocated_flag: bool | None = None  # SystemC's IS_ALLOCATED_CW_FLAG column; None: with systemc only
    full_ssd: bool | None = None       # the v1.4.5 tables beyond the contract; None: for every system but generic

    @property
    def with_allocated_flag(self) -> bool:
        return self.system == "systemc" if self.allocated_flag is None else self.allocated_flag

    @property
    def with_full_ssd(self) -> bool:
        return self.system != "generic" if self.full_ssd is None else self.full_ssd

    def check(self, messy: bool) -> None:
        if self.dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {self.dialect!r} (csv, ssms or bcp)")
        if self.datetime_style not in DATETIME_STYLES:
            raise ValueError(f"unknown datetime style {self.datetime_style!r} (iso, sqlserver or sqlserver-text)")
        if self.encoding not in (None, "utf-8", "utf-8-sig", "cp1252", "utf-16"):
            raise ValueError(f"unknown encoding {self.encoding!r} (utf-8, utf-8-sig, cp1252 or utf-16)")
        if self.delimiter is not None and (len(self.delimiter) != 1 or self.delimiter in '\r\n"\0'):
            raise ValueError("a delimiter is one character other than a quote, NUL or a line break")
        if self.dialect == "csv" and self.delimiter not in (None, ","):
            raise ValueError("the csv dialect is comma-delimited")
        if messy and self.dialect != "csv":
            raise ValueError("--messy renders csv files (shuffled, quoted, re-encoded): it does not combine with "
                             f"--dialect {self.dialect}")
        from csc_synthetic.systems import SYSTEMS, profile_of

        if self.system not in SYSTEMS:
            raise ValueError(f"unknown system {self.system!r} ({', '.join(SYSTEMS)})")
        if messy and (self.system != "generic" or self.with_full_ssd):
            raise ValueError("--messy varies the generic rendering only: it does not combine with --system "
                             f"{self.system} or --full-ssd")
        if self.with_allocated_flag and not profile_of(self.system).allocation.flag_column:
            raise ValueError(f"--allocated-flag: the {self.system} profile has no allocation flag column "
                             "(SystemC's IS_ALLOCATED_CW_FLAG)")

    def style(self, base: FileStyle, table: Table, ssd_version: str) -> FileStyle:
        """``table``: the file's shape (csc_synthetic.systems), its columns already in the system's order for
        ``ssd_version`` (csc.contract.column_order)."""
        from dataclasses import replace

        changes: dict = {}
        if self.encoding:
            changes["encoding"] = self.encoding
        if self.datetime_style != "iso":
            changes["dates"] = DATETIME_STYLES[self.datetime_style]
        if self.dialect != "csv":
            changes.update(dialect=self.dialect, delimiter=self.delimiter or "\t", newline="\r\n")
            if self.dialect == "bcp":
                changes["column_order"] = tuple(table.column_names)
        return replace(base, **changes) if changes else base


def messy_style(table: Table, seed: int, frame: pd.DataFrame) -> FileStyle:
    """A stable per-file rendering for a messy extract (the same every night for a given seed, as a source system
    exports the same way each time). The variations are spread over the files so that every one of them occurs:
    each encoding, date form, line ending and header style is used by some file."""
    from csc_synthetic.full_ssd import simulated_contract

    names = [t.name for t in simulated_contract()]
    order = np.random.default_rng([seed, 11]).permutation(len(names))
    rank = int(np.flatnonzero(np.array(names)[order] == table.name)[0])
    encoding = ("utf-8", "utf-8-sig", "cp1252")[rank % 3]
    if table.name == "ssd_cin_assessments":
        encoding = "cp1252"  # the old assessment module exports in Windows-1252 (pound signs in comments)
    if encoding == "cp1252" and not _encodable(frame, "cp1252"):
        encoding = "utf-8-sig"  # emoji in contact notes cannot be written in Windows-1252
    columns = list(table.column_names)
    if rank % 2 == 0:
        np.random.default_rng([seed, zlib.crc32(table.name.encode())]).shuffle(columns)
    return FileStyle(
        encoding=encoding,
        newline="\n" if rank % 5 == 0 else "\r\n",
        dates=("dmy", "iso", "dmy_datetime", "iso_datetime")[rank % 4],
        upper_headers=rank % 3 == 1,
        quote_all=rank % 4 == 3,
        column_order=tuple(columns),
        legacy_sex_share=0.35 if table.name == "ssd_person" else 0.0,
        abuse_words_share=0.5 if table.name == "ssd_cp_plans" else 0.0,
        role_variant_share=0.3 if table.name == "ssd_involvements" else 0.0,
        variant_seed=zlib.crc32(f"{seed}|{table.name}".encode()),
    )


def _encodable(frame: pd.DataFrame, encoding: str) -> bool:
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            try:
                "\x1f".join(values.dropna().astype(str).unique().tolist()).encode(encoding)
            except UnicodeEncodeError:
                return False
    return True


def _date_text(values: pd.Series, style: str, with_time: bool) -> np.ndarray:
    """Dates as text in the file's form; each distinct value is formatted once (extracts repeat dates a lot)."""
    seconds = values.to_numpy().astype("datetime64[s]")
    unique, inverse = np.unique(seconds, return_inverse=True)
    text = pd.Series(np.datetime_as_string(unique, unit="s"))  # YYYY-MM-DDTHH:MM:SS, NaT as 'NaT'
    day = text.str.slice(0, 10)
    clock = text.str.slice(11, 19)
    if style == "sqlserver":  # a DATETIME as SQL Server prints it
        out = day + " " + clock + ".000"
    elif style == "sqlserver_text":  # CAST(datetime AS varchar): day and hour padded with a space
        out = pd.Series([_sqlserver_text(moment) for moment in unique.tolist()], dtype=object)
    elif style == "iso":
        out = day + " " + clock if with_time else day
    elif style == "iso_datetime":
        out = day + " " + clock
    else:
        dmy = text.str.slice(8, 10) + "/" + text.str.slice(5, 7) + "/" + text.str.slice(0, 4)
        out = dmy + " " + clock if (with_time or style == "dmy_datetime") else dmy
    out = out.to_numpy(dtype=object, copy=True)
    out[np.isnat(unique)] = ""
    return out[inverse.reshape(-1)]


def _sqlserver_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return (f"{_MONTHS[moment.month - 1]} {moment.day:>2} {moment.year} {(moment.hour + 11) % 12 + 1:>2}:"
            f"{moment.minute:02d}{'AM' if moment.hour < 12 else 'PM'}")


def render(frame: pd.DataFrame, table: Table, style: FileStyle = CLEAN) -> bytes:
    """The file's bytes. ``frame`` holds contract columns: dates as datetime64, everything else as text."""
    rng = np.random.default_rng(style.variant_seed)
    columns = list(style.column_order) or table.column_names
    texts = {}
    for name in table.column_names:
        column = table.column(name)
        values = frame[name]
        if column.type == "datetime" or pd.api.types.is_datetime64_any_dtype(values):
            with_time = bool((values.dropna().dt.normalize() != values.dropna()).any())
            texts[name] = _date_text(values, style.dates, with_time)
        else:
            texts[name] = values.fillna("").astype(str).to_numpy(dtype=object)
    n = len(frame)
    if style.legacy_sex_share and "pers_sex" in texts:
        legacy = rng.random(n) < style.legacy_sex_share
        sex = texts["pers_sex"].copy()
        texts["pers_sex"] = np.where(legacy, pd.Series(sex).map(LEGACY_SEX).fillna(pd.Series(sex)).to_numpy(), sex)
    if style.abuse_words_share:
        # the latest category always in words, the initial one partly: both forms arrive in real files
        for name, share in (("cppl_cp_plan_initial_category", style.abuse_words_share),
                            ("cppl_cp_plan_latest_category", 1.0)):
            words = rng.random(n) < share
            codes = texts[name]
            texts[name] = np.where(words, pd.Series(codes).map(ABUSE_WORDS).fillna(pd.Series(codes)).to_numpy(), codes)
    if style.role_variant_share and "invo_professional_role_id" in texts:
        roles = texts["invo_professional_role_id"]
        vary = (roles == "ALLOCATED CASE WORKER") & (rng.random(n) < style.role_variant_share)
        variant = np.array(ROLE_VARIANTS, dtype=object)[rng.integers(0, len(ROLE_VARIANTS), n)]
        texts["invo_professional_role_id"] = np.where(vary, variant, roles)
    if style.dialect != "csv":
        return _render_unquoted(frame, table, style, columns, texts)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=style.newline,
                        quoting=csv.QUOTE_ALL if style.quote_all else csv.QUOTE_MINIMAL)
    writer.writerow([c.upper() if style.upper_headers else c for c in columns])
    writer.writerows(zip(*[texts[c] for c in columns], strict=True))
    return buffer.getvalue().encode(style.encoding)


def unquotable(value: str, delimiter: str) -> str:
    """A value as an unquoted export writes it: line breaks and the delimiter replaced by a space."""
    if delimiter in value or "\n" in value or "\r" in value:
        return value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace(delimiter, " ")
    return value


def _render_unquoted(frame: pd.DataFrame, table: Table, style: FileStyle, columns: list[str],
                     texts: dict[str, np.ndarray]) -> bytes:
    """ssms or bcp: values as they are, joined by the delimiter, one record per line, nothing quoted.

    Such a file cannot hold a value with the delimiter or a line break in it (the loader refuses the record). An
    LA's export query replaces them, as README's export commands do (``REPLACE(col, CHAR(10), ' ')``...): so does
    the generator, each line break (CRLF, LF or CR) and each delimiter inside a value becoming one space
    (``unquotable``). Nothing else differs from the csv rendering.
    """
    delimiter = style.delimiter or "\t"
    out = {}
    for name in columns:
        values = np.array([unquotable(v, delimiter) for v in texts[name]], dtype=object)
        blank = values == ""
        if style.dialect == "ssms":
            values = np.where(blank, "NULL", values)
        elif table.column(name).type == "text" and name in frame.columns:
            values[blank] = "\0"  # bcp -c writes an empty string as one NUL byte (numpy.where would strip it)
        out[name] = values
    lines = []
    if style.dialect == "ssms":
        lines.append(delimiter.join(columns))
    lines.extend(delimiter.join(row) for row in zip(*[out[c] for c in columns], strict=True))
    text = "".join(line + style.newline for line in lines)
    return text.encode(style.encoding)


# ---------------------------------------------------------------------------------------------------------------
@dataclass
class WrittenFile:
    name: str
    table: str
    rows: int
    data: bytes                    # the bytes written to the extract folder
    described: bytes | None = None  # the bytes the manifest describes, when damage in transfer made them differ

    @property
    def manifest_bytes(self) -> bytes:
        return self.data if self.described is None else self.described


@dataclass
class Manifest:
    la_code: str
    la_name: str
    extract_date: date
    source_system: str
    ssd_version: str
    extract_time: time
    timezone: str
    files: list[dict] = field(default_factory=list)

    @property
    def extracted_at(self) -> str:
        """Taken at the configured time on the morning after the extract date, local time with its offset."""
        moment = datetime.combine(self.extract_date + timedelta(days=1), self.extract_time,
                                  tzinfo=ZoneInfo(self.timezone))
        return moment.isoformat()

    def add(self, written: WrittenFile) -> None:
        data = written.manifest_bytes
        self.files.append({"name": written.name, "table": written.table, "rows": written.rows,
                           "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})

    def to_json(self) -> bytes:
        document = {
            "la_code": self.la_code,
            "la_name": self.la_name,
            "extract_date": self.extract_date.isoformat(),
            "extracted_at": self.extracted_at,
            "source_system": self.source_system,
            "ssd_version": self.ssd_version,
            "files": sorted(self.files, key=lambda f: f["name"]),
        }
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_csv(path: Path, columns: list[str], rows: pd.DataFrame) -> None:
    """Truth files: UTF-8, LF, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows[columns].fillna("").astype(str).itertuples(index=False, name=None))
    path.write_bytes(buffer.getvalue().encode("utf-8"))
