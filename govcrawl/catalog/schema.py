"""The catalog's schema and keys: tables, figure columns, canonical URL and site keys, the content hash.

Standard library plus the neutral :mod:`govcrawl.urlkeys`; no Scrapy, no warcio.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from govcrawl.urlkeys import dedupe_key, host_port

SCHEMA_VERSION = 2
#: columns added after version 1 (table -> (column, SQL type)): a version-1 catalog gets them on open
ADDED_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "reports": (("adcode", "TEXT"), ("division_level", "TEXT")),
    "captures": (("stub_kind", "TEXT"),),
}
#: why a report counts as withdrawn (``withdrawals.reason``)
WITHDRAWAL_REASONS = ("unlisted", "http_404", "http_410", "removed_stub")

#: figure keys of the report item (docs/schema.md); each is an INTEGER column of ``reports``
FIGURE_KEYS: tuple[str, ...] = (
    "proactive_total",
    "applications_received",
    "applications_new_total",
    "applications_carried_total",
    "granted_total",
    "results_total",
    "carried_next_total",
    "review_total",
    "litigation_direct_total",
    "litigation_after_review_total",
)

#: item fields left out of the content hash: those that depend on the time of the run or on where the bytes
#: were archived, and the URL (the catalog key already holds its canonical form)
VOLATILE_ITEM_FIELDS: frozenset[str] = frozenset({"source", "parser_version", "url"})
VOLATILE_ATTACHMENT_FIELDS: frozenset[str] = frozenset({"warc_record_id"})
#: rules of the checks the catalog computes between two reports (see :mod:`govcrawl.catalog.crosscheck`)
CARRYOVER_RULE = "t3_carryover"  # the rule name govcrawl.parser.tables.carryover_check gives its check
CROSS_REPORT_RULES: frozenset[str] = frozenset({CARRYOVER_RULE})

SCHEMA_SQL = f"""
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    started     TEXT NOT NULL,
    finished    TEXT,
    status      TEXT NOT NULL,          -- running | finished | interrupted | crashed | failed | rebuild
    args        TEXT,                   -- JSON
    counts      TEXT,                   -- JSON
    pid         INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS sites (
    name            TEXT PRIMARY KEY,
    host            TEXT,
    agency          TEXT,
    first_seen_run  INTEGER,
    last_seen_run   INTEGER
);
CREATE TABLE IF NOT EXISTS captures (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER,
    site            TEXT,
    url             TEXT NOT NULL,
    canonical_url   TEXT NOT NULL,
    status          INTEGER,
    role            TEXT,
    record_type     TEXT,               -- response | revisit | NULL (WARC off)
    payload_digest  TEXT,
    warc_filename   TEXT,
    warc_offset     INTEGER,
    warc_record_id  TEXT UNIQUE,
    fetched_at      TEXT,
    etag            TEXT,
    last_modified   TEXT,
    content_type    TEXT,
    revisit_of      TEXT,               -- payload digest / record the revisit refers to
    stub_kind       TEXT                -- govcrawl.stubs.stub_kind of a 200 body (removal stub), else NULL
);
CREATE INDEX IF NOT EXISTS captures_by_url ON captures (canonical_url, id);
CREATE TABLE IF NOT EXISTS reports (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL,
    canonical_url   TEXT NOT NULL,
    version         INTEGER NOT NULL,
    content_hash    TEXT NOT NULL,
    site            TEXT,
    title           TEXT,
    agency          TEXT,
    admin_level     TEXT,
    adcode          TEXT,               -- 6-digit administrative-division code of the agency (NULL: not placed)
    division_level  TEXT,               -- province | city | county (level of that code)
    province        TEXT,
    city            TEXT,
    county          TEXT,
    report_year     INTEGER,
    published       TEXT,
    format          TEXT,
    checks_ok       INTEGER,
    checks_failed   INTEGER,
    flags           TEXT,
    {", ".join(f"{key} INTEGER" for key in FIGURE_KEYS)},
    payload_digest  TEXT,
    warc_filename   TEXT,
    warc_offset     INTEGER,
    warc_record_id  TEXT,
    fetched_at      TEXT,
    etag            TEXT,
    last_modified   TEXT,
    item_json       TEXT NOT NULL,
    first_seen_run  INTEGER,
    last_seen_run   INTEGER,
    first_seen_at   TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    UNIQUE (canonical_url, content_hash),
    UNIQUE (canonical_url, version)
);
CREATE INDEX IF NOT EXISTS reports_by_year ON reports (report_year);
CREATE INDEX IF NOT EXISTS reports_by_agency_year ON reports (agency, report_year);
CREATE INDEX IF NOT EXISTS reports_by_run ON reports (first_seen_run);
CREATE TABLE IF NOT EXISTS withdrawals (
    id                  INTEGER PRIMARY KEY,
    canonical_url       TEXT NOT NULL,
    url                 TEXT NOT NULL,
    report_id           INTEGER,        -- the latest version when the withdrawal was seen
    run_id              INTEGER,        -- the run that saw it
    withdrawn_at        TEXT NOT NULL,  -- when (UTC): the evidence capture's time, else the run's end
    reason              TEXT NOT NULL,  -- unlisted | http_404 | http_410 | removed_stub
    evidence_url        TEXT,           -- the capture showing it: the report URL's answer, or the column page
    evidence_record_id  TEXT,           -- WARC-Record-ID of that capture
    evidence_status     INTEGER,
    reinstated_at       TEXT,           -- set when the report is listed and answers again
    reinstated_run      INTEGER
);
CREATE INDEX IF NOT EXISTS withdrawals_by_url ON withdrawals (canonical_url, id);
"""


class CatalogError(RuntimeError):
    """The catalog file is unusable (newer schema, not a catalog, locked for too long)."""


#: every report row ranked within its URL, the latest version (last seen, then highest version) first: select
#: ``FROM {LATEST_REPORTS} AS r WHERE r._rank = 1`` for the latest version of each report
LATEST_REPORTS = ("(SELECT *, ROW_NUMBER() OVER (PARTITION BY canonical_url ORDER BY last_seen_at DESC, version DESC)"
                  " AS _rank FROM reports)")


def utc_now() -> str:
    """Current UTC time as an ISO-8601 string with seconds precision."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_url(url: str) -> str:
    """The key a report URL is catalogued under (the crawl's duplicate filter key, :func:`dedupe_key`)."""
    try:
        return dedupe_key(url)
    except ValueError:
        return url


