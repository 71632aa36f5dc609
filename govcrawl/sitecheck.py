"""``govcrawl sites check sites.toml``: is every registry entry still good to crawl?

Each start URL of each entry is fetched once (``spiders/sites_check.py``, the project's politeness) and
judged by :func:`probe`: does it answer, is it a JS challenge, is the list style still the one the entry
says (or any style at all, for ``auto``), are reports linked from the first list page. The result is a
table on stdout and a JSON file, one row per start URL with a verdict and what to do about it.

Verdicts: ``ok``; ``blocked`` (a JS cookie challenge: set ``browser_on_challenge = true``); ``down`` (HTTP
error or no answer); ``moved`` (redirected elsewhere: update ``start_urls``); ``style_changed`` (the page's
style is not the declared one); ``no_reports`` (the page answers but links no report).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from govcrawl.discovery.finder import detect_list_style
from govcrawl.discovery.links import decode_html, parse_html
from govcrawl.discovery.traps import challenge_kind
from govcrawl.discovery.urls import dedupe_key
from govcrawl.sites import RegistryError, Site, load_registry

_ACTIONS = {
    "ok": "",
    "blocked": "set browser_on_challenge = true (the crawl then passes the challenge in Chromium)",
    "down": "check the site by hand; if the column moved, run govcrawl find-columns on the site's front page",
    "moved": "update start_urls to the new address",
    "style_changed": "set list_style to the detected style (or \"auto\"), then check with govcrawl explain URL",
    "no_reports": "run govcrawl explain URL; if the column moved, run govcrawl find-columns on the front page",
}


@dataclass
class EntryStatus:
    """The check of one start URL of one registry entry."""

    site: str
    url: str
    verdict: str
    status: int | str
    final_url: str = ""
    declared_style: str = "auto"
    detected_style: str = ""
    reports: int = 0
    challenge: str = ""
    action: str = ""


def probe(site: Site, url: str, status: int | str, body: bytes = b"", final_url: str = "",
          charset: str | None = None) -> EntryStatus:
    """Judge one fetched start URL: ``status`` is the HTTP status, or why nothing answered."""
    result = EntryStatus(site.name, url, "ok", status, final_url or url, site.list_style)
    kind = challenge_kind(status, body) if isinstance(status, int) else None
    if kind:
        result.verdict, result.challenge = "blocked", kind
    elif not isinstance(status, int) or status >= 400:
        result.verdict = "down"
    else:
        text, _ = decode_html(body, charset)
        style = detect_list_style(text, result.final_url, parse_html(text, result.final_url))
        result.detected_style, result.reports = style.style, style.reports
        moved = dedupe_key(result.final_url) != dedupe_key(url) and not site.allows(result.final_url)
        declared = "js" if site.render_js else site.list_style
        if moved:
            result.verdict = "moved"
        elif declared != "auto" and style.style != declared and not (declared == "static" and style.reports):
            result.verdict = "style_changed"
        elif not style.reports and style.style not in ("gkmlpt", "jpage", "json", "dongjing", "js"):
            result.verdict = "no_reports"  # API-driven lists show their reports on later (data) pages
    result.action = _ACTIONS[result.verdict]
    if result.verdict == "blocked" and site.browser_on_challenge:
        result.action = "browser_on_challenge is set: the crawl passes it in Chromium (check a crawl's stats)"
    return result


def status_table(results: list[EntryStatus]) -> str:
    """A fixed-width table for people: one line per start URL."""
    rows = [("site", "verdict", "status", "style (declared→seen)", "reports", "url")]
    for r in results:
        seen = r.detected_style or "-"
        rows.append((r.site, r.verdict + (f" ({r.challenge})" if r.challenge else ""), str(r.status)[:40],
                     f"{r.declared_style}→{seen}", str(r.reports), r.url))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(row)) for row in rows]
    todo = [f"  {r.site}: {r.action}" for r in results if r.action]
    return "\n".join(lines + (["", "to do:", *todo] if todo else []))


def run_check(args: argparse.Namespace) -> int:
    """``govcrawl sites check``: 0 when every entry is ok, 1 otherwise, 2 for an unusable registry."""
    try:
        sites = load_registry(args.registry)
    except RegistryError as exc:
        print(f"govcrawl sites check: {exc}", file=sys.stderr)
        return 2
    from govcrawl.cli import run_spider

    spider = run_spider(args, "sites_check", sites=args.registry)
    order = {(s.name, u): i for i, (s, u) in enumerate((s, u) for s in sites for u in s.start_urls)}
    results = sorted(spider.results, key=lambda r: order.get((r.site, r.url), len(order)))
    print(status_table(results))
    path = Path(args.json_path or f"{args.registry}.status.json")
    counts: dict[str, int] = {}
    for result in results:
        counts[result.verdict] = counts.get(result.verdict, 0) + 1
    path.write_text(json.dumps({"registry": str(args.registry), "counts": counts,
                                "entries": [asdict(r) for r in results]}, ensure_ascii=False, indent=1),
                    encoding="utf-8")
    print(f"govcrawl sites check: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))} -> {path}")
    return 0 if set(counts) <= {"ok"} else 1
