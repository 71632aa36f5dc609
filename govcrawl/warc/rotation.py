"""Rotating WARC files: naming, the ``.open`` -> rename discipline, a warcinfo record per file, per-record gzip.

Files are named ``{prefix}-{UTC timestamp}-{serial:05d}-{hostname}-{pid}.warc.gz``, written as
``NAME.warc.gz.open`` and renamed when closed. Every record is serialised by warcio's ``WARCWriter`` (uncompressed)
and gzipped here as its own member, then flushed to the OS at once, so a crash (even SIGKILL) loses at most the
record group in progress; :func:`govcrawl.warc.repair.repair_open_file` cuts such a file back to its last complete
record. A file is closed once it passes ``max_size`` bytes (``GOVCRAWL_WARC_MAX_SIZE``).

**Disk full.** When a write (or fsync) fails with ``ENOSPC``, ``EDQUOT`` or ``EFBIG`` (a file-size limit, with
``SIGXFSZ`` ignored), the file is cut back to the end of its last whole record, closed and renamed; that group and
every later one fail with :class:`WarcDiskFull`, and no new file is opened. Other write errors also cut the file
back (the group fails; the file stays open for the next group).
"""

from __future__ import annotations

import errno
import itertools
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

from govcrawl.warc.records import WARC_VERSION, build_warcinfo_record

OPEN_SUFFIX = ".open"
DEFAULT_MAX_SIZE = 1_000_000_000
_SERIAL = itertools.count(1)
_SERIAL_LOCK = threading.Lock()
#: absolute paths of the .open files writers of this process hold (repair leaves them alone)
OPEN_PATHS: set[str] = set()
#: errno values meaning "no room left": the writer stops (disk or quota full, file-size limit)
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class WarcDiskFull(Exception):
    """The archive's disk (or quota, or file-size limit) is full: this record group was not written, nor will any
    later one be. ``str()`` says which file was cut back to which size; picklable (one message argument)."""


def safe_hostname() -> str:
    """This host's name as it appears in WARC file names (no ``-`` or ``/``)."""
    return socket.gethostname().replace("-", "_").replace("/", "_") or "localhost"


def gzip_member(data: bytes, level: int) -> bytes:
    """One gzip member holding ``data``."""
    return zlib.compress(data, level, zlib.MAX_WBITS + 16)


@dataclass(frozen=True)
class RecordLocation:
    """Where one record was written: file name (closed name, no directory), offset and length in bytes."""

    filename: str
    offset: int
    length: int


