"""``ProcessWarcWriter``: a :class:`~govcrawl.warc.rotation.WarcWriter` in a writer process, fed through a
``concurrent.futures.ProcessPoolExecutor(max_workers=1)``.

The crawl hands over plain, picklable record specs (:func:`govcrawl.warc.records.build_records`); the one worker
builds the records, serialises, gzips, writes and rotates, so none of that runs under the crawl's GIL. One worker
runs the groups in the order they were submitted. ``submit`` returns the executor's future of the group's
:class:`~govcrawl.warc.rotation.GroupLocations`, which :class:`govcrawl.warc.ref.WarcRef` is built on.

The worker ignores SIGINT (Ctrl-C reaches the whole process group and the crawl shuts down gracefully, closing it
last). If the crawl process dies, the worker notices (its parent pid changes), writes what it already received,
closes (renames) its file and exits; groups still queued in the dead process are lost with it (their refs never
resolved, so no item claimed them). If the worker dies, pending and later groups fail with ``BrokenProcessPool``.

The worker also ignores SIGXFSZ, so a file-size limit (``RLIMIT_FSIZE``) makes ``write`` fail with ``EFBIG``
instead of killing it. A full disk (``ENOSPC``/``EDQUOT``/``EFBIG``) fails the group with
:class:`~govcrawl.warc.rotation.WarcDiskFull` after the writer cut its file back and closed it; every group queued
or submitted later fails with it too (``submit`` returns an already failed future), ``disk_full`` holds the error,
one line is logged and ``on_disk_full`` is called once (on the executor's thread).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from govcrawl.warc.records import build_records
from govcrawl.warc.rotation import DEFAULT_MAX_SIZE, GroupLocations, RecordLocation, WarcDiskFull, WarcWriter

logger = logging.getLogger(__name__)

#: the writer of the worker process (set by :func:`_start_worker`)
_WRITER: WarcWriter | None = None
#: seconds without a write after which a worker whose parent died takes its queue as drained
_ORPHAN_IDLE = 1.0


def _start_worker(options: dict[str, Any], parent_pid: int) -> None:
    """Initializer of the worker process: open no file yet, ignore SIGINT and SIGXFSZ, watch the parent."""
    global _WRITER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file-size limit: write() fails with EFBIG, handled
    writer = _WRITER = WarcWriter(**options)
    atexit.register(writer.close, final=True)  # the executor shut down without a close task
    threading.Thread(target=_watch_parent, args=(writer, parent_pid), name="govcrawl-warc-orphan", daemon=True).start()


def _watch_parent(writer: WarcWriter, parent_pid: int, interval: float = 0.2) -> None:
    while os.getppid() == parent_pid:
        time.sleep(interval)
    while time.monotonic() - writer.last_write < _ORPHAN_IDLE:  # what the parent sent is still being written
        time.sleep(interval)
    writer.close(final=True)
    os._exit(0)


def _write_specs(pickled_specs: bytes) -> GroupLocations:
    assert _WRITER is not None
    return _WRITER.write_group_located(build_records(pickle.loads(pickled_specs)))


def _close_writer() -> list[str]:
    assert _WRITER is not None
    _WRITER.close(final=True)
    return list(_WRITER.closed_files)


class ProcessWarcWriter:
    """Writes record groups from specs in a writer process (``spawn`` context: the crawl process runs a Twisted
    reactor and threads, which must not be forked). ``on_written`` / ``on_file_opened`` are called with the
    locations of each written group / each warcinfo record, on the executor's thread."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "govcrawl",
        max_size: int = DEFAULT_MAX_SIZE,
        info: dict[str, str] | None = None,
        fsync_interval: float = 1.0,
        compresslevel: int = 6,
        on_written: Callable[[list[RecordLocation]], None] | None = None,
        on_file_opened: Callable[[RecordLocation], None] | None = None,
        on_disk_full: Callable[[WarcDiskFull], None] | None = None,
    ) -> None:
        self.directory = os.fspath(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.on_written = on_written
        self.on_file_opened = on_file_opened
        self.on_disk_full = on_disk_full
        self.disk_full: WarcDiskFull | None = None
        self.errors = 0
        self.closed_files: list[str] = []
        options = {"directory": self.directory, "prefix": prefix, "max_size": max_size, "info": dict(info or {}),
                   "fsync_interval": fsync_interval, "compresslevel": compresslevel}
        self._executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(options, os.getpid()))
        self._closed = False

    def worker_pid(self) -> int:
        """The writer process's pid (starts it if it was not started yet)."""
        return self._executor.submit(os.getpid).result()

    def submit(self, specs: Sequence[tuple[str, dict[str, Any]]]) -> Future[GroupLocations]:
        """Queue a group; the future resolves with its locations (or the write error).

        The specs are pickled here, so the records hold the exchange as it is now: the executor would pickle them
        later on its own thread, after Scrapy may have changed the request's header lists (seen with ``Cookie``).
        Raises what pickling raises, ``RuntimeError`` once closed, ``BrokenProcessPool`` once the worker died.
        """
        if self._closed:
            raise RuntimeError("ProcessWarcWriter is closed")
        if self.disk_full is not None:  # nothing more can be written: fail at once, without a trip to the worker
            failed: Future[GroupLocations] = Future()
            failed.set_exception(WarcDiskFull(*self.disk_full.args))
            self.errors += 1
            return failed
        pickled = pickle.dumps(list(specs), protocol=pickle.HIGHEST_PROTOCOL)
        future = self._executor.submit(_write_specs, pickled)
        future.add_done_callback(self._written)
        return future

    def _written(self, future: Future[GroupLocations]) -> None:
        error = future.exception()
        if isinstance(error, WarcDiskFull):
            self.errors += 1
            if self.disk_full is None:  # groups are written in order: the first one is the one that hit the limit
                self.disk_full = error
                logger.error("%s", error)
                if self.on_disk_full:
                    try:
                        self.on_disk_full(error)
                    except Exception:
                        logger.exception("WARC disk-full callback failed")
            return
        if error is not None:
            self.errors += 1
            logger.error("WARC write failed: %r", error)
            return
        written = future.result()
        try:
            if written.warcinfo is not None and self.on_file_opened:
                self.on_file_opened(written.warcinfo)
            if self.on_written:
                self.on_written(written.records)
        except Exception:
            logger.exception("WARC written callback failed")

    def close(self, timeout: float | None = None) -> None:
        """Write everything submitted, close the current file (renaming it), stop the process. Safe twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self.closed_files.extend(self._executor.submit(_close_writer).result(timeout))
        except Exception as exc:  # a dead worker: its file is left .open for repair
            logger.error("WARC writer process did not close its file: %r", exc)
        self._executor.shutdown(wait=True, cancel_futures=True)
