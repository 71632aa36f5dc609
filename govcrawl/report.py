"""build_item: the one extract -> normalise -> parse path shared by the live crawl and the offline rebuild."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Capture:
    """A report page (or attachment-only report) as fetched, with where and why it was fetched."""

    url: str
    body: bytes
    content_type: str | None = None
    status: int | None = 200
    discovery: dict[str, Any] = field(default_factory=dict)
    warc: dict[str, Any] | None = None
    attachments: list[Capture] = field(default_factory=list)
