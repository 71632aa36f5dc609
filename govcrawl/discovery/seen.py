"""What the crawl has seen, in memory flat in crawl size: :class:`KeySet` (64-bit keys at ~8 bytes each) and
:class:`CompactDupeFilter`, Scrapy's ``DUPEFILTER_CLASS`` on it.

A Python ``set`` of fingerprints costs ~80 bytes an entry (the object plus its slot); over a 100,000-report crawl
the dupefilter and the spider's report keys together grew the crawl process by ~15 MB. A :class:`KeySet` keeps
its keys in a sorted ``array('Q')`` plus a small set of recent keys, merged into the array once the set reaches
an eighth of it, so an entry costs 8 bytes in the array and ~10 on average in the recent set, and a merge copies
each key about eight times over the crawl. A merge holds the reactor ~0.13 µs per key held (~13 ms at 100,000
keys, once per 12,500 new ones; ~130 ms at a million). Keys are 64-bit: among a million URLs the odds that two
share a key are about 3 in 100 million.
"""

from __future__ import annotations

import heapq
import logging
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from scrapy.dupefilters import BaseDupeFilter
from scrapy.utils.job import job_dir
from scrapy.utils.request import referer_str

logger = logging.getLogger(__name__)

#: the recent-key set is merged into the sorted array from this size on (and from 1/MERGE_FRACTION of it)
MERGE_MIN = 4096
MERGE_FRACTION = 8
#: the JOBDIR file of :class:`CompactDupeFilter`: one 8-byte big-endian key per request seen
SEEN_FILE = "govcrawl-seen.u64"
#: Scrapy's own filter's file: a 2-byte big-endian length, then the fingerprint, per request
LEGACY_SEEN_FILE = "requests.seen"


def key64(digest: bytes) -> int:
    """The first 8 bytes of a digest as an unsigned 64-bit key."""
    return int.from_bytes(digest[:8], "big")


def _scrapy_seen(path: Path) -> Iterable[int]:
    """The keys of the fingerprints in a ``requests.seen`` file of Scrapy's ``RFPDupeFilter`` (none if absent)."""
    data = path.read_bytes() if path.is_file() else b""
    position = 0
    while position + 2 <= len(data):
        size = int.from_bytes(data[position:position + 2], "big")
        if position + 2 + size > len(data):
            break
        yield key64(data[position + 2:position + 2 + size])
        position += 2 + size


class KeySet:
    """A set of unsigned 64-bit ints: ``in``, ``add``, ``len``; ~8 bytes an entry (module docstring)."""

    def __init__(self, keys: Iterable[int] = ()) -> None:
        self._sorted = array("Q")
        self._recent: set[int] = set()
        for key in keys:
            self.add(key)

    def __contains__(self, key: int) -> bool:
        if key in self._recent:
            return True
        index = bisect_left(self._sorted, key)
        return index < len(self._sorted) and self._sorted[index] == key

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def add(self, key: int) -> bool:
        """Add ``key``; False when it was there already."""
        if key in self:
            return False
        self._recent.add(key)
        if len(self._recent) >= max(MERGE_MIN, len(self._sorted) // MERGE_FRACTION):
            self._merge()
        return True

    def _merge(self) -> None:
        self._sorted = array("Q", heapq.merge(self._sorted, sorted(self._recent)))
        self._recent = set()


class CompactDupeFilter(BaseDupeFilter):
    """Scrapy's duplicate filter (same fingerprints: ``REQUEST_FINGERPRINTER_CLASS``) on a :class:`KeySet`.

    With ``JOBDIR`` the keys seen are appended to ``<JOBDIR>/govcrawl-seen.u64`` and read back when the job
    resumes. Filtered requests are counted in ``dupefilter/filtered`` and logged as Scrapy's filter does.
    """

    def __init__(self, path: str | None = None, debug: bool = False, *, fingerprinter: Any) -> None:
        self.fingerprinter = fingerprinter
        self.debug = debug
        self.logdupes = True
        self.keys = KeySet()
        self.file: BinaryIO | None = None
        if path:
            self.file = Path(path, SEEN_FILE).open("a+b")
            self.file.seek(0)
            data = self.file.read()
            whole = len(data) - len(data) % 8  # a record cut short by a kill is ignored
            self.keys = KeySet(int.from_bytes(data[i:i + 8], "big") for i in range(0, whole, 8))
            if whole != len(data):
                self.file.truncate(whole)
            for key in _scrapy_seen(Path(path, LEGACY_SEEN_FILE)):  # a job begun before this filter was used
                self.keys.add(key)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CompactDupeFilter:
        return cls(job_dir(crawler.settings), crawler.settings.getbool("DUPEFILTER_DEBUG"),
                   fingerprinter=crawler.request_fingerprinter)

    def request_seen(self, request: Any) -> bool:
        key = key64(self.fingerprinter.fingerprint(request))
        if not self.keys.add(key):
            return True
        if self.file is not None:
            self.file.write(key.to_bytes(8, "big"))
        return False

    def close(self, reason: str) -> None:
        if self.file is not None:
            self.file.close()

    def log(self, request: Any, spider: Any) -> None:
        if self.debug or self.logdupes:
            logger.debug("Filtered duplicate request: %(request)s (referer: %(referer)s)",
                         {"request": request, "referer": referer_str(request)}, extra={"spider": spider})
            self.logdupes = self.debug
        spider.crawler.stats.inc_value("dupefilter/filtered")
