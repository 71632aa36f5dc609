"""``govcrawl find-columns`` and ``govcrawl sites check``: from front pages to registry entries, and back.

Usage::

    govcrawl find-columns http://www.example.gov.cn/ … -o sites.toml [--report found.json]
    govcrawl find-columns --from fronts.txt -o sites.toml --max-depth 3 --max-pages 20
    govcrawl sites check sites.toml [--json status.json]

``find-columns`` writes one ``[[site]]`` entry per site whose 年报 column was found (docs/sites.md) and a JSON
report of every search (pages fetched, links considered and why refused); sites where nothing was found are
listed on stderr. ``sites check`` is :mod:`govcrawl.sitecheck`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from govcrawl.discovery.finder import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_PAGES,
    read_url_list,
    registry_entry,
    registry_toml,
    site_name,
)


def add_find_columns_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``find-columns`` and ``sites check`` to the ``govcrawl`` subcommands."""
    finder = subparsers.add_parser("find-columns", help="find the 信息公开年报 column(s) from sites' front pages",
                                   description=__doc__.splitlines()[0])
    finder.set_defaults(_module=__name__, _action="find-columns")
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
    check.set_defaults(_module=__name__, _action="sites-check")
    check.add_argument("registry", metavar="SITES.toml")
    check.add_argument("--json", dest="json_path", metavar="FILE", help="status report (default: SITES.status.json)")
    _crawl_options(check)


def _crawl_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fast-local", action="store_true", help="no politeness delays (loopback portals only)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy/govcrawl setting (repeatable), e.g. DOWNLOAD_DELAY=2")


def crawl_settings(args: argparse.Namespace):  # noqa: ANN201 - scrapy Settings
    """The project settings with ``--fast-local`` and ``-s`` applied."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "govcrawl.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    if args.fast_local:
        settings.set("GOVCRAWL_FAST_LOCAL", True, priority="cmdline")
    for assignment in args.set:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise SystemExit(f"govcrawl: -s expects NAME=VALUE, got {assignment!r}")
        settings.set(name.strip(), value, priority="cmdline")
    return settings


def run_spider(args: argparse.Namespace, spider: str, **spider_args: Any) -> Any:
    """Run one spider through CrawlerProcess and return it (its results are read from its attributes)."""
    from scrapy.crawler import CrawlerProcess

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


def run(args: argparse.Namespace) -> int:
    """Dispatch ``find-columns`` / ``sites check``."""
    if args._action == "find-columns":
        return find_columns(args)
    from govcrawl.sitecheck import run_check

    return run_check(args)
