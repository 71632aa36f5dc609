"""``ProcessWarcWriter``: a :class:`~govcrawl.warc.rotation.WarcWriter` in a writer process, fed through a pipe.

The crawl hands over plain, picklable record specs (:func:`govcrawl.warc.records.build_records`); the writer
process builds the records, serialises, gzips, writes and rotates, so none of that runs under the crawl's GIL.
``submit`` pickles a group and writes it to the pipe from the calling thread (the reactor's), with no thread of
its own: a thread woken per group would compete for the GIL with the reactor. ``submit(specs, flush=False)``
keeps the group in a buffer instead, written with the next ones in one system call by :meth:`flush` (which the
caller schedules: the middleware calls it from the reactor a few ms later) or once :data:`BATCH_BYTES` are
buffered; fewer writes also wake the writer process less often. The process writes groups in the order they were
submitted and answers in batches (one message per :data:`REPLY_INTERVAL` at most, however many groups it wrote
meanwhile), read by one thread that resolves the groups' futures in order. ``submit`` returns a
``concurrent.futures.Future`` of the group's :class:`~govcrawl.warc.rotation.GroupLocations`, which
:class:`govcrawl.warc.ref.WarcRef` is built on. The pipe is the back-pressure: when the writer falls
:data:`PIPE_SIZE` bytes behind, ``submit`` waits for it (the crawl's memory never holds a growing queue).

The writer ignores SIGINT (Ctrl-C reaches the whole process group and the crawl shuts down gracefully, closing it
last). If the crawl process dies, the writer reads to the end of the pipe (every group sent before the death),
closes (renames) its file and exits; groups the crawl had not sent yet are lost with it (their refs never
resolved, so no item claimed them). If the writer dies, pending and later groups fail with ``BrokenProcessPool``.

The writer also ignores SIGXFSZ, so a file-size limit (``RLIMIT_FSIZE``) makes ``write`` fail with ``EFBIG``
instead of killing it. A full disk (``ENOSPC``/``EDQUOT``/``EFBIG``) fails the group with
:class:`~govcrawl.warc.rotation.WarcDiskFull` after the writer cut its file back and closed it; every group queued
or submitted later fails with it too (``submit`` returns an already failed future), ``disk_full`` holds the error,
one line is logged and ``on_disk_full`` is called once (on the reply thread).
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
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection, wait
from typing import Any

from govcrawl.warc.records import build_records
from govcrawl.warc.rotation import DEFAULT_MAX_SIZE, GroupLocations, RecordLocation, WarcDiskFull, WarcWriter

logger = logging.getLogger(__name__)

#: longest time (s) the writer holds the answers of written groups before sending them in one message
REPLY_INTERVAL = 0.02
#: most answers in one message
REPLY_BATCH = 512
#: bytes of the crawl -> writer pipe (Linux ``F_SETPIPE_SZ``; 1 MiB is the unprivileged maximum by default)
PIPE_SIZE = 1 << 20
#: ``submit(flush=False)`` writes the buffer at once when it holds this many bytes (or :data:`BATCH_GROUPS` groups)
BATCH_BYTES = 256 * 1024
BATCH_GROUPS = 64
#: seconds between the idle writer's checks that its parent is alive
_IDLE_POLL = 0.5
#: a frame on the crawl -> writer pipe: this many bytes of length (little-endian), then the pickled group;
#: a frame of length 0 is the close message
_HEADER = 8
_READ_SIZE = 1 << 20

Outcome = GroupLocations | BaseException


def _picklable(error: BaseException) -> BaseException:
    try:
        pickle.dumps(error)
    except Exception:
        return RuntimeError(repr(error))
    return error


def _write(writer: WarcWriter, message: bytes) -> Outcome:
    try:
        return writer.write_group_located(build_records(pickle.loads(message)))
    except Exception as exc:
        return _picklable(exc)


class _Frames:
    """Reads the frames of the crawl -> writer pipe (a raw file descriptor)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.pos = 0

    def next(self) -> bytes | None:
        """The next whole frame already read, or None."""
        buffer, pos = self.buffer, self.pos
        if len(buffer) - pos < _HEADER:
            return None
        end = pos + _HEADER + int.from_bytes(buffer[pos:pos + _HEADER], "little")
        if len(buffer) < end:
            return None
        self.pos = end
        return bytes(memoryview(buffer)[pos + _HEADER:end])

    def fill(self, timeout: float) -> bool:
        """Read what the pipe holds, waiting up to ``timeout`` s for it; False on a timeout. EOFError at the end."""
        if not wait([self.fd], timeout):
            return False
        data = os.read(self.fd, _READ_SIZE)
        if not data:
            raise EOFError
        del self.buffer[:self.pos]
        self.pos = 0
        self.buffer += data
        return True


