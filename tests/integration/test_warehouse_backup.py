"""``csc warehouse backup`` and ``restore`` through the real CLI, on real embedded servers.

A backup holds rows, owners, grants and row-level security policies; the file is owner-only and never overwritten.
A restore into a non-empty warehouse is refused (nothing changes) unless --force, which replaces it; a restore into
the empty warehouse of another CSC_HOME (another server) brings everything back.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.integration


class Csc:
    def __init__(self, home: Path):
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_")}
        self.env["CSC_HOME"] = str(home)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "csc.cli", *args], env=self.env, capture_output=True,
                                text=True, check=False, timeout=300, preexec_fn=lambda: os.umask(0o022))
        if check and result.returncode != 0:
            raise AssertionError(f"csc {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def admin(self) -> psycopg.Connection:
        from csc.warehouse.embedded import EmbeddedServer

        status = EmbeddedServer(self.home / "warehouse" / "pgdata").status()
        return psycopg.connect(host=str(status.socket_dir), port=status.port, user="postgres", dbname="csc",
                               autocommit=True)


@pytest.fixture
def homes(tmp_path):
    made = []

    def make(name: str) -> Csc:
        csc = Csc(tmp_path / name)
        made.append(csc)
        return csc

    yield make
    for csc in made:
        csc("warehouse", "stop", check=False)


def add_probe(csc: Csc, notes: list[str]) -> None:
    """A table as the pipeline makes them: owned by a pipeline role, granted to the BI group, with a policy."""
    with csc.admin() as conn:
        conn.execute("create table bi.backup_probe (id int primary key, note text)")
        conn.execute("alter table bi.backup_probe owner to csc_transformer")
        conn.execute("alter table bi.backup_probe enable row level security")
        conn.execute("create policy probe_even on bi.backup_probe for select to bi_reader using (id % 2 = 0)")
        conn.execute("grant select on bi.backup_probe to bi_reader")
        for i, note in enumerate(notes):
            conn.execute("insert into bi.backup_probe values (%s, %s)", (i, note))


def probe(csc: Csc) -> dict:
    with csc.admin() as conn:
        return {
            "rows": conn.execute("select id, note from bi.backup_probe order by id").fetchall(),
            "owner": conn.execute("select tableowner from pg_tables where tablename = 'backup_probe'").fetchone()[0],
            "policies": conn.execute("select policyname, qual from pg_policies where tablename = 'backup_probe'")
            .fetchall(),
            "bi_select": conn.execute("select has_table_privilege('bi_reader', 'bi.backup_probe', 'select')")
            .fetchone()[0],
            "migrations": conn.execute("select count(*) from ops.schema_migrations").fetchone()[0],
        }


def test_backup_and_restore(homes, tmp_path):
    first = homes("first")
    first("warehouse", "start")
    first("init")
    add_probe(first, ["alpha", "beta", "gamma"])
    before = probe(first)

    out = tmp_path / "backups" / "warehouse.dump"
    result = first("warehouse", "backup", "--out", str(out))
    assert "dumping contents of table \"bi.backup_probe\"" in result.stdout  # progress, table by table
    assert f"backup written: {out}" in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.stat().st_uid == os.geteuid()
    assert out.read_bytes()[:5] == b"PGDMP"

    again = first("warehouse", "backup", "--out", str(out), check=False)
    assert again.returncode != 0 and "already exists" in again.stderr

    # A non-empty warehouse: refused, and nothing changes.
    with first.admin() as conn:
        conn.execute("insert into bi.backup_probe values (99, 'after the backup')")
    refused = first("warehouse", "restore", str(out), check=False)
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert (99, "after the backup") in probe(first)["rows"]

    # --force replaces it with the backup.
    replaced = first("warehouse", "restore", str(out), "--force")
    assert "replacing the previous one" in replaced.stdout
    assert probe(first) == before

    # Another CSC_HOME, another server, an empty warehouse: everything comes back.
    second = homes("second")
    second("warehouse", "start")
    restored = second("warehouse", "restore", str(out))
    assert "restored" in restored.stdout
    assert probe(second) == before
    second("init")  # up to date already: nothing to apply
    assert probe(second)["migrations"] == before["migrations"]


def test_restore_refuses_a_file_that_is_not_a_backup(homes, tmp_path):
    csc = homes("home")
    csc("warehouse", "start")
    bogus = tmp_path / "not-a-backup.dump"
    bogus.write_text("select 1;\n")
    result = csc("warehouse", "restore", str(bogus), check=False)
    assert result.returncode == 1 and "is not a backup made by `csc warehouse backup`" in result.stderr
