"""Scrapy settings of the govcrawl project (``scrapy crawl gov_reports`` / ``govcrawl crawl``).

Polite defaults for real government sites: robots.txt obeyed, AutoThrottle on, two requests per domain at a
time, an honest User-Agent naming a contact (``GOVCRAWL_CONTACT``), retries on 5xx and timeouts.
``-s GOVCRAWL_FAST_LOCAL=True`` (tests, ``govcrawl demo``) drops the delays for a portal on 127.0.0.1; it is
applied by the spider's ``update_settings`` so command-line ``-s`` values still win.
"""

from __future__ import annotations

import os

from govcrawl import __version__
from govcrawl.charset import ACCEPT_ENCODING

BOT_NAME = "govcrawl"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- govcrawl settings (docs/architecture.md) ---------------------------------------------------------------
GOVCRAWL_ARCHIVE_DIR = "archive"
GOVCRAWL_WARC_ENABLED = True
GOVCRAWL_WARC_MAX_SIZE = 1_000_000_000
GOVCRAWL_WARC_PREFIX = "govcrawl"
GOVCRAWL_OPERATOR = os.environ.get("GOVCRAWL_OPERATOR", "")
GOVCRAWL_CONTACT = os.environ.get("GOVCRAWL_CONTACT", "")
GOVCRAWL_CATALOG = None  # None: <archive dir>/catalog.sqlite; "" disables
GOVCRAWL_INCREMENTAL = False
GOVCRAWL_FAST_LOCAL = False  # True: no politeness delays (loopback portals only)
GOVCRAWL_BROWSER = "auto"  # "auto": render where a site hint or an empty scripted list needs it; "off"; "on"
GOVCRAWL_SITES = None  # default registry file when no -a start_urls / -a sites is given
GOVCRAWL_EXTRACT_WORKERS = "auto"  # build_item worker processes: "auto" = cores - 1 (at least 1); 0 = in the crawl
GOVCRAWL_EXTRACT_TIMEOUT = 120.0  # seconds one build_item job may run before its worker is killed (flagged item)
GOVCRAWL_EXTRACT_MEMORY = 2 * 1024**3  # RLIMIT_AS of each worker process, bytes
GOVCRAWL_EXTRACT_RETRIES = 1  # runs again (alone) of a job whose worker died, before it is flagged worker_died
GOVCRAWL_DISTRIBUTED = False  # True: share the frontier through Redis (govcrawl.distributed, needs REDIS_URL)
REDIS_URL = os.environ.get("REDIS_URL", "")

# User-Agent: composed from GOVCRAWL_CONTACT by the spider's update_settings when not set explicitly.
USER_AGENT = f"govcrawl/{__version__} (+{GOVCRAWL_CONTACT or 'https://pypi.org/project/govcrawl/'})"

# --- politeness ------------------------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50%
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = True
# <meta http-equiv="refresh" content="0;URL=../"> is how TRS sites stub out removed documents: following it
# would capture the column page as a "report". Stubs are recognised and counted instead (govcrawl.stubs.stub_kind).
METAREFRESH_ENABLED = False
# Scrapy starts CONCURRENT_ITEMS tasks per callback output; a report callback yields one item, so the
# default 100 only costs event-loop time (measured: ~10% of a loopback crawl).
CONCURRENT_ITEMS = 16
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024
DOWNLOAD_WARNSIZE = 50 * 1024 * 1024

# Only what warcio can decode on replay (govcrawl.charset.ACCEPT_ENCODING): gzip, deflate, br; never zstd.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
    "Accept-Encoding": ACCEPT_ENCODING,
}

# --- components --------------------------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    "govcrawl.middlewares.HostPortOffsiteMiddleware": 50,
    # Scrapy's offsite middleware ignores ports; ours replaces it.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    # catalog-backed govcrawl_prior / conditional requests (GOVCRAWL_INCREMENTAL); after Retry (550)
    "govcrawl.catalog.incremental.IncrementalMiddleware": 560,
    "govcrawl.browser.ChallengeMiddleware": 580,
    # same-document redirects (http -> https) must pass the scheme-blind dupefilter
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "govcrawl.middlewares.CanonicalRedirectMiddleware": 600,
    "govcrawl.warc.middleware.WarcArchiveMiddleware": 950,
}
ITEM_PIPELINES = {
    "govcrawl.pipelines.ReportPipeline": 300,
    "govcrawl.catalog.crawl.CatalogPipeline": 800,  # upsert report items into GOVCRAWL_CATALOG
}
# runs and captures in the catalog; both catalog components disable themselves when GOVCRAWL_CATALOG is ""
EXTENSIONS = {
    "govcrawl.catalog.crawl.CatalogExtension": 500,
    "govcrawl.stats.StatsDumpExtension": 900,  # GOVCRAWL_STATS_FILE
}
# the add-on switches scheduler and dupefilter to scrapy-redis only when GOVCRAWL_DISTRIBUTED is true
ADDONS = {
    "govcrawl.distributed.DistributedAddon": 0,
}
DOWNLOAD_HANDLERS = {
    # Scrapy's HTTP/1.1 handler; starts scrapy-playwright + Chromium only for meta["playwright"] requests.
    "http": "govcrawl.browser.OnDemandPlaywrightHandler",
    "https": "govcrawl.browser.OnDemandPlaywrightHandler",
}
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
REQUEST_FINGERPRINTER_CLASS = "govcrawl.discovery.urls.CanonicalRequestFingerprinter"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# --- browser (scrapy-playwright with Debian's Chromium) ------------------------------------------------------
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("GOVCRAWL_CHROMIUM", "/usr/bin/chromium"),
    "headless": True,
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
}
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2

# --- output --------------------------------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

#: applied by GovReportsSpider.update_settings when GOVCRAWL_FAST_LOCAL is true (priority "spider",
#: below command-line -s values)
FAST_LOCAL_OVERRIDES = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "CONCURRENT_REQUESTS": 32,
    "DOWNLOAD_TIMEOUT": 20,
    "RETRY_TIMES": 1,
}
