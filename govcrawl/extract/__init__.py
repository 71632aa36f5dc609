"""Bytes of a fetched document -> :class:`ExtractedDocument` (text, grids, page metadata). No Scrapy here.

``extract_document(body, content_type, url)`` picks the reader by magic bytes first (``%PDF``, a ZIP holding
``word/``, an OLE compound file), then the Content-Type, then the URL's extension, then a sniff for markup.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from govcrawl.charset import DecodedText, decode_body, gzip_truncated
from govcrawl.extract.docx import UnsupportedFormat, extract_docx, extract_legacy_word
from govcrawl.extract.html import extract_html
from govcrawl.extract.limits import ResourceLimitExceeded, check_markup
from govcrawl.extract.pdf import extract_pdf
from govcrawl.extract.word97 import Word97Error, extract_word97

__all__ = ["ExtractedDocument", "extract_document", "detect_kind", "decode_body", "DecodedText",
           "ResourceLimitExceeded", "gzip_truncated"]

#: an HTML content area with images and fewer visible characters than this is a picture-only report (图片版)
IMAGE_PAGE_MAX_TEXT = 60
#: the most a gzip-in-gzip body may inflate to
MAX_INFLATED_BYTES = 64 * 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MARKUP_HINTS = (b"<html", b"<!doctype", b"<head", b"<body", b"<div", b"<meta", b"<table", b"<p>", b"<p ")


@dataclass
class ExtractedDocument:
    """One document's extracted content (see docs/architecture.md, "Extraction")."""

    text: str
    grids: list[list[list[str]]] = field(default_factory=list)
    page_meta: dict[str, Any] = field(default_factory=dict)
    encoding: str | None = None
    kind: str = "html"
    image_only: bool = False
    attachment_links: list[dict[str, str]] = field(default_factory=list)
    #: machine-readable problems met while extracting (e.g. "charset_mismatch", "unsupported_format")
    flags: list[str] = field(default_factory=list)
    #: why no text came out, for people (e.g. "encrypted (password-protected) Word document")
    detail: str | None = None


def _extension(url: str) -> str:
    return posixpath.splitext(urlsplit(url).path.lower())[1].lstrip(".")


def _is_docx(body: bytes) -> bool:
    try:
        with zipfile.ZipFile(BytesIO(body)) as archive:
            return any(name.startswith("word/") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def detect_kind(body: bytes, content_type: str | None, url: str) -> str:
    """"html" | "pdf" | "docx" | "doc" | "wps" | "text" | "binary" for a body, by magic, type, then extension."""
    head = body[:1024].lstrip()
    media = (content_type or "").split(";", 1)[0].strip().lower()
    extension = _extension(url)
    if head.startswith(b"%PDF") or b"%PDF-" in body[:1024]:
        return "pdf"
    if body.startswith(b"PK\x03\x04") and _is_docx(body):
        return "docx"
    if body.startswith(_OLE_MAGIC):
        return "wps" if extension == "wps" or "wps" in media else "doc"
    if media in ("text/html", "application/xhtml+xml"):
        return "html"
    if media == "text/plain":
        return "text"
    if extension in ("html", "htm", "shtml", "jsp", "asp", "aspx", "php", "xhtml") or not extension:
        lowered = head[:512].lower()
        if any(hint in lowered for hint in _MARKUP_HINTS) or extension:
            return "html"
    lowered = head[:512].lower()
    if any(hint in lowered for hint in _MARKUP_HINTS):
        return "html"
    if extension == "txt":
        return "text"
    if media.startswith("text/") or not body or _looks_textual(body):
        return "text"
    return "binary"


def _looks_textual(body: bytes) -> bool:
    sample = body[:2048]
    return b"\x00" not in sample


def _decode_flags(decoded: DecodedText) -> list[str]:
    flags = []
    if decoded.mismatch:
        flags.append("charset_mismatch")
    if decoded.replaced:
        flags.append("decode_error")
    if decoded.nuls:
        flags.append("nul_bytes_removed")
    return flags


def _gunzip(body: bytes, limit: int = MAX_INFLATED_BYTES) -> tuple[bytes, bool] | None:
    """A gzip body's content (servers that gzip twice, or without Content-Encoding) and whether the stream
    was cut short, or None when it is no gzip. Raises :class:`ResourceLimitExceeded` past ``limit`` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit)
    except zlib.error:
        return None
    if inflater.unconsumed_tail:
        raise ResourceLimitExceeded("gzip_body", f"a gzip body inflates past {limit:,} bytes")
    return data, not inflater.eof


def extract_document(body: bytes, content_type: str | None, url: str) -> ExtractedDocument:
    """Extract text, grids and metadata from a fetched body. Raises ``ValueError`` for unreadable PDF/DOCX."""
    if body[:2] == b"\x1f\x8b":
        inflated = _gunzip(body)
        if inflated is not None:
            document = extract_document(inflated[0], content_type, url)
            document.flags.extend(["gzip_body", "truncated_gzip"] if inflated[1] else ["gzip_body"])
            return document
    kind = detect_kind(body, content_type, url)
    if kind in ("html", "text"):
        check_markup(body)
    if kind == "html":
        decoded = decode_body(body, content_type)
        html = extract_html(decoded.text, url)
        visible = len("".join(html.text.split()))
        image_only = html.images > 0 and visible < IMAGE_PAGE_MAX_TEXT
        return ExtractedDocument(text=html.text, grids=html.grids, page_meta=html.page_meta,
                                 encoding=decoded.encoding, kind="html", image_only=image_only,
                                 attachment_links=html.attachment_links,
                                 flags=_decode_flags(decoded) + (["html_too_deep"] if html.too_deep else []))
    if kind == "pdf":
        pdf = extract_pdf(body)
        meta = {"title": pdf.title} if pdf.title else {}
        return ExtractedDocument(text=pdf.text, grids=pdf.grids, page_meta=meta, kind="pdf",
                                 image_only=pdf.image_only, flags=["image_only"] if pdf.image_only else [])
    if kind == "docx":
        docx = extract_docx(body)
        meta = {"title": docx.title} if docx.title else {}
        return ExtractedDocument(text=docx.text, grids=docx.grids, page_meta=meta, kind="docx")
    if kind in ("doc", "wps"):
        try:
            word = extract_word97(body)
            meta = {"title": word.title} if word.title else {}
            return ExtractedDocument(text=word.text, grids=word.grids, page_meta=meta, kind=kind)
        except Word97Error as exc:
            reason = str(exc)
        try:  # not Word 97 (Word 6/95, an older WPS): antiword or catdoc, when installed, may still read it
            return ExtractedDocument(text=extract_legacy_word(body), kind=kind, encoding="utf-8",
                                     flags=["legacy_word_converter"])
        except UnsupportedFormat:
            return ExtractedDocument(text="", kind=kind, flags=["unsupported_format"], detail=reason)
    if kind == "text":
        decoded = decode_body(body, content_type)
        lines = (" ".join(line.split()) for line in decoded.text.splitlines())
        return ExtractedDocument(text="\n".join(line for line in lines if line), kind="text",
                                 encoding=decoded.encoding, flags=_decode_flags(decoded))
    return ExtractedDocument(text="", kind="binary", flags=["unsupported_format"])
