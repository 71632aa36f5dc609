"""The ``govcrawl`` console script: every subcommand is declared here.

``parse`` and ``crawl`` are defined in this module; the others come from the module that owns their concern,
which exposes ``add_arguments(parser)`` and ``run(args) -> int`` beside its library functions.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from govcrawl import __version__, browse, export, nightly, overview, rebuild, regions, wacz
from govcrawl.capture import Capture
from govcrawl.demo import run as demo_run
from govcrawl.demo import serve as demo_serve
from govcrawl.discovery import explain as discovery_explain
from govcrawl.discovery.finder import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_PAGES,
    read_url_list,
    registry_entry,
    registry_toml,
    site_name,
)
from govcrawl.extract import detect_kind
from govcrawl.report import build_item, resource_limit_message
from govcrawl.sites import RegistryError, load_registry
from govcrawl.warc import index as warc_index
from govcrawl.warc import repair as warc_repair

# --------------------------------------------------------------------------------------------------- parse
EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_NOT_A_REPORT, EXIT_INTERNAL = 0, 1, 2, 3, 70
_TEXT_SUFFIXES = (".txt", ".text")
#: flags of an item that holds no parsed report: the input was unusable
_UNUSABLE = {"image_only": "image-only document (图片版): no text to parse",
             "empty": "no text found in the document",
             "unsupported_format": "unsupported format: not text, HTML, PDF, DOCX or a readable DOC/WPS"}


class InputError(Exception):
    """Input that cannot be turned into report text; the message is shown to the user."""


def add_parse_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="report file (.txt, .html, .htm, .pdf, .docx, .doc) or - for stdin")
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


def file_capture(body: bytes, path: str, url: str | None = None) -> Capture:
    """A :class:`Capture` for a local file (or stdin): ``.txt`` files are plain text, the rest is sniffed."""
    source_url = url or (Path(path).resolve().as_uri() if path != "-" else "stdin:")
    is_text = path != "-" and Path(path).suffix.lower() in _TEXT_SUFFIXES
    if is_text and b"\x00" in body[:8192]:
        raise InputError("binary file: not text, HTML, PDF or DOCX")
    if not is_text and detect_kind(body, None, source_url) == "binary":
        raise InputError("binary file: not text, HTML, PDF or DOCX")
    return Capture(url=source_url, body=body, content_type="text/plain" if is_text else None)


def parse_file(path: str, url: str | None = None) -> dict[str, Any]:
    """The report item of one file, built by :func:`govcrawl.report.build_item` like a crawled page.

    ``url`` and ``source`` stay None unless ``--url`` is given: a file has no capture provenance."""
    body = _read_body(path)
    if not body.strip():
        raise InputError("empty input: nothing to parse")
    item = build_item(file_capture(body, path, url))
    refused = resource_limit_message(item)
    if refused and not item.get("sections"):
        raise InputError(refused)
    for flag in item["flags"]:
        if flag in _UNUSABLE:
            raise InputError(_UNUSABLE[flag])
        if flag.startswith("extract_error"):
            raise InputError(f"cannot read the document: {flag.partition(': ')[2] or flag}")
    item["url"] = url
    item["source"] = None
    return item


def run_parse(args: argparse.Namespace) -> int:
    """``govcrawl parse PATH|- [--url URL]``: print one JSON item. Exit 0 item; 3 item flagged
    ``not_a_report``; 1 unusable input; 2 missing file; 70 internal error. Never a traceback."""
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


# --------------------------------------------------------------------------------------------------- crawl
_FEED_FORMATS = ((".jsonl", "jsonlines"), (".jl", "jsonlines"), (".json", "json"), (".csv", "csv"), (".xml", "xml"))


def add_crawl_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start-urls", nargs="+", metavar="URL", help="信息公开年报 column URL(s) to crawl")
    parser.add_argument("--sites", metavar="FILE", help="site registry (TOML, see docs/sites.md)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write items to FILE (format from extension, e.g. .jsonl)")
    parser.add_argument("--archive-dir", metavar="DIR", help="WARC archive folder (GOVCRAWL_ARCHIVE_DIR)")
    parser.add_argument("--fast-local", action="store_true",
                        help="the add-on's local profile: no politeness delays (only for portals on 127.0.0.1, "
                             "e.g. the demo)")
    parser.add_argument("--discovery-only", action="store_true",
                        help="skip extraction/parsing: output what was found (URL, size, SHA-1, provenance)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy/govcrawl setting (repeatable)")


def feed_format(path: str) -> str:
    """Scrapy's feed format for an output file name (JSON lines unless the extension says otherwise)."""
    lowered = path.lower()
    return next((name for suffix, name in _FEED_FORMATS if lowered.endswith(suffix)), "jsonlines")


