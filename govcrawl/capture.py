"""Capture: a fetched report page (or attachment-only report) with its provenance. No dependencies.

The spider yields it as a dataclass item, the WARC reader rebuilds it from the archive, and
:func:`govcrawl.report.build_item` turns it into a report item: one type on every path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: the keys of a capture's WARC location (``Capture.warc`` and the item's ``source``)
SOURCE_WARC_FIELDS = ("warc_filename", "warc_offset", "warc_record_id", "payload_digest", "fetched_at")


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


def warc_location(ref: Any) -> dict[str, Any]:
    """The five WARC location keys of ``ref`` (a mapping or an object with those attributes), missing ones None."""
    if isinstance(ref, dict):
        return {key: ref.get(key) for key in SOURCE_WARC_FIELDS}
    return {key: getattr(ref, key, None) for key in SOURCE_WARC_FIELDS}