def _writer_main(specs: Connection, replies: Connection, options: dict[str, Any], parent_pid: int,
                 reply_interval: float) -> None:
    """The writer process: frames of pickled groups in, batches of outcomes out, ``("closed", files)`` last."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file-size limit: write() fails with EFBIG, handled
    writer = WarcWriter(**options)
    frames = _Frames(specs.fileno())
    outcomes: list[Outcome] = []
    deadline = 0.0
    try:
        while True:
            message = frames.next()
            if message is None:
                now = time.monotonic()
                if outcomes and now >= deadline:
                    replies.send_bytes(pickle.dumps(("done", outcomes), protocol=pickle.HIGHEST_PROTOCOL))
                    outcomes = []
                try:
                    if not frames.fill(max(0.0, deadline - now) if outcomes else _IDLE_POLL):
                        if not outcomes and os.getppid() != parent_pid:
                            break  # orphaned while the pipe stays open (its write end inherited elsewhere)
                except (EOFError, OSError):
                    break  # the crawl process died: every group it sent is written
                continue
            if not message:  # the close frame
                break
            outcomes.append(_write(writer, message))
            if len(outcomes) == 1:
                deadline = time.monotonic() + reply_interval
            elif len(outcomes) >= REPLY_BATCH or time.monotonic() >= deadline:
                replies.send_bytes(pickle.dumps(("done", outcomes), protocol=pickle.HIGHEST_PROTOCOL))
                outcomes = []
    finally:
        writer.close(final=True)
        try:
            if outcomes:
                replies.send_bytes(pickle.dumps(("done", outcomes), protocol=pickle.HIGHEST_PROTOCOL))
            replies.send_bytes(pickle.dumps(("closed", list(writer.closed_files))))
        except OSError:  # the crawl process is gone
            pass


class _GroupFuture(Future):  # type: ignore[type-arg]
    """A group's future. Blocking on it first hands the buffered groups to the writer: a ``flush=False`` group
    waits for a flush the reactor schedules, and a reactor thread blocked on the future could never run it."""

    def __init__(self, writer: ProcessWarcWriter) -> None:
        super().__init__()
        self._writer = writer

    def result(self, timeout: float | None = None) -> Any:
        self._hand_over()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._hand_over()
        return super().exception(timeout)

    def _hand_over(self) -> None:
        if not self.done():
            try:
                self._writer.flush()
            except BrokenProcessPool:  # the writer died: the reply thread fails this future
                pass


def _write_all(fd: int, buffers: list[bytes], size: int) -> None:
    """Write the buffers (``size`` bytes together) whole, in one system call unless the pipe takes them in parts."""
    written = os.writev(fd, buffers)
    if written < size:
        rest = memoryview(b"".join(buffers))[written:]
        while rest:
            rest = rest[os.write(fd, rest):]


def _grow_pipe(conn: Connection, size: int) -> None:
    """Give the pipe behind ``conn`` ``size`` bytes of buffer where the OS allows it (Linux)."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, size)  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError):
        pass


