"""Resource limits for documents, checked before a reader inflates anything (decompression bombs).

A 1 MB DOCX can hold a ``word/document.xml`` that inflates to 1 GB, and a 1.5 MB PDF a Flate stream that does:
the readers (python-docx, pdfminer) would inflate them whole. These checks are cheap and bounded, and run
first; the worker pool's OS limits (``RLIMIT_AS``, the per-job watchdog) stand behind them for whatever they
cannot foresee. A document over a limit raises :class:`ResourceLimitExceeded`, which ``build_item`` turns
into the flag ``resource_limit: <limit>`` (and the attachment's ``error``).

Limits (bytes; overridable through the environment so crawl workers, ``rebuild`` and ``parse`` share them):

=========================  =====================================  ===============
limit                      what                                   default
=========================  =====================================  ===============
``zip_member``             one inflated member of a DOCX/ZIP      64 MiB
``zip_total``              all inflated members together          256 MiB
``zip_members``            number of members                      10,000
``pdf_stream``             one inflated Flate stream of a PDF     64 MiB
``pdf_total``              all inflated Flate streams together    512 MiB
``html_bytes``             one HTML/XML/text page, as bytes       32 MiB
=========================  =====================================  ===============

``GOVCRAWL_LIMIT_<NAME>`` (e.g. ``GOVCRAWL_LIMIT_PDF_STREAM=134217728``) overrides one.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from io import BytesIO

MiB = 1024 * 1024
DEFAULT_LIMITS = {
    "zip_member": 64 * MiB,
    "zip_total": 256 * MiB,
    "zip_members": 10_000,
    "pdf_stream": 64 * MiB,
    "pdf_total": 512 * MiB,
    "html_bytes": 32 * MiB,
}
_CHUNK = 64 * 1024
_STREAM_START = re.compile(rb">>\s*stream\r?\n")
_OBJECT_END = re.compile(rb"endobj|endstream")
#: how far before ``stream`` a stream's dictionary is looked for
_DICT_WINDOW = 4096


class ResourceLimitExceeded(ValueError):
    """A document goes past one of the limits; ``limit`` names it (``pdf_stream``, ``zip_member``, ...)."""

    def __init__(self, limit: str, detail: str) -> None:
        super().__init__(f"resource_limit: {limit} ({detail})")
        self.limit = limit
        self.detail = detail


def limit(name: str) -> int:
    """The limit ``name``: ``GOVCRAWL_LIMIT_<NAME>`` from the environment, else the default."""
    value = os.environ.get(f"GOVCRAWL_LIMIT_{name.upper()}")
    return int(value) if value and value.isdigit() else DEFAULT_LIMITS[name]


def check_zip(body: bytes) -> None:
    """Refuse a ZIP (DOCX) whose members would inflate past the limits.

    :mod:`zipfile` stops reading a member at its declared size, so the declared sizes bound what any
    zipfile-based reader can inflate."""
    try:
        with zipfile.ZipFile(BytesIO(body)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a ZIP: the reader says so in its own words
    if len(members) > limit("zip_members"):
        raise ResourceLimitExceeded("zip_members", f"{len(members)} members")
    total = 0
    for member in members:
        if member.file_size > limit("zip_member"):
            raise ResourceLimitExceeded("zip_member", f"{member.filename} inflates to {member.file_size:,} bytes")
        total += member.file_size
    if total > limit("zip_total"):
        raise ResourceLimitExceeded("zip_total", f"members inflate to {total:,} bytes")


def check_markup(body: bytes) -> None:
    """Refuse an HTML/XML/text page larger than ``html_bytes``: a report page is a few hundred KB, and a tree
    and text of a 60 MB page would cost the parser gigabytes."""
    if len(body) > limit("html_bytes"):
        raise ResourceLimitExceeded("html_bytes", f"a {len(body):,}-byte page (limit {limit('html_bytes'):,})")


def inflated_size(data: bytes, start: int, cap: int) -> int:
    """Bytes the zlib stream at ``data[start:]`` inflates to, counting no further than ``cap + 1``."""
    inflater = zlib.decompressobj()
    size, position = 0, start
    try:
        while not inflater.eof and (inflater.unconsumed_tail or position < len(data)):
            chunk = inflater.unconsumed_tail
            if not chunk:
                chunk = data[position:position + _CHUNK]
                position += len(chunk)
            size += len(inflater.decompress(chunk, _CHUNK))
            if size > cap:
                return size
    except zlib.error:
        pass  # a damaged stream: the PDF reader reports it
    return size


def check_pdf(body: bytes) -> None:
    """Refuse a PDF with a Flate stream (or all of them) inflating past the limits."""
    per_stream, total_cap = limit("pdf_stream"), limit("pdf_total")
    total = 0
    for match in _STREAM_START.finditer(body):
        head = body[max(0, match.start() - _DICT_WINDOW):match.start()]
        ends = [end.end() for end in _OBJECT_END.finditer(head)]
        if b"/FlateDecode" not in head[ends[-1] if ends else 0:] and b"/Fl " not in head[ends[-1] if ends else 0:]:
            continue
        size = inflated_size(body, match.end(), per_stream)
        if size > per_stream:
            raise ResourceLimitExceeded("pdf_stream", f"a stream at byte {match.end():,} inflates past "
                                                      f"{per_stream:,} bytes")
        total += size
        if total > total_cap:
            raise ResourceLimitExceeded("pdf_total", f"streams inflate past {total_cap:,} bytes")
