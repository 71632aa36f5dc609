"""Worker-local requests: which requests never leave the worker that made them, and what a stopping worker
hands back to the shared queue in their place.

Attachment requests carry the report page's capture (bytes, WARC reference) in ``meta`` and browser requests
carry page-event callables; neither belongs in Redis (and callables cannot be pickled). When a worker stops
early, :func:`resume_request` replaces such a request by a serialisable stand-in.

The hook is the spider's callbacks, re-bound by name (:func:`scrapy.utils.request.request_from_dict`, as for any
request read back from Redis): a spider resumable this way names its report callbacks ``parse_report`` (an HTML
report page) and ``parse_attachment_report`` (a report that is a PDF/DOC itself), and their errback
``report_failed``.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider
from scrapy.utils.request import request_from_dict

from govcrawl.capture import Capture
from govcrawl.discovery.links import is_attachment_url

#: request meta of one worker's crawl state, never handed to another worker
LOCAL_META = frozenset({"govcrawl_capture", "govcrawl_pending", "govcrawl_attachment", "govcrawl_browser_exchanges",
                        "govcrawl_rendered", "govcrawl_challenge"})
#: roles whose requests never leave the worker that made them
LOCAL_ROLES = frozenset({"attachment"})
#: spider callbacks a resumed report request is bound to (by name)
REPORT_CALLBACK, ATTACHMENT_REPORT_CALLBACK, REPORT_ERRBACK = "parse_report", "parse_attachment_report", "report_failed"


def stays_local(request: Request) -> bool:
    """Requests carrying one worker's crawl state (attachments, browser requests) never go to Redis."""
    return request.meta.get("govcrawl_role") in LOCAL_ROLES or bool(request.meta.get("playwright"))


def resume_request(request: Request, spider: Spider) -> Request | None:
    """A serialisable stand-in for a worker-local request a stopping worker cannot hand back, or None.

    An attachment request is replaced by a fresh request for its report page (which fetches the attachments
    again); a browser list request (page-event callables in ``meta``) by the same list page without the browser
    meta (a page that needs the browser is rendered again by the worker that takes it).
    """
    meta = request.meta
    role = meta.get("govcrawl_role")
    if role == "attachment":
        parent = meta.get("govcrawl_parent_url")
        if not parent:
            return None
        capture = meta.get("govcrawl_capture")
        discovery: Any = capture.discovery if isinstance(capture, Capture) else None
        if not isinstance(discovery, dict):
            discovery = {k: v for k, v in (meta.get("govcrawl_discovery") or {}).items() if k != "parent_url"}
        report_meta = {"govcrawl_role": "report", "govcrawl_site": meta.get("govcrawl_site"),
                       "govcrawl_discovery": dict(discovery)}
        callback = ATTACHMENT_REPORT_CALLBACK if is_attachment_url(parent) else REPORT_CALLBACK
        return request_from_dict({"url": parent, "meta": report_meta, "callback": callback,
                                  "errback": REPORT_ERRBACK, "dont_filter": True}, spider=spider)
    if role == "list" and meta.get("playwright"):
        own = {k: v for k, v in meta.items() if k.startswith("govcrawl_") and k not in LOCAL_META}
        return request.replace(meta=own, dont_filter=True)
    return None
