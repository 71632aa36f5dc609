"""build_item: the one extract -> normalise -> parse path shared by the live crawl and the offline rebuild."""

from __future__ import annotations

import re
from typing import Any

from govcrawl.capture import SOURCE_WARC_FIELDS, Capture
from govcrawl.extract import ExtractedDocument, ResourceLimitExceeded, extract_document
from govcrawl.formats import format_of_year
from govcrawl.parser import empty_item, parse_report
from govcrawl.parser.division import division_fields

#: a report page with fewer visible characters than this that links attachments is a stub pointing at them
STUB_PAGE_MAX_CHARS = 300
_YEAR = re.compile(r"(20\d{2})\s*年")
_DATE = re.compile(r"(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def source_of(capture: Capture) -> dict[str, Any]:
    """The item's ``source``: where the bytes are archived and why the page was taken as a report."""
    warc = capture.warc or {}
    source: dict[str, Any] = {"url": capture.url}
    for key in SOURCE_WARC_FIELDS:
        source[key] = warc.get(key)
    source["list_url"] = capture.discovery.get("list_url")
    source["link_text"] = capture.discovery.get("link_text")
    return source


def title_hint(capture: Capture) -> str | None:
    """The title the list page gave the link (its ``title`` attribute first: link texts are often cut)."""
    for key in ("link_title", "link_text"):
        value = capture.discovery.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _iso_date(value: Any) -> str | None:
    match = _DATE.search(str(value or ""))
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def flagged_item(capture: Capture, flags: list[str], *, title: str | None = None, text: str = "",
                 attachments: list[dict[str, Any]] | None = None,
                 page_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A schema-valid item for a capture that could not be parsed as a report, saying why in ``flags``.

    What the page's metadata says (title, 发布日期, 索引号, 发布机构) is kept, as raw as the schema allows."""
    meta = page_meta or {}
    title = title or meta.get("title") or title_hint(capture)
    year = _YEAR.search(title or "")
    report_year = int(year.group(1)) if year else None
    item = empty_item()
    item.update({
        "url": capture.url, "title": title, "agency": meta.get("agency"), "report_year": report_year,
        "published": _iso_date(meta.get("published")), "index_no": meta.get("index_no"),
        "format": format_of_year(report_year), "text": text, "flags": list(dict.fromkeys(flags)),
        "attachments": attachments or [], "source": source_of(capture), **division_fields(meta.get("agency")),
    })
    return item


def _visible_chars(text: str) -> int:
    return len("".join(text.split()))


def _attachment_summary(capture: Capture, document: Any, error: str | None) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "url": capture.url,
        "kind": document.kind if document is not None else "unknown",
        "text_chars": _visible_chars(document.text) if document is not None else 0,
        "image_only": bool(document.image_only) if document is not None else False,
        "warc_record_id": (capture.warc or {}).get("warc_record_id"),
        "status": capture.status,
    }
    if error or (document is not None and document.detail):
        summary["error"] = error or document.detail
    return summary


def content_flags(capture: Capture) -> list[str]:
    """Flags the download layer put on a capture (``truncated_gzip``: the body was cut short in transit)."""
    return list(capture.discovery.get("content_flags") or ())


def resource_limit_message(item: dict[str, Any]) -> str | None:
    """One line saying which resource limit refused a document of ``item`` (None when none did)."""
    details = [a["error"] for a in item.get("attachments") or () if str(a.get("error", "")).startswith("resource_limit")]
    limits = [flag.partition(": ")[2] for flag in item.get("flags") or () if flag.startswith("resource_limit: ")]
    if not limits:
        return None
    what = details[0].partition(": ")[2] if details else f"{limits[0]} over its limit"
    return (f"refused a decompression bomb or oversized document: {what}; "
            f"raise GOVCRAWL_LIMIT_{limits[0].upper()} to allow it")


def build_item(capture: Capture) -> dict[str, Any]:
    """Extract and parse one capture into a report item; never raises (problems become ``flags``)."""
    try:
        return _build_item(capture)
    except Exception as exc:  # a bad page must never kill a crawl or a rebuild
        return flagged_item(capture, [f"extract_error: {type(exc).__name__}: {exc}"[:300]])


def _build_item(capture: Capture) -> dict[str, Any]:
    if capture.status is not None and capture.status >= 400:
        return flagged_item(capture, [f"http_status_{capture.status}"])
    try:
        page = extract_document(capture.body, capture.content_type, capture.url)
    except ResourceLimitExceeded as exc:  # a decompression bomb: refused before it was inflated
        return flagged_item(capture, [f"resource_limit: {exc.limit}", *content_flags(capture)])
    except ValueError as exc:
        return flagged_item(capture, [f"extract_error: {exc}"[:300], *content_flags(capture)])

    attachments: list[dict[str, Any]] = []
    limit_flags: list[str] = []  # attachments refused for a resource limit: the item says which limit
    documents: list[ExtractedDocument | None] = []  # parallel to ``attachments``
    readable: list[ExtractedDocument] = []
    # a stable order (live: page order; rebuild: archive order) so both paths give the same item
    ordered = sorted(capture.attachments, key=lambda a: (a.url, str((a.warc or {}).get("warc_record_id") or "")))
    for attachment in ordered:
        document: ExtractedDocument | None = None
        error = None
        if attachment.status is not None and attachment.status >= 400:
            error = f"http_status_{attachment.status}"
        else:
            try:
                document = extract_document(attachment.body, attachment.content_type, attachment.url)
            except ResourceLimitExceeded as exc:
                error = str(exc)[:300]  # "resource_limit: pdf_stream (a stream at byte ... inflates past ...)"
                limit_flags.append(f"resource_limit: {exc.limit}")
            except ValueError as exc:
                error = f"extract_error: {exc}"[:300]
            if document is not None and content_flags(attachment):
                document.flags.extend(content_flags(attachment))
        attachments.append(_attachment_summary(attachment, document, error))
        documents.append(document)
        if document is not None and document.text.strip():
            readable.append(document)

    flags = [*page.flags, *content_flags(capture), *limit_flags,
             *(flag for document in documents if document is not None for flag in document.flags
               if flag == "truncated_gzip")]
    chosen = page
    page_chars = _visible_chars(page.text)
    if readable:
        best = max(readable, key=lambda doc: _visible_chars(doc.text))
        if page_chars < STUB_PAGE_MAX_CHARS and _visible_chars(best.text) > page_chars and not page.grids:
            chosen = best
            attachments[[id(doc) for doc in documents].index(id(best))]["text_source"] = True
    page_meta = dict(chosen.page_meta)
    page_meta.update({k: v for k, v in page.page_meta.items() if v})  # the HTML page's 要素表 wins

    hint = title_hint(capture)
    scanned_attachments = any(a.get("image_only") for a in attachments)
    stub = chosen is page and page_chars < STUB_PAGE_MAX_CHARS and not page.grids
    if stub and (scanned_attachments or (page.image_only and not page.attachment_links)):
        # a stub page whose report is a scan (图片版 attachment or <img> pages): say so, don't parse the caption
        return flagged_item(capture, ["image_only", *flags], attachments=attachments, page_meta=page_meta)
    if stub and page.attachment_links and not readable:
        flags.append("attachment_missing")  # the report lives in an attachment we do not have (or cannot read)
    if not chosen.text.strip():
        images = page.image_only or scanned_attachments
        if images:
            return flagged_item(capture, ["image_only", *flags], attachments=attachments, page_meta=page_meta)
        if "unsupported_format" in flags or any(a.get("kind") in ("doc", "wps") for a in attachments):
            return flagged_item(capture, ["unsupported_format", *flags], attachments=attachments,
                                page_meta=page_meta)
        return flagged_item(capture, ["empty", *flags], attachments=attachments, page_meta=page_meta)

    try:
        item = parse_report(chosen.text, url=capture.url, grids=chosen.grids, page_meta=page_meta,
                            title_hint=hint, source_kind=chosen.kind)
    except Exception as exc:  # ParseError (binary/empty text) or a parser bug: keep what the page says
        return flagged_item(capture, [f"extract_error: {type(exc).__name__}: {exc}"[:300], *flags],
                            attachments=attachments, page_meta=page_meta)
    item["flags"] = list(dict.fromkeys([*item.get("flags", []), *flags]))
    item["attachments"] = attachments
    item["source"] = source_of(capture)
    return item
