"""Finding 2: the socket folder could be squatted (a predictable /tmp/csc-pg-<hash> folder was reused and chowned).

The embedded server's socket folder is created by the product with an unpredictable name, recorded in the data
folder and used only while it is a real, private folder of the server's OS user. A folder another user made at
that path (mode 0777), or a symlink put there, is never used nor changed. Over the socket, no role logs in without
a password except the superuser for the OS user running csc (peer authentication).
"""

from __future__ import annotations

import os
import shutil
import stat
from hashlib import sha1
from pathlib import Path

import psycopg
import pytest
from security_home import make_home

pytestmark = pytest.mark.integration

NOBODY = 65534  # "another local user"


def recorded_socket_dir(home) -> Path:
    return Path((home.path / "warehouse" / "pgdata" / "csc_socket_dir").read_text().strip())


def server_uid() -> int:
    from csc.warehouse.embedded import _server_uid

    return _server_uid()


@pytest.fixture
def home(tmp_path):
    home = make_home(tmp_path, tcp=False)
    yield home
    home.csc("warehouse", "stop", check=False)


def squat(path: Path) -> os.stat_result:
    """What another local user does: a world-writable folder of theirs at ``path``."""
    path.mkdir()
    os.chown(path, NOBODY, NOBODY)
    path.chmod(0o777)
    return os.lstat(path)


def test_the_socket_folder_is_private_unpredictable_and_not_the_old_one(home):
    pgdata = home.path / "warehouse" / "pgdata"
    predictable = Path("/tmp") / f"csc-pg-{sha1(str(pgdata.resolve()).encode()).hexdigest()[:12]}"
    shutil.rmtree(predictable, ignore_errors=True)
    before = squat(predictable)  # the old, predictable name, squatted beforehand
    try:
        home.csc("warehouse", "start")
        socket_dir = recorded_socket_dir(home)
        st = os.lstat(socket_dir)
        assert socket_dir != predictable and socket_dir.name.startswith("csc-pg-")
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == server_uid()
        assert any(p.name.startswith(".s.PGSQL.") for p in socket_dir.iterdir())
        after = os.lstat(predictable)
        assert (after.st_uid, after.st_mode) == (before.st_uid, before.st_mode)
        assert list(predictable.iterdir()) == []
    finally:
        shutil.rmtree(predictable, ignore_errors=True)


def test_a_squatted_socket_folder_is_refused(home):
    """/tmp was emptied (a reboot) and another user made a 0777 folder at the recorded path: never used."""
    home.csc("warehouse", "start")
    first = recorded_socket_dir(home)
    home.csc("warehouse", "stop")
    shutil.rmtree(first)
    before = squat(first)
    try:
        home.csc("warehouse", "start")
        second = recorded_socket_dir(home)
        assert second != first
        assert stat.S_IMODE(os.lstat(second).st_mode) == 0o700
        after = os.lstat(first)
        assert (after.st_uid, after.st_gid, after.st_mode) == (before.st_uid, before.st_gid, before.st_mode)
        assert list(first.iterdir()) == [], "nothing of the server's in the squatted folder"
    finally:
        shutil.rmtree(first, ignore_errors=True)


def test_a_symlink_at_the_socket_path_is_refused_and_its_target_untouched(home, tmp_path):
    home.csc("warehouse", "start")
    first = recorded_socket_dir(home)
    home.csc("warehouse", "stop")
    shutil.rmtree(first)
    victim = tmp_path / "victim"  # e.g. a folder of root's the attacker wants chowned
    victim.mkdir(mode=0o755)
    os.chown(victim, NOBODY, NOBODY)
    victim.chmod(0o755)
    before = os.stat(victim)
    first.symlink_to(victim)
    try:
        home.csc("warehouse", "start")
        assert recorded_socket_dir(home) != first
        after = os.stat(victim)
        assert (after.st_uid, after.st_gid, after.st_mode) == (before.st_uid, before.st_gid, before.st_mode)
        assert list(victim.iterdir()) == []
    finally:
        first.unlink(missing_ok=True)


def test_no_role_logs_in_over_the_socket_without_a_password(home):
    home.csc("init")
    home.csc("bi", "add-login", "socket_probe")
    socket_dir = recorded_socket_dir(home)
    hba = [line.split() for line in (home.path / "warehouse" / "pgdata" / "pg_hba.conf").read_text().splitlines()
           if line.strip() and not line.startswith("#")]
    assert "trust" not in {word for line in hba for word in line}
    assert [line for line in hba if line[0] == "local"] == [
        ["local", "all", "postgres", "peer", "map=csc"], ["local", "all", "all", "scram-sha-256"]]
    for role in ("csc_loader", "csc_transformer", "csc_dq_reader", "bi_reader", "socket_probe"):
        with pytest.raises(psycopg.OperationalError, match="password|not permitted"):
            psycopg.connect(host=str(socket_dir), user=role, dbname="csc", connect_timeout=5)
    # The OS user running csc is the only one mapped to the superuser.
    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="csc") as conn:
        assert conn.execute("select current_user").fetchone()[0] == "postgres"
