"""Why an extract was refused: one exception type carrying where (file, line, column) and a stable reason code.

The reason codes are part of the interface: they are stored in ``ops.load_attempts.reason`` and in the
quarantine's ``refusal.json``, so alerts and dashboards can group refusals without parsing messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REASONS: dict[str, str] = {
    "path_outside_landing": "the path is not inside a configured landing folder",
    "not_an_extract": "the path is neither an extract folder nor a zip of one",
    "unsafe_path": "a file of the extract is a link out of the landing folder or has an unsafe name",
    "bad_zip": "the zip cannot be read",
    "file_too_large": "a file is larger than the configured maximum",
    "manifest_missing": "manifest.json is missing",
    "manifest_invalid": "manifest.json is not valid JSON or does not follow the manifest schema",
    "misfiled": "the extract's folder does not match the LA or date in its manifest",
    "unknown_table": "a file or manifest entry names a table that is not in the extract contract",
    "unknown_file": "the extract holds a file its manifest does not list",
    "missing_table": "a table of the extract contract is missing",
    "file_missing": "a file listed in the manifest is missing",
    "bytes_mismatch": "a file's size differs from the manifest",
    "sha256_mismatch": "a file's sha256 differs from the manifest",
    "row_count_mismatch": "a file's record count differs from the manifest",
    "undecodable_bytes": "a file holds bytes that are neither UTF-8 nor Windows-1252",
    "mixed_encoding": "a file mixes UTF-8 and Windows-1252",
    "nul_byte": "a file holds a NUL byte",
    "empty_file": "a file has no header line",
    "bad_header": "a header is malformed or names a column twice",
    "unknown_column": "a header names a column that is not in the contract",
    "missing_required_column": "a required column of the contract is missing from a header",
    "truncated_last_line": "the last record of a file is cut short",
    "malformed_csv": "a record's quoting is malformed",
    "wrong_field_count": "a record has more or fewer fields than its header",
    "blank_line": "a blank line between records",
    "bad_date": "a value in a date column is not a date",
    "duplicate_primary_key": "two records of a file have the same primary key",
    "older_than_loaded": "the extract is older than the LA's published or candidate batch",
    "replaced": "the extract was loaded before, then replaced by a corrected one (`csc load --force` loads it again)",
    "marker_missing": "an extract without manifest.json has no completion marker (its export may not have finished)",
    "bad_value": "a value of a headerless (bcp) file does not fit its column: a shifted or swapped column",
    "bad_dialect": "the export dialect or delimiter asked for is unknown or invalid",
}


@dataclass(eq=False)  # exceptions keep identity hashing
class ExtractRefused(Exception):
    """The extract cannot be loaded losslessly. Nothing was loaded; it has been quarantined (where possible)."""

    reason: str
    message: str
    file: str | None = None
    line: int | None = None
    column: str | None = None
    details: list[str] = field(default_factory=list)
    la_code: str | None = None
    extract_date: str | None = None
    batch_id: int | None = None
    attempt_id: int | None = None
    quarantine_path: Path | None = None

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"unknown refusal reason {self.reason!r}")
        super().__init__(self.message)

    def where(self) -> str:
        parts = [self.file] if self.file else []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.details:
            text += "\n" + "\n".join(f"  also: {d}" for d in self.details)
        if self.quarantine_path:
            text += f"\n  quarantined at {self.quarantine_path}"
        return text

    def as_record(self) -> dict:
        return {
            "reason": self.reason,
            "reason_text": REASONS[self.reason],
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "details": list(self.details),
            "la_code": self.la_code,
            "extract_date": self.extract_date,
            "batch_id": self.batch_id,
            "attempt_id": self.attempt_id,
            "quarantine_path": str(self.quarantine_path) if self.quarantine_path else None,
        }


@dataclass(eq=False)
class ExtractReplaced(ExtractRefused):
    """The extract was loaded before and then replaced by a corrected extract of the LA (batch ``replaced_by``).

    Nothing was loaded and the extract stays where it is (it is not quarantined: it is a good extract, only not the
    latest); ``csc load --force`` loads it again as the LA's candidate. ``csc load`` exits 5.
    """

    replaced_by: int | None = None
