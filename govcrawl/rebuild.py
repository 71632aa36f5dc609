"""``govcrawl rebuild PATH… -o OUT.jsonl [-j N] [--catalog PATH]``: report items from WARC files, offline.

Reads the archive with :mod:`govcrawl.warc.reader` (no network), rebuilds the same :class:`Capture` the live
crawl built, and runs the same :func:`govcrawl.report.build_item`. Output is JSONL (UTF-8, not ASCII-escaped)
in (url, fetch date, record id) order, so two rebuilds of one archive are byte-identical. ``-j 2`` spreads extraction over
a process pool (each worker reads its own payloads from the WARC files).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from govcrawl.capture import Capture, warc_location
from govcrawl.catalog.rebuild import rebuild_catalog
from govcrawl.report import build_item, flagged_item, resource_limit_message
from govcrawl.stubs import stub_kind
from govcrawl.warc.reader import CaptureRef, index_captures, load_capture

#: show a progress bar from this many captures on (and only on a terminal)
PROGRESS_MIN_CAPTURES = 50


def _is_stub(body: bytes) -> bool:
    """The crawl emits no item for a near-empty or "removed" stub page (it counts a trap instead): neither do we."""
    return stub_kind(body) is not None


def _build(capture_ref: CaptureRef) -> dict[str, Any] | None:
    try:
        capture = load_capture(capture_ref)
    except (OSError, ValueError) as exc:  # a damaged record: flag it, keep going
        record = capture_ref.record
        capture = Capture(url=record.uri, body=b"", discovery=capture_ref.discovery, warc=warc_location(record))
        return flagged_item(capture, [f"extract_error: unreadable WARC record: {exc}"[:300]])
    if _is_stub(capture.body):
        return None
    return build_item(capture)


def _items(refs: list[CaptureRef], jobs: int, progress: Any = None) -> Iterator[dict[str, Any] | None]:
    """One entry per capture, in order; None for a stub capture the crawl would not have emitted."""
    if jobs <= 1 or len(refs) < 2:
        for ref in refs:
            item = _build(ref)
            if progress is not None:
                progress.update(1)
            yield item
        return
    chunksize = max(1, min(32, len(refs) // (jobs * 8) or 1))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for item in pool.map(_build, refs, chunksize=chunksize):
            if progress is not None:
                progress.update(1)
            yield item


def rebuild_items(paths: Iterable[str | os.PathLike[str]], jobs: int = 1) -> Iterator[dict[str, Any]]:
    """Report items rebuilt from the WARC files/folders in ``paths``, in (url, fetch date, record id) order."""
    yield from (item for item in _items(index_captures(paths), jobs) if item is not None)


def set_aside_damaged(path: Path) -> None:
    """A catalog file SQLite cannot read whole is renamed ``<name>.damaged`` (with its -wal/-shm) so the
    rebuild restores a fresh one from the WARC files in its place."""
    from govcrawl.nightly import catalog_damage

    damage = catalog_damage(path)
    if damage is None:
        return
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            part.replace(f"{path}.damaged{suffix}")
    print(f"govcrawl rebuild: {damage}: moved to {path}.damaged, restoring it from the WARC files", file=sys.stderr)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="WARC files or folders holding them")
    parser.add_argument("-o", "--output", required=True, help="JSONL file to write ('-' for stdout)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--catalog", help="also record the rebuilt items in this SQLite catalog")


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        print("govcrawl rebuild: -j must be at least 1", file=sys.stderr)
        return 2
    try:
        refs = index_captures(args.paths)
    except (FileNotFoundError, ValueError) as exc:
        print(f"govcrawl rebuild: {exc}", file=sys.stderr)
        return 2
    from tqdm import tqdm

    show = len(refs) >= PROGRESS_MIN_CAPTURES and sys.stderr.isatty()
    progress = tqdm(total=len(refs), unit="report", file=sys.stderr, disable=not show)
    flagged = stubs = 0
    kept: list[dict[str, Any]] = []
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    try:
        for item in _items(refs, args.jobs, progress):
            if item is None:
                stubs += 1
                continue
            out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
            flagged += bool(item.get("flags"))
            refused = resource_limit_message(item)
            if refused:
                print(f"govcrawl rebuild: {item.get('url')}: {refused}", file=sys.stderr)
            if args.catalog:
                kept.append(item)
    finally:
        progress.close()
        if out is not sys.stdout:
            out.close()
    if args.catalog:
        set_aside_damaged(Path(args.catalog))
        counts = rebuild_catalog(kept, args.catalog, list(args.paths))
        print(f"catalog {args.catalog}: {counts}", file=sys.stderr)
    print(f"rebuilt {len(refs) - stubs} report captures ({flagged} flagged; {stubs} stub pages skipped "
          f"as the crawl does) -> {args.output}", file=sys.stderr)
    return 0
