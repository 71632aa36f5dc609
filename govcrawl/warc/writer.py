"""WARC file writing: :class:`WarcWriter` (rotation, ``.open`` -> rename, warcinfo) and
:class:`BackgroundWarcWriter` (a writer thread, so gzip runs off the crawl thread), :class:`ProcessWarcWriter`
(a writer process fed raw exchange data through a pipe) and :class:`WarcRef`.

Files are named ``{prefix}-{UTC timestamp}-{serial:05d}-{hostname}-{pid}.warc.gz``, written as
``NAME.warc.gz.open`` and renamed when closed. Every record is its own gzip member and is flushed to the OS
as soon as it is written, so a crash (even SIGKILL) loses at most the record group in progress;
:func:`govcrawl.warc.repair.repair_open_file` cuts such a file back to its last complete record.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import BufferWARCWriter

from govcrawl.warc.records import WARC_VERSION, build_records, build_warcinfo_record, sha1_b32

logger = logging.getLogger(__name__)
OPEN_SUFFIX = ".open"
DEFAULT_MAX_SIZE = 1_000_000_000
_SERIAL = itertools.count(1)
_SERIAL_LOCK = threading.Lock()
#: absolute paths of the .open files writers of this process hold (repair leaves them alone)
OPEN_PATHS: set[str] = set()


def _safe_hostname() -> str:
    return socket.gethostname().replace("-", "_").replace("/", "_") or "localhost"


_NO_PAYLOAD_DIGEST_TYPES = frozenset({"warcinfo", "revisit"})


def serialize_record(record: ArcWarcRecord) -> bytes:
    """The uncompressed bytes warcio's ``WARCWriter`` writes for ``record``, without its per-record overhead.

    Same header order and values as ``BaseWARCWriter._write_warc_record`` (digests added when missing,
    Content-Type and Content-Length replaced or appended), computed with one hashlib pass and one join.
    Records of unknown length fall back to warcio itself. Mutates ``record`` like warcio does.
    """
    if record.length is None:
        return _serialize_with_warcio(record)
    rec_headers = record.rec_headers
    http = record.http_headers
    head = b""
    if http:
        http.compute_headers_buffer(None)
        head = http.headers_buff
    stream = record.raw_stream
    payload = stream.read()
    names = {name.lower() for name, _ in rec_headers.headers}
    if "warc-payload-digest" not in names and record.rec_type not in _NO_PAYLOAD_DIGEST_TYPES:
        rec_headers.add_header("WARC-Payload-Digest", sha1_b32(payload))
    if "warc-block-digest" not in names:
        rec_headers.add_header("WARC-Block-Digest", sha1_b32(head, payload))
    if record.content_type is not None:
        rec_headers.replace_header("Content-Type", record.content_type)
    http_headers_only = record.rec_type == "revisit"
    if http and record.payload_length >= 0:
        record.length = len(head) + (0 if http_headers_only else record.payload_length)
    rec_headers.replace_header("Content-Length", str(record.length))
    parts = [rec_headers.to_bytes(encoding="utf-8"), head]
    if not http_headers_only:
        parts.append(payload)
    parts.append(b"\r\n\r\n")
    return b"".join(parts)


def _serialize_with_warcio(record: ArcWarcRecord) -> bytes:
    buffer = BufferWARCWriter(gzip=False, warc_version=WARC_VERSION)
    buffer.write_record(record)
    return buffer.get_contents()


def gzip_member(data: bytes, level: int) -> bytes:
    """One gzip member holding ``data`` (one zlib call, which runs without the GIL)."""
    return zlib.compress(data, level, zlib.MAX_WBITS + 16)


@dataclass(frozen=True)
class RecordLocation:
    """Where one record was written: file name (closed name, no directory), offset and length in bytes."""

    filename: str
    offset: int
    length: int


class WarcWriter:
    """Writes record groups to rotating, per-record-gzipped WARC files. Thread-safe.

    ``write_group(records)`` writes the records contiguously in one file (a response, its request and its
    metadata stay adjacent) and returns their locations. A file is closed (and a new one started on the next
    write) once it passes ``max_size`` bytes.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "govcrawl",
        max_size: int = DEFAULT_MAX_SIZE,
        info: dict[str, str] | None = None,
        fsync_interval: float = 1.0,
        compresslevel: int = 6,
        on_file_opened: Callable[[RecordLocation], None] | None = None,
    ) -> None:
        self.directory = os.fspath(directory)
        self.prefix = prefix
        self.max_size = int(max_size)
        self.info = dict(info or {})
        self.fsync_interval = fsync_interval
        self.compresslevel = compresslevel
        self.on_file_opened = on_file_opened
        self.closed_files: list[str] = []
        self.records_written = 0
        self.bytes_written = 0
        self._lock = threading.Lock()
        self._file: Any = None
        self._pos = 0
        self._name: str | None = None
        self._last_fsync = 0.0
        os.makedirs(self.directory, exist_ok=True)

    @property
    def current_path(self) -> str | None:
        """Path of the ``.open`` file being written, if any."""
        return os.path.join(self.directory, self._name + OPEN_SUFFIX) if self._name else None

    def _new_name(self) -> str:
        with _SERIAL_LOCK:
            serial = next(_SERIAL)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        return f"{self.prefix}-{stamp}-{serial:05d}-{_safe_hostname()}-{os.getpid()}.warc.gz"

    def _open(self) -> None:
        self._name = self._new_name()
        path = os.path.abspath(os.path.join(self.directory, self._name + OPEN_SUFFIX))
        self._file = open(path, "xb")
        OPEN_PATHS.add(path)
        self._pos = 0
        (warcinfo,) = self._write_now(self.prepare([build_warcinfo_record(self._name, self.info)]))
        if self.on_file_opened:
            self.on_file_opened(warcinfo)

    def prepare(self, records: Sequence[ArcWarcRecord]) -> list[bytes]:
        """The gzip members (one per record) :meth:`write_members` writes. Needs no lock: any thread may
        prepare a group, e.g. the crawl thread, so the writer thread only writes bytes."""
        return [gzip_member(serialize_record(record), self.compresslevel) for record in records]

    def _write_now(self, members: Sequence[bytes]) -> list[RecordLocation]:
        """Write prepared members with one ``write``; their locations follow from their lengths."""
        assert self._file is not None and self._name is not None
        self._file.write(b"".join(members))
        self._file.flush()
        locations = []
        for member in members:
            locations.append(RecordLocation(self._name, self._pos, len(member)))
            self._pos += len(member)
        self.records_written += len(members)
        self.bytes_written += sum(len(member) for member in members)
        now = time.monotonic()
        if self.fsync_interval >= 0 and now - self._last_fsync >= self.fsync_interval:
            os.fsync(self._file.fileno())
            self._last_fsync = now
        return locations

    def write_group(self, records: Sequence[ArcWarcRecord]) -> list[RecordLocation]:
        """Write records adjacently (opening a file if needed); rotate afterwards if the file is full."""
        return self.write_members(self.prepare(records))

    def write_members(self, members: Sequence[bytes]) -> list[RecordLocation]:
        """Write gzip members from :meth:`prepare` adjacently (opening a file if needed); rotate afterwards if
        the file is full."""
        with self._lock:
            if self._file is None:
                self._open()
            locations = self._write_now(members)
            if self._pos >= self.max_size:
                self._close_current()
            return locations

    def _close_current(self) -> None:
        if self._file is None:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        closed = os.path.join(self.directory, self._name)
        os.replace(closed + OPEN_SUFFIX, closed)
        OPEN_PATHS.discard(os.path.abspath(closed + OPEN_SUFFIX))
        self.closed_files.append(closed)
        self._file = self._name = None

    def close(self) -> None:
        """Close the current file (renaming it from ``.open``). Safe to call twice."""
        with self._lock:
            self._close_current()

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class WarcRef:
    """Where a capture went in the archive. Known at once: ``warc_record_id``, ``payload_digest``,
    ``fetched_at``; filled by the writer thread: ``warc_filename``, ``warc_offset``.

    With :class:`BackgroundWarcWriter` the location is filled asynchronously. Before reading
    ``warc_filename``/``warc_offset``:

    - in an ``async def`` Scrapy pipeline/callback: ``await ref.wait()``;
    - in Twisted code returning Deferreds: ``ref.deferred()`` (fires on the reactor thread);
    - in plain threads / tests: ``ref.result(timeout)`` (blocks).

    All three raise the write error if writing failed.
    """

    warc_record_id: str
    payload_digest: str
    fetched_at: str
    url: str = ""
    record_type: str = "response"
    refers_to_uri: str | None = None
    refers_to_date: str | None = None
    warc_filename: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    error: BaseException | None = None
    _event: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)
    _callbacks: list[Callable[[WarcRef], None]] = field(default_factory=list, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def done(self) -> bool:
        return self._event.is_set()

    def _resolve(self, location: RecordLocation | None, error: BaseException | None = None) -> None:
        with self._lock:
            if location is not None:
                self.warc_filename, self.warc_offset = location.filename, location.offset
                self.warc_length = location.length
            self.error = error
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def _add_callback(self, callback: Callable[[WarcRef], None]) -> None:
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def result(self, timeout: float | None = None) -> WarcRef:
        """Block until written; return self. Raises TimeoutError or the write error."""
        if not self._event.wait(timeout):
            raise TimeoutError(f"WARC record {self.warc_record_id} not written after {timeout}s")
        if self.error is not None:
            raise self.error
        return self

    def deferred(self) -> Any:
        """A Twisted Deferred firing with self (on the reactor thread) once written."""
        from twisted.internet import defer, reactor

        if self.done():
            return defer.fail(self.error) if self.error else defer.succeed(self)
        d: defer.Deferred[WarcRef] = defer.Deferred()

        def fire(ref: WarcRef) -> None:
            if ref.error is not None:
                reactor.callFromThread(d.errback, ref.error)  # type: ignore[attr-defined]
            else:
                reactor.callFromThread(d.callback, ref)  # type: ignore[attr-defined]

        self._add_callback(fire)
        return d

    async def wait(self) -> WarcRef:
        """Await the write from Scrapy coroutine code (asyncio or plain Twisted reactor)."""
        if self.done():
            return self.result()
        from scrapy.utils.defer import maybe_deferred_to_future

        return await maybe_deferred_to_future(self.deferred())

    def as_dict(self) -> dict[str, Any]:
        """The ``Capture.warc`` / item ``source`` fields."""
        return {
            "warc_filename": self.warc_filename,
            "warc_offset": self.warc_offset,
            "warc_record_id": self.warc_record_id,
            "payload_digest": self.payload_digest,
            "fetched_at": self.fetched_at,
        }

    def __getitem__(self, key: str) -> Any:
        """``ref["warc_offset"]`` works like ``ref.warc_offset`` (for code treating it as a dict)."""
        return getattr(self, key)

    def __deepcopy__(self, memo: dict[int, Any]) -> WarcRef:  # Scrapy may deep-copy items/meta
        return self

    def __getstate__(self) -> dict[str, Any]:  # pickling (JOBDIR, multiprocessing) keeps data only, no waiting
        state = {k: v for k, v in self.__dict__.items() if k not in ("_event", "_callbacks", "_lock")}
        state["error"] = None if self.error is None else repr(self.error)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._event, self._callbacks, self._lock = threading.Event(), [], threading.Lock()
        self._event.set()


class BackgroundWarcWriter:
    """Runs a :class:`WarcWriter` on its own thread. ``submit(records, refs)`` returns at once; the writer
    thread serialises, gzips and writes the group, then resolves each ref with the location of its record.

    With ``prepare_in_caller`` ``submit`` serialises and gzips the group on the calling thread and the writer
    thread only writes bytes and resolves refs. Off by default: on the 2-CPU benchmark (benchmarks/bench_crawl.py)
    both placements cost the crawl the same, and gzip on the writer thread can use a second core.

    ``refs`` maps the index of a record in the group to the :class:`WarcRef` to resolve. Hand-over is a plain
    deque the writer thread drains every ``poll_interval`` seconds (no condition variable to notify per page:
    waking the writer for every group cost the crawl thread GIL hand-overs). The queue is bounded
    (``max_pending`` groups), so a writer that falls behind slows the crawl instead of eating memory.
    """

    def __init__(self, writer: WarcWriter, *, max_pending: int = 2000, poll_interval: float = 0.01,
                 prepare_in_caller: bool = False,
                 on_written: Callable[[list[RecordLocation]], None] | None = None) -> None:
        self.writer = writer
        self.on_written = on_written
        self.errors = 0
        self.max_pending = max_pending
        self.poll_interval = poll_interval
        self.prepare_in_caller = prepare_in_caller
        self._pending: collections.deque[tuple[Sequence[Any], dict[int, WarcRef], bool]] = collections.deque()
        self._stopping = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="govcrawl-warc-writer", daemon=True)
        self._thread.start()

    def submit(self, records: Sequence[ArcWarcRecord], refs: dict[int, WarcRef] | None = None) -> None:
        if self._closed:
            raise RuntimeError("BackgroundWarcWriter is closed")
        refs = refs or {}
        prepared = self.prepare_in_caller
        if prepared:
            try:
                records = self.writer.prepare(records)
            except Exception as exc:  # reported through the refs, like a failed write
                self._failed(refs, exc)
                return
        while len(self._pending) >= self.max_pending and self._thread.is_alive():
            time.sleep(self.poll_interval)
        self._pending.append((records, refs, prepared))

    def submit_specs(self, specs: Sequence[tuple[str, dict[str, Any]]], refs: dict[int, WarcRef] | None = None) -> None:
        """Build the records of ``specs`` (:func:`govcrawl.warc.records.build_records`) here and submit them."""
        try:
            records = build_records(specs)
        except Exception as exc:  # reported through the refs, like a failed write
            self._failed(refs or {}, exc)
            return
        self.submit(records, refs)

    def _run(self) -> None:
        while True:
            if not self._pending:
                if self._stopping and not self._pending:
                    return
                time.sleep(self.poll_interval)
                continue
            written: list[RecordLocation] = []
            while self._pending:
                written += self._write_job(*self._pending.popleft())
            if self.on_written and written:
                try:
                    self.on_written(written)
                except Exception:
                    logger.exception("WARC on_written callback failed")

    def _failed(self, refs: dict[int, WarcRef], exc: BaseException) -> None:
        self.errors += 1
        logger.error("WARC write failed: %r", exc)
        for ref in refs.values():
            ref._resolve(None, exc)

    def _write_job(self, group: Sequence[Any], refs: dict[int, WarcRef], prepared: bool) -> list[RecordLocation]:
        try:
            locations = self.writer.write_members(group) if prepared else self.writer.write_group(group)
        except BaseException as exc:
            self._failed(refs, exc)
            return []
        for index, ref in refs.items():
            try:
                ref._resolve(locations[index])
            except Exception:  # a failing waiter callback must not kill the writer thread
                logger.exception("WARC ref callback failed")
        return locations

    def close(self, timeout: float | None = None) -> None:
        """Write everything queued, stop the thread, close the current file."""
        if not self._closed:
            self._closed = True
            self._stopping = True
            self._thread.join(timeout)
        self.writer.close()


