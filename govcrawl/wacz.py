"""WACZ packaging of an archive, with py-wacz (the ``wacz`` package), for ReplayWeb.page and other WACZ readers.

``govcrawl wacz ARCHIVE -o corpus.wacz`` packs the closed WARC files of ``ARCHIVE``, a CDXJ index (py-wacz's
indexer), ``datapackage.json`` with its digest, and ``pages/pages.jsonl`` listing every report page with its
title and clean text (ReplayWeb.page's full-text search reads ``text``). The pages come from the catalog's
latest report items, so the text is the one researchers get in exports. The WACZ is validated after writing.

Signing (optional): py-wacz asks an authsign server for a signature of ``datapackage-digest.json``:
``govcrawl wacz ARCHIVE -o corpus.wacz --signing-url URL --signing-token TOKEN`` (needs ``pip install
'wacz[signing]'`` and a signing server you run; nothing is contacted unless you pass ``--signing-url``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "政府信息公开工作年度报告", "hasText": True}


class WaczError(RuntimeError):
    """The WACZ could not be written or did not validate."""


@dataclass(frozen=True)
class WaczResult:
    path: Path
    warc_files: int
    pages: int


def page_entries(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``pages.jsonl`` entries (url, ts, title, text) of report items that were archived."""
    pages: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        source = item.get("source") or {}
        url, ts = source.get("url") or item.get("url"), source.get("fetched_at")
        if not url or not ts or (url, ts) in seen:
            continue
        seen.add((url, ts))
        pages.append({"id": source.get("warc_record_id") or f"{ts}/{url}", "url": url, "ts": ts,
                      "title": item.get("title") or url, "text": item.get("text") or ""})
    return pages


def write_pages(pages: list[dict[str, Any]], path: Path) -> None:
    """Write ``pages.jsonl`` (header line first) to ``path``."""
    with path.open("w", encoding="utf-8") as out:
        for entry in [PAGES_HEADER, *pages]:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _run_py_wacz(args: list[str]) -> tuple[int, str]:
    from wacz.main import main as wacz_main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = wacz_main(args)
    return int(status or 0), printed.getvalue()


def create_wacz(warc_files: list[Path], items: Iterable[dict[str, Any]], output: Path, *,
                signing_url: str | None = None, signing_token: str | None = None) -> WaczResult:
    """Pack ``warc_files`` and the pages of ``items`` into ``output``; validate it; raise WaczError if not valid."""
    if not warc_files:
        raise WaczError("no closed WARC files to pack")
    pages = page_entries(items)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="govcrawl-wacz-") as scratch:
        pages_path = Path(scratch) / "pages.jsonl"
        write_pages(pages, pages_path)
        partial = output.with_name(output.name + ".partial")
        args = ["create", "-o", str(partial), "-p", str(pages_path), "-c", *[str(p) for p in warc_files]]
        if signing_url:
            args += ["--signing-url", signing_url] + (["--signing-token", signing_token] if signing_token else [])
        status, printed = _run_py_wacz(args)
        if status != 0 or not partial.exists():
            partial.unlink(missing_ok=True)
            raise WaczError(f"py-wacz could not create the WACZ: {printed.strip()[-500:]}")
        problem = validation_problem(partial)
        if problem:
            partial.unlink(missing_ok=True)
            raise WaczError(f"the WACZ did not validate: {problem}")
        os.replace(partial, output)
    return WaczResult(path=output, warc_files=len(warc_files), pages=len(pages))


def validation_problem(path: Path) -> str | None:
    """None when ``wacz validate`` passes on ``path``, else what it printed."""
    status, printed = _run_py_wacz(["validate", "-f", str(path)])
    return None if status == 0 else (printed.strip()[-500:] or f"exit status {status}")


def wacz_members(path: Path) -> list[str]:
    """The file names inside a WACZ."""
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def add_arguments(parser: Any) -> None:
    """Arguments of ``govcrawl wacz``."""
    parser.add_argument("archive", help="archive directory (its closed WARC files are packed)")
    parser.add_argument("-o", "--output", required=True, help="the WACZ file to write, e.g. corpus.wacz")
    parser.add_argument("--catalog", help="catalog whose report items become pages (default: ARCHIVE/catalog.sqlite)")
    parser.add_argument("--signing-url", help="authsign server that signs datapackage-digest.json (optional)")
    parser.add_argument("--signing-token", help="token for the signing server")


def run(args: Any) -> int:
    """``govcrawl wacz ARCHIVE -o corpus.wacz``: pack, validate, print a one-line summary."""
    import sys

    from govcrawl.catalog import Catalog, CatalogError
    from govcrawl.warc.files import warc_files

    archive = Path(args.archive)
    catalog_path = Path(args.catalog) if args.catalog else archive / "catalog.sqlite"
    if not archive.is_dir():
        print(f"govcrawl wacz: no archive directory at {archive}", file=sys.stderr)
        return 2
    if not catalog_path.is_file():
        print(f"govcrawl wacz: no catalog at {catalog_path}", file=sys.stderr)
        return 2
    try:
        with Catalog(catalog_path) as catalog:
            items = list(catalog.items())
        files = [Path(p) for p in warc_files([archive], include_open=False)]
        result = create_wacz(files, items, Path(args.output), signing_url=args.signing_url,
                             signing_token=args.signing_token)
    except (WaczError, CatalogError, OSError) as exc:
        print(f"govcrawl wacz: {exc}", file=sys.stderr)
        return 1
    print(f"govcrawl wacz: {result.path}: {result.warc_files} WARC file(s), {result.pages} page(s); valid")
    return 0
