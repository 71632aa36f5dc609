"""``govcrawl explain FILE|URL``: what discovery does with one list page, link by link.

For each link: taken as a report (and by which title: its text, its ``title`` attribute, or its panel's
heading), taken as a further list page (pager, script pager, list API), taken as a link to the 年报 column,
or refused with the reason (no target, list-shaped URL, the classifier's reason). Last, whether the page
would be rendered in the browser. Operators debug a new site with it; the spider calls the same functions
(:mod:`govcrawl.discovery.decisions`).

Usage::

    govcrawl explain page.html --url http://www.example.gov.cn/zfxxgk/zfxxgknb/index.html
    govcrawl explain http://www.example.gov.cn/zfxxgk/zfxxgknb/   # fetched once with urllib
    python -m govcrawl.discovery.explain page.html --taken
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from pathlib import Path

import lxml.html

from govcrawl.discovery.columns import column_link_reason
from govcrawl.discovery.context import page_column
from govcrawl.discovery.decisions import Decision, decide_link, needs_browser
from govcrawl.discovery.links import Link, LinkStats, decode_html, list_links, parse_html
from govcrawl.discovery.pagination import (
    PageRequest,
    jpage_requests,
    json_api_requests,
    listmodel_requests,
    pager_links,
    parse_datastore,
    records_links,
    trs_script_pages,
)
from govcrawl.discovery.subcolumns import subcolumn_requests
from govcrawl.discovery.urls import dedupe_key

DEFAULT_BASE = "http://localhost/list/index.html"


def list_page_requests(text: str, doc: lxml.html.HtmlElement, links: list[Link], url: str) -> list[PageRequest]:
    """Every further list page the spider would request from this page (same order as the spider)."""
    more: list[PageRequest] = []
    more.extend(trs_script_pages(text, url))
    more.extend(pager_links(doc, links, url))
    more.extend(subcolumn_requests(doc, links, url))
    datastore = parse_datastore(text) if "<datastore" in text.lower() else None
    if datastore is not None:
        more.extend(jpage_requests(datastore, text, url, len(datastore.records)))
    more.extend(json_api_requests(text, url))
    more.extend(listmodel_requests(text, url))
    return more


def explain(html: bytes, url: str) -> list[Decision]:
    """Decisions on every link of the list page ``html`` served at ``url``, then the pagination requests,
    the column links and the browser decision (each a :class:`Decision`)."""
    text, _ = decode_html(html)
    doc = parse_html(text, url)
    stats = LinkStats()
    links = list_links(doc, url, stats)
    datastore = parse_datastore(text) if "<datastore" in text.lower() else None
    if datastore is not None:
        links.extend(records_links(datastore.records, url))
    more = list_page_requests(text, doc, links, url)
    page_urls = {dedupe_key(page.url) for page in more}
    decisions: list[Decision] = []
    for link in links:
        decision = decide_link(link, url)
        own = dedupe_key(link.url) == dedupe_key(url)
        if not decision.taken and not own and dedupe_key(link.url) in page_urls:
            style = next(p.style for p in more if dedupe_key(p.url) == dedupe_key(link.url))
            key = "subcolumn" if style == "subcolumn" else "pager/link"
            decision = Decision(link.url, link.best_title, True, key, f"{style} list page ({link.region or 'url'})",
                                link)
        elif not decision.taken:
            column = column_link_reason(link)
            if column and not own:
                decision = Decision(link.url, link.best_title, True, "column", column, link)
        decisions.append(decision)
    for refused in stats.refused:
        decisions.append(Decision(refused.href, refused.text, False, "refused/targetless", refused.reason))
    linked = {dedupe_key(d.url) for d in decisions if d.key in ("pager/link", "subcolumn")}
    for page in more:
        if dedupe_key(page.url) not in linked and dedupe_key(page.url) != dedupe_key(url):
            how = f"{page.method} {page.kind}" + (f" {page.formdata}" if page.formdata else "")
            key = page.style if page.style in ("subcolumn", "script_redirect") else f"pager/{page.style}"
            decisions.append(Decision(page.url, f"page {page.page}", True, key, how))
    reports = sum(1 for d in decisions if d.key.startswith("report/"))
    render, why = needs_browser(text, reports, more, doc)
    decisions.append(Decision(url, page_column(doc), render, "browser/render" if render else "browser/no", why))
    return decisions


def _read(target: str, timeout: float = 30.0) -> bytes:
    if target.startswith(("http://", "https://")):
        request = urllib.request.Request(target, headers={"User-Agent": "govcrawl-explain"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # an operator's http(s) URL
            return answer.read()
    return Path(target).read_bytes()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``govcrawl explain``."""
    parser.add_argument("target", metavar="FILE|URL", help="a saved list page, or a URL to fetch once")
    parser.add_argument("--url", default=None, help="the URL a saved FILE was served at (resolves its links)")
    parser.add_argument("--taken", action="store_true", help="print only what is taken")


def run(args: argparse.Namespace) -> int:
    """Print one line per decision and a summary; 0 on success, 2 if the target cannot be read."""
    try:
        body = _read(args.target)
    except (OSError, ValueError) as error:
        print(f"explain: cannot read {args.target}: {error}", file=sys.stderr)
        return 2
    url = args.url or (args.target if args.target.startswith(("http://", "https://")) else DEFAULT_BASE)
    decisions = explain(body, url)
    for decision in decisions:
        if decision.taken or not args.taken:
            print(decision.line())
    counts: dict[str, int] = {}
    for decision in decisions:
        counts[decision.key] = counts.get(decision.key, 0) + 1
    print("summary: " + ", ".join(f"{key}={n}" for key, n in sorted(counts.items())))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m govcrawl.discovery.explain FILE|URL [--url URL] [--taken]``."""
    parser = argparse.ArgumentParser(prog="govcrawl explain", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
