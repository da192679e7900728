"""A refused extract keeps no mode it arrived with: quarantine makes it owner-only (folders 0700, files 0600).

The sender's export job may write the landing files group- or world-readable; once refused, they wait in
quarantine for weeks (``retention: quarantine:``), and must be as private as everything else the product keeps.
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest

from csc.ingest.errors import ExtractRefused
from csc.ingest.landing import quarantine
from csc.settings import Settings

pytestmark = [pytest.mark.unit, pytest.mark.security]


def modes(root):
    found = {root: stat.S_IMODE(os.lstat(root).st_mode)}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            found[os.path.join(dirpath, name)] = stat.S_IMODE(os.lstat(os.path.join(dirpath, name)).st_mode)
    return found


@pytest.mark.parametrize("as_zip", [False, True])
def test_a_quarantined_extract_is_owner_only(tmp_path, as_zip):
    settings = Settings(home=tmp_path / "home", las_config=tmp_path / "none.yml")
    old = os.umask(0o022)
    try:
        landing = settings.landing_dir / "999"
        if as_zip:
            landing.mkdir(parents=True)
            extract = landing / "2026-09-30.zip"
            extract.write_bytes(b"PK")
            extract.chmod(0o644)
        else:
            extract = landing / "2026-09-30"
            (extract / "sub").mkdir(parents=True, mode=0o755)
            for name in ("children.csv", "sub/notes.csv", "manifest.json"):
                (extract / name).write_text("id\n1\n")
                (extract / name).chmod(0o666 if name == "manifest.json" else 0o644)
            extract.chmod(0o775)
        refusal = ExtractRefused(reason="manifest_missing", message="no manifest", la_code="999")
        target = quarantine(extract, refusal, settings, datetime(2026, 10, 1, 3, 0, tzinfo=UTC))
    finally:
        os.umask(old)
    found = modes(target)
    assert len(found) >= (2 if as_zip else 6)
    wrong = {path: f"{mode:04o}" for path, mode in found.items()
             if mode != (0o700 if os.path.isdir(path) else 0o600)}
    assert wrong == {}
