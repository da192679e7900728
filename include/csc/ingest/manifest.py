"""The extract's ``manifest.json``: read, checked against its JSON Schema, and the extract's identity derived from it.

``manifest.schema.json`` beside this module is a copy of ``include/csc/ingest/manifest.schema.json`` (a unit test
keeps them equal). Formats are checked here too: ``extract_date`` must be a calendar date and ``extracted_at`` an
RFC 3339 date-time with its UTC offset, since the batch's timestamp must not depend on the server's time zone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import jsonschema

from csc.ingest.errors import ExtractRefused
from csc.ingest.source import MANIFEST, ExtractSource

SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")
MAX_MANIFEST_BYTES = 1 << 20


@dataclass(frozen=True)
class ManifestFile:
    name: str
    table: str
    rows: int
    sha256: str
    bytes: int | None


@dataclass(frozen=True)
class Manifest:
    la_code: str
    la_name: str
    extract_date: date
    extracted_at: datetime
    source_system: str
    ssd_version: str | None
    files: tuple[ManifestFile, ...]
    document: dict
    computed: bool = False  # no manifest.json (the LA's manifest is optional): counts and checksums not verified
    # ssd: an SSD extract; returns: the combined history of the LA's imported statutory returns (csc.imports)
    source_kind: str = "ssd"

    def with_rows(self, rows: dict[str, int]) -> dict:
        """The document with each file's rows as loaded (a computed manifest records them after the load)."""
        document = dict(self.document)
        document["files"] = [dict(f, rows=rows.get(f["table"], f["rows"])) for f in document["files"]]
        return document

    def file(self, name: str) -> ManifestFile | None:
        return next((f for f in self.files if f.name == name), None)

    @property
    def content_sha256(self) -> str:
        """The extract's identity (docs/INTERFACES.md): LA, extraction time and every file's sha256.

        sha256 of the text ``la_code\\n`` + ``extracted_at`` (UTC, ISO 8601) + ``\\n`` + one ``name\\tsha256\\n`` line
        per file, sorted by name.
        """
        text = f"{self.la_code}\n{self.extracted_at.astimezone(UTC).isoformat()}\n"
        text += "".join(f"{f.name}\t{f.sha256}\n" for f in sorted(self.files, key=lambda f: f.name))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def read_manifest(source: ExtractSource) -> Manifest:
    """Parse and check the manifest. Raises ExtractRefused (manifest_missing / manifest_invalid)."""
    if MANIFEST not in source.names:
        raise ExtractRefused("manifest_missing", "the extract has no manifest.json (it is written last: the extract "
                                                 "may be incomplete)", file=MANIFEST)
    if source.size(MANIFEST) > MAX_MANIFEST_BYTES:
        raise ExtractRefused("manifest_invalid", f"manifest.json is over {MAX_MANIFEST_BYTES:,} bytes", file=MANIFEST)
    with source.open(MANIFEST) as stream:
        raw = stream.read(MAX_MANIFEST_BYTES + 1)
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ExtractRefused("manifest_invalid", f"manifest.json is not UTF-8: {exc}", file=MANIFEST) from None
    except json.JSONDecodeError as exc:
        raise ExtractRefused("manifest_invalid", f"manifest.json is not valid JSON: {exc.msg}",
                             file=MANIFEST, line=exc.lineno) from None
    error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
    if error is not None:
        raise ExtractRefused("manifest_invalid", f"{error.json_path}: {error.message}", file=MANIFEST,
                             column=error.json_path)
    try:
        extract_date = date.fromisoformat(document["extract_date"])
    except ValueError:
        raise ExtractRefused("manifest_invalid", f"extract_date {document['extract_date']!r} is not a date "
                                                 "(YYYY-MM-DD)", file=MANIFEST, column="$.extract_date") from None
    try:
        extracted_at = datetime.fromisoformat(document["extracted_at"])
    except ValueError:
        extracted_at = None
    if extracted_at is None or extracted_at.tzinfo is None:
        raise ExtractRefused("manifest_invalid", f"extracted_at {document['extracted_at']!r} is not an RFC 3339 "
                                                 "date-time with a UTC offset", file=MANIFEST,
                             column="$.extracted_at")
    files = tuple(ManifestFile(f["name"], f["table"], f["rows"], f["sha256"], f.get("bytes"))
                  for f in document["files"])
    names = [f.name for f in files]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ExtractRefused("manifest_invalid", f"files listed more than once: {', '.join(repeated)}",
                             file=MANIFEST, column="$.files")
    return Manifest(la_code=document["la_code"], la_name=document["la_name"], extract_date=extract_date,
                    extracted_at=extracted_at, source_system=document["source_system"],
                    ssd_version=document.get("ssd_version"), files=files, document=document,
                    source_kind=document.get("source_kind", "ssd"))


