"""The pieces of the nightly DAG that need no database: the extract trigger, the retry policy, the LA config."""

import asyncio
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from csc.las import load_las
from csc.orchestration.failures import RunFailed, is_transient, retry_only_transient
from csc.orchestration.triggers import ExtractArrivedTrigger
from csc.pipeline import DataQualityBlocked
from csc.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.unit


def _first_event(trigger: ExtractArrivedTrigger):
    async def first():
        async for event in trigger.run():
            return event.payload

    return asyncio.run(asyncio.wait_for(first(), timeout=60))


def _iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def test_trigger_fires_when_the_manifest_arrives(tmp_path):
    folder = tmp_path / "999" / "2026-06-30"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")
    event = _first_event(ExtractArrivedTrigger(str(folder), 0.1, _iso(timedelta(hours=1)), _iso(timedelta(hours=1))))
    assert event["status"] == "arrived" and event["folder"] == str(folder)


def test_trigger_accepts_a_zipped_extract(tmp_path):
    (tmp_path / "2026-06-30.zip").write_bytes(b"PK")
    event = _first_event(ExtractArrivedTrigger(str(tmp_path / "2026-06-30"), 0.1, _iso(timedelta(hours=1))))
    assert event["status"] == "arrived"


def test_trigger_wakes_at_the_deadline_then_gives_up(tmp_path):
    folder = str(tmp_path / "missing")
    late = _first_event(ExtractArrivedTrigger(folder, 30, _iso(timedelta(hours=1)), _iso(timedelta(seconds=0.3))))
    assert late["status"] == "late" and late["folder"] == folder
    assert _first_event(ExtractArrivedTrigger(folder, 30, _iso(timedelta(seconds=0.3))))["status"] == "timeout"


def test_only_connection_errors_are_retried():
    with pytest.raises(psycopg.OperationalError), retry_only_transient():
        raise psycopg.OperationalError("server closed the connection unexpectedly")
    with pytest.raises(RunFailed) as blocked, retry_only_transient():
        raise DataQualityBlocked("blocking rule failed")
    assert blocked.value.status == "blocked"
    with pytest.raises(RunFailed) as bug, retry_only_transient():
        raise KeyError("a bug is not transient")
    assert bug.value.status == "failed"
    wrapped = RuntimeError("checks failed")
    wrapped.__cause__ = psycopg.OperationalError("connection refused")
    assert is_transient(wrapped)


def test_configured_las_have_deadline_wait_start_and_targets():
    for la in load_las(Settings().las_config):
        assert la.timezone == "Europe/London"
        assert la.deadline_for(date(2026, 6, 30)) == datetime(2026, 7, 1, la.deadline.hour, la.deadline.minute,
                                                              tzinfo=la.deadline_for(date(2026, 6, 30)).tzinfo)
        assert la.extract_wait > timedelta(0)
        assert la.read_targets(PROJECT_ROOT), f"LA {la.code} has no targets in {la.targets}"
        assert la.alerts.failures and la.alerts.data_quality
