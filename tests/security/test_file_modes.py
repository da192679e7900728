"""Finding 3: files holding children's details were world-readable (0644 in 0755 folders).

After a real pipeline run through ``csc`` (started with umask 022), everything under CSC_HOME is owner-only:
files 0600, folders 0700. The one exception the product makes itself: as root, the embedded server runs as its
service user, whose group may pass through (mode 0710, never list) the folders above its data folder. A group set
in CSC_SHARED_GROUP may read the quarterly returns, and nothing else. ``csc doctor`` and ``csc warehouse status``
warn about anything others can read.
"""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

import pytest
from security_home import LA, QUARTER

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def service_gid() -> int | None:
    from csc.privacy import _service_gid

    return _service_gid()


def modes(home: Path) -> dict[Path, os.stat_result]:
    found = {home: os.lstat(home)}
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames + filenames:
            found[Path(dirpath) / name] = os.lstat(Path(dirpath) / name)
    return found


def not_private(home: Path) -> list[str]:
    wrong = []
    for path, st in modes(home).items():
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISREG(st.st_mode) and mode & 0o077:
            wrong.append(f"file {path} {mode:04o}")
        elif stat.S_ISDIR(st.st_mode) and mode & 0o077:
            passage = st.st_gid == service_gid() and mode & 0o077 == 0o010
            if not passage:
                wrong.append(f"folder {path} {mode:04o}")
    return wrong


def test_everything_the_pipeline_wrote_is_owner_only(secure_home):
    home = secure_home.path
    written = {path.relative_to(home).parts[0] for path, st in modes(home).items()
               if stat.S_ISREG(st.st_mode) and path != home}
    # The run wrote every kind of local state the finding names: the test is about real files.
    assert {"archive", "outputs", "secrets", "warehouse", "dbt"} <= written or {
        "archive", "outputs", "secrets", "warehouse"} <= written, written
    assert any((home / "outputs" / "returns" / LA / QUARTER).iterdir())
    assert any((home / "outputs" / "dq").rglob("*.html"))
    assert list((home / "archive").rglob("*.zip"))
    assert not_private(home) == []
    doctor = secure_home.csc("doctor")
    assert doctor.returncode == 0 and "owner only" in doctor.stdout


def test_doctor_and_status_warn_about_a_file_others_can_read(secure_home):
    report = next((secure_home.path / "outputs" / "returns" / LA / QUARTER).glob("*.csv"))
    report.chmod(0o644)
    try:
        doctor = secure_home.csc("doctor", check=False)
        assert doctor.returncode == 1 and str(report) in doctor.stderr and "others" in doctor.stderr
        status = secure_home.csc("warehouse", "status")
        assert str(report) in status.stderr
    finally:
        report.chmod(0o600)
    assert secure_home.csc("doctor").returncode == 0


def test_a_shared_group_reads_the_returns_and_nothing_else(secure_home):
    group = next(g for g in grp.getgrall() if g.gr_name not in ("root", "pgserver") and g.gr_gid != 0)
    secure_home.env["CSC_SHARED_GROUP"] = group.gr_name
    try:
        secure_home.csc("return", "--la", LA, "--quarter", QUARTER)
        returns = secure_home.path / "outputs" / "returns"
        for path, st in modes(returns).items():
            assert st.st_gid == group.gr_gid, path
            assert stat.S_IMODE(st.st_mode) == (0o750 if stat.S_ISDIR(st.st_mode) else 0o640), path
        for path, st in modes(secure_home.path).items():
            if path == returns or returns in path.parents:
                continue
            assert not stat.S_IMODE(st.st_mode) & 0o066, f"{path} is readable or writable by someone else"
            if stat.S_ISREG(st.st_mode):
                assert not stat.S_IMODE(st.st_mode) & 0o077, path
        assert secure_home.csc("doctor").returncode == 0
    finally:
        del secure_home.env["CSC_SHARED_GROUP"]
