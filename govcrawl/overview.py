"""``govcrawl overview``: one self-contained HTML page picturing the corpus (inline SVG, no script, no network).

Plots, all from the catalog's latest report versions:
1. reports per report year, stacked by admin level;
2. coverage by province (reports per province);
3. share of reports failing each check;
4. applications received and lawsuits (direct + after review) summed per report year;
and a table of the sites whose crawl had errors in the last run (what the nightly job met last night).
"""

from __future__ import annotations

import html
import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govcrawl.catalog.schema import LATEST_REPORTS

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
LEVELS = ("ministry", "province", "city", "county", "township", "unknown")
WIDTH, HEIGHT, MARGIN = 720, 320, 48


@dataclass
class CorpusPicture:
    """What the overview plots, read from a catalog."""

    per_year_level: dict[int, Counter[str]] = field(default_factory=dict)
    per_province: Counter[str] = field(default_factory=Counter)
    check_failures: dict[str, tuple[int, int]] = field(default_factory=dict)  # rule -> (failed, evaluated)
    applications: dict[int, int] = field(default_factory=dict)
    lawsuits: dict[int, int] = field(default_factory=dict)
    failed_sites: list[dict[str, Any]] = field(default_factory=list)
    reports: int = 0


def read_picture(catalog: Path) -> CorpusPicture:
    """Aggregate the latest version of every report, and the last run's per-site errors."""
    picture = CorpusPicture()
    per_year: defaultdict[int, Counter[str]] = defaultdict(Counter)
    checks: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    conn = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            f"SELECT report_year, admin_level, province, item_json FROM {LATEST_REPORTS} WHERE _rank = 1")
        for year, level, province, item_json in rows:
            picture.reports += 1
            item = json.loads(item_json)
            if year:
                per_year[int(year)][level if level in LEVELS else "unknown"] += 1
            picture.per_province[province or "(not placed)"] += 1
            for check in item.get("checks") or []:
                tally = checks[str(check.get("rule"))]
                tally[1] += 1
                tally[0] += 0 if check.get("ok") else 1
            figures = item.get("figures") or {}
            if year and figures.get("applications_received") is not None:
                picture.applications[int(year)] = picture.applications.get(int(year), 0) + int(
                    figures["applications_received"])
            suits = [figures.get(key) for key in ("litigation_direct_total", "litigation_after_review_total")]
            if year and any(value is not None for value in suits):
                picture.lawsuits[int(year)] = picture.lawsuits.get(int(year), 0) + sum(int(v or 0) for v in suits)
        last = conn.execute("SELECT id, started, counts FROM runs WHERE status != 'running' ORDER BY id DESC "
                            "LIMIT 1").fetchone()
    finally:
        conn.close()
    picture.per_year_level = dict(sorted(per_year.items()))
    picture.check_failures = {rule: (failed, total) for rule, (failed, total) in sorted(checks.items())}
    if last and last[2]:
        for host, site in sorted((json.loads(last[2]).get("sites") or {}).items()):
            errors = site.get("errors") or {}
            if errors:
                picture.failed_sites.append({"site": host, "run": last[0], "started": last[1], "errors": errors,
                                             "ok_responses": site.get("ok_responses", 0)})
    return picture


def _svg(title: str, body: str, legend: list[tuple[str, str]] | None = None) -> str:
    keys, x = [], MARGIN
    for name, color in legend or []:
        keys.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{color}"/>'
                    f'<text x="{x + 16}" y="19" font-size="12">{html.escape(name)}</text>')
        x += 40 + 8 * len(name)
    return (f'<figure><figcaption>{html.escape(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" '
            f'role="img" aria-label="{html.escape(title)}" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}">{"".join(keys)}{body}</svg></figure>')


def _axis(maximum: float) -> str:
    top, bottom = MARGIN - 16, HEIGHT - MARGIN
    lines = [f'<line x1="{MARGIN}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" stroke="#333"/>',
             f'<line x1="{MARGIN}" y1="{top}" x2="{MARGIN}" y2="{bottom}" stroke="#333"/>']
    for step in range(5):
        value = maximum * step / 4
        y = bottom - (bottom - top) * step / 4
        lines.append(f'<text x="{MARGIN - 6}" y="{y + 4:.0f}" font-size="11" text-anchor="end">{value:.4g}</text>')
    return "".join(lines)


