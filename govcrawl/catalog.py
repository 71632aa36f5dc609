"""The embedded SQLite catalog: sites, captures, report versions and runs.

One :class:`Catalog` per process is the single writer (WAL mode, so readers such as ``govcrawl export`` never
block it). The crawl fills it through two Scrapy components that share that one connection:

- :class:`CatalogExtension` (``EXTENSIONS``): opens/closes the run, records one ``captures`` row per response
  the crawl received (the WARC middleware's ``response.meta["warc_ref"]`` says where it was archived) and per-site
  counters;
- :class:`CatalogPipeline` (``ITEM_PIPELINES``, after the report pipeline): upserts each report item keyed by
  (canonical URL, content hash), so a re-run after a crash or an unchanged re-fetch never adds a duplicate and a
  changed report becomes a new version.

:func:`catalog_from_items` rebuilds a catalog offline from WARC files plus the items rebuilt from them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from govcrawl.gazetteer import region_of

SCHEMA_VERSION = 1

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

_SCHEMA = f"""
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
    revisit_of      TEXT                -- payload digest / record the revisit refers to
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
CREATE INDEX IF NOT EXISTS reports_by_run ON reports (first_seen_run);
"""


class CatalogError(RuntimeError):
    """The catalog file is unusable (newer schema, not a catalog, locked for too long)."""


def utc_now() -> str:
    """Current UTC time as an ISO-8601 string with seconds precision."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_url(url: str) -> str:
    """The key a report URL is catalogued under (same rules as the crawl's duplicate filter)."""
    try:
        from govcrawl.discovery.urls import dedupe_key
    except ImportError:  # pragma: no cover - discovery always ships with the package
        return url.split("#", 1)[0].split("://", 1)[-1]
    try:
        return dedupe_key(url)
    except ValueError:
        return url


