"""Run every benchmark and rewrite BENCHMARKS.md's issue-11 summary (the other sections are kept as they are).

Each benchmark runs in its own process and leaves its figures in ``benchmarks/results/<name>.json`` (and, for the
older scripts, ``results/<name>.md``). The summary table lists the five figures of issue 11 (pipeline vs bare
Scrapy, WARC cost, many sites vs the politeness ceiling, rebuild with its warcio floor, peak RSS at two crawl
sizes) plus build_item per page, met or not, as measured, with the machine's load during each.

    python benchmarks/run_all.py [--only pipeline,warc,...] [--memory-sizes 10000,100000] [--quick]

``--quick`` runs smaller versions (for trying the scripts; its figures are not the issue's).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
BEGIN, END = "<!-- issue-11 summary: written by benchmarks/run_all.py -->", "<!-- end of issue-11 summary -->"
NAMES = ("build_item", "pipeline", "warc", "many_sites", "rebuild", "memory")


def commands(quick: bool, memory_sizes: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "build_item": [py, str(HERE / "bench_build_item.py"), "--runs", "10" if quick else "30"],
        # single crawls swing by +-15% on this VM: medians over several alternating rounds
        "pipeline": [py, str(HERE / "bench_pipeline.py"), "--reports", "300" if quick else "2000",
                     "--rounds", "1" if quick else "5"],
        "warc": [py, str(HERE / "bench_crawl.py"), "--reports", "300" if quick else "2000",
                 "--rounds", "1" if quick else "8", "--out", str(RESULTS / "crawl.md")],
        "many_sites": [py, str(HERE / "bench_many_sites.py"), *(["--sites", "20", "--reports-per-site", "5"]
                                                                 if quick else [])],
        "rebuild": [py, str(HERE / "bench_rebuild_floor.py"), "--reports", "300" if quick else "2000"],
        "memory": [py, str(HERE / "bench_memory.py"), "--sizes", "1000,3000" if quick else memory_sizes],
    }


def run_one(name: str, command: list[str]) -> str:
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    output = result.stdout + (f"\n[exit {result.returncode}]\n{result.stderr[-2000:]}" if result.returncode else "")
    print(output.strip(), f"\n({time.monotonic() - started:.0f} s)", flush=True)
    if name == "warc":  # bench_crawl.py prints its summary; keep the process-writer figure
        match = re.search(r"WARC on \(process writer\) ([\d.]+); ratio on/off ([\d.]+)[^;]*; WARC cost (-?[\d.]+)%",
                          output)
        off = re.search(r"WARC off ([\d.]+)", output)
        if match and off:
            cost = float(match[3]) / 100
            (RESULTS / "warc.json").write_text(json.dumps(
                {"off_pages_per_s": float(off[1]), "on_pages_per_s": float(match[1]), "cost": cost,
                 "target": 0.05, "met": cost <= 0.05, "load": round(os.getloadavg()[0], 2),
                 "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, indent=1) + "\n")
    return output


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def verdict(result: dict | None) -> str:
    if result is None:
        return "not run"
    return "yes" if result.get("met") else "**no**"


def summary() -> str:
    r = {name: load(name) for name in ("build_item", "pipeline", "warc", "many_sites", "rebuild_floor", "memory")}
    rows = []

    def row(what: str, target: str, name: str, text: str) -> None:
        result = r[name]
        load_note = f" (load {result['load']}, {result['when']})" if result and "load" in result else ""
        rows.append(f"| {what} | {target} | {text + load_note if result else '—'} | {verdict(result)} |")

    b = r["build_item"]
    row("build_item, 15 KB report page with tables, one core", "median ≤ 2.5 ms", "build_item",
        b and f"median {b['median_cpu_ms']:.2f} ms CPU ({b['median_wall_ms']:.2f} ms wall) over {b['pages']} pages "
              f"of median {b['median_kb']:.1f} KB, worst {b['worst_cpu_ms']:.2f} ms")
    p = r["pipeline"]
    row("1. pipeline vs bare Scrapy, same 2,000-report loopback site", "≥ 0.60", "pipeline",
        p and f"{p['ratio']:.2f} (govcrawl {p['govcrawl_pages_per_s']:.0f} pages/s, bare {p['bare_pages_per_s']:.0f}; "
              f"median of {p['rounds']} rounds; median of the rounds' own ratios {p.get('paired_ratio', float('nan')):.2f}; "
              f"every report: {'yes' if p['every_report'] else 'no'})")
    w = r["warc"]
    row("2. WARC cost (writer process)", "≤ 5%", "warc",
        w and f"{w['cost']:.1%} (median of each round's on/off ratio; medians off {w['off_pages_per_s']:.0f} "
              f"pages/s, on {w['on_pages_per_s']:.0f}; benchmarks/bench_crawl.py)")
    m = r["many_sites"]
    row("3. 100 sites, 150 ms, 2 requests/s each, vs the 200/s ceiling", "≥ 0.90, every report, no site over",
        "many_sites",
        m and f"{m['ratio']:.2f} ({m['requests_per_s']:.0f} requests/s of {m['ceiling']:.0f}; {m['reports']} of "
              f"{m['expected_reports']} reports; per site at most {m['worst_in_095s']} starts in 0.95 s, smallest gap "
              f"{m['worst_gap']:.3f} s, at most {m['worst_in_flight']} in flight; crawl CPU "
              f"{m.get('crawl_cpu', 0):.0f} s in {m.get('crawl_wall', 0):.0f} s)")
    f = r["rebuild_floor"]
    row("4. rebuild with -j 2 (warcio raw read beside it)", "≥ 600 reports/s", "rebuild_floor",
        f and f"{f['reports_per_s']:.0f} reports/s; warcio reads the same files at {f['warcio_per_s']:.0f} "
              f"records/s ({f['reports']} reports, {f['archive_mb']:.0f} MB)")
    mem = r["memory"]
    row("5. peak RSS, crawl + workers + WARC writer", "within 10%, < 400 MB", "memory",
        mem and ", ".join(f"{run['reports']:,} reports {run['peak_rss_mb']:.0f} MB" for run in mem["runs"])
                + f"; spread {mem['spread']:.1%}")
    return "\n".join([
        BEGIN,
        "## Summary: the crawl's own core (issue 11)",
        "",
        f"Written by `python benchmarks/run_all.py` on {os.cpu_count()} cores (the load average at the end of each"
        " benchmark is given; the benchmarks' own crawl, worker, writer and server processes count in it: above 2"
        " something else ran too, and throughput figures are then lower bounds). Ratios are measured side by side"
        " in one run; the host's speed changes from minute to minute, so the notes below give several runs.",
        "",
        "| what | target | measured | met? |",
        "|---|---|---|---|",
        *rows,
        "",
        END,
    ])


def rewrite_benchmarks_md() -> None:
    text = BENCHMARKS_MD.read_text(encoding="utf-8") if BENCHMARKS_MD.exists() else "# Benchmarks\n"
    block = summary()
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    elif "\n## Summary" in text:
        at = text.index("\n## Summary") + 1
        text = text[:at] + block + "\n\n" + text[at:]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS_MD.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(NAMES), help=f"comma-separated subset of {','.join(NAMES)}")
    parser.add_argument("--memory-sizes", default="10000,100000")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--summary-only", action="store_true", help="rewrite BENCHMARKS.md from stored results")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if not args.summary_only:
        all_commands = commands(args.quick, args.memory_sizes)
        for name in args.only.split(","):
            run_one(name, all_commands[name])
    rewrite_benchmarks_md()
    print(f"rewrote {BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
