"""The stub rule: a report URL answering a near-empty body or a meta-refresh removal page is no report.

One pure function on bytes, shared by the spider (which archives such answers but emits no report) and the
offline rebuild (which skips them the same way). Imports nothing of ours.
"""

from __future__ import annotations

import re

_REFRESH_RE = re.compile(rb"<meta[^>]+http-equiv\s*=\s*[\"']?refresh", re.IGNORECASE)
_BODY_TEXT_RE = re.compile(rb"<body[^>]*>(.*?)</body>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(rb"<[^>]+>|&nbsp;|\s+")
MIN_REPORT_BYTES = 64


def stub_kind(body: bytes) -> str | None:
    """``tiny_body`` for a near-empty answer, ``removed_stub`` for a meta-refresh page without text, else None."""
    if len(body.strip()) < MIN_REPORT_BYTES:
        return "tiny_body"
    if len(body) < 4096 and _REFRESH_RE.search(body):
        match = _BODY_TEXT_RE.search(body)
        text = _TAG_RE.sub(b"", match.group(1)) if match else b""
        if len(text) < 20:
            return "removed_stub"
    return None
