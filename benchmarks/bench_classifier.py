"""Benchmark the report-title classifier on tests/data/titles.tsv.

Prints precision, recall, the confusion counts, every misclassified title with its reason, and throughput
(titles/s, normalisation and classification caches cleared before each pass so every title is classified afresh), then writes
benchmarks/results/classifier.md. Run: python benchmarks/bench_classifier.py [--passes N]
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from govcrawl.discovery import classifier

ROOT = Path(__file__).resolve().parent.parent
TITLES_TSV = ROOT / "tests" / "data" / "titles.tsv"
RESULTS_MD = ROOT / "benchmarks" / "results" / "classifier.md"


def load_titles(path: Path) -> list[tuple[bool, str]]:
    """(is_report, title) rows; '#' lines are comments."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, title = line.split("\t", 1)
            rows.append((label == "1", title))
    return rows


def measure_throughput(titles: list[str], passes: int) -> float:
    """Titles classified per second, cold caches on every pass."""
    elapsed = 0.0
    for _ in range(passes):
        classifier.normalise_title.cache_clear()
        classifier.classify_title.cache_clear()
        start = time.perf_counter()
        for title in titles:
            classifier.classify_title(title)
        elapsed += time.perf_counter() - start
    return len(titles) * passes / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=50, help="timing passes over the set (default 50)")
    args = parser.parse_args()

    rows = load_titles(TITLES_TSV)
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    mistakes: list[tuple[str, str, str]] = []
    for expected, title in rows:
        predicted, reason = classifier.classify_title(title)
        key = ("t" if predicted == expected else "f") + ("p" if predicted else "n")
        counts[key] += 1
        if predicted != expected:
            mistakes.append(("false positive" if predicted else "false negative", title, reason))

    precision = counts["tp"] / max(1, counts["tp"] + counts["fp"])
    recall = counts["tp"] / max(1, counts["tp"] + counts["fn"])
    throughput = measure_throughput([title for _, title in rows], args.passes)

    lines = [
        "# Report-title classifier benchmark",
        "",
        f"- run: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}",
        f"- set: `tests/data/titles.tsv`, {len(rows)} titles "
        f"({counts['tp'] + counts['fn']} reports, {counts['fp'] + counts['tn']} non-reports)",
        f"- precision: {precision:.4f} (target >= 0.99)",
        f"- recall: {recall:.4f} (target >= 0.98)",
        f"- confusion: tp={counts['tp']} fp={counts['fp']} fn={counts['fn']} tn={counts['tn']}",
        f"- throughput: {throughput:,.0f} titles/s ({args.passes} passes, cold normalisation cache per pass)",
        "",
        "## Misclassified titles",
        "",
    ]
    lines += [f"- {kind}: {title} — {reason}" for kind, title, reason in mistakes] or ["- none"]
    report = "\n".join(lines) + "\n"
    print(report, end="")
    RESULTS_MD.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_MD.write_text(report, encoding="utf-8")
    print(f"wrote {RESULTS_MD.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
