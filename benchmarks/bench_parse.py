"""Parse time per report on the seed texts (../shared/seeds), median over many runs, on one core.

Simplified and traditional texts are timed separately: seed 001 is traditional as published, and every
simplified seed is also timed after OpenCC s2t conversion, so the traditional path (detection + t2s) is measured
on five texts. Figures are normalised per 10 KB of UTF-8 text. Targets (issue 2): <= 3 ms per 10 KB simplified,
<= 10 ms per 10 KB traditional. Prints a Markdown table and writes it to benchmarks/results/parse.md.

    python benchmarks/bench_parse.py [--runs 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from govcrawl.parser import PARSER_VERSION, parse_report
from govcrawl.parser.normalise import detect_script, normalise
from govcrawl.parser.tables import read_standard_tables

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
RESULTS = Path(__file__).resolve().parent / "results" / "parse.md"
TARGET_MS_PER_10KB = {"simplified": 3.0, "traditional": 10.0}


def _pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned (no sched_setaffinity)"


def _median_ms(function: Callable[[], object], runs: int) -> float:
    for _ in range(5):  # warm-up: imports, OpenCC start-up, regex caches
        function()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs per text (default 200)")
    args = parser.parse_args()
    pinning = _pin_to_one_core()

    import opencc

    to_traditional = opencc.OpenCC("s2t")
    texts: list[tuple[str, str]] = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        texts.append((path.name[:3], text))
        if detect_script(text) == "simplified":
            texts.append((f"{path.name[:3]} (s2t)", to_traditional.convert(text)))

    rows = []
    per_script: dict[str, list[float]] = {"simplified": [], "traditional": []}
    for name, text in texts:
        script = detect_script(text)
        kilobytes = len(text.encode("utf-8")) / 1024
        median = _median_ms(lambda text=text: parse_report(text), args.runs)
        clean, _ = normalise(text)
        tables_ms = _median_ms(lambda clean=clean: read_standard_tables(None, clean), args.runs)
        per_10kb = median / kilobytes * 10
        per_script[script].append(per_10kb)
        rows.append(f"| {name} | {script} | {kilobytes:.1f} | {median:.2f} | {tables_ms:.2f} | {per_10kb:.2f} |")

    lines = [
        f"# bench_parse: parse_report per report (parser {PARSER_VERSION})",
        "",
        f"Median of {args.runs} runs per text, {pinning}, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC.",
        "",
        "| seed | script | KB (UTF-8) | median ms / report | of which tables reader (approx.) | ms per 10 KB |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
        "| script | median over texts, ms per 10 KB | worst text | target | median met | worst met |",
        "|---|---:|---:|---:|---|---|",
    ]
    for script, values in per_script.items():
        median, worst = statistics.median(values), max(values)
        target = TARGET_MS_PER_10KB[script]
        lines.append(f"| {script} | {median:.2f} | {worst:.2f} | <= {target:.0f} | "
                     f"{'yes' if median <= target else 'NO'} | {'yes' if worst <= target else 'NO'} |")
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
