"""The feed: framed records of each file in load order, what each file's scan found at its end, a bounded queue."""

import hashlib
import io
import time

import pytest

from csc.ingest.feed import Feed
from csc.ingest.records import FilePlan
from csc.ingest.source import ExtractSource

pytestmark = pytest.mark.unit


class _Files(ExtractSource):
    def __init__(self, files: dict[str, bytes]):
        self._files = files

    @property
    def names(self) -> list[str]:
        return list(self._files)

    def size(self, name: str) -> int:
        return len(self._files[name])

    def open(self, name: str) -> io.BytesIO:
        return io.BytesIO(self._files[name])


def _csv(rows: int, key=lambda i: i) -> bytes:
    return b"id,d\n" + b"".join(b"%d,2024-03-01\n" % key(i) for i in range(rows))


def _plan(name: str) -> FilePlan:
    return FilePlan(name, ("id", "d"), date_fields=(1,), key_fields=(0,))


def test_files_arrive_in_order_each_followed_by_what_its_scan_found():
    source = _Files({"a.csv": _csv(3), "b.csv": _csv(4, key=lambda i: i % 3), "c.csv": _csv(1)})
    with Feed(source, [(_plan(n), "utf-8") for n in ("a.csv", "b.csv", "c.csv")], batch_id=7) as feed:
        assert b"".join(feed.records("a.csv")) == b"7,2,0,2024-03-01\n7,3,1,2024-03-01\n7,4,2,2024-03-01\n"
        assert feed.scanned.stats.records == 3 and feed.scanned.duplicate is None
        assert feed.scanned.regions.digest.hexdigest() == hashlib.sha256(_csv(3)).hexdigest()
        assert len(b"".join(feed.records("b.csv")).splitlines()) == 4  # loaded as far as the scan goes
        assert feed.scanned.duplicate.reason == "duplicate_primary_key"
        assert feed.scanned.duplicate.line == 5


def test_a_refused_file_ends_the_feed_with_its_refusal_and_its_whole_checksum():
    bad = b"id,d\n1,2024-03-01\n2,31/02/2024\n3,2024-03-03\n"
    with Feed(_Files({"a.csv": bad, "b.csv": _csv(1)}), [(_plan("a.csv"), "utf-8"), (_plan("b.csv"), "utf-8")],
              batch_id=1) as feed:
        list(feed.records("a.csv"))
        assert feed.scanned.refusal.reason == "bad_date" and feed.scanned.refusal.line == 3
        assert feed.scanned.regions.bytes_read == len(bad)


def test_an_error_in_the_thread_is_raised_where_the_records_are_read():
    source = _Files({"a.csv": _csv(1)})
    with Feed(source, [(_plan("missing.csv"), "utf-8")], batch_id=1) as feed, pytest.raises(KeyError):
        list(feed.records("missing.csv"))


def test_the_queue_is_bounded_and_closing_stops_a_blocked_thread():
    """Nothing consumes: the thread fills the queue and waits (it does not read the file into memory)."""
    source = _Files({"a.csv": _csv(600_000)})  # about 9 MB: five regions
    feed = Feed(source, [(_plan("a.csv"), "utf-8")], batch_id=1, depth=2)
    with feed:
        for _ in range(600):  # until the queue is full (a bound on waiting, not a timing assertion)
            if feed._queue.full():
                break
            time.sleep(0.05)
        assert feed._queue.full()
        assert feed._thread.is_alive()
    assert not feed._thread.is_alive()
