"""The manifest schema the loader enforces accepts the documented manifest, and an extract's identity is stable."""

import json

import pytest

from csc.ingest.manifest import SCHEMA_PATH, Manifest, ManifestFile
from csc.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

CONTRACT_DOC = PROJECT_ROOT / "docs" / "SSD_CONTRACT.md"


def test_the_documented_manifest_follows_the_schema_and_a_broken_one_does_not():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    example = json.loads(CONTRACT_DOC.read_text(encoding="utf-8").split("```json", 1)[1].split("```", 1)[0]
                         .replace('"<hex>"', '"' + "0" * 64 + '"'))
    jsonschema.validate(example, schema)
    del example["files"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(example, schema)


def _manifest(extracted_at: str, files: list[tuple[str, str]]) -> Manifest:
    from datetime import date, datetime

    return Manifest("999", "Demoshire", date(2025, 3, 31), datetime.fromisoformat(extracted_at), "SystemC", None,
                    tuple(ManifestFile(name, name[:-4], 1, sha, None) for name, sha in files), {})


def test_identity_ignores_file_order_and_offset_spelling_but_not_content():
    a = _manifest("2025-04-01T02:15:00+01:00", [("a.csv", "1" * 64), ("b.csv", "2" * 64)])
    b = _manifest("2025-04-01T01:15:00Z", [("b.csv", "2" * 64), ("a.csv", "1" * 64)])
    c = _manifest("2025-04-01T01:15:00Z", [("b.csv", "3" * 64), ("a.csv", "1" * 64)])
    d = _manifest("2025-04-01T01:16:00Z", [("b.csv", "2" * 64), ("a.csv", "1" * 64)])
    assert a.content_sha256 == b.content_sha256
    assert len({b.content_sha256, c.content_sha256, d.content_sha256}) == 3
