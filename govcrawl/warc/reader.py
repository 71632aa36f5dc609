"""Read captures back out of WARC files (for ``govcrawl rebuild``), with warcio only, no network.

Two passes. :func:`index_captures` scans the records' headers (payloads are skipped, not decoded) and
joins every ``metadata`` record whose JSON says ``role`` = ``report``/``attachment`` with the response (or
revisit) it is ``WARC-Concurrent-To``; revisits are resolved to an original response with the same payload
digest (preferring ``WARC-Refers-To-Target-URI``/``-Date``). A 304 (server-not-modified) revisit is never a
capture, even when an older archive has metadata for it: the crawl emitted no item for it.
A browser-rendered page is a ``conversion`` record (the DOM as the spider saw it): when metadata names it
a report/attachment it is its own payload; rendered list pages have no such metadata and yield nothing. :func:`load_capture` then seeks to each record and
reads its payload with warcio's content stream, which removes chunking and ``Content-Encoding``, so the bytes
equal what the spider saw. Files may be ``.warc`` or ``.warc.gz``, closed or still ``.open`` (a truncated tail
ends the scan of that file; it is not an error).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from govcrawl.capture import Capture, warc_location
from govcrawl.warc.files import OPEN_SUFFIX, warc_files
from govcrawl.warc.records import capture_uri_of_metadata

__all__ = ["CaptureRef", "RecordRef", "index_captures", "iter_captures", "load_capture", "read_payload",
           "scan_file", "warc_files"]

logger = logging.getLogger(__name__)

#: status a rendered page (``conversion`` record) is read back with: the crawl archives metadata for one only when
#: the spider received it as a success (a 2xx navigation, or a JS challenge the browser passed)
CONVERSION_STATUS = 200
#: WARC-Profile of a revisit recording a 304 answer (WARC 1.0 and 1.1 URIs share the suffix)
NOT_MODIFIED_PROFILE_SUFFIX = "/revisit/server-not-modified"
#: the status code in a status line, whether or not the line repeats the protocol ("HTTP/1.1 200 OK")
_STATUS = re.compile(r"(?:^|\s)([1-5]\d\d)(?:\s|$)")


@dataclass(frozen=True)
class RecordRef:
    """Where one response record lives and what its headers say."""

    path: str
    offset: int
    record_id: str
    uri: str
    date: str
    payload_digest: str | None
    status: int | None
    content_type: str | None
    record_type: str = "response"           # "response" | "revisit" | "conversion"
    refers_to_uri: str | None = None
    refers_to_date: str | None = None
    profile: str | None = None              # WARC-Profile of a revisit
    refers_to: str | None = None            # WARC-Refers-To of a revisit (the original's record id)
    etag: str | None = None                 # HTTP validators of the answer (the catalog keeps them)
    last_modified: str | None = None

    @property
    def filename(self) -> str:
        """The archive file name as the crawl reported it (basename, without the ``.open`` suffix)."""
        name = os.path.basename(self.path)
        return name[: -len(OPEN_SUFFIX)] if name.endswith(OPEN_SUFFIX) else name

    # the record's location in the vocabulary of an item's ``source`` (see :func:`govcrawl.capture.warc_location`)
    @property
    def warc_filename(self) -> str:
        return self.filename

    @property
    def warc_offset(self) -> int:
        return self.offset

    @property
    def warc_record_id(self) -> str:
        return self.record_id

    @property
    def fetched_at(self) -> str:
        return self.date


@dataclass
class CaptureRef:
    """A report capture found in the archive: its record, the payload's record, discovery, attachments."""

    record: RecordRef                 # the response/revisit the metadata points at (source of `warc`)
    payload_record: RecordRef | None  # where the payload bytes are (the record itself, or a revisit's original)
    discovery: dict[str, Any]
    attachments: list[CaptureRef] = field(default_factory=list)

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """(url, fetch date, record id): one URL's captures in time order, ties broken by record id."""
        return (self.record.uri, self.record.date or "", self.record.record_id)


def _http_fields(record: Any) -> dict[str, Any]:
    """Status, content type and validators from a record's HTTP headers (all None without them)."""
    headers = record.http_headers
    if headers is None:
        return {"status": None, "content_type": None}
    match = _STATUS.search(headers.statusline or "")
    return {"status": int(match.group(1)) if match else None, "content_type": headers.get_header("Content-Type"),
            "etag": headers.get_header("ETag"), "last_modified": headers.get_header("Last-Modified")}


