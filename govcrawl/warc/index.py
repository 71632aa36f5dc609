"""``govcrawl index PATH… [-o index.cdxj]``: a sorted CDXJ index of WARC files (cdxj-indexer).

cdxj-indexer pairs a response with its request only through ``WARC-Concurrent-To``, which govcrawl writes;
with ``--post-append`` the request's method is added to the index lines.
"""

from __future__ import annotations

import argparse
import sys

from cdxj_indexer.main import CDXJIndexer

from govcrawl.warc.files import warc_files


def write_index(paths: list[str], output: str | None = None, *, dir_root: str | None = None,
                post_append: bool = False, with_metadata: bool = False) -> int:
    """Write a sorted CDXJ index of the WARC files under paths to output (stdout if None).

    Lines carry the request ``method`` taken from the request record paired (by WARC-Concurrent-To) with
    each response. ``filename`` fields are relative to ``dir_root`` when given (else the base name, which
    is what pywb expects for a collection's archive/ directory). govcrawl's JSON ``metadata`` records are
    left out unless ``with_metadata`` (then under their own ``metadata://<page url>`` keys; archives written
    before that naming give them the page URL, where a replay tool would take them for captures of the page).
    ``conversion`` records (browser-rendered DOMs) are left out: the replayable capture is the raw response.
    Returns the number of files indexed.
    """
    files = warc_files(paths, include_open=False)  # a file still being written is not replayable yet
    records = "response,revisit,resource" + (",metadata" if with_metadata else "")
    indexer = CDXJIndexer(output or "-", files, sort=True, dir_root=dir_root, post_append=post_append,
                          fields="method", records=records)
    indexer.process_all()
    return len(files)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="WARC files or directories")
    parser.add_argument("-o", "--output", help="index file to write (default: stdout)")
    parser.add_argument("--dir-root", help="write file names relative to this directory")
    parser.add_argument("--post-append", action="store_true", help="append POST bodies to the url key (cdxj-indexer -p)")
    parser.add_argument("--with-metadata", action="store_true", help="also index govcrawl's JSON metadata records")


def run(args: argparse.Namespace) -> int:
    try:
        count = write_index(list(args.paths), args.output, dir_root=args.dir_root, post_append=args.post_append,
                            with_metadata=args.with_metadata)
    except FileNotFoundError as exc:
        print(f"govcrawl index: {exc}", file=sys.stderr)
        return 2
    if args.output:
        print(f"indexed {count} WARC files -> {args.output}", file=sys.stderr)
    return 0
