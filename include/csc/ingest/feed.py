"""The extract's files read, checked and framed for COPY by a thread of their own, ahead of the server.

PostgreSQL parses the CSV on one core while Python frames and checks records on the other. For the two to overlap,
the server must never wait for Python: not between regions of a file (a bounded queue of framed regions sits between
this thread and the COPY) and not between files (this thread starts on the next file while the server still
ingests the last regions of the previous one). The thread that owns the connection only moves bytes from the queue
to the COPY, and the connection's socket holds a few megabytes (``loader._widen_send_buffer``), so the server has
work in hand while that thread waits for the GIL.

Everything a file's scan finds (a refusal by the record scanner, its size and checksum, a duplicate primary key) is
handed over with the file's end, in file order, so that the loader reports exactly what a sequential load would.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from queue import Empty, Queue

from csc.ingest.errors import ExtractRefused
from csc.ingest.records import FilePlan, RecordScanner, Regions, ScanStats
from csc.ingest.source import ExtractSource

QUEUE_REGIONS = 8  # framed regions waiting for COPY: about 2 MB each, so the loader's memory stays flat


@dataclass
class ScannedFile:
    """The end of one file's records in the feed: what its scan found."""

    file_name: str
    regions: Regions  # size and sha256 of the whole file (read to its end even after a refusal)
    stats: ScanStats | None = None  # None when the scan refused the file
    refusal: ExtractRefused | None = None  # the first problem in the records, if any
    duplicate: ExtractRefused | None = None  # a primary key that repeats, found by a second, exact pass


class _Stopped(Exception):
    """The loader stopped the feed (a refusal, an error, or a file to stream again in another encoding)."""


class Feed:
    """Framed records of ``jobs`` (plan, encoding per file, in load order), then a ``ScannedFile`` per file.

    Use as a context manager: leaving it stops the thread and waits for it, whatever happened.
    """

    def __init__(self, source: ExtractSource, jobs: list[tuple[FilePlan, str]], batch_id: int,
                 depth: int = QUEUE_REGIONS):
        self._source = source
        self._jobs = jobs
        self._batch_id = batch_id
        self._queue: Queue = Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="csc-load-feed", daemon=True)
        self.scanned: ScannedFile | None = None  # the last file whose records ``records`` has handed out

    def __enter__(self) -> Feed:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and wait for the thread; it is blocked at most on a full queue, which this empties."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def records(self, file_name: str) -> Iterator[bytes]:
        """The framed records of the next file, which must be ``file_name``; then ``scanned`` tells what was found."""
        while True:
            item = self._queue.get()
            if isinstance(item, ScannedFile):
                if item.file_name != file_name:
                    raise RuntimeError(f"the feed is at {item.file_name}, not {file_name}")
                self.scanned = item
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    # -- the thread -------------------------------------------------------------------------------------------------
    def _put(self, item: object) -> None:
        if self._stop.is_set():
            raise _Stopped
        self._queue.put(item)

    def _run(self) -> None:
        try:
            for plan, encoding in self._jobs:
                if not self._scan_file(plan, encoding):
                    return
        except _Stopped:
            return
        except BaseException as exc:  # noqa: BLE001 - handed to the loader's thread, which raises it
            try:
                self._put(exc)
            except _Stopped:
                return

    def _scan_file(self, plan: FilePlan, encoding: str) -> bool:
        """Feed one file; False after a refusal (nothing after it will be loaded)."""
        with self._source.open(plan.file_name) as stream:
            regions = Regions(stream, encoding)
            regions.header()
            scanner = RecordScanner(plan, self._batch_id, first_line=plan.first_line, emit=self._put)
            try:
                stats = scanner.scan(regions)
            except ExtractRefused as refusal:
                regions.drain()  # size and checksum of the whole file, to say whether it is the one described
                self._put(ScannedFile(plan.file_name, regions, refusal=refusal))
                return False
        suspects = scanner.duplicate_key_hashes()
        duplicate = find_duplicate(self._source, plan, encoding, suspects) if suspects else None
        self._put(ScannedFile(plan.file_name, regions, stats, duplicate=duplicate))
        return True


def find_duplicate(source: ExtractSource, plan: FilePlan, encoding: str,
                   suspects: set[int]) -> ExtractRefused | None:
    """Re-read a file for the keys whose hashes repeat: a real duplicate's refusal, or None after a collision."""
    with source.open(plan.file_name) as stream:
        regions = Regions(stream, encoding)
        regions.header()
        try:
            RecordScanner(plan, 0, first_line=plan.first_line, suspect_key_hashes=suspects).scan(regions)
        except ExtractRefused as refusal:
            return refusal
    return None
