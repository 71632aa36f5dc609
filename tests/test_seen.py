"""govcrawl.discovery.seen: the compact key set and the duplicate filter on it (memory flat in crawl size)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from govcrawl.addon import COMPONENT_SETTINGS
from govcrawl.discovery import seen
from govcrawl.discovery.seen import CompactDupeFilter, KeySet, key64
from govcrawl.discovery.urls import CanonicalRequestFingerprinter

pytestmark = pytest.mark.unit


def test_key_set_agrees_with_a_python_set_through_many_merges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seen, "MERGE_MIN", 16)  # many merges on a small set
    rng = random.Random(7)
    keys, reference = KeySet(), set()
    for _ in range(5000):
        key = rng.randrange(2**64) if rng.random() < 0.7 else rng.choice(sorted(reference) or [0])
        assert keys.add(key) == (key not in reference)
        reference.add(key)
        probe = rng.randrange(2**64)
        assert (probe in keys) == (probe in reference)
    assert len(keys) == len(reference)
    assert all(key in keys for key in reference)


def test_key_set_costs_a_fraction_of_a_python_set() -> None:
    keys = KeySet(range(0, 2**40, 2**40 // 200_000))
    as_set = set(range(0, 2**40, 2**40 // 200_000))
    footprint = sys.getsizeof(keys._sorted) + sys.getsizeof(keys._recent) + 28 * len(keys._recent)
    python = sys.getsizeof(as_set) + sum(sys.getsizeof(k) for k in as_set)
    assert footprint < python / 4


def _filter(path: Path | None) -> CompactDupeFilter:
    return CompactDupeFilter(str(path) if path else None, fingerprinter=CanonicalRequestFingerprinter())


def test_dupefilter_filters_canonical_twins_and_resumes_from_its_job_dir(tmp_path: Path) -> None:
    first = _filter(tmp_path)
    assert not first.request_seen(Request("http://a.gov.cn/nb/1.html"))
    assert first.request_seen(Request("https://a.gov.cn/nb/1.html?utm_source=x"))  # same report (dedupe_key)
    assert not first.request_seen(Request("http://a.gov.cn/nb/2.html"))
    first.close("shutdown")
    with (tmp_path / seen.SEEN_FILE).open("ab") as cut:  # a record cut short by a kill
        cut.write(b"\x01\x02\x03")
    second = _filter(tmp_path)
    assert second.request_seen(Request("http://a.gov.cn/nb/2.html"))
    assert not second.request_seen(Request("http://a.gov.cn/nb/3.html"))
    second.close("finished")
    assert (tmp_path / seen.SEEN_FILE).stat().st_size == 3 * 8


def test_dupefilter_reads_the_seen_file_of_scrapys_own_filter(tmp_path: Path) -> None:
    fingerprint = CanonicalRequestFingerprinter().fingerprint(Request("http://a.gov.cn/nb/9.html"))
    (tmp_path / seen.LEGACY_SEEN_FILE).write_bytes(len(fingerprint).to_bytes(2, "big") + fingerprint + b"\x00")
    resumed = _filter(tmp_path)
    assert key64(fingerprint) in resumed.keys
    assert resumed.request_seen(Request("http://a.gov.cn/nb/9.html"))


def test_the_add_on_installs_it_and_a_crawler_builds_it(tmp_path: Path) -> None:
    assert COMPONENT_SETTINGS["DUPEFILTER_CLASS"] == "govcrawl.discovery.seen.CompactDupeFilter"
    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path), **COMPONENT_SETTINGS})
    dupefilter = CompactDupeFilter.from_crawler(crawler)
    assert dupefilter.file is not None
    assert not dupefilter.request_seen(Request("http://a.gov.cn/"))
    dupefilter.close("finished")
