"""Canonical URLs and dedupe keys for government sites (neutral: standard library only).

Two forms:

* :func:`canonicalize` is what the crawler *fetches*: fragment removed, tracking parameters (``utm_*``,
  ``spm``) and session ids (``;jsessionid=``, ``PHPSESSID``, long ``sid=``) stripped, host lower-cased,
  default port dropped, query parameters sorted.
* :func:`dedupe_key` is what the crawler *compares* and the catalog keys reports by: the canonical form without
  scheme (http and https are the same document), with ``_wap`` twins and ``/gate/big5/<host>/`` traditional
  mirrors folded onto the original article.

Shared by discovery (the request fingerprinter, the spider) and the catalog, so both agree on what "the same
URL" is; it imports nothing of ours.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset({"spm", "from", "share_token", "gclid", "fbclid", "_t", "timestamp"})
SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "aspsessionid", "sessionid", "session_id", "sessid"})
_PATH_SESSION_RE = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_SESSION_VALUE_RE = re.compile(r"^[A-Za-z0-9._-]{6,}$")
_WAP_RE = re.compile(r"_wap(\.(?:s?html?|jsp|php))$", re.IGNORECASE)
_GATE_RE = re.compile(r"^/gate/big5/([^/]+)(/.*)?$", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: URLs whose forms are remembered: a report URL is keyed about ten times between its list page and its catalog
#: row (link decisions, request, fingerprint, capture, report); bounded, so memory stays flat in crawl size
CACHED_URLS = 8192


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMS


def _is_session(name: str, value: str) -> bool:
    lowered = name.lower()
    if lowered in SESSION_PARAMS:
        return True
    # ``sid`` is a session id on some JSP sites but a numeric *site* id on gkmlpt APIs (``sid=755001``):
    # strip it unless the value is all digits.
    return lowered == "sid" and bool(_SESSION_VALUE_RE.match(value)) and not value.isdigit()


def has_session_id(url: str) -> bool:
    """True if the URL carries a session id the crawler will strip."""
    parts = urlsplit(url)
    if _PATH_SESSION_RE.search(parts.path):
        return True
    return any(_is_session(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True))


def _netloc(scheme: str, host: str, port: int | None) -> str:
    host = host.lower().rstrip(".")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return host
    return f"{host}:{port}"


@lru_cache(maxsize=CACHED_URLS)
def canonicalize(url: str) -> str:
    """The URL to fetch: no fragment, tracking or session parameters; sorted query; normalised host."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = _netloc(scheme, parts.hostname or "", port)
    path = _PATH_SESSION_RE.sub("", parts.path) or "/"
    path = quote(unquote(path), safe="/%:@!$&'()*+,;=-._~")
    query_pairs = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(k) and not _is_session(k, v)
    ]
    query = urlencode(sorted(query_pairs), doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))


@lru_cache(maxsize=CACHED_URLS)
def host_port(url: str) -> str:
    """``host`` or ``host:port`` (non-default port) of a URL, lower-cased."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower() or "http"
    try:
        port = parts.port
    except ValueError:
        port = None
    return _netloc(scheme, parts.hostname or "", port)


def fold_twins(url: str) -> str:
    """Map ``_wap`` twins and ``/gate/big5/<host>/`` mirrors onto the original article URL."""
    parts = urlsplit(url)
    path = parts.path
    netloc = parts.netloc
    gate = _GATE_RE.match(path)
    if gate:
        netloc = gate.group(1).lower()
        path = gate.group(2) or "/"
    path = _WAP_RE.sub(r"\1", path)
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def is_twin(url: str) -> bool:
    """True for a ``_wap`` or ``/gate/big5/`` twin of another URL."""
    lowered = url.lower()
    if "_wap" not in lowered and "/gate/big5/" not in lowered:
        return False  # neither twin form can match (the common case, without parsing the URL twice)
    return fold_twins(url) != urlunsplit(urlsplit(url)._replace(fragment=""))


@lru_cache(maxsize=CACHED_URLS)
def dedupe_key(url: str) -> str:
    """Scheme-less canonical form: the same report reached twice maps to one key."""
    canonical = fold_twins(canonicalize(url))
    return canonical.split("://", 1)[-1]