def content_hash(item: dict[str, Any]) -> str:
    """SHA-1 of the item minus fields that vary between runs (source, parser version, record ids)."""
    stable = {k: v for k, v in item.items() if k not in VOLATILE_ITEM_FIELDS}
    if isinstance(stable.get("attachments"), list):
        stable["attachments"] = [
            {k: v for k, v in att.items() if k not in VOLATILE_ATTACHMENT_FIELDS} if isinstance(att, dict) else att
            for att in stable["attachments"]
        ]
    blob = json.dumps(stable, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return "sha1:" + hashlib.sha1(blob.encode("utf-8")).hexdigest()


# --- region from the agency name: govcrawl.gazetteer (China's division codes) -------------------------


# --- the catalog ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UpsertResult:
    """What :meth:`Catalog.upsert_report` did: ``"new"`` report, new ``"version"``, or ``"unchanged"``."""

    outcome: str
    report_id: int
    version: int


@dataclass(frozen=True)
class Prior:
    """An earlier capture of a URL: what the incremental middleware needs for conditional requests."""

    payload_digest: str
    uri: str
    date: str
    etag: str | None = None
    last_modified: str | None = None
    has_report: bool = False

    def as_meta(self) -> dict[str, str]:
        """The ``request.meta["govcrawl_prior"]`` dict the WARC middleware reads."""
        return {"payload_digest": self.payload_digest, "uri": self.uri, "date": self.date}


class Catalog:
    """A connection to the catalog file; create the schema on first use; one writer per process."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"{self.path}: not a usable govcrawl catalog ({exc})") from exc
        self._in_tx = False
        self._pending = 0
        self._last_commit = time.monotonic()

    # -- schema
    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CatalogError(
                f"{self.path}: catalog schema version {version} is newer than this govcrawl ({SCHEMA_VERSION})"
            )
        if version < SCHEMA_VERSION:
            self.conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA};PRAGMA user_version={SCHEMA_VERSION};COMMIT;")

    # -- transactions: batch many writes per commit, commit at least every `max_age` seconds
    def _begin(self) -> None:
        if not self._in_tx:
            self.conn.execute("BEGIN IMMEDIATE")
            self._in_tx = True

    def _wrote(self, batch: int, max_age: float) -> None:
        self._pending += 1
        if self._pending >= batch or time.monotonic() - self._last_commit >= max_age:
            self.commit()

    def commit(self) -> None:
        """Commit pending writes (a crash loses at most the uncommitted batch; re-runs redo it)."""
        if self._in_tx:
            self.conn.execute("COMMIT")
            self._in_tx = False
        self._pending = 0
        self._last_commit = time.monotonic()

    def close(self) -> None:
        """Commit and close the connection."""
        self.commit()
        self.conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs
    def start_run(self, args: dict[str, Any] | None = None, *, status: str = "running") -> int:
        """Insert a run row and return its id."""
        self.commit()
        cur = self.conn.execute(
            "INSERT INTO runs (started, status, args, pid) VALUES (?, ?, ?, ?)",
            (utc_now(), status, json.dumps(args or {}, ensure_ascii=False), os.getpid()),
        )
        return int(cur.lastrowid or 0)

    def resume_run(self, run_id: int, *, pid: int | None = None) -> None:
        """Mark an interrupted/crashed run as running again (one more attempt)."""
        self.commit()
        self.conn.execute(
            "UPDATE runs SET status='running', finished=NULL, attempts=attempts+1, pid=? WHERE id=?",
            (pid or os.getpid(), run_id),
        )

    def mark_running(self, run_id: int, *, pid: int | None = None) -> None:
        """Record that a crawl process (``pid``) is working on an existing run."""
        self.commit()
        self.conn.execute("UPDATE runs SET status='running', finished=NULL, pid=? WHERE id=?",
                          (pid or os.getpid(), run_id))

    def finish_run(self, run_id: int, status: str, counts: dict[str, Any] | None = None) -> None:
        """Close a run with its final status and counts (JSON)."""
        self.commit()
        self.conn.execute(
            "UPDATE runs SET finished=?, status=?, counts=? WHERE id=?",
            (utc_now(), status, json.dumps(counts or {}, ensure_ascii=False, sort_keys=True), run_id),
        )

    def run(self, run_id: int) -> dict[str, Any] | None:
        """A run row as a dict (args/counts decoded), or None."""
        row = self.conn.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["args"] = json.loads(out["args"] or "{}")
        out["counts"] = json.loads(out["counts"] or "{}")
        return out

    def unfinished_runs(self) -> list[dict[str, Any]]:
        """Runs still marked running/interrupted (a crashed or stopped crawl), oldest first."""
        rows = self.conn.execute(
            "SELECT id FROM runs WHERE status IN ('running', 'interrupted', 'crashed') ORDER BY id"
        ).fetchall()
        return [r for r in (self.run(row["id"]) for row in rows) if r]

    # -- sites
    def touch_site(self, name: str, *, host: str | None = None, agency: str | None = None,
                   run_id: int | None = None) -> None:
        """Insert or refresh a site row."""
        self._begin()
        self.conn.execute(
            "INSERT INTO sites (name, host, agency, first_seen_run, last_seen_run) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET host=COALESCE(excluded.host, host), "
            "agency=COALESCE(excluded.agency, agency), last_seen_run=COALESCE(excluded.last_seen_run, last_seen_run)",
            (name, host, agency, run_id, run_id),
        )
        self._wrote(200, 2.0)

    # -- captures
    def add_capture(self, *, url: str, status: int | None, run_id: int | None = None, site: str | None = None,
                    role: str | None = None, record_type: str | None = None, payload_digest: str | None = None,
                    warc_filename: str | None = None, warc_offset: int | None = None,
                    warc_record_id: str | None = None, fetched_at: str | None = None, etag: str | None = None,
                    last_modified: str | None = None, content_type: str | None = None,
                    revisit_of: str | None = None, refers_to_uri: str | None = None, batch: int = 200,
                    max_age: float = 2.0) -> None:
        """Record one archived exchange (idempotent on the WARC record id).

        A ``revisit`` without ``revisit_of`` is linked to the record id of the full capture it refers to
        (same payload digest, ``refers_to_uri`` or ``url``) when the catalog holds it.
        """
        self._begin()
        if record_type == "revisit" and not revisit_of and payload_digest:
            original = self.conn.execute(
                "SELECT warc_record_id FROM captures WHERE canonical_url=? AND payload_digest=? "
                "AND record_type='response' ORDER BY id DESC LIMIT 1",
                (canonical_url(refers_to_uri or url), payload_digest),
            ).fetchone()
            revisit_of = original["warc_record_id"] if original else None
        self.conn.execute(
            "INSERT OR IGNORE INTO captures (run_id, site, url, canonical_url, status, role, record_type,"
            " payload_digest, warc_filename, warc_offset, warc_record_id, fetched_at, etag, last_modified,"
            " content_type, revisit_of) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, site, url, canonical_url(url), status, role, record_type, payload_digest, warc_filename,
             warc_offset, warc_record_id, fetched_at or utc_now(), etag, last_modified, content_type, revisit_of),
        )
        self._wrote(batch, max_age)

    def capture_by_record(self, warc_record_id: str | None) -> sqlite3.Row | None:
        """The capture row of a WARC record id."""
        if not warc_record_id:
            return None
        return self.conn.execute("SELECT * FROM captures WHERE warc_record_id=?", (warc_record_id,)).fetchone()

    def prior_for(self, url: str) -> Prior | None:
        """What the catalog knows about an earlier full capture of ``url`` (None if nothing).

        ``payload_digest``/``uri``/``date`` name the latest full ``response`` record of the URL (the target a
        revisit record refers to). ``etag``/``last_modified`` come from the latest report version of the URL,
        so validators are only ever sent for a page whose report is safely catalogued (``has_report``).
        """
        key = canonical_url(url)
        resp = self.conn.execute(
            "SELECT url, payload_digest, fetched_at FROM captures WHERE canonical_url=? AND status=200 "
            "AND record_type='response' AND payload_digest IS NOT NULL ORDER BY id DESC LIMIT 1",
            (key,),
        ).fetchone()
        report = self.conn.execute(
            "SELECT payload_digest, etag, last_modified FROM reports WHERE canonical_url=? "
            "ORDER BY last_seen_at DESC, version DESC LIMIT 1",
            (key,),
        ).fetchone()
        if resp is None:
            return None
        prior = Prior(resp["payload_digest"], resp["url"], resp["fetched_at"])
        if report is not None and report["payload_digest"] in (None, resp["payload_digest"]):
            return Prior(prior.payload_digest, prior.uri, prior.date, report["etag"], report["last_modified"], True)
        return prior

    # -- reports
    def upsert_report(self, item: dict[str, Any], *, run_id: int | None = None, site: str | None = None,
                      etag: str | None = None, last_modified: str | None = None, seen_at: str | None = None,
                      batch: int = 50, max_age: float = 2.0) -> UpsertResult:
        """Insert a report version, or refresh ``last_seen`` of an identical one (keyed by URL + content hash)."""
        url = item.get("url") or (item.get("source") or {}).get("url")
        if not url:
            raise ValueError("report item has no url")
        key = canonical_url(url)
        digest = content_hash(item)
        source = item.get("source") or {}
        seen = seen_at or source.get("fetched_at") or utc_now()
        self._begin()
        row = self.conn.execute(
            "SELECT id, version FROM reports WHERE canonical_url=? AND content_hash=?", (key, digest)
        ).fetchone()
        if row is not None:
            self.conn.execute(
                "UPDATE reports SET last_seen_run=COALESCE(?, last_seen_run), last_seen_at=MAX(last_seen_at, ?),"
                " etag=COALESCE(?, etag), last_modified=COALESCE(?, last_modified),"
                " payload_digest=COALESCE(?, payload_digest) WHERE id=?",
                (run_id, seen, etag, last_modified, source.get("payload_digest"), row["id"]),
            )
            self._wrote(batch, max_age)
            return UpsertResult("unchanged", int(row["id"]), int(row["version"]))
        latest = self.conn.execute("SELECT MAX(version) FROM reports WHERE canonical_url=?", (key,)).fetchone()[0]
        version = int(latest or 0) + 1
        region = region_of(item.get("agency"))
        checks = [c for c in item.get("checks") or [] if isinstance(c, dict)]
        figures = item.get("figures") or {}
        columns: dict[str, Any] = {
            "url": url, "canonical_url": key, "version": version, "content_hash": digest,
            "site": site or (item.get("discovery") or {}).get("site") or urlsplit(url).hostname,
            "title": item.get("title"), "agency": item.get("agency"), "admin_level": item.get("admin_level"),
            "province": region.province, "city": region.city, "county": region.county,
            "report_year": item.get("report_year"), "published": item.get("published"),
            "format": item.get("format"),
            "checks_ok": sum(1 for c in checks if c.get("ok")),
            "checks_failed": sum(1 for c in checks if not c.get("ok")),
            "flags": ",".join(str(f) for f in item.get("flags") or []),
            **{key_: _int_or_none(figures.get(key_)) for key_ in FIGURE_KEYS},
            "payload_digest": source.get("payload_digest"), "warc_filename": source.get("warc_filename"),
            "warc_offset": source.get("warc_offset"), "warc_record_id": source.get("warc_record_id"),
            "fetched_at": source.get("fetched_at"), "etag": etag, "last_modified": last_modified,
            "item_json": json.dumps(item, ensure_ascii=False, sort_keys=True, default=str),
            "first_seen_run": run_id, "last_seen_run": run_id, "first_seen_at": seen, "last_seen_at": seen,
        }
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        cur = self.conn.execute(f"INSERT INTO reports ({names}) VALUES ({marks})", tuple(columns.values()))
        self._wrote(batch, max_age)
        return UpsertResult("new" if version == 1 else "version", int(cur.lastrowid or 0), version)

    def touch_report(self, url: str, *, run_id: int | None, seen_at: str | None = None) -> bool:
        """Mark the latest version of a report as seen again (a 304 answer); False if not catalogued."""
        key = canonical_url(url)
        row = self.conn.execute(
            "SELECT id FROM reports WHERE canonical_url=? ORDER BY last_seen_at DESC, version DESC LIMIT 1", (key,)
        ).fetchone()
        if row is None:
            return False
        self._begin()
        self.conn.execute(
            "UPDATE reports SET last_seen_run=COALESCE(?, last_seen_run), last_seen_at=MAX(last_seen_at, ?)"
            " WHERE id=?",
            (run_id, seen_at or utc_now(), row["id"]),
        )
        self._wrote(50, 2.0)
        return True

    def reports(self, *, latest_only: bool = True, year: int | None = None, agency: str | None = None,
                region: str | None = None, first_seen_run: int | None = None) -> Iterator[sqlite3.Row]:
        """Report rows, filtered; ``latest_only`` keeps the most recently seen version of each URL."""
        where, params = _report_filters(year=year, agency=agency, region=region, first_seen_run=first_seen_run)
        base = "SELECT * FROM reports"
        if latest_only:
            base = (
                "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY canonical_url "
                "ORDER BY last_seen_at DESC, version DESC) AS _rank FROM reports) WHERE _rank = 1"
            )
            where = where.replace("WHERE", "AND", 1)
        yield from self.conn.execute(f"{base} {where} ORDER BY id", params)

    def count_reports(self, **filters: Any) -> int:
        """How many rows :meth:`reports` would yield."""
        return sum(1 for _ in self.reports(**filters))

    def items(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """The report items (decoded JSON) of :meth:`reports`."""
        for row in self.reports(**filters):
            yield json.loads(row["item_json"])

    def run_summary(self, run_id: int) -> dict[str, Any]:
        """Per-site new / changed / unchanged report counts and capture counts of one run."""
        sites: dict[str, dict[str, int]] = {}

        def bucket(site: str | None) -> dict[str, int]:
            return sites.setdefault(site or "?", {"new": 0, "changed": 0, "unchanged": 0, "captures": 0,
                                                   "errors": 0, "not_modified": 0, "revisits": 0})

        for row in self.conn.execute(
            "SELECT site, version, first_seen_run, last_seen_run FROM reports WHERE first_seen_run=? OR last_seen_run=?",
            (run_id, run_id),
        ):
            if row["first_seen_run"] == run_id:
                bucket(row["site"])["new" if row["version"] == 1 else "changed"] += 1
            else:
                bucket(row["site"])["unchanged"] += 1
        for row in self.conn.execute(
            "SELECT site, COUNT(*) AS n, SUM(status >= 400 OR status IS NULL) AS errors, SUM(status = 304) AS nm,"
            " SUM(record_type = 'revisit') AS rv FROM captures WHERE run_id=? GROUP BY site",
            (run_id,),
        ):
            entry = bucket(row["site"])
            entry["captures"] += row["n"]
            entry["errors"] += row["errors"] or 0
            entry["not_modified"] += row["nm"] or 0
            entry["revisits"] += row["rv"] or 0
        return sites


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def _report_filters(*, year: int | None, agency: str | None, region: str | None,
                    first_seen_run: int | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if year is not None:
        clauses.append("report_year = ?")
        params.append(year)
    if agency:
        clauses.append("instr(COALESCE(agency, ''), ?) > 0")
        params.append(agency)
    if region:
        clauses.append(
            "(instr(COALESCE(province,''), ?) > 0 OR instr(COALESCE(city,''), ?) > 0"
            " OR instr(COALESCE(county,''), ?) > 0)"
        )
        params.extend([region, region, region])
    if first_seen_run is not None:
        clauses.append("first_seen_run = ?")
        params.append(first_seen_run)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


# --- the crawl side: one session per crawler shared by the extension, the pipeline and the middleware ----
def catalog_path_from_settings(settings: Any) -> str | None:
    """``GOVCRAWL_CATALOG`` or ``<GOVCRAWL_ARCHIVE_DIR>/catalog.sqlite``; None when set to ""."""
    configured = settings.get("GOVCRAWL_CATALOG")
    if configured is not None:
        return str(configured) or None
    return str(Path(settings.get("GOVCRAWL_ARCHIVE_DIR") or "archive") / "catalog.sqlite")


def host_of(url: str) -> str:
    """The site key used for per-site counts: ``host`` or ``host:port``."""
    try:
        from govcrawl.discovery.urls import host_port

        return host_port(url)
    except (ImportError, ValueError):  # pragma: no cover
        return urlsplit(url).netloc.lower()


def _ref_written(ref: Any) -> bool:
    if hasattr(ref, "done"):
        return bool(ref.done())
    return warc_fields(ref) is not None


def warc_fields(ref: Any) -> dict[str, Any] | None:
    """The archive location of a ``warc_ref`` (object or dict) once written, else None."""
    if ref is None:
        return None
    get = ref.get if isinstance(ref, dict) else (lambda name: getattr(ref, name, None))
    record_id = get("warc_record_id")
    if not record_id:
        return None
    fields = {name: get(name) for name in ("warc_filename", "warc_offset", "warc_record_id", "payload_digest",
                                             "fetched_at")}
    if fields["warc_filename"]:
        fields["warc_filename"] = os.path.basename(str(fields["warc_filename"]))
    return fields


class CrawlSession:
    """The catalog connection, run id and per-site counters of one crawl process."""

    def __init__(self, catalog: Catalog, run_id: int, *, owns_run: bool) -> None:
        self.catalog = catalog
        self.run_id = run_id
        self.owns_run = owns_run
        self.site_errors: dict[str, dict[str, int]] = {}
        self.site_ok: dict[str, int] = {}
        self._validators: dict[str, tuple[str | None, str | None]] = {}
        self._pending: list[tuple[Any, dict[str, Any]]] = []

    @classmethod
    def for_crawler(cls, crawler: Any) -> CrawlSession | None:
        """The crawler's session (created on first call); None when the catalog is disabled."""
        session = getattr(crawler, "_govcrawl_catalog_session", None)
        if session is not None or getattr(crawler, "_govcrawl_catalog_disabled", False):
            return session
        path = catalog_path_from_settings(crawler.settings)
        if not path:
            crawler._govcrawl_catalog_disabled = True
            return None
        catalog = Catalog(path)
        run_id = crawler.settings.getint("GOVCRAWL_RUN_ID", 0)
        owns_run = run_id <= 0
        if owns_run:
            run_id = catalog.start_run({"spider": getattr(crawler.spidercls, "name", None)})
        session = cls(catalog, run_id, owns_run=owns_run)
        crawler._govcrawl_catalog_session = session
        return session

    def record_response(self, response: Any, request: Any) -> None:
        """Remember validators of the exchange and queue its capture row until its WARC record is written."""
        headers = response.headers
        etag = _header(headers, b"ETag")
        last_modified = _header(headers, b"Last-Modified")
        host = host_of(response.url)
        if response.status < 400:
            self.site_ok[host] = self.site_ok.get(host, 0) + 1
        else:
            self.record_error(host, f"http_{response.status}")
        if response.status == 200:
            self._validators[canonical_url(response.url)] = (etag, last_modified)
        discovery = request.meta.get("govcrawl_discovery") or {}
        if isinstance(discovery, dict) and discovery.get("site"):
            self.catalog.touch_site(str(discovery["site"]), host=host, agency=discovery.get("agency_hint"),
                                    run_id=self.run_id)
        row = {
            "url": response.url, "status": response.status, "run_id": self.run_id, "site": host,
            "role": request.meta.get("govcrawl_role"), "etag": etag, "last_modified": last_modified,
            "content_type": _header(headers, b"Content-Type"),
        }
        self._pending.append((request.meta.get("warc_ref"), row))
        self.flush_captures()

    def flush_captures(self, *, final: bool = False, timeout: float = 60.0) -> None:
        """Write queued capture rows whose WARC record is written (wait for all of them when ``final``)."""
        still: list[tuple[Any, dict[str, Any]]] = []
        for ref, row in self._pending:
            if ref is not None and not _ref_written(ref):
                if not final:
                    still.append((ref, row))
                    continue
                try:
                    ref.result(timeout)
                except Exception:
                    pass
            fields = warc_fields(ref) or {}
            record_type = (getattr(ref, "record_type", None) or "response") if fields else None
            self.catalog.add_capture(
                **row, record_type=record_type, refers_to_uri=getattr(ref, "refers_to_uri", None),
                **{k: fields.get(k) for k in ("payload_digest", "warc_filename", "warc_offset", "warc_record_id",
                                              "fetched_at")},
            )
        self._pending = still

    def record_error(self, host: str, kind: str) -> None:
        """Count a failed fetch (exception or HTTP error status) for a site."""
        per_site = self.site_errors.setdefault(host, {})
        per_site[kind] = per_site.get(kind, 0) + 1

    def validators_for(self, url: str) -> tuple[str | None, str | None]:
        """ETag / Last-Modified of the last 200 response seen for ``url`` in this process."""
        return self._validators.get(canonical_url(url), (None, None))

    def counts(self) -> dict[str, Any]:
        """Per-site counters of this process for the run row."""
        hosts = sorted(set(self.site_ok) | set(self.site_errors))
        return {"sites": {h: {"ok_responses": self.site_ok.get(h, 0), "errors": self.site_errors.get(h, {})}
                          for h in hosts}}


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


class CatalogExtension:
    """Scrapy extension: run bookkeeping and one ``captures`` row per received response.

    Enable with ``EXTENSIONS = {"govcrawl.catalog.CatalogExtension": 500}``. Disabled when
    ``GOVCRAWL_CATALOG`` is "".
    """

    def __init__(self, crawler: Any, session: CrawlSession) -> None:
        self.crawler = crawler
        self.session = session

    @classmethod
    def from_crawler(cls, crawler: Any) -> CatalogExtension:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        session = CrawlSession.for_crawler(crawler)
        if session is None:
            raise NotConfigured("GOVCRAWL_CATALOG is empty")
        ext = cls(crawler, session)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        if not self.session.owns_run:
            self.session.catalog.mark_running(self.session.run_id)
        spider.logger.info("catalog %s, run %d", self.session.catalog.path, self.session.run_id)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        self.session.record_response(response, request)

    def spider_closed(self, spider: Any, reason: str) -> None:
        session = self.session
        session.flush_captures(final=True)
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        counts = session.counts()
        counts["stats"] = {k: v for k, v in stats.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        counts["reason"] = reason
        status = "finished" if reason == "finished" else "interrupted"
        session.catalog.finish_run(session.run_id, status, counts)
        session.catalog.close()


class CatalogPipeline:
    """Item pipeline (after the report pipeline): upsert each report item into the catalog.

    ``ITEM_PIPELINES = {"govcrawl.pipelines.ReportPipeline": 300, "govcrawl.catalog.CatalogPipeline": 800}``.
    Sets ``item["catalog"]``-free stats ``govcrawl/catalog/{new,version,unchanged}``; items are passed on
    unchanged.
    """

    def __init__(self, crawler: Any, session: CrawlSession) -> None:
        self.crawler = crawler
        self.session = session

    @classmethod
    def from_crawler(cls, crawler: Any) -> CatalogPipeline:
        from scrapy.exceptions import NotConfigured

        session = CrawlSession.for_crawler(crawler)
        if session is None:
            raise NotConfigured("GOVCRAWL_CATALOG is empty")
        return cls(crawler, session)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, dict) or "checks" not in item:
            return item  # not a report item (e.g. a CaptureItem when the report pipeline is off)
        self.session.flush_captures()  # the report pipeline waited for this item's WARC records
        url = item.get("url") or (item.get("source") or {}).get("url") or ""
        etag, last_modified = self.session.validators_for(url)
        capture = self.session.catalog.capture_by_record((item.get("source") or {}).get("warc_record_id"))
        if capture is not None:
            etag = etag or capture["etag"]
            last_modified = last_modified or capture["last_modified"]
        # committed at once (with the capture rows queued before it): a crash never loses a catalogued report
        result = self.session.catalog.upsert_report(item, run_id=self.session.run_id, site=host_of(url),
                                                    etag=etag, last_modified=last_modified, batch=1)
        if self.crawler.stats:
            self.crawler.stats.inc_value(f"govcrawl/catalog/{result.outcome}")
        return item


# --- offline rebuild ---------------------------------------------------------------------------------
def catalog_from_items(items: Iterable[dict[str, Any]], catalog_path: str | os.PathLike[str],
                       warc_paths: Iterable[str | os.PathLike[str]] = ()) -> dict[str, int]:
    """Build (or extend) a catalog from rebuilt report items and the WARC files they came from, offline.

    Captures come from the WARC ``response``/``revisit`` records (with ``metadata`` records for roles);
    report versions are assigned in ``source.fetched_at`` order, so a rebuild from the same WARC files yields
    the same (url, version, content hash) rows the live crawl wrote. Returns counts.
    """
    catalog = Catalog(catalog_path)
    try:
        run_id = catalog.start_run({"rebuild": [str(p) for p in warc_paths]}, status="rebuild")
        captures = 0
        for row in iter_warc_captures(warc_paths):
            catalog.add_capture(**row, run_id=run_id, site=host_of(row["url"]), batch=2000, max_age=30)
            captures += 1
        ordered = sorted(items, key=lambda it: ((it.get("source") or {}).get("fetched_at") or "", it.get("url") or ""))
        outcomes = {"new": 0, "version": 0, "unchanged": 0}
        for item in ordered:
            source = item.get("source") or {}
            capture = catalog.capture_by_record(source.get("warc_record_id"))
            result = catalog.upsert_report(
                item, run_id=run_id, site=host_of(item.get("url") or source.get("url") or ""),
                etag=capture["etag"] if capture else None,
                last_modified=capture["last_modified"] if capture else None, batch=2000, max_age=30,
            )
            outcomes[result.outcome] += 1
        counts = {"captures": captures, **outcomes}
        catalog.finish_run(run_id, "rebuild", counts)
        return counts
    finally:
        catalog.close()


def iter_warc_captures(warc_paths: Iterable[str | os.PathLike[str]]) -> Iterator[dict[str, Any]]:
    """Capture rows (``Catalog.add_capture`` keywords) for every response/revisit/conversion record of WARC files.

    Roles come from the metadata records; a server-not-modified revisit (written without metadata) takes the
    role of the earlier capture of the same URL, as the live crawl recorded it. A ``conversion`` record (a
    browser-rendered page) has no HTTP headers and counts as status 200, like the rendered response the crawl saw.
    """
    from warcio.archiveiterator import ArchiveIterator

    roles_by_url: dict[str, str] = {}
    for path in _expand_warc_paths(warc_paths):
        roles: dict[str, str] = {}
        rows: list[dict[str, Any]] = []
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                headers = record.rec_headers
                rec_type = record.rec_type
                if rec_type == "metadata":
                    target = headers.get_header("WARC-Concurrent-To")
                    try:
                        meta = json.loads(record.content_stream().read().decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        meta = {}
                    if target and isinstance(meta, dict) and meta.get("role"):
                        roles[target] = str(meta["role"])
                    continue
                if rec_type not in ("response", "revisit", "conversion"):
                    continue
                http = record.http_headers if rec_type != "conversion" else None
                if rec_type == "conversion":
                    status: int | None = 200
                else:
                    status = int(http.get_statuscode()) if http and http.get_statuscode() else None
                rows.append({
                    "url": headers.get_header("WARC-Target-URI"),
                    "status": status,
                    "record_type": rec_type,
                    "payload_digest": headers.get_header("WARC-Payload-Digest"),
                    "warc_filename": os.path.basename(path),
                    "warc_offset": records.get_record_offset(),
                    "warc_record_id": headers.get_header("WARC-Record-ID"),
                    "fetched_at": headers.get_header("WARC-Date"),
                    "etag": http.get_header("ETag") if http else None,
                    "last_modified": http.get_header("Last-Modified") if http else None,
                    "content_type": (http.get_header("Content-Type") if http
                                     else headers.get_header("Content-Type")),
                    "revisit_of": headers.get_header("WARC-Refers-To"),
                    "refers_to_uri": headers.get_header("WARC-Refers-To-Target-URI"),
                })
        for row in rows:
            role = roles.get(row["warc_record_id"])
            if role is None and row["record_type"] == "revisit":
                role = roles_by_url.get(row["refers_to_uri"] or row["url"])
            elif role is not None:
                roles_by_url[row["url"]] = role
            row["role"] = role
            yield row


def _expand_warc_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    out: list[str] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            out.extend(str(f) for f in sorted(p.rglob("*.warc.gz")) + sorted(p.rglob("*.warc")))
        else:
            out.append(str(p))
    return out
