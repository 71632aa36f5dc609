"""The embedded SQLite catalog: sites, captures, report versions and runs (no Scrapy, no warcio).

One :class:`Catalog` per process is the single writer (WAL mode, so readers such as ``govcrawl export`` never
block it). Reports are upserted keyed by (canonical URL, content hash), so a re-run after a crash or an
unchanged re-fetch never adds a duplicate and a changed report becomes a new version. Whenever two consecutive
years of one agency are catalogued, the later report also carries the cross-year carry-over check
(:mod:`govcrawl.catalog.crosscheck`). The crawl fills the catalog through :mod:`govcrawl.catalog.crawl`, an
offline rebuild through :mod:`govcrawl.catalog.rebuild`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from govcrawl.capture import warc_location
from govcrawl.catalog.crosscheck import carryover, check_counts, with_cross_check
from govcrawl.catalog.migrate import migrate
from govcrawl.catalog.schema import (
    CARRYOVER_RULE,
    FIGURE_KEYS,
    LATEST_REPORTS,
    CatalogError,
    ItemEncoding,
    canonical_url,
    utc_now,
)
from govcrawl.catalog.withdrawals import open_withdrawals, record_withdrawals
from govcrawl.gazetteer import region_of


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
        migrate(self.conn, self.path)

    # -- transactions: batch many writes per commit, commit at least every `max_age` seconds
    def _begin(self) -> None:
        if not self._in_tx:
            self.conn.execute("BEGIN IMMEDIATE")
            self._in_tx = True

    def _wrote(self, batch: int, max_age: float) -> None:
        self._pending += 1
        if self._pending >= batch or time.monotonic() - self._last_commit >= max_age:
            self.commit()

    def commit_if_older(self, max_age: float) -> None:
        """Commit pending writes older than ``max_age`` seconds (called from a timer: an idle crawl commits too)."""
        if self._in_tx and time.monotonic() - self._last_commit >= max_age:
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
                    revisit_of: str | None = None, refers_to_uri: str | None = None,
                    stub_kind: str | None = None, batch: int = 200,
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
            " content_type, revisit_of, stub_kind) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, site, url, canonical_url(url), status, role, record_type, payload_digest, warc_filename,
             warc_offset, warc_record_id, fetched_at or utc_now(), etag, last_modified, content_type, revisit_of,
             stub_kind),
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
                      batch: int = 50, max_age: float = 2.0, encoding: ItemEncoding | None = None) -> UpsertResult:
        """Insert a report version, or refresh ``last_seen`` of an identical one (keyed by URL + content hash)."""
        url = item.get("url") or (item.get("source") or {}).get("url")
        if not url:
            raise ValueError("report item has no url")
        key = canonical_url(url)
        encoding = encoding if encoding is not None and encoding.item is item else ItemEncoding(item)  # caller's?
        source = item.get("source") or {}
        seen = seen_at or source.get("fetched_at") or utc_now()
        self._begin()
        versions = self.conn.execute("SELECT id, version, content_hash FROM reports WHERE canonical_url=?",
                                     (key,)).fetchall()  # the identical version, and the highest version number
        row = next((v for v in versions if v["content_hash"] == encoding.digest), None)
        if row is not None:
            self.conn.execute(
                "UPDATE reports SET last_seen_run=COALESCE(?, last_seen_run), last_seen_at=MAX(last_seen_at, ?),"
                " etag=COALESCE(?, etag), last_modified=COALESCE(?, last_modified),"
                " payload_digest=COALESCE(?, payload_digest) WHERE id=?",
                (run_id, seen, etag, last_modified, source.get("payload_digest"), row["id"]),
            )
            self._cross_check(item)
            self._wrote(batch, max_age)
            return UpsertResult("unchanged", int(row["id"]), int(row["version"]))
        version = max((int(v["version"]) for v in versions), default=0) + 1
        region = region_of(item.get("agency"))
        checks_ok, checks_failed = check_counts(item.get("checks") or [])
        figures = item.get("figures") or {}
        columns: dict[str, Any] = {
            "url": url, "canonical_url": key, "version": version, "content_hash": encoding.digest,
            "site": site or (item.get("discovery") or {}).get("site") or urlsplit(url).hostname,
            "title": item.get("title"), "agency": item.get("agency"), "admin_level": item.get("admin_level"),
            "adcode": item.get("adcode") or region.adcode,
            "division_level": item.get("division_level") or region.division_level,
            "province": region.province, "city": region.city, "county": region.county,
            "report_year": item.get("report_year"), "published": item.get("published"),
            "format": item.get("format"),
            "checks_ok": checks_ok, "checks_failed": checks_failed,
            "flags": ",".join(str(f) for f in item.get("flags") or []),
            **{key_: _int_or_none(figures.get(key_)) for key_ in FIGURE_KEYS},
            **warc_location(source), "etag": etag, "last_modified": last_modified,
            "item_json": encoding.item_json(),
            "first_seen_run": run_id, "last_seen_run": run_id, "first_seen_at": seen, "last_seen_at": seen,
        }
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        cur = self.conn.execute(f"INSERT INTO reports ({names}) VALUES ({marks})", tuple(columns.values()))
        self._cross_check(item, inserted=(int(cur.lastrowid or 0), item.get("checks")))
        self._wrote(batch, max_age)
        return UpsertResult("new" if version == 1 else "version", int(cur.lastrowid or 0), version)

    # -- checks across reports: the carry-over between consecutive years of one agency
    def _latest_by_year(self, agency: str, year: int) -> dict[int, list[sqlite3.Row]]:
        """``year - 1 .. year + 1`` -> ids of the latest version of each report URL of ``agency`` that year, most
        recently seen first (one query)."""
        years = (year - 1, year, year + 1)
        rows = self.conn.execute(
            "SELECT id, report_year FROM (SELECT id, report_year, last_seen_at, version,"
            " ROW_NUMBER() OVER (PARTITION BY report_year, canonical_url ORDER BY last_seen_at DESC, version DESC)"
            " AS _rank FROM reports WHERE agency=? AND report_year IN (?, ?, ?)) WHERE _rank=1"
            " ORDER BY last_seen_at DESC, version DESC, id DESC", (agency, *years)).fetchall()
        return {y: [row for row in rows if row["report_year"] == y] for y in years}

    def _cross_check(self, item: dict[str, Any], inserted: tuple[int, Any] | None = None) -> None:
        """Recompute the carry-over check of the agency's reports of the item's year and of the year after.

        Each latest report of year N+1 is checked against the most recently seen report of year N; the check is
        stored in its ``item_json`` and check counts, replacing the one computed before. ``inserted``: (row id,
        checks) of the row just inserted from ``item``, whose checks are known without decoding its JSON."""
        agency, year = item.get("agency"), item.get("report_year")
        if not agency or not isinstance(year, int) or isinstance(year, bool):
            return
        by_year = self._latest_by_year(agency, year)
        decoded: dict[int, dict[str, Any]] = {}  # row id -> its item as stored now

        def stored_item(row: sqlite3.Row, sql: str = "SELECT item_json FROM reports WHERE id=?") -> dict[str, Any]:
            if row["id"] not in decoded:  # read only when needed: a report's JSON is its largest column
                decoded[row["id"]] = json.loads(self.conn.execute(sql, (row["id"],)).fetchone()[0])
            return decoded[row["id"]]

        for later_year in (year, year + 1):
            earlier, rows = by_year[later_year - 1], by_year[later_year]
            for row in rows:
                prev_item = stored_item(earlier[0]) if earlier else None
                if inserted is not None and row["id"] == inserted[0] and row["id"] not in decoded:  # as JSON has it
                    stored_checks = json.loads(json.dumps(inserted[1], ensure_ascii=False, default=str)) or []
                else:
                    stored_checks = stored_item(row).get("checks") or []
                check = carryover(prev_item, stored_item(row)) if prev_item is not None else None
                checks = with_cross_check(stored_checks, CARRYOVER_RULE, check)
                if checks == stored_checks:
                    continue
                passed, failed = check_counts(checks)
                encoded = json.dumps({**stored_item(row), "checks": checks}, ensure_ascii=False, sort_keys=True,
                                     default=str)
                self.conn.execute("UPDATE reports SET item_json=?, checks_ok=?, checks_failed=? WHERE id=?",
                                  (encoded, passed, failed, row["id"]))
                decoded[row["id"]] = json.loads(encoded)  # as the next read of the row would give it

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

    # -- disappearances (govcrawl.catalog.withdrawals)
    def record_withdrawals(self, run_id: int) -> list[dict[str, Any]]:
        """Record the reports this (complete) run shows withdrawn: unlisted, 404/410 or a removal stub."""
        self.commit()
        return record_withdrawals(self.conn, run_id)

    def withdrawals(self) -> dict[str, dict[str, Any]]:
        """Canonical URL -> the current withdrawal of that report (reinstated ones left out)."""
        return open_withdrawals(self.conn)

    def reports(self, *, latest_only: bool = True, year: int | None = None, agency: str | None = None,
                region: str | None = None, first_seen_run: int | None = None) -> Iterator[sqlite3.Row]:
        """Report rows, filtered; ``latest_only`` keeps the most recently seen version of each URL."""
        where, params = _report_filters(year=year, agency=agency, region=region, first_seen_run=first_seen_run)
        base = "SELECT * FROM reports"
        if latest_only:
            base = f"SELECT * FROM {LATEST_REPORTS} WHERE _rank = 1"
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
