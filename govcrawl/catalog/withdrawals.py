"""Disappearances: reports a later run finds gone, recorded as ``withdrawals`` rows (what transparency research
measures). Plain SQL over the catalog connection; no Scrapy, no warcio.

After a complete run (``govcrawl nightly`` calls :func:`record_withdrawals` when the crawl finished), the latest
version of each catalogued report that is not already withdrawn is looked at:

- its URL answered ``404`` or ``410`` in this run: reason ``http_404`` / ``http_410``, evidence that answer;
- it answered ``200`` with a "content deleted" page (a meta-refresh removal stub, :func:`govcrawl.stubs.stub_kind`
  ``removed_stub``, recorded by the catalog extension in ``captures.stub_kind``): reason ``removed_stub``;
- it was not seen in this run although the column page that listed it (``source.list_url``) answered ``200`` in
  this run, and its URL was not requested at all: reason ``unlisted``, evidence the column page's capture. A site
  whose fetches failed with a network error in this run is skipped (a report request may have been lost).

A near-empty answer (``tiny_body``) is a WAF glitch, not a deletion, and a failed fetch (5xx, timeout) proves
nothing, so neither counts. A withdrawn report that is seen again later is reinstated (``reinstated_at``).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from govcrawl.catalog.schema import LATEST_REPORTS, canonical_url, utc_now

GONE_STATUSES = (404, 410)
DELETION_STUBS = frozenset({"removed_stub"})


def _network_failed_sites(conn: sqlite3.Connection, run_id: int) -> set[str]:
    row = conn.execute("SELECT counts FROM runs WHERE id=?", (run_id,)).fetchone()
    sites = (json.loads(row["counts"] or "{}") if row else {}).get("sites") or {}
    return {host for host, entry in sites.items()
            if any(not str(kind).startswith("http_") for kind in (entry.get("errors") or {}))}


def _latest_capture(conn: sqlite3.Connection, key: str, run_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM captures WHERE canonical_url=? AND run_id=? ORDER BY id DESC LIMIT 1",
                        (key, run_id)).fetchone()


def _reinstate(conn: sqlite3.Connection, run_id: int, now: str) -> None:
    conn.execute(
        "UPDATE withdrawals SET reinstated_at=?, reinstated_run=? WHERE reinstated_at IS NULL AND run_id<>? AND"
        " EXISTS (SELECT 1 FROM reports AS r WHERE r.canonical_url=withdrawals.canonical_url AND r.last_seen_run=?)",
        (now, run_id, run_id, run_id))


def _evidence(report: sqlite3.Row, item: dict[str, Any], run_id: int, conn: sqlite3.Connection,
              network_failed: set[str]) -> tuple[str, sqlite3.Row | None] | None:
    """(reason, evidence capture) when this run shows the report gone, else None."""
    answer = _latest_capture(conn, report["canonical_url"], run_id)
    if answer is not None:
        if answer["status"] in GONE_STATUSES:
            return f"http_{answer['status']}", answer
        if answer["status"] == 200 and answer["stub_kind"] in DELETION_STUBS:
            return str(answer["stub_kind"]), answer
        return None  # requested: still listed (a failed or unparsed fetch proves nothing)
    if report["last_run"] is None or report["last_run"] >= run_id or report["site"] in network_failed:
        return None
    list_url = (item.get("source") or {}).get("list_url")
    column = _latest_capture(conn, canonical_url(list_url), run_id) if list_url else None
    if column is None or column["status"] != 200:
        return None  # the column was not read in this run: nothing shows the report is gone
    return "unlisted", column


def record_withdrawals(conn: sqlite3.Connection, run_id: int) -> list[dict[str, Any]]:
    """Record the withdrawals this run shows (see the module docstring); return them, oldest report first.

    The caller holds no open transaction; this commits its own."""
    now = utc_now()
    network_failed = _network_failed_sites(conn, run_id)
    conn.execute("BEGIN IMMEDIATE")
    try:
        _reinstate(conn, run_id, now)
        reports = conn.execute(
            f"SELECT r.*, s.last_run FROM {LATEST_REPORTS} AS r"
            " JOIN (SELECT canonical_url, MAX(last_seen_run) AS last_run FROM reports GROUP BY canonical_url) AS s"
            " ON s.canonical_url = r.canonical_url"
            " WHERE r._rank = 1 AND NOT EXISTS (SELECT 1 FROM withdrawals AS w"
            " WHERE w.canonical_url = r.canonical_url AND w.reinstated_at IS NULL) ORDER BY r.id").fetchall()
        found: list[dict[str, Any]] = []
        for report in reports:
            item = json.loads(report["item_json"])
            seen = _evidence(report, item, run_id, conn, network_failed)
            if seen is None:
                continue
            reason, capture = seen
            entry = {
                "url": report["url"], "title": report["title"], "agency": report["agency"],
                "report_year": report["report_year"], "reason": reason,
                "withdrawn_at": (capture["fetched_at"] if capture is not None else None) or now,
                "evidence_url": capture["url"] if capture is not None else None,
                "evidence_record_id": capture["warc_record_id"] if capture is not None else None,
                "evidence_status": capture["status"] if capture is not None else None,
            }
            conn.execute(
                "INSERT INTO withdrawals (canonical_url, url, report_id, run_id, withdrawn_at, reason, evidence_url,"
                " evidence_record_id, evidence_status) VALUES (?,?,?,?,?,?,?,?,?)",
                (report["canonical_url"], report["url"], report["id"], run_id, entry["withdrawn_at"], reason,
                 entry["evidence_url"], entry["evidence_record_id"], entry["evidence_status"]))
            found.append(entry)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found


def open_withdrawals(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Canonical URL -> its current (not reinstated) withdrawal: the latest one."""
    rows = conn.execute("SELECT * FROM withdrawals WHERE reinstated_at IS NULL ORDER BY id").fetchall()
    return {row["canonical_url"]: dict(row) for row in rows}
