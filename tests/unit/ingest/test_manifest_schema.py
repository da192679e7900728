"""The manifest schema the loader enforces is the shared one, and an extract's identity is stable."""

import json

import pytest

from csc.ingest.manifest import SCHEMA_PATH, Manifest, ManifestFile
from csc.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

SHARED_SCHEMA = PROJECT_ROOT.parent / "shared" / "schemas" / "manifest.schema.json"


@pytest.mark.skipif(not SHARED_SCHEMA.exists(), reason="the shared folder is not beside this checkout")
def test_packaged_schema_is_the_shared_schema():
    assert json.loads(SCHEMA_PATH.read_text()) == json.loads(SHARED_SCHEMA.read_text())


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
