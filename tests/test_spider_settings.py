"""Project settings, the add-on (components, defaults, FAST_LOCAL profile), and the downloader middlewares."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

import govcrawl.settings as project_settings
from govcrawl.addon import ADDON_PATH, COMPONENTS, DEFAULTS, GovcrawlAddon
from govcrawl.browser import ChallengeMiddleware
from govcrawl.middlewares import HostPortOffsiteMiddleware
from govcrawl.sites import site_from_url
from spiders.gov_reports import GovReportsSpider

ROOT = Path(__file__).resolve().parents[1]


def _settings(**overrides: object) -> Settings:
    """The settings of ``scrapy crawl`` with ``-s`` overrides: settings.py, command line, then the add-on."""
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    GovReportsSpider.update_settings(settings)
    GovcrawlAddon().update_settings(settings)
    return settings


def test_polite_defaults_and_accept_encoding() -> None:
    settings = _settings()
    assert settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2 and settings.getfloat("DOWNLOAD_DELAY") == 1.0
    assert 500 in settings.getlist("RETRY_HTTP_CODES") and settings.getint("DOWNLOAD_TIMEOUT") == 60
    encodings = [e.strip() for e in settings.getdict("DEFAULT_REQUEST_HEADERS")["Accept-Encoding"].split(",")]
    assert "zstd" not in encodings and {"gzip", "deflate"} <= set(encodings)
    assert settings.getdict("DOWNLOADER_MIDDLEWARES")["govcrawl.warc.middleware.WarcArchiveMiddleware"] == 950
    assert settings["REQUEST_FINGERPRINTER_CLASS"].endswith("CanonicalRequestFingerprinter")
    assert settings["USER_AGENT"].startswith("govcrawl/")
    assert not settings.getbool("TELNETCONSOLE_ENABLED") and not settings.getbool("REMOTE_CONTROL_ENABLED")


def test_fast_local_profile_and_contact_user_agent() -> None:
    fast = _settings(GOVCRAWL_FAST_LOCAL=True, GOVCRAWL_CONTACT="mailto:data@example.org")
    assert not fast.getbool("AUTOTHROTTLE_ENABLED") and fast.getfloat("DOWNLOAD_DELAY") == 0
    assert fast.getint("CONCURRENT_REQUESTS") == 32 and fast.getint("RETRY_TIMES") == 1
    assert fast["USER_AGENT"].endswith("(+mailto:data@example.org)")
    explicit = _settings(GOVCRAWL_FAST_LOCAL=True, DOWNLOAD_DELAY=0.5, USER_AGENT="mine")
    assert explicit.getfloat("DOWNLOAD_DELAY") == 0.5 and explicit["USER_AGENT"] == "mine"  # -s still wins


def test_settings_py_holds_no_govcrawl_setting_and_the_addon_declares_them_all() -> None:
    assert project_settings.ADDONS == {ADDON_PATH: 0}
    assert not [name for name in dir(project_settings) if name.startswith("GOVCRAWL_")]
    assert not hasattr(project_settings, "ITEM_PIPELINES") and not hasattr(project_settings, "DOWNLOADER_MIDDLEWARES")
    used: set[str] = set()
    for path in [*(ROOT / "govcrawl").rglob("*.py"), *(ROOT / "spiders").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for setting in ("getbool", "getint", "getfloat", "get"):
            for chunk in text.split(f'settings.{setting}("GOVCRAWL_')[1:]:
                used.add("GOVCRAWL_" + chunk.split('"', 1)[0])
    assert used <= set(DEFAULTS), f"read but not declared in govcrawl.addon.DEFAULTS: {sorted(used - set(DEFAULTS))}"
    assert set(DEFAULTS) <= used, f"declared but never read (dead): {sorted(set(DEFAULTS) - used)}"


def test_the_addon_installs_every_component_once_and_a_command_line_dict_replaces_its_kind() -> None:
    settings = _settings()
    for name, components in COMPONENTS.items():
        installed = settings.getdict(name)
        assert all(installed[path] == order for path, order in components.items()), name
    for components in COMPONENTS.values():
        for path in components:
            if path.startswith("govcrawl."):
                load_object(path)  # every dotted path names a real class
    # what govcrawl nightly needs, now that it no longer lists components itself
    assert settings.getdict("DOWNLOADER_MIDDLEWARES")["govcrawl.catalog.incremental.IncrementalMiddleware"] == 560
    assert settings.getdict("EXTENSIONS")["govcrawl.catalog.crawl.CatalogExtension"] == 500
    assert settings.getdict("ITEM_PIPELINES")["govcrawl.catalog.crawl.CatalogPipeline"] == 800
    summary_only = _settings(ITEM_PIPELINES={"govcrawl.pipelines.CaptureSummaryPipeline": 300})
    assert summary_only.getdict("ITEM_PIPELINES") == {"govcrawl.pipelines.CaptureSummaryPipeline": 300}
    assert "govcrawl.middlewares.HostPortOffsiteMiddleware" in summary_only.getdict("DOWNLOADER_MIDDLEWARES")


def test_the_public_suffix_list_is_never_fetched(tmp_path: Path) -> None:
    """A fresh machine (empty cache, no environment switch): the add-on keeps tldextract on its snapshot."""
    code = ("import sys; from scrapy.settings import Settings; from govcrawl.addon import GovcrawlAddon;"
            "import spiders.gov_reports;"  # loading the spider must not build Scrapy's cookie middleware yet
            "assert 'scrapy.downloadermiddlewares.cookies' not in sys.modules;"
            "GovcrawlAddon().update_settings(Settings());"
            "from tldextract import TLDExtract; assert TLDExtract().suffix_list_urls == ();"
            "import scrapy.downloadermiddlewares.cookies")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLDEXTRACT_")}
    env.update(HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


def test_offsite_by_host_and_port() -> None:
    crawler = get_crawler(GovReportsSpider)
    spider = GovReportsSpider(start_urls="http://127.0.0.1:8080/zfxxgknb/")
    crawler.spider = spider
    middleware = HostPortOffsiteMiddleware.from_crawler(crawler)
    middleware.stats = _Stats()
    site = spider.registry[0].name
    assert middleware.process_request(Request("http://127.0.0.1:8080/a.html", meta={"govcrawl_site": site})) is None
    with pytest.raises(IgnoreRequest):  # another port of 127.0.0.1
        middleware.process_request(Request("http://127.0.0.1:9999/a.html", meta={"govcrawl_site": site}))
    assert middleware.stats.values["offsite/filtered"] == 1
    assert middleware.process_request(Request("http://127.0.0.1:9999/robots.txt")) is None  # no site: passes
    allowed = Request("http://127.0.0.1:9999/a.html", meta={"govcrawl_site": site, "allow_offsite": True})
    assert middleware.process_request(allowed) is None  # Scrapy's allow_offsite meta key
    assert middleware.stats.values["offsite/filtered"] == 1
    attachment = Request("http://127.0.0.1:9999/a.pdf", meta={"govcrawl_site": site}, dont_filter=True)
    assert middleware.request_scheduled(attachment, spider) is None  # checked at download, where errbacks run
    with pytest.raises(IgnoreRequest):  # dont_filter passes the dupefilter, not the site boundary
        middleware.process_request(attachment)
    assert middleware.stats.values["offsite/filtered"] == 2


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def test_challenge_middleware_reports_by_name_and_retries_in_browser_only_when_allowed() -> None:
    crawler = get_crawler(GovReportsSpider)
    body = b"<html><head><script>document.cookie='924omrTVcFchP=1';location.reload()</script></head></html>"
    for allowed in (False, True):
        spider = GovReportsSpider(start_urls="http://127.0.0.1:8080/zfxxgknb/")
        site = spider.registry[0]
        site.browser_on_challenge = allowed
        crawler.spider = spider
        middleware = ChallengeMiddleware(crawler)
        middleware.stats = _Stats()
        spider.traps.stats = middleware.stats
        request = Request(site.start_urls[0], meta={"govcrawl_site": site.name})
        response = HtmlResponse(request.url, status=412, body=body, request=request)
        result = middleware.process_response(request, response)
        assert middleware.stats.values[f"govcrawl/blocked/{site.name}"] == 1
        if allowed:
            assert isinstance(result, Request) and result.meta["playwright"] and result.dont_filter
        else:
            assert result is response
    assert site_from_url("http://127.0.0.1:8080/x").name == "127.0.0.1:8080"


def test_spider_arguments_choose_the_sites(tmp_path) -> None:
    default = GovReportsSpider()
    assert [s.name for s in default.registry] == [s.name for s in __import__("govcrawl.sites").sites.load_registry()]
    adhoc = GovReportsSpider(start_urls="http://127.0.0.1:8080/a/,http://127.0.0.1:8080/b/, http://127.0.0.1:9090/c/")
    assert {s.name: s.start_urls for s in adhoc.registry} == {
        "127.0.0.1:8080": ["http://127.0.0.1:8080/a/", "http://127.0.0.1:8080/b/"],
        "127.0.0.1:9090": ["http://127.0.0.1:9090/c/"],
    }
    registry = tmp_path / "sites.toml"
    registry.write_text('[[site]]\nname = "x"\nstart_urls = ["http://x.gov.cn/ndbg/"]\nrender_js = true\n', encoding="utf-8")
    from_file = GovReportsSpider(sites=str(registry))
    assert from_file.sites_by_name["x"].render_js


def test_crawl_command_rejects_a_bad_registry_clearly(tmp_path, capsys) -> None:
    from govcrawl.cli import main

    bad = tmp_path / "sites.toml"
    bad.write_text('[[site]]\nname = "x"\nstart_urls = ["x.gov.cn/ndbg/"]\n', encoding="utf-8")
    assert main(["crawl", "--sites", str(bad)]) == 2
    assert "start URL is not an http(s) URL: 'x.gov.cn/ndbg/'" in capsys.readouterr().out


def test_same_document_redirect_is_not_dropped_by_the_dupefilter() -> None:
    from govcrawl.middlewares import CanonicalRedirectMiddleware

    crawler = get_crawler(GovReportsSpider, settings_dict={"REDIRECT_ENABLED": True})
    crawler.spider = GovReportsSpider(start_urls="http://www.x.gov.cn/ndbg/")
    middleware = CanonicalRedirectMiddleware.from_crawler(crawler)
    source = Request("http://www.x.gov.cn/ndbg/202403/t20240308_1.html")
    to_https = HtmlResponse(source.url, status=301, headers={"Location": "https://www.x.gov.cn/ndbg/202403/t20240308_1.html"},
                            request=source)
    redirected = middleware.process_response(source, to_https)
    assert isinstance(redirected, Request) and redirected.url.startswith("https://") and redirected.dont_filter
    elsewhere = HtmlResponse(source.url, status=302, headers={"Location": "/ndbg/202403/t20240308_2.html"}, request=source)
    assert not middleware.process_response(source, elsewhere).dont_filter  # another document: dupefilter applies


def test_browser_cookies_become_scrapy_cookies_for_that_host() -> None:
    from scrapy.http.cookies import CookieJar

    from govcrawl.browser import playwright_cookie

    jar = CookieJar()
    for cookie in (
        {"name": "924omrTVcFchP", "value": "rs123", "domain": "127.0.0.1", "path": "/", "expires": -1,
         "httpOnly": False, "secure": False, "sameSite": "Lax"},
        {"name": "sid", "value": "abc", "domain": ".x.gov.cn", "path": "/zwgk/", "expires": 4102444800,
         "httpOnly": True, "secure": False, "sameSite": "Lax"},
        {"name": "tls_only", "value": "1", "domain": "www.x.gov.cn", "path": "/", "expires": -1, "secure": True},
    ):
        jar.set_cookie(playwright_cookie(cookie))

    def sent(url: str) -> str:
        request = Request(url)
        jar.add_cookie_header(request)
        return request.headers.get("Cookie", b"").decode()

    assert sent("http://127.0.0.1:8080/zwgk/jcnb/index_1.html") == "924omrTVcFchP=rs123"
    assert sent("http://127.0.0.2/zwgk/") == ""  # host-only: not another host
    assert sent("http://www.x.gov.cn/zwgk/a.html") == "sid=abc"  # domain cookie; the secure one needs https
    assert sent("https://www.x.gov.cn/zwgk/a.html") in {"sid=abc; tls_only=1", "tls_only=1; sid=abc"}
    assert sent("http://www.x.gov.cn/other/") == ""  # path-scoped


def test_stats_dump_extension_writes_the_stats_with_the_close_reason(tmp_path) -> None:
    import json
    from datetime import UTC, datetime

    import pytest
    from scrapy.exceptions import NotConfigured

    from govcrawl.stats import StatsDumpExtension

    assert "govcrawl.stats.StatsDumpExtension" in COMPONENTS["EXTENSIONS"]
    with pytest.raises(NotConfigured):
        StatsDumpExtension.from_crawler(get_crawler(settings_dict={"GOVCRAWL_STATS_FILE": ""}))
    path = tmp_path / "stats.json"
    crawler = get_crawler(settings_dict={"GOVCRAWL_STATS_FILE": str(path)})
    extension = StatsDumpExtension.from_crawler(crawler)
    crawler.stats.set_value("start_time", datetime(2026, 12, 2, 6, 0, tzinfo=UTC))
    crawler.stats.inc_value("govcrawl/reports", 3)
    extension.spider_closed(spider=None, reason="finished")
    stats = json.loads(path.read_text(encoding="utf-8"))
    assert stats == {"start_time": "2026-12-02T06:00:00+00:00", "govcrawl/reports": 3,
                     "govcrawl/close_reason": "finished"}
