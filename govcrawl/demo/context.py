"""Shared build state of the portal: ground truth, report slots (for mutations), deterministic helpers."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from govcrawl.demo.server import MockSite, Page
from govcrawl.demo.texts import ReportTruth
from govcrawl.opencc_wrap import converter

#: Last-Modified of every generated page before any edit (2025-04-01T00:00:00Z)
BASE_MODIFIED = 1743465600.0


def s2t():
    """OpenCC simplified -> traditional converter (the one OpenCC wrapper builds it once)."""
    return converter("s2t")


@dataclass
class ReportSlot:
    """A report page that can be re-rendered (``edit_report``): ``render(variant) -> (Page, ReportTruth)``."""

    site: str
    path: str
    render: Callable[[int], tuple[Page, ReportTruth]]
    variant: int = 0
    last_modified: float = BASE_MODIFIED


@dataclass
class Ground:
    """Everything tests may ask the running portal about."""

    reports: dict[str, ReportTruth] = field(default_factory=dict)
    decoys: dict[str, dict[str, str]] = field(default_factory=dict)  # site -> url -> title
    twins: dict[str, dict[str, str]] = field(default_factory=dict)  # site -> duplicate url -> canonical url
    traps: dict[str, dict[str, str]] = field(default_factory=dict)  # site -> trap name -> url
    phrases: dict[str, dict[str, str]] = field(default_factory=dict)  # site -> url -> known phrase
    start_urls: dict[str, list[str]] = field(default_factory=dict)
    column_reports: dict[str, set[str]] = field(default_factory=dict)  # start URL -> report URLs reachable from it
    slots: dict[str, ReportSlot] = field(default_factory=dict)  # url -> slot
    adders: dict[str, Callable[..., str]] = field(default_factory=dict)  # site -> add_report function

    def add_column(self, site: str, start_url: str, report_urls: set[str]) -> None:
        """Register a list start URL and the exact set of reports a crawl from it must find."""
        self.start_urls.setdefault(site, []).append(start_url)
        self.column_reports.setdefault(start_url, set()).update(report_urls)

    def add_truth(self, truth: ReportTruth) -> None:
        self.reports[truth.url] = truth

    def add_decoy(self, site: str, url: str, title: str) -> None:
        self.decoys.setdefault(site, {})[url] = title

    def add_twin(self, site: str, url: str, canonical: str) -> None:
        self.twins.setdefault(site, {})[url] = canonical

    def add_trap(self, site: str, name: str, url: str) -> None:
        self.traps.setdefault(site, {})[name] = url


@dataclass
class BuildContext:
    """What a site builder gets: its bound site, the ground truth, and a site-specific seeded RNG."""

    site: MockSite
    ground: Ground
    rng: random.Random
    seed: int

    def sub_rng(self, *parts: object) -> random.Random:
        """A deterministic RNG for one item (stable whatever else the site builds)."""
        return random.Random(f"{self.seed}/{self.site.name}/" + "/".join(map(str, parts)))

    def serve_slot(self, slot: ReportSlot) -> None:
        """Render a slot's current variant, register the page and its ground truth."""
        page, truth = slot.render(slot.variant)
        page.with_validators(slot.last_modified)
        self.site.add(slot.path, page)
        self.ground.add_truth(truth)
        self.ground.slots[truth.url] = slot