def host_of(url: str) -> str:
    """The site key used for per-site counts: ``host`` or ``host:port``."""
    try:
        return host_port(url)
    except ValueError:
        return urlsplit(url).netloc.lower()


_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode


class ItemEncoding:
    """An item's content hash and its catalog JSON from one encoding of each top-level value.

    ``digest``: SHA-1 of the item minus fields that vary between runs (source, parser version, record ids).
    Checks across reports (:data:`CROSS_REPORT_RULES`) are left out too: the catalog adds them to a stored item
    when the other report turns up, which changes nothing in the report itself. ``item_json()``: the whole item
    as sorted compact JSON. Both are the bytes ``json.dumps(..., ensure_ascii=False, sort_keys=True,
    separators=(",", ":"), default=str)`` gives, built from the values' shared encodings (the text, sections
    and tables, most of an item, are encoded once for both).
    """

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item
        self.parts: dict[str, str] = {}  # top-level key -> its value's encoding
        stable: list[str] = []
        for key in sorted(item):
            if key in VOLATILE_ITEM_FIELDS:
                continue
            value = item[key]
            if key == "checks" and isinstance(value, list):
                kept = [c for c in value if not (isinstance(c, dict) and c.get("rule") in CROSS_REPORT_RULES)]
                encoded = _ENCODE(kept)
                if len(kept) == len(value):
                    self.parts[key] = encoded
            elif key == "attachments" and isinstance(value, list):
                kept = [{k: v for k, v in att.items() if k not in VOLATILE_ATTACHMENT_FIELDS}
                        if isinstance(att, dict) else att for att in value]
                encoded = _ENCODE(kept)
            else:
                encoded = self.parts[key] = _ENCODE(value)
            stable.append(f"{_ENCODE(key)}:{encoded}")
        blob = "{" + ",".join(stable) + "}"
        self.digest = "sha1:" + hashlib.sha1(blob.encode("utf-8")).hexdigest()

    def item_json(self) -> str:
        """The whole item as JSON (sorted keys, compact)."""
        parts = self.parts
        return "{" + ",".join(f"{_ENCODE(key)}:{parts[key] if key in parts else _ENCODE(self.item[key])}"
                              for key in sorted(self.item)) + "}"


def content_hash(item: dict[str, Any]) -> str:
    """SHA-1 of the item minus fields that vary between runs (see :class:`ItemEncoding`)."""
    return ItemEncoding(item).digest
