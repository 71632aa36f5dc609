"""Repair ``.warc.gz.open`` files left by a crash: cut back to the last complete record, then close.

govcrawl writes one gzip member per WARC record, so "last complete record" = the end of the last gzip
member that decompresses completely and holds a whole record (WARC headers + Content-Length bytes + CRLF
CRLF). ``govcrawl repair [DIR|FILE…]`` runs it from the command line; the WARC middleware calls
:func:`repair_directory` when a crawl starts.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import socket
import zlib
from dataclasses import dataclass

from govcrawl.warc.rotation import OPEN_PATHS, OPEN_SUFFIX, safe_hostname

_CHUNK = 1 << 20
_NAME_RE = re.compile(r"-(?P<host>[^-]+)-(?P<pid>\d+)\.warc\.gz\.open$")


@dataclass
class RepairReport:
    """What :func:`repair_open_file` did to one file."""

    path: str            # the closed file (or the .open path if it was removed)
    original_size: int
    kept_size: int
    records_kept: int
    removed: bool = False  # nothing complete was left, the file was deleted

    @property
    def bytes_cut(self) -> int:
        return self.original_size - self.kept_size

    def __str__(self) -> str:
        if self.removed:
            return f"{self.path}: no complete record, removed ({self.original_size} bytes)"
        return (f"{self.path}: kept {self.records_kept} records, {self.kept_size} bytes; "
                f"cut {self.bytes_cut} bytes")


def _record_complete(head: bytes, total: int) -> bool:
    """Does a decompressed member of ``total`` bytes starting with ``head`` hold one whole WARC record?"""
    if not head.startswith(b"WARC/"):
        return False
    end = head.find(b"\r\n\r\n")
    if end < 0:
        return False
    match = re.search(rb"\r\nContent-Length:\s*(\d+)", head[:end + 2], re.IGNORECASE)
    if not match:
        return False
    return total >= end + 4 + int(match.group(1)) + 4


def scan_complete_members(path: str) -> tuple[int, int]:
    """Return (offset after the last complete record, number of complete records) of a per-record .warc.gz."""
    good_end = 0
    records = 0
    with open(path, "rb") as handle:
        pos = 0
        data = b""
        while True:
            # start a member at pos
            handle.seek(pos)
            decomp = zlib.decompressobj(31)
            consumed = 0
            head = b""
            total = 0
            data = handle.read(_CHUNK)
            if not data:
                break
            try:
                while True:
                    out = decomp.decompress(data)
                    total += len(out)
                    if len(head) < 65536:
                        head += out[:65536 - len(head)]
                    if decomp.eof:
                        consumed += len(data) - len(decomp.unused_data)
                        break
                    consumed += len(data)
                    data = handle.read(_CHUNK)
                    if not data:
                        return good_end, records  # member cut short
            except zlib.error:
                return good_end, records
            if not _record_complete(head, total):
                return good_end, records
            pos += consumed
            good_end = pos
            records += 1
    return good_end, records


def repair_open_file(path: str | os.PathLike[str]) -> RepairReport:
    """Cut ``NAME.warc.gz.open`` back to its last complete record and rename it ``NAME.warc.gz``.

    A file with no complete record at all is deleted (``removed=True``). Raises ValueError for a path not
    ending in ``.open`` and FileExistsError if the closed name is already taken.
    """
    path = os.fspath(path)
    if not path.endswith(OPEN_SUFFIX):
        raise ValueError(f"not an .open WARC file: {path}")
    closed = path[: -len(OPEN_SUFFIX)]
    if os.path.exists(closed):
        raise FileExistsError(f"{closed} exists; not overwriting it with {path}")
    original_size = os.path.getsize(path)
    keep, records = scan_complete_members(path)
    if keep == 0:
        os.remove(path)
        return RepairReport(path, original_size, 0, 0, removed=True)
    with open(path, "r+b") as handle:
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(path, closed)
    return RepairReport(closed, original_size, keep, records)


def _is_zombie(pid: int) -> bool:
    """True when ``pid`` has exited but was not reaped yet (state ``Z`` in Linux ``/proc/<pid>/stat``)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return False
    # "pid (comm) state ...": comm may hold spaces and parentheses, so split after the last ')'
    return stat.rpartition(b")")[2].split()[:1] == [b"Z"]


def _writer_alive(path: str) -> bool:
    """Might a live writer still own this file? (another host, or a running, non-zombie pid of this host.)"""
    if os.path.abspath(path) in OPEN_PATHS:
        return True
    match = _NAME_RE.search(os.path.basename(path))
    if not match:
        return False
    if match.group("host") != safe_hostname():
        return True
    pid = int(match.group("pid"))
    if pid == os.getpid():
        return False  # this process does not have it open (checked above): left by an earlier crash
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM and not _is_zombie(pid)
    return not _is_zombie(pid)  # a zombie answers kill(pid, 0) but writes nothing any more


def find_open_files(paths: list[str]) -> list[str]:
    """``.warc.gz.open`` files among paths (files, or directories searched recursively)."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            for root, _dirs, files in os.walk(path):
                found += [os.path.join(root, name) for name in sorted(files) if name.endswith(".warc.gz.open")]
        elif path.endswith(".open"):
            found.append(path)
    return found


def repair_directory(directory: str | os.PathLike[str], *, force: bool = False) -> list[RepairReport]:
    """Repair every ``.open`` file under a directory whose writer is gone (the crawl calls this on start).

    Files still being written by a live process of this host (pid in the file name), and files written by
    another host (its crawl may be running), are left alone unless ``force``.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return []
    reports = []
    for path in find_open_files([directory]):
        if not force and _writer_alive(path):
            continue
        reports.append(repair_open_file(path))
    return reports


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["archive"], metavar="DIR|FILE",
                        help="directories to search for .warc.gz.open files, or such files (default: archive)")
    parser.add_argument("--force", action="store_true",
                        help="also repair files whose writer process looks alive or ran on another host")


def run(args: argparse.Namespace) -> int:
    """``govcrawl repair``: print one line per repaired file; exit 1 if any file could not be repaired."""
    status = 0
    files = find_open_files(list(args.paths))
    if not files:
        print("no .warc.gz.open files found")
        return 0
    for path in files:
        if not args.force and _writer_alive(path):
            print(f"{path}: skipped, its writer ({socket.gethostname()} pid in the name) may still be running; "
                  "use --force")
            continue
        try:
            print(repair_open_file(path))
        except (OSError, ValueError) as exc:
            print(f"{path}: ERROR {exc}")
            status = 1
    return status