def stacked_bars(title: str, groups: dict[str, dict[str, float]], series: list[str]) -> str:
    """Bars per group (x), stacked by series; ``groups`` maps a label to {series: value}."""
    if not groups:
        return _svg(title, '<text x="60" y="150">no data</text>')
    maximum = max(sum(values.values()) for values in groups.values()) or 1
    top, bottom = MARGIN - 16, HEIGHT - MARGIN
    slot = (WIDTH - MARGIN - 10) / len(groups)
    parts = [_axis(maximum)]
    for index, (label, values) in enumerate(groups.items()):
        x, y = MARGIN + index * slot + slot * 0.15, float(bottom)
        for number, name in enumerate(series):
            height = (bottom - top) * values.get(name, 0) / maximum
            if height > 0:
                y -= height
                parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
                             f'height="{height:.1f}" fill="{PALETTE[number % len(PALETTE)]}">'
                             f'<title>{html.escape(label)} {html.escape(name)}: {values[name]:g}</title></rect>')
        centre = x + slot * 0.35
        if slot < 7 * len(label) + 8:  # long labels slant so neighbours do not overlap
            parts.append(f'<text x="{centre - 10:.1f}" y="{bottom + 12}" font-size="10" text-anchor="start" '
                         f'transform="rotate(18 {centre - 10:.1f} {bottom + 12})">{html.escape(label)}</text>')
        else:
            parts.append(f'<text x="{centre:.1f}" y="{bottom + 14}" font-size="11" text-anchor="middle">'
                         f'{html.escape(label)}</text>')
    legend = [(name, PALETTE[n % len(PALETTE)]) for n, name in enumerate(series)] if len(series) > 1 else None
    return _svg(title, "".join(parts), legend)


def lines(title: str, series: dict[str, dict[int, float]]) -> str:
    """One polyline per series over the years they share an axis with."""
    years = sorted({year for values in series.values() for year in values})
    if not years:
        return _svg(title, '<text x="60" y="150">no data</text>')
    maximum = max(max(values.values(), default=0) for values in series.values()) or 1
    top, bottom = MARGIN - 16, HEIGHT - MARGIN
    span = max(1, len(years) - 1)
    parts = [_axis(maximum)]

    def x_of(year: int) -> float:
        return MARGIN + 20 + (WIDTH - MARGIN - 50) * years.index(year) / span

    for number, values in enumerate(series.values()):
        points = " ".join(f"{x_of(y):.1f},{bottom - (bottom - top) * v / maximum:.1f}" for y, v in sorted(values.items()))
        parts.append(f'<polyline class="line" fill="none" stroke-width="3" stroke="{PALETTE[number]}" '
                     f'points="{points}"/>')
    for year in years:
        parts.append(f'<text x="{x_of(year):.1f}" y="{bottom + 14}" font-size="11" text-anchor="middle">{year}</text>')
    return _svg(title, "".join(parts), [(name, PALETTE[n]) for n, name in enumerate(series)])


def render(picture: CorpusPicture) -> str:
    """The whole page."""
    levels = [level for level in LEVELS if any(c[level] for c in picture.per_year_level.values())]
    per_year = {str(year): dict(counter) for year, counter in picture.per_year_level.items()}
    provinces = {name: {"reports": count} for name, count in picture.per_province.most_common(34)}
    shares = {rule: {"failing": 100 * failed / total} for rule, (failed, total) in picture.check_failures.items()
              if total}
    rows = "".join(
        f"<tr><td>{html.escape(site['site'])}</td><td>{site['ok_responses']}</td>"
        f"<td>{html.escape(', '.join(f'{k}: {v}' for k, v in site['errors'].items()))}</td></tr>"
        for site in picture.failed_sites) or '<tr><td colspan="3">no site had errors in the last run</td></tr>'
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>govcrawl corpus overview</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:760px}}figure{{margin:1.5em 0}}
figcaption{{font-weight:bold;margin-bottom:.3em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .5em}}</style></head><body>
<h1>政府信息公开工作年度报告: corpus overview</h1>
<p>{picture.reports} reports (latest versions) in the catalog.</p>
{stacked_bars("Reports per report year, by admin level", per_year, levels)}
{stacked_bars("Coverage by province (reports)", provinces, ["reports"])}
{stacked_bars("Share of reports failing each check (%)", shares, ["failing"])}
{lines("Applications received and lawsuits, per report year",
       {"applications received": dict(picture.applications), "lawsuits": dict(picture.lawsuits)})}
<h2>Sites with errors in the last run</h2>
<table id="failed-sites"><tr><th>site</th><th>ok responses</th><th>errors</th></tr>{rows}</table>
</body></html>
"""


def write_overview(catalog: Path, output: Path) -> CorpusPicture:
    """Read ``catalog`` and write the overview page to ``output``."""
    picture = read_picture(Path(catalog))
    Path(output).write_text(render(picture), encoding="utf-8")
    return picture


def add_arguments(parser: Any) -> None:
    """Arguments of ``govcrawl overview``."""
    parser.add_argument("-o", "--output", default="overview.html", help="HTML file to write (default: %(default)s)")
    parser.add_argument("--catalog", default="archive/catalog.sqlite", help="catalog file (default: %(default)s)")


def run(args: Any) -> int:
    """``govcrawl overview -o overview.html``: write the page, say how many reports it pictures."""
    import sys

    catalog = Path(args.catalog)
    if not catalog.is_file():
        print(f"govcrawl overview: no catalog at {catalog}", file=sys.stderr)
        return 2
    picture = write_overview(catalog, Path(args.output))
    print(f"govcrawl overview: {args.output}: {picture.reports} report(s) pictured")
    return 0
