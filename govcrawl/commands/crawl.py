"""``govcrawl crawl``: run the gov_reports spider with the project settings (same as ``scrapy crawl``)."""

from __future__ import annotations

import argparse
import os

from govcrawl.sites import RegistryError, load_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start-urls", nargs="+", metavar="URL", help="信息公开年报 column URL(s) to crawl")
    parser.add_argument("--sites", metavar="FILE", help="site registry (TOML, see docs/sites.md)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write items to FILE (format from extension, e.g. .jsonl)")
    parser.add_argument("--archive-dir", metavar="DIR", help="WARC archive folder (GOVCRAWL_ARCHIVE_DIR)")
    parser.add_argument("--fast-local", action="store_true",
                        help="no politeness delays (only for portals on 127.0.0.1, e.g. the demo)")
    parser.add_argument("--discovery-only", action="store_true",
                        help="skip extraction/parsing: output what was found (URL, size, SHA-1, provenance)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy/govcrawl setting (repeatable)")


def _settings(args: argparse.Namespace):  # noqa: ANN202 - scrapy Settings
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "govcrawl.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    if args.archive_dir:
        settings.set("GOVCRAWL_ARCHIVE_DIR", args.archive_dir, priority="cmdline")
    if args.fast_local:
        settings.set("GOVCRAWL_FAST_LOCAL", True, priority="cmdline")
    if args.discovery_only:
        settings.set("ITEM_PIPELINES", {"govcrawl.pipelines.CaptureSummaryPipeline": 300}, priority="cmdline")
    if args.output:
        settings.set("FEEDS", {args.output: {"format": _feed_format(args.output), "overwrite": True}},
                     priority="cmdline")
    for assignment in args.set:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise SystemExit(f"govcrawl crawl: -s expects NAME=VALUE, got {assignment!r}")
        settings.set(name.strip(), value, priority="cmdline")
    return settings


def _feed_format(path: str) -> str:
    lowered = path.lower()
    for suffix, name in ((".jsonl", "jsonlines"), (".jl", "jsonlines"), (".json", "json"), (".csv", "csv"),
                         (".xml", "xml")):
        if lowered.endswith(suffix):
            return name
    return "jsonlines"


def run(args: argparse.Namespace) -> int:
    from scrapy.crawler import CrawlerProcess

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
    process = CrawlerProcess(_settings(args))
    crawler = process.create_crawler("gov_reports")
    process.crawl(crawler, **spider_args)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reports = stats.get("govcrawl/reports", 0) + stats.get("govcrawl/reports/attachment_only", 0)
    blocked = sorted(k.split("/", 2)[2] for k in stats if k.startswith("govcrawl/blocked/") and k.count("/") == 2)
    passed = stats.get("govcrawl/browser/challenge_passed", 0)
    print(f"govcrawl crawl: {reports} report(s) captured, {stats.get('item_scraped_count', 0)} item(s) written"
          + (f"; JS challenge met at: {', '.join(blocked)}" if blocked else "")
          + (f" ({passed} passed in the browser)" if blocked and passed else
             " (set browser_on_challenge = true in the registry to pass it)" if blocked else ""))
    return 0 if stats.get("finish_reason") == "finished" else 1
