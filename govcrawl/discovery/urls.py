"""Canonical URLs, dedupe keys and the request fingerprinter.

The URL forms live in the neutral :mod:`govcrawl.urlkeys` (the catalog keys reports by them too) and are
re-exported here; this module adds Scrapy's :class:`CanonicalRequestFingerprinter` keyed on :func:`dedupe_key`.
"""

from __future__ import annotations

import hashlib

from scrapy import Request
from scrapy.utils.request import fingerprint

from govcrawl.urlkeys import (
    SESSION_PARAMS,
    TRACKING_PARAMS,
    canonicalize,
    dedupe_key,
    fold_twins,
    has_session_id,
    host_port,
    is_twin,
)

__all__ = [
    "SESSION_PARAMS", "TRACKING_PARAMS", "CanonicalRequestFingerprinter", "canonicalize", "dedupe_digest", "dedupe_key",
    "fold_twins", "has_session_id", "host_port", "is_twin",
]


def dedupe_digest(url: str) -> int:
    """:func:`dedupe_key` as a 64-bit number, for a :class:`govcrawl.discovery.seen.KeySet` (~8 bytes an entry;
    odds of a collision among a million URLs: about 3e-8)."""
    return int.from_bytes(hashlib.blake2b(dedupe_key(url).encode(), digest_size=8).digest(), "big")


class CanonicalRequestFingerprinter:
    """Scrapy ``REQUEST_FINGERPRINTER_CLASS`` keyed on :func:`dedupe_key` (plus method and body).

    Same report reached via http/https, with tracking parameters or a session id, or as a ``_wap`` /
    ``/gate/big5/`` twin is fetched once. Browser-rendered requests (``meta["playwright"]``) get their own
    fingerprint so a challenge retried through the browser is not filtered as a duplicate.
    """

    def __init__(self, crawler: object | None = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: object) -> CanonicalRequestFingerprinter:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        key = "http://" + dedupe_key(request.url)
        if request.meta.get("playwright"):
            key += ("&" if "?" in key else "?") + "__govcrawl_browser=1"
        keyed = Request(key, method=request.method, body=request.body)
        return fingerprint(keyed)
