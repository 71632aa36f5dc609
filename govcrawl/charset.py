"""Bytes -> text for web pages: BOM, HTTP charset, ``<meta charset>``, and fallbacks for mis-declared pages.

Rules (domain guide §3):

* a BOM wins;
* GB2312/GBK (and their aliases) are decoded as GB18030, their superset, so rare characters survive;
* bytes that are valid UTF-8 and contain multi-byte sequences are UTF-8 whatever the declaration says
  (GBK text is practically never valid UTF-8, while UTF-8 text often decodes "cleanly" as GB18030 garbage);
* otherwise the HTTP header charset, then the ``<meta>`` charset, is tried strictly; a declared charset that
  produces decode errors is kept only if replacement characters stay at or below ~2% of the text, else the
  better of UTF-8 and GB18030 is used;
* with no declaration: UTF-8 strictly, then GB18030;
* NUL bytes (after the BOM check) are removed first and counted in ``DecodedText.nuls``.

Content codings (the layer below the charset): :data:`ACCEPT_ENCODING` is the one ``Accept-Encoding`` the crawl
advertises (settings and the WARC middleware read it): only what warcio can decode on replay, ``gzip, deflate``
and ``br`` when the ``brotli`` module is importable, never ``zstd``. :func:`gzip_truncated` tells a gzip body
cut short in transit from a whole one (the crawl flags the first ``truncated_gzip``).
"""

from __future__ import annotations

import codecs
import importlib.util
import re
import zlib
from dataclasses import dataclass, replace

#: content codings warcio can decode on replay, in order of preference (``br`` needs the ``brotli`` module)
DECODABLE_ENCODINGS: tuple[str, ...] = (
    ("gzip", "deflate", "br") if importlib.util.find_spec("brotli") is not None else ("gzip", "deflate"))
#: the ``Accept-Encoding`` request header value of every crawl request
ACCEPT_ENCODING = ", ".join(DECODABLE_ENCODINGS)
#: replacement characters above this share of the decoded text mean "wrong charset"
REPLACEMENT_RATIO_LIMIT = 0.02

_GB_ALIASES = {"gb2312", "gb_2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "euc-cn",
               "csgb2312", "iso-ir-58", "chinese", "gb18030", "hz-gb-2312"}
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True)
class DecodedText:
    """Decoded text and how the charset was chosen."""

    text: str
    encoding: str             # the codec actually used (normalised name, e.g. "utf-8", "gb18030")
    declared: str | None      # the charset the page claimed (HTTP header first, then <meta>), normalised
    source: str               # "bom" | "http" | "meta" | "sniff"
    replaced: int = 0         # number of U+FFFD produced (0 when the decode was strict)
    nuls: int = 0             # NUL bytes removed before decoding (a few stray ones must not make a page "binary")

    @property
    def mismatch(self) -> bool:
        """True when the page declared a charset that was not the one used."""
        return self.declared is not None and self.declared != self.encoding


def normalise_charset(name: str | None) -> str | None:
    """Map a declared charset label to a Python codec name; GB family -> gb18030; unknown -> None."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if label in _GB_ALIASES:
        return "gb18030"
    if label in ("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        return "utf-8"
    if label in ("big5", "big5-hkscs", "x-x-big5", "cn-big5"):
        return "big5hkscs"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, normalised."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return normalise_charset(match.group(1)) if match else None


def meta_charset(body: bytes, scan_bytes: int = 4096) -> str | None:
    """The charset of the first ``<meta charset>`` / ``http-equiv`` declaration in the head, normalised."""
    match = _META_CHARSET.search(body[:scan_bytes])
    if not match:
        return None
    return normalise_charset(match.group(1).decode("ascii", "replace"))


def _is_utf8_multibyte(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _lenient(body: bytes, encoding: str) -> tuple[str, int]:
    text = body.decode(encoding, errors="replace")
    return text, text.count("\ufffd")


def decode_body(body: bytes, content_type: str | None = None) -> DecodedText:
    """Decode a page body, choosing the charset as the module docstring describes."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text, replaced = _lenient(body, codec)
            return DecodedText(text, "utf-8" if codec == "utf-8-sig" else codec, codec, "bom", replaced)

    # NUL bytes are never text in an ASCII-compatible page (only UTF-16/32, which needs its BOM above)
    nuls = body.count(b"\0")
    if nuls:
        return replace(decode_body(body.replace(b"\0", b""), content_type), nuls=nuls)

    # Without a BOM a UTF-16/32 declaration is wrong (the head we just read was ASCII-compatible): ignore it.
    from_header, from_meta = (
        None if (enc or "").startswith(("utf-16", "utf-32")) else enc
        for enc in (header_charset(content_type), meta_charset(body))
    )
    declared = from_header or from_meta
    declared_source = "http" if from_header else "meta"

    if _is_utf8_multibyte(body):
        source = declared_source if declared == "utf-8" else "sniff"
        return DecodedText(body.decode("utf-8"), "utf-8", declared, source)

    candidates: list[tuple[str, str]] = []
    for encoding, source in ((from_header, "http"), (from_meta, "meta")):
        if encoding and all(encoding != c for c, _ in candidates):
            candidates.append((encoding, source))
    for encoding, source in candidates:
        text = _strict(body, encoding)
        if text is not None:
            return DecodedText(text, encoding, declared, source)

    # No declaration decodes cleanly: sniff UTF-8 (already excluded above unless ASCII) then GB18030.
    if not candidates:
        text = _strict(body, "utf-8")
        if text is not None:
            return DecodedText(text, "utf-8", None, "sniff")
    best: DecodedText | None = None
    for encoding, source in candidates:
        text, replaced = _lenient(body, encoding)
        if replaced <= REPLACEMENT_RATIO_LIMIT * max(1, len(text)):
            return DecodedText(text, encoding, declared, source, replaced)
    for encoding in ("gb18030", "utf-8"):
        text, replaced = _lenient(body, encoding)
        if best is None or replaced < best.replaced:
            best = DecodedText(text, encoding, declared, "sniff", replaced)
    assert best is not None
    return best


def gzip_truncated(body: bytes, limit: int) -> bool:
    """True when the gzip stream ``body`` is cut short: its final inflate fails or never reaches the end of
    the stream, or the trailer's ISIZE disagrees with the inflated length (counted up to ``limit`` bytes,
    never held in memory). A body that is no gzip at all is not "truncated"."""
    if body[:2] != b"\x1f\x8b":
        return False
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    size, pending = 0, body
    try:
        while pending and not inflater.eof:
            size += len(inflater.decompress(pending, 1 << 20))
            pending = inflater.unconsumed_tail
            if limit and size > limit:
                return False  # over the download limit: Scrapy refuses it on its own
    except zlib.error:  # damaged after the gzip magic: what inflated before the damage is a partial body
        return True
    if not inflater.eof:
        return True
    end = len(body) - len(inflater.unused_data)
    return int.from_bytes(body[end - 4:end], "little") != size % 2**32
