"""A warehouse data folder made by the embedded PostgreSQL 16.2 (pgserver 0.1.4, before issue 15) is upgraded to
the current server by ``csc warehouse upgrade`` (dump and restore), through the real CLI.

The old folder is made as the old csc made it: the 16.2 binaries, ``csc init``, a BI login with its password, a
table with rows, owner, grant and policy. Before the upgrade every command that starts the server refuses with a
message naming ``csc warehouse upgrade``; after it the server is the current one, every row, role, password and
policy is there, and the old folder is kept aside untouched.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.integration


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def old_home():
    """A CSC_HOME whose data folder was made and used by PostgreSQL 16.2 (stopped, as after an old `make run`)."""
    from csc.settings import Settings
    from csc.warehouse.bootstrap import add_bi_login, init_warehouse
    from csc.warehouse.embedded import EmbeddedServer, binaries_version

    spec = find_spec("pgserver")
    assert spec is not None, "the upgrade-from-16 dependency group (pgserver 0.1.4) is part of `make setup`"
    old_bin = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
    assert binaries_version(old_bin) == "16.2"
    # Outside pytest's temporary root: another pytest session resets that root to 0700, which the server's own
    # OS user then cannot cross (as in tests/conftest.py).
    base = Path(tempfile.mkdtemp(prefix="csc-test-upgrade-"))
    home = base / "home"
    settings = Settings(home=home)
    old = EmbeddedServer(settings.pgdata, bindir=old_bin)
    status = old.start()
    try:
        init_warehouse(settings)
        add_bi_login(settings, "tableau")
        with psycopg.connect(host=str(status.socket_dir), port=status.port, user="postgres", dbname="csc",
                             autocommit=True) as conn:
            conn.execute("create table bi.upgrade_probe (id int primary key, note text)")
            conn.execute("alter table bi.upgrade_probe owner to csc_transformer")
            conn.execute("alter table bi.upgrade_probe enable row level security")
            conn.execute("create policy probe_even on bi.upgrade_probe for select to bi_reader "
                         "using (id % 2 = 0)")
            conn.execute("grant select on bi.upgrade_probe to bi_reader")
            conn.execute("insert into bi.upgrade_probe select i, 'row ' || i from generate_series(0, 9) i")
    finally:
        old.stop()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_")}
    env["CSC_HOME"] = str(home)

    def csc(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "csc.cli", *args], env=env, capture_output=True, text=True,
                                check=False, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"csc {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    yield home, csc
    csc("warehouse", "stop", check=False)
    shutil.rmtree(base, ignore_errors=True)


def test_a_16_2_data_folder_is_refused_then_upgraded(old_home):
    from csc.warehouse.embedded import binaries_version

    home, csc = old_home
    pgdata = home / "warehouse" / "pgdata"
    current = binaries_version()

    # Refused, clearly, by every command that starts the server; nothing is started or changed.
    for command in (["warehouse", "start"], ["init"]):
        refused = csc(*command, check=False)
        assert refused.returncode == 1, refused
        assert "made by PostgreSQL 16" in refused.stderr and "csc warehouse upgrade" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert not (pgdata / "postmaster.pid").exists()
    assert "csc warehouse upgrade" in csc("warehouse", "status", check=False).stderr

    result = csc("warehouse", "upgrade")
    assert f"from PostgreSQL 16.2 to {current}" in result.stdout
    assert "restoring database csc" in result.stdout  # progress, database by database
    aside = [p for p in pgdata.parent.iterdir() if p.name.startswith("pgdata.pg16-")]
    assert len(aside) == 1 and (aside[0] / "PG_VERSION").read_text().strip() == "16"
    assert stat.S_IMODE(aside[0].stat().st_mode) == 0o700
    assert (pgdata / "PG_VERSION").read_text().strip() == current.split(".")[0]
    assert stat.S_IMODE(pgdata.stat().st_mode) == 0o700
    assert not list(pgdata.parent.glob(".upgrade-*")), "the dump files were not removed"

    again = csc("warehouse", "upgrade", check=False)
    assert again.returncode == 1 and "nothing to upgrade" in again.stderr

    port = free_port()
    csc("warehouse", "start", "--tcp", str(port))
    assert f"server version: PostgreSQL {current}" in csc("warehouse", "status").stdout
    assert "applied migrations" not in csc("init").stdout  # everything was already there

    # The BI login kept its password (its SCRAM hash moved with it) and sees what the policy lets it see.
    password = (home / "secrets" / "bi_login_tableau").read_text().strip()
    with psycopg.connect(host="127.0.0.1", port=port, user="tableau", password=password, dbname="csc") as conn:
        assert [r[0] for r in conn.execute("select id from bi.upgrade_probe order by id")] == [0, 2, 4, 6, 8]
    from csc.warehouse.embedded import EmbeddedServer

    status = EmbeddedServer(pgdata).status()
    with psycopg.connect(host=str(status.socket_dir), port=status.port, user="postgres", dbname="csc") as conn:
        assert conn.execute("select count(*) from bi.upgrade_probe").fetchone()[0] == 10
        assert conn.execute("select tableowner from pg_tables where tablename = 'upgrade_probe'").fetchone()[0] \
            == "csc_transformer"
        assert conn.execute("show server_version").fetchone()[0].split()[0] == current
