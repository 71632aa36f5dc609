"""``govcrawl overview`` (issue 13): a self-contained page whose plots show in headless Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from govcrawl.overview import PALETTE, read_picture, write_overview

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("GOVCRAWL_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def catalog(demo_archive: Path) -> Path:
    return demo_archive / "catalog.sqlite"


def test_the_picture_counts_what_the_catalog_holds(catalog: Path) -> None:
    picture = read_picture(catalog)
    assert picture.reports == 19
    assert sum(sum(levels.values()) for levels in picture.per_year_level.values()) == 19
    assert min(picture.per_year_level) == 2009 and max(picture.per_year_level) == 2024
    assert picture.check_failures["format_matches_year"][0] == 1
    assert sum(picture.applications.values()) > 0


def _colour_pixels(image: Image.Image, colour: str) -> int:
    target = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return sum(1 for pixel in image.convert("RGB").get_flattened_data() if all(abs(a - b) <= 8 for a, b in zip(pixel, target, strict=True)))


@pytest.mark.browser
def test_the_overview_renders_its_plots_offline_in_chromium(catalog: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "overview.html"
    write_overview(catalog, page_file)
    html = page_file.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 800, "height": 600})
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri(), wait_until="load")
            figures = page.locator("figure")
            assert figures.count() == 4
            shots = []
            for index in range(4):
                path = tmp_path / f"figure{index}.png"
                figures.nth(index).screenshot(path=str(path))
                shots.append(Image.open(path))
            page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
            bars = page.locator("rect.bar").count()
            assert page.locator("#failed-sites tr").count() >= 2
        finally:
            browser.close()
    assert requests == [page_file.as_uri()], "the page loads nothing but itself"
    assert bars >= 19
    for index, shot in enumerate(shots):  # every plot has ink of the palette's first colour
        assert _colour_pixels(shot, PALETTE[0]) > 200, f"figure {index} shows no plot"
    assert _colour_pixels(shots[3], PALETTE[1]) > 50  # the lawsuits line