def scan_file(path: str) -> Iterator[tuple[str, RecordRef | None, dict[str, Any] | None]]:
    """Yield ``(kind, RecordRef, None)`` for response/revisit/conversion records and ``("metadata", None, fields)``
    (fields include ``_concurrent_to``) for JSON metadata records of one file."""
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle, no_record_parse=False)
        try:
            for record in iterator:
                kind = record.rec_type
                headers = record.rec_headers
                if not kind:
                    raise ValueError(f"unparseable record at offset {iterator.get_record_offset()}")
                if kind in ("response", "revisit", "conversion"):
                    if kind == "conversion":  # a rendered DOM: no HTTP headers, the WARC Content-Type says it all
                        http = {"status": CONVERSION_STATUS, "content_type": headers.get_header("Content-Type")}
                    else:
                        http = _http_fields(record)
                    yield kind, RecordRef(
                        path=path, offset=iterator.get_record_offset(),
                        record_id=headers.get_header("WARC-Record-ID"),
                        uri=headers.get_header("WARC-Target-URI"), date=headers.get_header("WARC-Date"),
                        payload_digest=headers.get_header("WARC-Payload-Digest"), record_type=kind,
                        refers_to_uri=headers.get_header("WARC-Refers-To-Target-URI"),
                        refers_to_date=headers.get_header("WARC-Refers-To-Date"),
                        profile=headers.get_header("WARC-Profile"),
                        refers_to=headers.get_header("WARC-Refers-To"), **http,
                    ), None
                elif kind == "metadata" and "json" in (headers.get_header("Content-Type") or ""):
                    try:
                        fields = json.loads(record.content_stream().read().decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        logger.warning("unreadable metadata record in %s", path)
                        continue
                    if isinstance(fields, dict):
                        fields["_concurrent_to"] = headers.get_header("WARC-Concurrent-To")
                        fields["_uri"] = capture_uri_of_metadata(headers.get_header("WARC-Target-URI"))
                        yield "metadata", None, fields
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
            if not path.endswith(OPEN_SUFFIX):
                raise ValueError(f"{path}: damaged WARC file: {exc}") from exc
            logger.info("%s: stopped at the truncated tail of an unclosed file (%s)", path, exc)


def index_captures(paths: Iterable[str | os.PathLike[str]]) -> list[CaptureRef]:
    """Report captures in the archive, sorted by (url, date, record id), attachments joined to their page."""
    records: dict[str, RecordRef] = {}
    by_digest: dict[str, list[RecordRef]] = {}
    metadata: list[dict[str, Any]] = []
    for path in warc_files(paths):
        for kind, ref, fields in scan_file(path):
            if ref is not None:
                records[ref.record_id] = ref
                if kind == "response" and ref.payload_digest:
                    by_digest.setdefault(ref.payload_digest, []).append(ref)
            elif fields is not None and fields.get("role") in ("report", "attachment"):
                metadata.append(fields)

    def payload_of(ref: RecordRef) -> RecordRef | None:
        if ref.record_type in ("response", "conversion"):
            return ref
        candidates = by_digest.get(ref.payload_digest or "", [])
        exact = [c for c in candidates if c.uri == ref.refers_to_uri and c.date == ref.refers_to_date]
        same_uri = [c for c in candidates if c.uri == (ref.refers_to_uri or ref.uri)]
        chosen = exact or same_uri or candidates
        return min(chosen, key=lambda c: (c.date, c.record_id)) if chosen else None

    reports: list[CaptureRef] = []
    attachments: dict[str, list[CaptureRef]] = {}
    for fields in metadata:
        record = records.get(fields.get("_concurrent_to") or "")
        if record is None:
            logger.warning("metadata for %s points at a missing record %s", fields.get("_uri"),
                           fields.get("_concurrent_to"))
            continue
        if record.record_type == "revisit" and (record.profile or "").endswith(NOT_MODIFIED_PROFILE_SUFFIX):
            continue  # a 304 re-validation: the crawl emitted nothing for it (older archives have metadata here)
        discovery = {k: v for k, v in fields.items() if k not in ("role", "_concurrent_to", "_uri")}
        capture = CaptureRef(record=record, payload_record=payload_of(record), discovery=discovery)
        if fields["role"] == "report":
            reports.append(capture)
        else:
            attachments.setdefault(str(fields.get("parent_url") or ""), []).append(capture)
    for report in reports:
        found = attachments.get(report.record.uri, [])
        report.attachments = sorted(found, key=lambda a: a.sort_key)
    reports.sort(key=lambda r: r.sort_key)
    return reports


def read_payload(ref: RecordRef) -> bytes:
    """The record's HTTP payload with transfer and content encodings removed (warcio content stream)."""
    with open(ref.path, "rb") as handle:
        handle.seek(ref.offset)
        record = next(iter(ArchiveIterator(handle)))
        if record.rec_headers.get_header("WARC-Record-ID") != ref.record_id:
            raise ValueError(f"{ref.path}@{ref.offset}: expected record {ref.record_id}")
        return record.content_stream().read()


def load_capture(capture: CaptureRef) -> Capture:
    """Materialise a :class:`Capture` (same shape the live pipeline builds) from an indexed capture."""
    record = capture.record
    body = read_payload(capture.payload_record) if capture.payload_record is not None else b""
    payload = capture.payload_record or record
    discovery = {k: v for k, v in capture.discovery.items() if k != "parent_url"}
    return Capture(
        url=record.uri, body=body, content_type=payload.content_type,
        status=payload.status if record.record_type == "revisit" else record.status,
        discovery=discovery,
        warc=warc_location(record),
        attachments=[load_capture(a) for a in capture.attachments],
    )


def iter_captures(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Capture]:
    """Every report capture in the archive as a :class:`Capture`, in (url, date, record id) order."""
    for capture in index_captures(paths):
        yield load_capture(capture)