def _writer_process_main(conn: Any, options: dict[str, Any], reply_interval: float = 0.01) -> None:
    """Body of the writer process: receive ``(token, specs)`` groups, build + serialise + gzip + write them,
    answer ``("done", [(token, locations | None, error | None)], opened)`` per batch.

    Ends on ``("close",)`` (answering ``("closed", closed_files)``) or on EOF of its pipe (the parent died):
    either way after writing everything received and closing (renaming) the current file. SIGINT is ignored:
    Ctrl-C reaches the whole process group and the crawl shuts down gracefully, closing us last.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    opened: list[tuple[str, int, int]] = []
    writer = WarcWriter(**options, on_file_opened=lambda loc: opened.append((loc.filename, loc.offset, loc.length)))
    parent_alive = True
    closing = False
    try:
        results: list[tuple[int, Any, Any]] = []
        last_sent = time.monotonic()
        while True:
            # answers are sent at most every ``reply_interval`` seconds: one wake-up of the parent's receiver
            # thread per batch of pages, not per page (each wake-up takes the crawl's GIL)
            try:
                while conn.poll(None if not (results or opened) else
                                max(0.0, last_sent + reply_interval - time.monotonic())):
                    message = conn.recv()
                    if message[0] == "close":
                        closing = True
                        break
                    token, specs = message
                    try:
                        locations = writer.write_group(build_records(specs))
                    except BaseException as exc:
                        results.append((token, None, _picklable_error(exc)))
                        continue
                    results.append((token, [(loc.filename, loc.offset, loc.length) for loc in locations], None))
            except (EOFError, OSError):  # the parent died: everything received is written; close and stop
                parent_alive = False
                break
            if results or opened:
                try:
                    conn.send(("done", results, opened[:]))
                except OSError:
                    parent_alive = False
                    break
                results, last_sent = [], time.monotonic()
                opened.clear()
            if closing:
                break
    finally:
        writer.close()
        if parent_alive:
            try:
                conn.send(("closed", writer.closed_files))
            except OSError:
                pass
        conn.close()


def _picklable_error(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"WARC writer process: {exc!r}")
    return exc


def _close_at_exit(ref: weakref.ReferenceType[ProcessWarcWriter]) -> None:
    writer = ref()
    if writer is not None:
        writer.close(timeout=60)


class ProcessWarcWriter:
    """A :class:`WarcWriter` in its own process (started with the ``spawn`` context: the crawl process runs a
    Twisted reactor and threads, which must not be forked).

    ``submit_specs(specs, refs)`` pickles plain exchange data (:func:`govcrawl.warc.records.build_records` specs)
    into a pipe and returns; the process builds the records, serialises, gzips, writes and rotates, and sends back
    the locations, which a receiver thread here uses to resolve the refs (and call ``on_written`` /
    ``on_file_opened``). Neither record building nor gzip then runs under the crawl's GIL. A full pipe blocks
    ``submit_specs``, so a writer that falls behind slows the crawl instead of eating memory.

    If this process dies, the writer process reads EOF, writes what it received, closes its file and exits. If the
    writer process dies, every pending and later ref fails with the error.
    """

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
        start_method: str = "spawn",
    ) -> None:
        self.directory = os.fspath(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.on_written = on_written
        self.on_file_opened = on_file_opened
        self.errors = 0
        self.closed_files: list[str] = []
        options = {"directory": self.directory, "prefix": prefix, "max_size": max_size, "info": dict(info or {}),
                   "fsync_interval": fsync_interval, "compresslevel": compresslevel}
        context = multiprocessing.get_context(start_method)
        self._conn, child_conn = context.Pipe(duplex=True)
        self._process = context.Process(target=_writer_process_main, args=(child_conn, options),
                                        name="govcrawl-warc-writer", daemon=True)
        self._process.start()
        child_conn.close()  # only the child holds its end: our death is its EOF
        self._pending: dict[int, dict[int, WarcRef]] = {}
        self._tokens = itertools.count()
        self._send_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._dead: BaseException | None = None
        self._closed = False
        self._finished = threading.Event()
        self._receiver = threading.Thread(target=self._receive, name="govcrawl-warc-receiver", daemon=True)
        self._receiver.start()
        atexit.register(_close_at_exit, weakref.ref(self))

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def submit_specs(self, specs: Sequence[tuple[str, dict[str, Any]]], refs: dict[int, WarcRef] | None = None) -> None:
        if self._closed:
            raise RuntimeError("ProcessWarcWriter is closed")
        refs = refs or {}
        token = next(self._tokens)
        with self._pending_lock:
            if self._dead is not None:
                self._fail(refs, self._dead)
                return
            self._pending[token] = refs
        try:
            with self._send_lock:
                self._conn.send((token, list(specs)))
        except Exception as exc:  # unpicklable data, or the writer process is gone
            with self._pending_lock:
                refs = self._pending.pop(token, {})
            self._fail(refs, exc)

    def _fail(self, refs: dict[int, WarcRef], exc: BaseException) -> None:
        self.errors += 1
        logger.error("WARC write failed: %r", exc)
        for ref in refs.values():
            ref._resolve(None, exc)

    def _receive(self) -> None:
        try:
            while True:
                try:
                    message = self._conn.recv()
                except (EOFError, OSError):
                    break
                if message[0] == "closed":
                    self.closed_files.extend(message[1])
                    break
                _, results, opened = message
                if self.on_file_opened:
                    for filename, offset, length in opened:
                        try:
                            self.on_file_opened(RecordLocation(filename, offset, length))
                        except Exception:
                            logger.exception("WARC on_file_opened callback failed")
                written: list[RecordLocation] = []
                for token, locations, error in results:
                    with self._pending_lock:
                        refs = self._pending.pop(token, {})
                    if error is not None:
                        self._fail(refs, error)
                        continue
                    group = [RecordLocation(*location) for location in locations]
                    written += group
                    for index, ref in refs.items():
                        try:
                            ref._resolve(group[index])
                        except Exception:  # a failing waiter callback must not kill the receiver
                            logger.exception("WARC ref callback failed")
                if self.on_written and written:
                    try:
                        self.on_written(written)
                    except Exception:
                        logger.exception("WARC on_written callback failed")
        finally:
            with self._pending_lock:
                if self._dead is None:
                    self._dead = RuntimeError(f"WARC writer process ended (exit code {self._process.exitcode})")
                pending, self._pending = self._pending, {}
            for refs in pending.values():
                self._fail(refs, self._dead)
            self._finished.set()

    def close(self, timeout: float | None = None) -> None:
        """Write everything sent, close the current file (renaming it), stop the process. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            with self._send_lock:
                self._conn.send(("close",))
        except OSError:
            pass
        self._finished.wait(timeout)
        self._process.join(timeout)
        if self._process.is_alive():
            logger.error("WARC writer process %s did not stop; terminating it", self._process.pid)
            self._process.terminate()
            self._process.join(5)
        self._conn.close()
