"""The single-process payload-digest index: which payloads the catalog (and this crawl) already archived.

Named by ``GOVCRAWL_PAYLOAD_INDEX`` (the default when the crawl is not distributed), built by the WARC
middleware through ``from_crawler`` and asked :meth:`CatalogPayloadIndex.claim` before a 2xx response is
written: a payload already archived at another URL (the same PDF linked from two pages, a ``/gate/big5/``
mirror) is then written as an identical-payload-digest revisit of that first capture instead of a second copy.

The first claim reads the digests of every full ``response`` capture in the catalog once (earlier runs); claims
of this crawl are kept with them, so two URLs fetched in the same second are deduplicated before the catalog
has recorded either. Both live in a private temporary SQLite database (on disk, dropped on exit, a bounded page
cache), not in a dict: memory stays flat in crawl and catalog size. Disabled (``NotConfigured``) when ``GOVCRAWL_CATALOG`` is "".
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from scrapy.exceptions import NotConfigured

from govcrawl.catalog.crawl import catalog_path_from_settings

logger = logging.getLogger(__name__)

_FIRST_CAPTURES = (
    "SELECT payload_digest, url, fetched_at FROM captures WHERE record_type='response' AND status BETWEEN 200 AND 299"
    " AND payload_digest IS NOT NULL AND fetched_at IS NOT NULL ORDER BY id DESC"
)


class CatalogPayloadIndex:
    """Payload digest -> (URI, WARC-Date) of its first capture: the catalog's captures + this crawl's claims."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._known: sqlite3.Connection | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CatalogPayloadIndex:
        path = catalog_path_from_settings(crawler.settings)
        if not path:
            raise NotConfigured("GOVCRAWL_CATALOG is off: no payload-digest index")
        return cls(path)

    def _load(self) -> sqlite3.Connection:
        known = sqlite3.connect("", isolation_level=None, check_same_thread=False)  # "": a private temporary file
        known.execute("PRAGMA journal_mode=OFF")
        known.execute("PRAGMA synchronous=OFF")
        known.execute("CREATE TABLE known (digest TEXT PRIMARY KEY, uri TEXT, date TEXT) WITHOUT ROWID")
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error as exc:  # no catalog yet (first crawl)
            logger.debug("payload index: no catalog at %s (%s)", self.path, exc)
            return known
        try:  # newest first: the oldest capture wins
            known.execute("BEGIN")
            known.executemany("INSERT OR REPLACE INTO known VALUES (?, ?, ?)", conn.execute(_FIRST_CAPTURES))
            known.execute("COMMIT")
        except sqlite3.Error as exc:  # no captures table yet
            if known.in_transaction:
                known.execute("ROLLBACK")
            logger.debug("payload index: no prior captures in %s (%s)", self.path, exc)
        finally:
            conn.close()
        return known

    def _connection(self) -> sqlite3.Connection:
        if self._known is None:
            self._known = self._load()
            # one transaction for the crawl: a private temporary file needs no commits (a commit per claim
            # wrote its pages to the file each time); past the page cache SQLite spills to that file
            self._known.execute("BEGIN")
        return self._known

    def claim(self, digest: str, uri: str, date: str) -> tuple[str, str] | None:
        """Record ``uri``/``date`` as the first capture of ``digest`` unless one is known: None when this is the
        first, else the (URI, WARC-Date) of the capture a revisit should refer to."""
        known = self._connection()
        if known.execute("INSERT OR IGNORE INTO known VALUES (?, ?, ?)", (digest, uri, date)).rowcount == 1:
            return None  # the first capture of this payload (most are): one statement
        return known.execute("SELECT uri, date FROM known WHERE digest = ?", (digest,)).fetchone()