def crawl_settings(args: argparse.Namespace) -> Settings:
    """The project settings (with the add-on in ``ADDONS``) plus the command line, at the cmdline priority."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "govcrawl.settings")
    settings = get_project_settings()
    overrides: dict[str, Any] = {}
    if getattr(args, "archive_dir", None):
        overrides["GOVCRAWL_ARCHIVE_DIR"] = args.archive_dir
    if args.fast_local:
        overrides["GOVCRAWL_FAST_LOCAL"] = True
    if getattr(args, "discovery_only", False):  # replaces the add-on's item pipelines
        overrides["ITEM_PIPELINES"] = {"govcrawl.pipelines.CaptureSummaryPipeline": 300}
    if getattr(args, "output", None) and args.command == "crawl":
        overrides["FEEDS"] = {args.output: {"format": feed_format(args.output), "overwrite": True}}
    for assignment in args.set:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise SystemExit(f"govcrawl {args.command}: -s expects NAME=VALUE, got {assignment!r}")
        overrides[name.strip()] = value
    settings.setdict(overrides, priority="cmdline")
    return settings


def run_crawl(args: argparse.Namespace) -> int:
    """``govcrawl crawl``: the gov_reports spider in this process; prints a one-line summary."""
    if args.sites:
        try:
            load_registry(args.sites)  # fail early with a clear message
        except RegistryError as exc:
            print(f"govcrawl crawl: {exc}")
            return 2
    spider_args: dict[str, str] = {}
    if args.start_urls:
        spider_args["start_urls"] = ",".join(args.start_urls)
    if args.sites:
        spider_args["sites"] = args.sites
    process = CrawlerProcess(crawl_settings(args))
    crawler = process.create_crawler("gov_reports")
    process.crawl(crawler, **spider_args)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(crawl_summary(stats))
    return 0 if stats.get("finish_reason") == "finished" else 1


def crawl_summary(stats: dict[str, Any]) -> str:
    """Reports captured, items written, and the sites that met a JS challenge."""
    reports = stats.get("govcrawl/reports", 0) + stats.get("govcrawl/reports/attachment_only", 0)
    blocked = sorted(k.split("/", 2)[2] for k in stats if k.startswith("govcrawl/blocked/") and k.count("/") == 2)
    passed = stats.get("govcrawl/browser/challenge_passed", 0)
    return (f"govcrawl crawl: {reports} report(s) captured, {stats.get('item_scraped_count', 0)} item(s) written"
            + (f"; JS challenge met at: {', '.join(blocked)}" if blocked else "")
            + (f" ({passed} passed in the browser)" if blocked and passed else
               " (set browser_on_challenge = true in the registry to pass it)" if blocked else ""))


# --------------------------------------------------------------------------------------------------- main
Subcommand = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _from(module: ModuleType, help_text: str) -> Subcommand:
    return help_text, module.add_arguments, module.run


#: subcommand -> (one-line help, add_arguments, run)
SUBCOMMANDS: dict[str, Subcommand] = {
    "parse": ("parse one report file (.html/.txt/.pdf/.docx/.doc, or - for stdin) to JSON",
              add_parse_arguments, run_parse),
    "demo": _from(demo_run, "start the bundled demo portal on 127.0.0.1, crawl it, write archive/"),
    "crawl": ("run the gov_reports spider (same as scrapy crawl gov_reports)", add_crawl_arguments, run_crawl),
    "rebuild": _from(rebuild, "rebuild report items (and the catalog) from WARC files, offline"),
    "repair": _from(warc_repair, "repair .warc.gz.open files left by a crash and close them"),
    "index": _from(warc_index, "write a CDXJ index of WARC files"),
    "nightly": _from(nightly, "incremental crawl for cron/systemd with a run report"),
    "export": _from(export, "export the catalog to JSONL, CSV or Parquet"),
    "portal": _from(demo_serve, "serve the mock portal on 127.0.0.1 until interrupted"),
    "explain": _from(discovery_explain, "print, for a list page, each link taken or refused and why"),
    "wacz": _from(wacz, "pack an archive's closed WARC files and report pages into a validated WACZ"),
    "serve": _from(browse, "browse the catalog with SQL: Datasette on 127.0.0.1"),
    "overview": _from(overview, "write one self-contained HTML page picturing the corpus"),
    "regions": _from(regions, "agencies and their administrative-division codes (--unmatched: not placed)"),
}


# ----------------------------------------------------------------- find-columns, sites check (issue 14)
def add_find_columns_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``find-columns`` and ``sites check`` to the ``govcrawl`` subcommands."""
    finder = subparsers.add_parser("find-columns", help="find the 信息公开年报 column(s) from sites' front pages",
                                   description="find the 信息公开年报 column(s) from sites' front pages")
    finder.set_defaults(_run=find_columns)
    finder.add_argument("urls", nargs="*", metavar="URL", help="front page URL(s)")
    finder.add_argument("--from", dest="from_file", metavar="FILE", help="a file of front-page URLs, one a line")
    finder.add_argument("-o", "--output", required=True, metavar="FILE", help="registry to write (TOML)")
    finder.add_argument("--report", metavar="FILE", help="JSON report of every search (default: OUTPUT.report.json)")
    finder.add_argument("--max-depth", type=int, default=DEFAULT_MAX_DEPTH, help="navigation hops from the front page")
    finder.add_argument("--max-pages", type=int, default=DEFAULT_MAX_PAGES, help="most pages fetched per site")
    _crawl_options(finder)
    sites = subparsers.add_parser("sites", help="work on a site registry", description="work on a site registry")
    sites_sub = sites.add_subparsers(dest="sites_command", metavar="ACTION", required=True)
    check = sites_sub.add_parser("check", help="probe every entry: answers, list style, reports, blocked")
    check.set_defaults(_run=sites_check)
    check.add_argument("registry", metavar="SITES.toml")
    check.add_argument("--json", dest="json_path", metavar="FILE", help="status report (default: SITES.status.json)")
    _crawl_options(check)


