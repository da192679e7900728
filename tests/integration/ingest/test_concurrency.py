"""Two loads of one extract at once (the nightly run and a hand-run ``csc load``): one loads, the other skips."""

import threading
import time

import pytest

from csc.ingest import load_extract
from csc.warehouse import locks
from csc.warehouse.connection import connect

from ingest_extracts import ExtractSpec, batches

pytestmark = pytest.mark.integration



def test_concurrent_loads_of_one_extract_load_it_once(warehouse_settings, landing):
    folder = ExtractSpec().write(landing)
    results, errors = [], []

    def load() -> None:
        try:
            results.append(load_extract(folder, warehouse_settings))
        except Exception as exc:  # reported below, with the other thread's outcome
            errors.append(exc)

    with connect(warehouse_settings) as holder, connect(warehouse_settings, autocommit=True) as watcher:
        locks.ensure_lock_row(holder, locks.load_lock_name("999"))
        holder.commit()
        locks.take(holder, locks.load_lock_name("999"))  # both loads must queue behind this
        threads = [threading.Thread(target=load) for _ in range(2)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while watcher.execute("select count(*) from pg_stat_activity where application_name = 'csc load (lock)' "
                              "and wait_event_type = 'Lock'").fetchone()[0] < 2:
            assert time.monotonic() < deadline, "the two loads never reached the LA's lock"
            time.sleep(0.05)
        holder.rollback()  # releases the LA's lock
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.status for r in results) == ["loaded", "skipped"]
    assert len({r.batch_id for r in results}) == 1
    assert [b[1] for b in batches(warehouse_settings)] == ["loaded"]
    assert not folder.exists()
