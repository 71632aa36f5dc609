"""Stable citations of archived reports, and where to replay them (pywb, ReplayWeb.page over the WACZ).

A citation names what was captured, when, and which WARC record holds it: the capture URL, the capture time
(UTC) and the ``WARC-Record-ID``. The replay URLs follow the conventions of the two replay tools:

- pywb: ``/{collection}/{14-digit timestamp}/{url}`` (prefix it with your pywb's host);
- ReplayWeb.page: ``{replay page}?source={wacz}#view=pages&url={url}&ts={14-digit timestamp}``.
Pure functions; imports nothing of ours.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

DEFAULT_COLLECTION = "govcrawl"
DEFAULT_WACZ = "corpus.wacz"
DEFAULT_REPLAY_PAGE = "https://replayweb.page/"


def timestamp14(when: str | None) -> str | None:
    """``2026-12-02T06:47:36Z`` -> ``20261202064736`` (the digits of an ISO time, to the second)."""
    digits = re.sub(r"\D", "", (when or "")[:19])
    return digits if len(digits) == 14 else None


def pywb_url(url: str | None, fetched_at: str | None, collection: str = DEFAULT_COLLECTION) -> str | None:
    """The pywb replay path of a capture."""
    ts = timestamp14(fetched_at)
    return f"/{collection}/{ts}/{url}" if url and ts else None


def wacz_replay_url(url: str | None, fetched_at: str | None, wacz: str = DEFAULT_WACZ,
                    replay_page: str = DEFAULT_REPLAY_PAGE) -> str | None:
    """The ReplayWeb.page URL opening a capture inside the WACZ at ``wacz`` (a URL the replay page can fetch)."""
    ts = timestamp14(fetched_at)
    if not url or not ts:
        return None
    return f"{replay_page}?source={quote(wacz, safe='')}#view=pages&url={quote(url, safe='')}&ts={ts}"


def citation_text(*, agency: str | None, title: str | None, url: str | None, fetched_at: str | None,
                  warc_record_id: str | None) -> str | None:
    """``{agency}. {title}. {url}. Captured {time} UTC, WARC-Record-ID {id}.`` (None without URL or time)."""
    if not url or not fetched_at:
        return None
    head = ". ".join(part for part in (agency, title) if part)
    record = f", WARC-Record-ID {warc_record_id}" if warc_record_id else ""
    return f"{head + '. ' if head else ''}{url}. Captured {fetched_at} UTC{record}."


def citation(item: dict[str, Any], *, collection: str = DEFAULT_COLLECTION, wacz: str = DEFAULT_WACZ,
             replay_page: str = DEFAULT_REPLAY_PAGE) -> dict[str, str | None]:
    """The citation fields of a report item: capture URL, time, record id, text and both replay URLs."""
    source = item.get("source") or {}
    url = source.get("url") or item.get("url")
    fetched_at, record_id = source.get("fetched_at"), source.get("warc_record_id")
    return {
        "url": url, "captured_at": fetched_at, "warc_record_id": record_id,
        "text": citation_text(agency=item.get("agency"), title=item.get("title"), url=url, fetched_at=fetched_at,
                              warc_record_id=record_id),
        "pywb_url": pywb_url(url, fetched_at, collection),
        "wacz_replay_url": wacz_replay_url(url, fetched_at, wacz, replay_page),
    }
