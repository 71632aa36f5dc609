"""``govcrawl parse PATH|- [--url URL]``: parse one report file (or stdin) and print its item as one JSON object.

.txt files are read as text (UTF-8, else GB18030); .html/.htm/.pdf/.docx (and stdin, sniffed) go through
``govcrawl.extract.extract_document`` first. Exit status: 0 item printed; 3 item printed but flagged
``not_a_report``; 1 unusable input (empty, binary, no text, unreadable document); 2 bad arguments / missing file;
70 an internal error. Messages go to stderr; no traceback is ever shown.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_NOT_A_REPORT, EXIT_INTERNAL = 0, 1, 2, 3, 70
_TEXT_SUFFIXES = (".txt", ".text")


class InputError(Exception):
    """Input that cannot be turned into report text; the message is shown to the user."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="report file (.txt, .html, .htm, .pdf, .docx) or - for stdin")
    parser.add_argument("--url", default=None, help="the page's URL, recorded in the item (default: none)")


def _read_body(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if file.is_dir():
        raise FileNotFoundError(f"is a directory, not a file: {path}")
    return file.read_bytes()


def _decode_text(body: bytes) -> str:
    if b"\x00" in body[:8192]:
        raise InputError("binary file: not text, HTML, PDF or DOCX")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("cannot decode the file as UTF-8 or GB18030 text")


def _document(body: bytes, path: str, url: str | None) -> tuple[str, list | None, dict, list[str]]:
    """(text, grids, page_meta, extract flags) for a file's bytes."""
    if path != "-" and Path(path).suffix.lower() in _TEXT_SUFFIXES:
        return _decode_text(body), None, {}, []
    from govcrawl.extract import extract_document

    source_url = url or (Path(path).resolve().as_uri() if path != "-" else "stdin:")
    try:
        document = extract_document(body, None, source_url)
    except ValueError as exc:
        raise InputError(f"cannot read the document: {exc}") from exc
    if document.kind == "binary":
        raise InputError("binary file: not text, HTML, PDF or DOCX")
    if not document.text.strip():
        if document.image_only:
            raise InputError(f"image-only {document.kind} (图片版): no text to parse")
        raise InputError(f"no text found in the {document.kind} document")
    return document.text, document.grids, dict(document.page_meta), list(document.flags)


def parse_file(path: str, url: str | None = None) -> dict[str, Any]:
    """The report item for one file (``source`` None: a file has no capture provenance)."""
    from govcrawl.parser import ParseError, parse_report

    body = _read_body(path)
    if not body.strip():
        raise InputError("empty input: nothing to parse")
    text, grids, page_meta, flags = _document(body, path, url)
    try:
        item = parse_report(text, url=url, grids=grids, page_meta=page_meta)
    except ParseError as exc:
        raise InputError(str(exc)) from exc
    item["flags"] = list(dict.fromkeys([*item["flags"], *flags]))
    item["source"] = None
    return item


def run(args: argparse.Namespace) -> int:
    try:
        item = parse_file(args.path, args.url)
    except FileNotFoundError as exc:
        print(f"govcrawl parse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (InputError, OSError) as exc:
        print(f"govcrawl parse: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # never a traceback for the user; say what broke
        print(f"govcrawl parse: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
    if "not_a_report" in item["flags"]:
        print("govcrawl parse: warning: this does not look like a 政府信息公开工作年度报告 (flagged not_a_report)",
              file=sys.stderr)
        return EXIT_NOT_A_REPORT
    return EXIT_OK
