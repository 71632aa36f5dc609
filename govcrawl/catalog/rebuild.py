"""Rebuild a catalog offline from WARC files and the report items rebuilt from them (``govcrawl rebuild --catalog``).

Records are read through :mod:`govcrawl.warc.reader`; report versions are assigned in ``source.fetched_at``
order, so a rebuild from the same WARC files yields the same (url, version, content hash) rows the live crawl
wrote.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from govcrawl.capture import warc_location
from govcrawl.catalog.schema import host_of
from govcrawl.catalog.store import Catalog
from govcrawl.warc.reader import RecordRef, scan_file, warc_files


def _capture_row(ref: RecordRef) -> dict[str, Any]:
    """``Catalog.add_capture`` keywords of one response/revisit/conversion record (role added by the caller)."""
    return {
        "url": ref.uri, "status": ref.status, "record_type": ref.record_type, **warc_location(ref),
        "etag": ref.etag, "last_modified": ref.last_modified, "content_type": ref.content_type,
        "revisit_of": ref.refers_to, "refers_to_uri": ref.refers_to_uri,
    }


def capture_rows(warc_paths: Iterable[str | os.PathLike[str]]) -> Iterator[dict[str, Any]]:
    """Capture rows for every response/revisit/conversion record of the closed WARC files in ``warc_paths``.

    Roles come from the metadata records of the same file; a server-not-modified revisit (written without
    metadata) takes the role of the earlier capture of the same URL, as the live crawl recorded it. A
    ``conversion`` record (a browser-rendered page) counts as status 200, like the rendered response the crawl saw.
    """
    roles_by_url: dict[str, str] = {}
    for path in warc_files(warc_paths, include_open=False):
        roles: dict[str, str] = {}
        rows: list[dict[str, Any]] = []
        for _kind, ref, fields in scan_file(path):
            if ref is not None:
                rows.append(_capture_row(ref))
            elif fields is not None and fields.get("_concurrent_to") and fields.get("role"):
                roles[fields["_concurrent_to"]] = str(fields["role"])
        for row in rows:
            role = roles.get(row["warc_record_id"])
            if role is None and row["record_type"] == "revisit":
                role = roles_by_url.get(row["refers_to_uri"] or row["url"])
            elif role is not None:
                roles_by_url[row["url"]] = role
            row["role"] = role
            yield row


def rebuild_catalog(items: Iterable[dict[str, Any]], catalog_path: str | os.PathLike[str],
                    warc_paths: Iterable[str | os.PathLike[str]] = ()) -> dict[str, int]:
    """Build (or extend) a catalog from rebuilt report items and the WARC files they came from; return counts."""
    warc_paths = list(warc_paths)
    catalog = Catalog(catalog_path)
    try:
        run_id = catalog.start_run({"rebuild": [str(p) for p in warc_paths]}, status="rebuild")
        captures = 0
        for row in capture_rows(warc_paths):
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