@dataclass(frozen=True)
class GroupLocations:
    """Where a record group went: one location per record, and the warcinfo record of a file opened for it."""

    records: list[RecordLocation]
    warcinfo: RecordLocation | None = None


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
        self.last_write = time.monotonic()
        self._lock = threading.Lock()
        self._file: Any = None
        self._pos = 0
        self._records_start = 0  # where the current file's first group begins (after its warcinfo)
        self._name: str | None = None
        self._last_fsync = 0.0
        self._final = False
        self.disk_full: WarcDiskFull | None = None
        self._buffer = BytesIO()
        self._serialiser = WARCWriter(self._buffer, gzip=False, warc_version=WARC_VERSION)
        os.makedirs(self.directory, exist_ok=True)

    @property
    def current_path(self) -> str | None:
        """Path of the ``.open`` file being written, if any."""
        return os.path.join(self.directory, self._name + OPEN_SUFFIX) if self._name else None

    def _new_name(self) -> str:
        with _SERIAL_LOCK:
            serial = next(_SERIAL)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        return f"{self.prefix}-{stamp}-{serial:05d}-{safe_hostname()}-{os.getpid()}.warc.gz"

    def _member(self, record: ArcWarcRecord) -> bytes:
        """The record as warcio's ``WARCWriter`` writes it, gzipped as one member at our level."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._serialiser.write_record(record)
        return gzip_member(self._buffer.getvalue(), self.compresslevel)

    def _open(self) -> RecordLocation:
        self._name = self._new_name()
        path = os.path.abspath(os.path.join(self.directory, self._name + OPEN_SUFFIX))
        self._file = open(path, "xb", buffering=0)  # unbuffered: a failed write leaves nothing queued to flush
        OPEN_PATHS.add(path)
        self._pos = self._records_start = 0
        try:
            (warcinfo,) = self._write_now([build_warcinfo_record(self._name, self.info)])
        except OSError:
            if self._file is not None:  # not a full disk (that removed it): drop the file without its warcinfo
                self._drop_current()
            raise
        self._records_start = self._pos
        if self.on_file_opened:
            self.on_file_opened(warcinfo)
        return warcinfo

    def _write_now(self, records: Sequence[ArcWarcRecord]) -> list[RecordLocation]:
        """Write the records' members at once; their locations follow from their lengths. On a write (or fsync)
        error the file is cut back to where the group began (:meth:`_cut_back`) and the error raised."""
        assert self._file is not None and self._name is not None
        members = [self._member(record) for record in records]
        now = self.last_write = time.monotonic()
        try:
            self._write_all(b"".join(members))
            if self.fsync_interval >= 0 and now - self._last_fsync >= self.fsync_interval:
                self._last_fsync = now
                os.fsync(self._file.fileno())
        except OSError as exc:
            self._cut_back(exc)
            raise
        locations = []
        for member in members:
            locations.append(RecordLocation(self._name, self._pos, len(member)))
            self._pos += len(member)
        self.records_written += len(members)
        self.bytes_written += sum(len(member) for member in members)
        return locations

    def _write_all(self, data: bytes) -> None:
        """Write ``data`` whole: a short write (a size limit reached mid-way) is continued, so it ends in an error."""
        view = memoryview(data)
        while view:
            written = self._file.write(view)
            if not written:
                raise OSError(errno.EIO, "write returned 0")
            view = view[written:]

    def _drop_current(self, *, remove: bool = True) -> None:
        """Close the current file without renaming it; ``remove``: delete it (else it is left for repair)."""
        path = self.current_path
        assert path is not None
        self._file.close()
        if remove:
            os.remove(path)
        OPEN_PATHS.discard(os.path.abspath(path))
        self._file = self._name = None

    def _cut_back(self, error: OSError) -> None:
        """A write failed: truncate the file to its last whole record; on a full disk also close it and stop
        (:attr:`disk_full` says what was kept; every later group fails with it)."""
        assert self._file is not None and self._name is not None
        name, pos = self._name, self._pos
        try:
            os.ftruncate(self._file.fileno(), pos)
            truncated = True
        except OSError:
            truncated = False
        if error.errno not in DISK_FULL_ERRNOS and truncated:
            return
        self._final = True
        if not truncated:
            self._drop_current(remove=False)
            kept = "left .open with a torn tail for `govcrawl repair`"
        elif pos <= self._records_start:  # nothing but (part of) its warcinfo record
            self._drop_current()
            kept = "removed (it held no record but its warcinfo)"
        else:
            self._close_current(sync=False)
            kept = f"cut back to its last whole record ({pos} bytes) and closed"
        state = "full" if error.errno in DISK_FULL_ERRNOS else "not writable"  # (a failed cut: stop all the same)
        self.disk_full = WarcDiskFull(f"WARC archive {state} writing {name} ({error.strerror or error}): the file "
                                      f"was {kept}; no more records are written")

    def write_group(self, records: Sequence[ArcWarcRecord]) -> list[RecordLocation]:
        """Write records adjacently (opening a file if needed); rotate afterwards if the file is full."""
        return self.write_group_located(records).records

    def write_group_located(self, records: Sequence[ArcWarcRecord]) -> GroupLocations:
        """:meth:`write_group`, also telling the warcinfo record of a file opened for the group."""
        with self._lock:
            if self.disk_full is not None:
                raise WarcDiskFull(*self.disk_full.args)
            if self._final:
                raise RuntimeError(f"WARC writer of {self.directory} is closed")
            try:
                warcinfo = self._open() if self._file is None else None
                locations = self._write_now(records)
            except OSError as exc:
                if self.disk_full is not None:
                    raise WarcDiskFull(*self.disk_full.args) from exc
                raise
            if self._pos >= self.max_size:
                self._close_current()
            return GroupLocations(locations, warcinfo)

    def _close_current(self, *, sync: bool = True) -> None:
        if self._file is None:
            return
        if sync:
            os.fsync(self._file.fileno())
        self._file.close()
        closed = os.path.join(self.directory, self._name)
        os.replace(closed + OPEN_SUFFIX, closed)
        OPEN_PATHS.discard(os.path.abspath(closed + OPEN_SUFFIX))
        self.closed_files.append(closed)
        self._file = self._name = None

    def close(self, *, final: bool = False) -> None:
        """Close the current file (renaming it from ``.open``); ``final``: refuse later writes. Safe to call twice."""
        with self._lock:
            self._close_current()
            self._final = self._final or final

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