def _crawl_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fast-local", action="store_true", help="no politeness delays (loopback portals only)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy/govcrawl setting (repeatable), e.g. DOWNLOAD_DELAY=2")


def run_spider(args: argparse.Namespace, spider: str, **spider_args: Any) -> Any:
    """Run one spider through CrawlerProcess and return it (its results are read from its attributes)."""
    process = CrawlerProcess(crawl_settings(args))
    crawler = process.create_crawler(spider)
    process.crawl(crawler, **spider_args)
    process.start()
    return crawler.spider


def find_columns(args: argparse.Namespace) -> int:
    """Search every front page; write the registry and the report. 0 if a column was found for every site."""
    urls = list(args.urls)
    if args.from_file:
        urls += read_url_list(args.from_file)
    if not urls:
        print("govcrawl find-columns: give front-page URL(s) or --from FILE", file=sys.stderr)
        return 2
    spider = run_spider(args, "find_columns", start_urls=",".join(urls), max_depth=args.max_depth,
                        max_pages=args.max_pages)
    taken: set[str] = set()
    entries, report, missing = [], [], []
    for search in spider.searches.values():
        entry = registry_entry(search, site_name(search.front_url, taken))
        if entry:
            entries.append(entry)
        else:
            missing.append(search)
        report.append(search.report())
    output = Path(args.output)
    header = f"written by govcrawl find-columns; check with: govcrawl sites check {output.name}"
    output.write_text(registry_toml(entries, header, missing), encoding="utf-8")
    report_path = Path(args.report or f"{output}.report.json")
    report_path.write_text(json.dumps({"sites": report}, ensure_ascii=False, indent=1), encoding="utf-8")
    for entry in entries:
        print(f"{entry['name']}: {', '.join(entry['start_urls'])} (list_style {entry['list_style']})")
    for search in missing:
        fetched = ", ".join(f"{p.url} [{p.status}]" for p in search.pages) or "nothing fetched"
        print(f"govcrawl find-columns: no 年报 column found from {search.front_url}; pages tried: {fetched}"
              + (f"; {'; '.join(search.notes)}" if search.notes else ""), file=sys.stderr)
    print(f"govcrawl find-columns: {len(entries)} of {len(spider.searches)} site(s) found -> {output}; "
          f"report {report_path}")
    return 0 if not missing else 1


def sites_check(args: argparse.Namespace) -> int:
    """``govcrawl sites check``: :func:`govcrawl.sitecheck.run_check`."""
    from govcrawl.sitecheck import run_check

    return run_check(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govcrawl", description="Crawl, archive (WARC) and parse 政府信息公开工作年度报告 of Chinese government sites.")
    parser.add_argument("--version", action="version", version=f"govcrawl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add_arguments, run) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(sub_parser)
        sub_parser.set_defaults(_run=run)
    add_find_columns_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_SIGINT
    except BrokenPipeError:
        return _closed_pipe()
    except sqlite3.DatabaseError as exc:  # a truncated or corrupted catalog met mid-command
        print(f"govcrawl {args.command}: the catalog is damaged ({exc}); restore it from the WARC files with "
              f"govcrawl rebuild ARCHIVE -o items.jsonl --catalog PATH", file=sys.stderr)
        return EXIT_USAGE


#: the shell's statuses for a job ended by SIGINT (Ctrl-C) and by SIGPIPE (its reader went away)
EXIT_SIGINT, EXIT_SIGPIPE = 130, 141


def _closed_pipe() -> int:
    """``govcrawl export -o - | head``: the reader closed the pipe. End quietly with the shell's SIGPIPE
    status; stdout is pointed at /dev/null so the interpreter's final flush cannot raise again, and the
    clean-up of the abandoned export (generators finalised after their catalog closed) stays silent."""
    sys.unraisablehook = lambda unraisable: None
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
