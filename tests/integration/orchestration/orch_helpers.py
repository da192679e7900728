"""Helpers of the orchestration tests: one install (settings, environment of child processes, LA config, SMTP sink),
generating and landing extracts, and a fingerprint of the published marts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import yaml
from psycopg import sql

from csc.settings import Settings

from smtp_sink import SmtpSink

LA = "999"
ENGINEERS = "data.engineering@testshire.example"
PERFORMANCE = "performance.lead@testshire.example"


def local_today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


@dataclass
class Orchestration:
    """One test module's install: settings, environment for child processes, folders, the SMTP sink."""

    settings: Settings
    env: dict[str, str]
    generated: Path
    sink: SmtpSink
    las: dict = field(default_factory=dict)

    def write_las(self, **overrides: object) -> None:
        entry = {"code": LA, "name": "Testshire", "schedule": "30 2 * * *", "timezone": "Europe/London",
                 "deadline": "07:00", "extract_wait": "PT6H", "start_date": "2026-01-01",
                 "alerts": {"data_quality": [PERFORMANCE], "failures": [ENGINEERS]},
                 # the DfE validators take seconds even on tiny extracts: only the readiness tests switch them on
                 "statutory_readiness": False}
        entry.update(overrides)
        self.las = entry
        self.settings.las_config.write_text(yaml.safe_dump({"las": [entry]}))

    def csc(self, *args: str, extra_env: dict[str, str] | None = None,
            timeout: float = 1200) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "csc.cli", *args], env={**self.env, **(extra_env or {})},
                              capture_output=True, text=True, timeout=timeout)

    def generate(self, as_of: date, *, nights: int = 1, faults: str = "none", seed: int = 1) -> list[Path]:
        """Generate tiny extracts (kept outside landing, like a sender's system); return their folders."""
        out = self.generated / f"{as_of}-{faults.replace('/', '_')[-30:]}-{nights}"
        done = self.csc("generate", "--la", LA, "--size", "tiny", "--seed", str(seed), "--as-of", as_of.isoformat(),
                        "--nights", str(nights), "--faults", faults, "--out", str(out), "--quiet")
        assert done.returncode == 0, done.stderr
        return [out / LA / (as_of - timedelta(days=k)).isoformat() for k in reversed(range(nights))]

    def land(self, extract: Path) -> Path:
        """Deliver an extract to landing as a sender does: data files first, the manifest last."""
        target = self.settings.landing_dir / LA / extract.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(extract, target, ignore=shutil.ignore_patterns("manifest.json"))
        shutil.copy2(extract / "manifest.json", target / "manifest.json.part")
        (target / "manifest.json.part").rename(target / "manifest.json")
        return target

    def query(self, statement: str | sql.Composed, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.settings.warehouse_url.get_secret_value()) as conn:
            return conn.execute(statement, params).fetchall()

    def airflow_query(self, statement: str, params: tuple = ()) -> list[tuple]:
        from csc.warehouse.connection import resolve_target

        target = resolve_target(self.settings).for_database(self.settings.airflow_database)
        with psycopg.connect(target.conninfo()) as conn:
            return conn.execute(statement, params).fetchall()

    def emails(self, subject_part: str) -> list:
        return [m for m in self.sink.messages if subject_part in m.subject]


def marts_fingerprint(orch: Orchestration) -> dict[str, tuple[int, str]]:
    """Row count and an md5 over every row (ordered) of every relation in marts: equal means byte-for-byte equal."""
    relations = [r[0] for r in orch.query(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'marts' and c.relkind in ('r', 'v', 'm', 'p') order by 1")]
    assert relations, "marts is empty"
    fingerprint = {}
    for name in relations:
        count, digest = orch.query(sql.SQL(
            "select count(*), md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) from marts.{} t")
            .format(sql.Identifier(name)))[0]
        fingerprint[name] = (count, digest)
    return fingerprint


