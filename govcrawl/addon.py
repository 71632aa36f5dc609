"""``GovcrawlAddon``: the one place that wires govcrawl into Scrapy.

``govcrawl/settings.py`` lists it in ``ADDONS``; Scrapy calls :meth:`GovcrawlAddon.update_settings` once per
crawl, before any component is built. It

* declares every ``GOVCRAWL_*`` setting with its default (:data:`DEFAULTS`) and the plugin settings govcrawl
  relies on (scrapy-playwright's launch options, scrapy-redis's ``REDIS_URL``);
* applies the crawl profile: :data:`POLITE_PROFILE` for real government sites, :data:`LOCAL_PROFILE` when
  ``GOVCRAWL_FAST_LOCAL`` is true (tests and ``govcrawl demo``, portals on 127.0.0.1 only);
* composes the User-Agent from ``GOVCRAWL_CONTACT``;
* installs the project's components (:data:`COMPONENTS`) with their orders, and the request fingerprinter;
* switches the frontier to Redis through :class:`govcrawl.distributed.DistributedAddon` when
  ``GOVCRAWL_DISTRIBUTED`` is true;
* keeps tldextract (used by Scrapy's cookie middleware) on its bundled public suffix list: a crawler must not
  fetch the list from the internet on a fresh machine (``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS=""``, tldextract's
  documented switch, unless the environment already sets it).

Everything is set with the add-on priority, so ``settings.py``, a spider's ``custom_settings`` and ``-s`` on
the command line still win. A component dict given above the project priority (``-s ITEM_PIPELINES=…``,
``custom_settings``) replaces govcrawl's components of that kind instead of being merged with them, as a
command-line dict replaced the dict of ``settings.py`` before the add-on existed.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.misc import load_object

from govcrawl import __version__

logger = logging.getLogger(__name__)

#: the dotted path Scrapy's ``ADDONS`` setting names
ADDON_PATH = "govcrawl.addon.GovcrawlAddon"
#: applied on top of the components when ``GOVCRAWL_DISTRIBUTED`` is true
DISTRIBUTED_ADDON = "govcrawl.distributed.DistributedAddon"
#: tldextract's documented switch: an empty value means "never fetch, use the bundled snapshot"
PSL_URLS_ENV = "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"

#: every govcrawl setting with its default (docs/architecture.md describes each)
DEFAULTS: dict[str, Any] = {
    "GOVCRAWL_ARCHIVE_DIR": "archive",  # WARC files, catalog.sqlite
    "GOVCRAWL_WARC_ENABLED": True,
    "GOVCRAWL_WARC_MAX_SIZE": 1_000_000_000,  # bytes before a WARC file is rotated
    "GOVCRAWL_WARC_PREFIX": "govcrawl",
    "GOVCRAWL_WARC_REPAIR_ON_START": True,  # close .warc.gz.open files a dead crawl left
    "GOVCRAWL_OPERATOR": "",  # warcinfo "operator"; environment variable GOVCRAWL_OPERATOR
    "GOVCRAWL_CONTACT": "",  # User-Agent contact and warcinfo; environment variable GOVCRAWL_CONTACT
    "GOVCRAWL_CATALOG": None,  # None: <archive dir>/catalog.sqlite; "" disables the catalog
    "GOVCRAWL_CATALOG_COMMIT_INTERVAL": 0.5,  # seconds: longest a catalog write waits uncommitted (a kill loses it)
    "GOVCRAWL_RUN_ID": 0,  # catalog run to resume (set by govcrawl nightly); 0: a new run
    "GOVCRAWL_INCREMENTAL": False,  # re-validate pages the catalog holds (304 / revisit records)
    "GOVCRAWL_FAST_LOCAL": False,  # True: LOCAL_PROFILE (loopback portals only)
    "GOVCRAWL_BROWSER": "auto",  # "auto": render where a site hint or an empty scripted list needs it; "off"; "on"
    "GOVCRAWL_TITLE_CLASSIFIER": "govcrawl.discovery.classifier.is_report_title",  # title -> bool
    "GOVCRAWL_EXTRACT_WORKERS": "auto",  # build_item worker processes: "auto" = cores - 1 (at least 1); 0 = inline
    "GOVCRAWL_EXTRACT_TIMEOUT": 120.0,  # seconds one build_item job may run before its worker is killed
    "GOVCRAWL_EXTRACT_MEMORY": 2 * 1024**3,  # RLIMIT_AS of each worker process, bytes
    "GOVCRAWL_EXTRACT_NICE": 10,  # workers' CPU priority below the crawl's (os.nice): the reactor gets a busy core first
    "GOVCRAWL_EXTRACT_RETRIES": 1,  # runs again (alone) of a job whose worker died, before it is worker_died
    "GOVCRAWL_GC_THRESHOLD": 20000,  # the crawl process's gc threshold (gen 0) while crawling; 0: Python's 700
    "GOVCRAWL_BUDGET": True,  # size CONCURRENT_REQUESTS, threads, DNS cache, open files from the sites (throttle.py)
    "GOVCRAWL_BUDGET_SITES": 0,  # sites the budgets are sized for; 0: the hosts of the spider's registry
    "GOVCRAWL_BUDGET_LATENCY": 1.0,  # seconds a site is expected to take per response (in-flight per site)
    "GOVCRAWL_BUDGET_MAX_CONCURRENCY": 2048,  # ceiling of the sized CONCURRENT_REQUESTS
    "GOVCRAWL_BUDGET_MAX_THREADS": 64,  # ceiling of the sized reactor thread pool (DNS lookups)
    "GOVCRAWL_SEND_PACING": True,  # each site's delay counted from the send, a gate per site (throttle.SendPacing)
    "GOVCRAWL_RETRY_AFTER_MAX": 600.0,  # longest Retry-After (s) honoured with a retry; longer: given up
    "GOVCRAWL_COOKIE_MAX_BYTES": 4096,  # a cookie's name + value, as browsers
    "GOVCRAWL_COOKIES_PER_HOST": 50,  # cookies kept per domain
    "GOVCRAWL_COOKIE_HEADER_BYTES": 6144,  # all cookies of a domain together: the Cookie header stays under 8 KB
    "GOVCRAWL_STATS_FILE": None,  # write the crawl stats as JSON there when the spider closes
    "GOVCRAWL_DISTRIBUTED": False,  # True: share the frontier through Redis (needs REDIS_URL)
    "GOVCRAWL_DISTRIBUTED_WORKER_TIMEOUT": 120.0,  # seconds without a heartbeat before a worker counts as dead
    "GOVCRAWL_DISTRIBUTED_POLL_INTERVAL": 0.5,  # seconds between polls of the shared queue
    "GOVCRAWL_DISTRIBUTED_POLL_BATCH": 2,  # requests taken from the shared queue per poll
    "GOVCRAWL_DISTRIBUTED_POLITENESS": True,  # per-site concurrency and delay held in Redis, global across workers
    "GOVCRAWL_DISTRIBUTED_SITE_LEASE": 0.0,  # seconds before a dead worker's site lease frees itself; 0: timeout+30
    "GOVCRAWL_DISTRIBUTED_SITE_POLL": 0.05,  # longest wait before asking again for a full site's slot
    "GOVCRAWL_DISTRIBUTED_REDIS_RETRY": 60.0,  # seconds a worker waits for a restarting Redis before failing
    # payload-digest index asked before writing a response (same bytes at another URL -> revisit record);
    # the catalog's when not distributed, Redis's when distributed; "" disables cross-URL revisits
    "GOVCRAWL_PAYLOAD_INDEX": "govcrawl.catalog.payload_index.CatalogPayloadIndex",
}

#: politeness for real government sites: AutoThrottle, two requests per domain at a time, retries
POLITE_PROFILE: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 2.0,
    "AUTOTHROTTLE_MAX_DELAY": 60.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 1.0,
    "DOWNLOAD_DELAY_JITTER": 0.5,  # ±50%
    "DOWNLOAD_TIMEOUT": 60,
    "RETRY_TIMES": 3,
}
#: ``GOVCRAWL_FAST_LOCAL``: no delays, more concurrency, fail fast (a portal on 127.0.0.1)
LOCAL_PROFILE: dict[str, Any] = {
    **POLITE_PROFILE,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "DOWNLOAD_TIMEOUT": 20,
    "RETRY_TIMES": 1,
}

#: the project's components, by the Scrapy setting that enables them; None disables a Scrapy default
COMPONENTS: dict[str, dict[str, Any]] = {
    "DOWNLOADER_MIDDLEWARES": {
        # host:port offsite rule per site; replaces Scrapy's, which ignores ports
        "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
        "govcrawl.middlewares.HostPortOffsiteMiddleware": 50,
        # only http/https: other schemes dropped, redirects to them refused and counted (govcrawl.guards)
        "govcrawl.guards.SchemeGuardMiddleware": 40,
        # a gzip body cut short is flagged truncated_gzip (sees the body before HttpCompression at 590)
        "govcrawl.guards.TruncatedGzipMiddleware": 595,
        # catalog-backed conditional requests (GOVCRAWL_INCREMENTAL); after Retry (550)
        "govcrawl.catalog.incremental.IncrementalMiddleware": 560,
        "govcrawl.browser.ChallengeMiddleware": 580,
        # Scrapy's retries, plus Retry-After on 429/503 pausing that site's slot (govcrawl.throttle)
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "govcrawl.throttle.RetryAfterMiddleware": 550,
        # same-document redirects (http -> https) must pass the scheme-blind dupefilter
        "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
        "govcrawl.middlewares.CanonicalRedirectMiddleware": 600,
        # Scrapy's cookie jar with a browser's bounds (a page flooding Set-Cookie cannot poison the site's jar)
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
        "govcrawl.cookies.BoundedCookiesMiddleware": 700,
        "govcrawl.warc.middleware.WarcArchiveMiddleware": 950,
    },
    "ITEM_PIPELINES": {
        "govcrawl.pipelines.ReportPipeline": 300,
        "govcrawl.catalog.crawl.CatalogPipeline": 800,  # upsert report items into GOVCRAWL_CATALOG
    },
    # runs and captures in the catalog; both catalog components disable themselves when GOVCRAWL_CATALOG is ""
    "EXTENSIONS": {
        "govcrawl.catalog.crawl.CatalogExtension": 500,
        "govcrawl.stats.StatsDumpExtension": 900,  # GOVCRAWL_STATS_FILE
        "govcrawl.guards.RobotsErrorLogExtension": 0,  # a robots.txt timeout is one log line, not a traceback
        "govcrawl.throttle.CrawlBudgetExtension": 100,  # global budgets sized from the sites (GOVCRAWL_BUDGET)
        "govcrawl.throttle.CollectorBudgetExtension": 100,  # fewer gc pauses of the reactor (GOVCRAWL_GC_THRESHOLD)
    },
    # JSON lines feeds written from the catalog's encoding of each report item (govcrawl.catalog.feed)
    "FEED_EXPORTERS": {
        "jsonlines": "govcrawl.catalog.feed.ReportJsonLinesExporter",
        "jsonl": "govcrawl.catalog.feed.ReportJsonLinesExporter",
        "jl": "govcrawl.catalog.feed.ReportJsonLinesExporter",
    },
    # Scrapy's HTTP/1.1 handler; starts scrapy-playwright + Chromium only for meta["playwright"] requests
    "DOWNLOAD_HANDLERS": {
        "http": "govcrawl.browser.OnDemandPlaywrightHandler",
        "https": "govcrawl.browser.OnDemandPlaywrightHandler",
        # only http/https is ever fetched: Scrapy's handlers of these schemes are removed
        "file": None,
        "data": None,
        "ftp": None,
        "s3": None,
    },
}

#: single-valued settings the components need
COMPONENT_SETTINGS: dict[str, Any] = {
    # scheme-, session- and tracking-blind fingerprints (govcrawl.discovery.urls.dedupe_key)
    "REQUEST_FINGERPRINTER_CLASS": "govcrawl.discovery.urls.CanonicalRequestFingerprinter",
    # the same filtering at ~8 bytes a request instead of ~80 (memory flat in crawl size)
    "DUPEFILTER_CLASS": "govcrawl.discovery.seen.CompactDupeFilter",
}


def plugin_defaults() -> dict[str, Any]:
    """Settings of the plugins govcrawl uses (scrapy-playwright with Debian's Chromium, scrapy-redis)."""
    return {
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": os.environ.get("GOVCRAWL_CHROMIUM", "/usr/bin/chromium"),
            "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        },
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 30_000,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 2,
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
    }


def user_agent(contact: str) -> str:
    """The honest User-Agent: ``govcrawl/<version> (+<contact>)``, the project page when no contact is set."""
    return f"govcrawl/{__version__} (+{contact or 'https://pypi.org/project/govcrawl/'})"


class GovcrawlAddon:
    """Scrapy add-on installing govcrawl's components, defaults and crawl profile (module docstring)."""

    priority = "addon"

    def update_settings(self, settings: BaseSettings) -> None:
        """Called by Scrapy's add-on manager before the crawler builds its components."""
        self._keep_public_suffix_list_offline()
        environment = {"GOVCRAWL_OPERATOR": os.environ.get("GOVCRAWL_OPERATOR", ""),
                       "GOVCRAWL_CONTACT": os.environ.get("GOVCRAWL_CONTACT", "")}
        for name, value in {**DEFAULTS, **environment, **plugin_defaults(), **COMPONENT_SETTINGS}.items():
            settings.set(name, value, priority=self.priority)
        profile = LOCAL_PROFILE if settings.getbool("GOVCRAWL_FAST_LOCAL") else POLITE_PROFILE
        for name, value in profile.items():
            settings.set(name, value, priority=self.priority)
        settings.set("USER_AGENT", user_agent(settings.get("GOVCRAWL_CONTACT") or ""), priority=self.priority)
        self._install_components(settings)
        if settings.getbool("GOVCRAWL_DISTRIBUTED"):
            load_object(DISTRIBUTED_ADDON)().update_settings(settings)

    def _install_components(self, settings: BaseSettings) -> None:
        replaced_above = SETTINGS_PRIORITIES["project"]
        for name, components in COMPONENTS.items():
            if settings.getpriority(name) > replaced_above:
                logger.debug("%s given explicitly: govcrawl's components of that kind are not added", name)
                continue
            current = settings[name]
            for path, order in components.items():
                current.set(path, order, priority=self.priority)

    @staticmethod
    def _keep_public_suffix_list_offline() -> None:
        os.environ.setdefault(PSL_URLS_ENV, "")
        if "scrapy.downloadermiddlewares.cookies" in sys.modules:
            # its tldextract instance was built before this add-on ran and may fetch the list on first use
            logger.warning("scrapy.downloadermiddlewares.cookies was imported before %s: set %s='' in the "
                           "environment to keep tldextract from fetching the public suffix list",
                           ADDON_PATH, PSL_URLS_ENV)
