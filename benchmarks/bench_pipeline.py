"""Whole govcrawl pipeline vs bare Scrapy on the same loopback portal, side by side in one run (issue 11, >= 0.60).

Bare Scrapy: a list -> detail spider yielding one small item per report, no add-on, no robots.txt. govcrawl:
``scrapy crawl gov_reports`` with everything on (discovery, WARC writer, build_item in worker processes,
catalog), ``GOVCRAWL_FAST_LOCAL`` (politeness off). Both use the same concurrency (32, 16 per domain). Rounds
alternate the order; the figure is median govcrawl pages/s over median bare pages/s (pages = responses); the
median of each round's own govcrawl/bare ratio is printed and recorded beside it.

    python benchmarks/bench_pipeline.py [--reports 2000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import Portals, machine, write_result

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.60
BARE = '''
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess

class Bare(scrapy.Spider):
    name = "bare"
    def parse(self, response):
        for href in response.css("ul.list a::attr(href)").getall():
            yield response.follow(href, self.parse_report)
        next_page = response.css("a.next::attr(href)").get()
        if next_page:
            yield response.follow(next_page, self.parse)
    def parse_report(self, response):
        yield {"url": response.url, "size": len(response.body)}

process = CrawlerProcess({"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
                          "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0})
crawler = process.create_crawler(Bare)
process.crawl(crawler, start_urls=[sys.argv[1]])
process.start()
stats = crawler.stats.get_stats()
print(json.dumps({"pages": stats.get("response_received_count", 0), "items": stats.get("item_scraped_count", 0),
                  "seconds": stats["elapsed_time_seconds"]}))
'''


def bare_once(url: str, workdir: Path) -> dict:
    script = workdir / "bare_spider.py"  # a file: Scrapy reads callbacks' source
    script.write_text(BARE)
    result = subprocess.run([sys.executable, str(script), url], cwd=workdir, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def govcrawl_once(url: str, workdir: Path, *extra: str) -> dict:
    stats_file, out = workdir / "stats.json", workdir / "items.jsonl"
    command = [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-a", f"start_urls={url}", "-O", str(out),
               "-s", "GOVCRAWL_FAST_LOCAL=True", "-s", f"GOVCRAWL_ARCHIVE_DIR={workdir / 'archive'}",
               "-s", f"GOVCRAWL_STATS_FILE={stats_file}", "-s", "LOG_LEVEL=WARNING",
               "-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
               *[a for s in extra for a in ("-s", s)]]
    subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    stats = json.loads(stats_file.read_text())
    items = sum(1 for _ in out.open())
    return {"pages": stats.get("response_received_count", 0), "items": items,
            "seconds": stats["elapsed_time_seconds"]}


def run(reports: int, rounds: int) -> dict:
    runs: dict[str, list[dict]] = {"bare": [], "govcrawl": []}
    with Portals(["127.0.0.1"], reports) as portals, tempfile.TemporaryDirectory() as tmp:
        for round_ in range(rounds):
            order = ("bare", "govcrawl") if round_ % 2 == 0 else ("govcrawl", "bare")
            for mode in order:
                workdir = Path(tmp) / f"{mode}-{round_}"
                workdir.mkdir()
                result = bare_once(portals.urls[0], workdir) if mode == "bare" else govcrawl_once(portals.urls[0],
                                                                                                   workdir)
                result["pages_per_s"] = result["pages"] / result["seconds"]
                runs[mode].append(result)
                print(f"round {round_ + 1} {mode:8}: {result['pages']} pages, {result['items']} items in "
                      f"{result['seconds']:.2f} s = {result['pages_per_s']:.1f} pages/s", flush=True)
    bare = statistics.median(r["pages_per_s"] for r in runs["bare"])
    gov = statistics.median(r["pages_per_s"] for r in runs["govcrawl"])
    ratio = gov / bare
    paired = statistics.median(g["pages_per_s"] / b["pages_per_s"]
                               for b, g in zip(runs["bare"], runs["govcrawl"], strict=True))
    print(f"median pages/s: bare Scrapy {bare:.1f}, govcrawl {gov:.1f}; ratio {ratio:.2f} (target >= {TARGET}); "
          f"median of the rounds' own ratios {paired:.2f}")
    return {"reports": reports, "rounds": rounds, "runs": runs, "bare_pages_per_s": bare,
            "govcrawl_pages_per_s": gov, "ratio": ratio, "paired_ratio": paired, "target": TARGET,
            "met": ratio >= TARGET,
            "every_report": all(r["items"] == reports for r in runs["govcrawl"]), **machine()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    write_result("pipeline", run(args.reports, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