class ProcessWarcWriter:
    """Writes record groups from specs in a writer process (``spawn`` context: the crawl process runs a Twisted
    reactor and threads, which must not be forked). ``on_written`` / ``on_file_opened`` are called with the
    locations of each written group / each warcinfo record, on the reply thread."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "govcrawl",
        max_size: int = DEFAULT_MAX_SIZE,
        info: dict[str, str] | None = None,
        fsync_interval: float = 1.0,
        compresslevel: int = 6,
        reply_interval: float = REPLY_INTERVAL,
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
        context = multiprocessing.get_context("spawn")
        specs_end, self._specs = context.Pipe(duplex=False)
        self._replies, replies_end = context.Pipe(duplex=False)
        _grow_pipe(self._specs, PIPE_SIZE)
        self._process = context.Process(target=_writer_main, name="govcrawl-warc-writer", daemon=True,
                                        args=(specs_end, replies_end, options, os.getpid(), reply_interval))
        self._process.start()
        specs_end.close()
        replies_end.close()
        self._pending: deque[Future[GroupLocations]] = deque()
        self._send_lock = threading.Lock()
        self._buffer: list[bytes] = []  # frames of the groups submitted with flush=False, not written yet
        self._buffered = 0
        self._broken: BrokenProcessPool | None = None
        self._got_closed = False
        self._closed = False
        self._reader = threading.Thread(target=self._read_replies, name="govcrawl-warc-replies", daemon=True)
        self._reader.start()
        atexit.register(self.close)  # an interpreter exit without close(): write what was sent, rename the file

    def worker_pid(self) -> int:
        """The writer process's pid."""
        assert self._process.pid is not None
        return self._process.pid

    def submit(self, specs: Sequence[tuple[str, dict[str, Any]]], *, flush: bool = True) -> Future[GroupLocations]:
        """Queue a group; the future resolves with its locations (or the write error).

        The specs are pickled here, so the records hold the exchange as it is now (Scrapy may change the
        request's header lists later, seen with ``Cookie``). ``flush=False``: keep the group buffered until
        :meth:`flush` (or until the buffer is full). Raises what pickling raises, ``RuntimeError`` once closed,
        ``BrokenProcessPool`` once the writer died. Blocks while the writer is :data:`PIPE_SIZE` behind.
        """
        if self._closed:
            raise RuntimeError("ProcessWarcWriter is closed")
        future: Future[GroupLocations] = _GroupFuture(self)
        if self.disk_full is not None:  # nothing more can be written: fail at once, without a trip to the writer
            future.set_exception(WarcDiskFull(*self.disk_full.args))
            self.errors += 1
            return future
        message = pickle.dumps(list(specs), protocol=pickle.HIGHEST_PROTOCOL)
        future.set_running_or_notify_cancel()  # a group sent cannot be taken back
        with self._send_lock:
            if self._broken is not None:
                raise BrokenProcessPool(*self._broken.args)
            self._pending.append(future)
            self._buffer += (len(message).to_bytes(_HEADER, "little"), message)
            self._buffered += _HEADER + len(message)
            if flush or self._buffered >= BATCH_BYTES or len(self._buffer) >= 2 * BATCH_GROUPS:  # 2 buffers a group
                self._write_buffer()
        return future

    def flush(self) -> None:
        """Write the groups submitted with ``flush=False``. Raises ``BrokenProcessPool`` once the writer died."""
        with self._send_lock:
            self._write_buffer()

    def _write_buffer(self) -> None:
        buffer, size, self._buffer, self._buffered = self._buffer, self._buffered, [], 0
        if not buffer:
            return
        try:
            _write_all(self._specs.fileno(), buffer, size)
        except OSError as exc:  # the writer died (EPIPE); the reply thread fails the pending groups
            raise BrokenProcessPool("the WARC writer process died") from exc

    def _read_replies(self) -> None:
        """The reply thread: resolve the pending futures in order; fail the rest if the writer dies."""
        try:
            while True:
                kind, payload = pickle.loads(self._replies.recv_bytes())
                if kind == "closed":
                    self.closed_files.extend(payload)
                    self._got_closed = True
                    return
                for outcome in payload:
                    self._resolve(self._pending.popleft(), outcome)
        except (EOFError, OSError):
            pass
        finally:
            with self._send_lock:
                self._broken = BrokenProcessPool("the WARC writer process died")
            while self._pending:
                self._pending.popleft().set_exception(BrokenProcessPool(*self._broken.args))

    def _resolve(self, future: Future[GroupLocations], outcome: Outcome) -> None:
        if isinstance(outcome, BaseException):
            self.errors += 1
            if isinstance(outcome, WarcDiskFull):
                if self.disk_full is None:  # groups are written in order: the first one is the one that hit it
                    self.disk_full = outcome
                    logger.error("%s", outcome)
                    if self.on_disk_full:
                        try:
                            self.on_disk_full(outcome)
                        except Exception:
                            logger.exception("WARC disk-full callback failed")
            else:
                logger.error("WARC write failed: %r", outcome)
            future.set_exception(outcome)
            return
        try:
            if outcome.warcinfo is not None and self.on_file_opened:
                self.on_file_opened(outcome.warcinfo)
            if self.on_written:
                self.on_written(outcome.records)
        except Exception:
            logger.exception("WARC written callback failed")
        future.set_result(outcome)

    def close(self, timeout: float | None = None) -> None:
        """Write everything submitted, close the current file (renaming it), stop the process. Safe twice."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        try:
            with self._send_lock:
                self._buffer.append(bytes(_HEADER))  # the close frame, after what is buffered
                self._buffered += _HEADER
                self._write_buffer()
        except (OSError, BrokenProcessPool):
            pass
        self._reader.join(timeout)
        if not self._got_closed:  # a dead (or stuck) writer: its file is left .open for repair
            logger.error("WARC writer process did not close its file (exit code %s)", self._process.exitcode)
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout)
        self._specs.close()
