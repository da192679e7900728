"""csc.batches on a real warehouse: each transition checks the from-state and changes nothing when it is wrong;
publication supersedes the LA's previous batch; a new candidate replaces the older one; migration 0003 turns the
candidates that older versions marked 'superseded' (never published) into 'replaced'."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from csc import batches
from csc.batches import BatchTransitionError
from csc.warehouse.bootstrap import MIGRATIONS_DIR
from csc.warehouse.connection import connect

pytestmark = pytest.mark.integration


def manifest(la_code: str, night: date) -> SimpleNamespace:
    return SimpleNamespace(la_code=la_code, la_name="Testshire", extract_date=night,
                           extracted_at=datetime(night.year, night.month, night.day, 23, tzinfo=UTC),
                           source_system="test", ssd_version="1", content_sha256=f"{la_code}-{night}",
                           document={"la_code": la_code})


def status(conn, batch_id: int) -> str:
    return batches.status_of(conn, batch_id).value


def test_transitions_check_the_from_state(warehouse_settings):
    with connect(warehouse_settings) as conn:
        first = batches.register_loading(conn, manifest("999", date(2025, 3, 31)), "/landing", datetime.now(UTC))
        assert status(conn, first) == "loading"
        with pytest.raises(BatchTransitionError, match=f"batch {first} is loading: it cannot become checked"):
            batches.mark_checked(conn, first)
        batches.mark_loaded(conn, first, 10)
        with pytest.raises(BatchTransitionError, match="cannot become published"):
            batches.mark_published(conn, first)
        batches.mark_blocked(conn, first, ["STR_DATE_NOT_FUTURE.ssd_contacts.cont_contact_date"])
        assert conn.execute("select status_reason from ops.extract_batches where batch_id = %s",
                            (first,)).fetchone()[0].startswith("blocked by data-quality rules: STR_DATE_NOT_FUTURE")
        batches.mark_checked(conn, first)  # a re-check that passes
        assert batches.mark_published(conn, first) == []
        with pytest.raises(BatchTransitionError, match="is published: it cannot become loaded"):
            batches.mark_loaded(conn, first, 10)

        second = batches.register_loading(conn, manifest("999", date(2025, 4, 1)), "/landing", datetime.now(UTC))
        batches.mark_loaded(conn, second, 10)
        third = batches.register_loading(conn, manifest("999", date(2025, 4, 2)), "/landing", datetime.now(UTC))
        assert batches.replace_candidates(conn, "999", third) == [second]
        batches.mark_loaded(conn, third, 10)
        batches.mark_checked(conn, third)
        with pytest.raises(BatchTransitionError, match="is replaced"):
            batches.mark_checked(conn, second)
        assert batches.mark_published(conn, third) == [first]
        assert batches.previous_published(conn, "999", third) == first
        assert sorted(batches.mark_raw_purged(conn, "999")) == sorted([first, second])
        assert batches.mark_raw_purged(conn, "999") == []  # once
        rows = conn.execute("select batch_id, status, superseded_by from ops.extract_batches order by 1").fetchall()
    assert rows == [(first, "superseded", third), (second, "replaced", third), (third, "published", None)]


def test_replaced_candidates_never_count_as_published(warehouse_settings):
    with connect(warehouse_settings) as conn:
        blocked = batches.register_loading(conn, manifest("999", date(2025, 3, 31)), "/landing", datetime.now(UTC))
        batches.mark_loaded(conn, blocked, 1)
        batches.mark_blocked(conn, blocked, ["X"])
        corrected = batches.register_loading(conn, manifest("999", date(2025, 3, 31)), "/landing", datetime.now(UTC))
        batches.replace_candidates(conn, "999", corrected)
        assert batches.previous_published(conn, "999", corrected) is None


def test_migration_0003_turns_unpublished_superseded_batches_into_replaced(warehouse_settings):
    with connect(warehouse_settings) as conn:
        ids = [batches.register_loading(conn, manifest("999", date(2025, 3, 30 + k)), "/l", datetime.now(UTC))
               for k in range(2)]
        # what an older version left: a candidate replaced before publication, and a published-then-superseded one
        conn.execute("alter table ops.extract_batches drop constraint extract_batches_status_check")
        conn.execute("update ops.extract_batches set status = 'superseded', published_at = null "
                     "where batch_id = %s", (ids[0],))
        conn.execute("update ops.extract_batches set status = 'superseded', published_at = now() "
                     "where batch_id = %s", (ids[1],))
        conn.execute((MIGRATIONS_DIR / "0003_batch_status_replaced.sql").read_text(encoding="utf-8"))
        assert [status(conn, b) for b in ids] == ["replaced", "superseded"]
        with pytest.raises(Exception, match="extract_batches_status_check"):
            conn.execute("update ops.extract_batches set status = 'gone' where batch_id = %s", (ids[0],))