def computed_manifest(source: ExtractSource, la_code: str | None, export) -> Manifest:
    """The manifest of an extract that came without one (the LA's ``export: manifest: optional``).

    The export job's completion marker (``export.marker``, default READY) must be there: without a manifest, it is
    the only sign that the export finished. LA and extract date come from where the extract landed
    (``<landing>/<la>/<YYYY-MM-DD>``); the extraction time from the marker, if it holds an RFC 3339 date-time with
    its offset, else midnight UTC after the extract date. Every file's size and sha256 are computed here (they make
    the extract's identity); record counts after loading. Nothing can be verified against them.
    """
    from csc.contract import load_contract
    from csc.ingest.probe import probe

    marker = export.marker
    if marker not in source.names:
        raise ExtractRefused("marker_missing", f"no manifest.json and no {marker} marker: the LA's export job writes "
                                               f"{marker} when it has finished, so the extract may be incomplete",
                             file=marker)
    if la_code is None:
        raise ExtractRefused("manifest_missing", "an extract without manifest.json must sit in its LA's landing "
                                                 "folder, which says whose it is", file=MANIFEST)
    name = source.path.name.removesuffix(".zip").removesuffix(".ZIP")
    try:
        extract_date = date.fromisoformat(name)
    except ValueError:
        raise ExtractRefused("misfiled", f"an extract without manifest.json is named by its extract date "
                                         f"(YYYY-MM-DD), not {source.path.name}", file=source.path.name) from None
    with source.open(marker) as stream:
        stamp = stream.read(200).decode("utf-8", errors="replace").strip()
    try:
        extracted_at = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        extracted_at = None
    if extracted_at is None or extracted_at.tzinfo is None:
        extracted_at = datetime.combine(extract_date + timedelta(days=1), time(0), tzinfo=UTC)
    contract = load_contract()
    files = []
    for file_name in sorted(source.names):
        if file_name in (marker, MANIFEST):
            continue
        table = file_name[:-4] if file_name.endswith(".csv") else None
        # A table the contract does not hold is part of the extract too (recorded and skipped by the loader).
        if table is None or (table not in contract.tables
                             and not (table.replace("_", "").isalnum() and table == table.lower())):
            raise ExtractRefused("unknown_file", f"{file_name} is not a table of the extract (<table>.csv)",
                                 file=file_name)
        with source.open(file_name) as stream:
            found = probe(stream)
        files.append(ManifestFile(file_name, table, 0, found.sha256, found.bytes))
    document = {
        "la_code": la_code, "la_name": la_code, "extract_date": extract_date.isoformat(),
        "extracted_at": extracted_at.isoformat(), "source_system": "unknown", "ssd_version": export.ssd_version,
        "files": [{"name": f.name, "table": f.table, "rows": None, "sha256": f.sha256, "bytes": f.bytes}
                  for f in files],
        "computed": f"no manifest.json: the export job's {marker} marker said the extract was complete; sizes, "
                    "checksums and record counts computed by the loader, not verified",
    }
    return Manifest(la_code=la_code, la_name=la_code, extract_date=extract_date, extracted_at=extracted_at,
                    source_system="unknown", ssd_version=export.ssd_version, files=tuple(files), document=document,
                    computed=True)
