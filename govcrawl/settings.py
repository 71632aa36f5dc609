"""Scrapy settings of the govcrawl project (``scrapy crawl gov_reports`` / ``govcrawl crawl``).

Only Scrapy's own settings live here. govcrawl's components, every ``GOVCRAWL_*`` default and the crawl
profile (polite by default; ``-s GOVCRAWL_FAST_LOCAL=True`` for portals on 127.0.0.1) are installed by the
add-on :class:`govcrawl.addon.GovcrawlAddon`, at a priority below this file and the command line.
"""

from __future__ import annotations

from govcrawl.charset import ACCEPT_ENCODING

BOT_NAME = "govcrawl"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

ADDONS = {
    "govcrawl.addon.GovcrawlAddon": 0,
}

# --- politeness (the delays and concurrency are the add-on's crawl profile) ------------------------------------
ROBOTSTXT_OBEY = True
RETRY_ENABLED = True
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
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# --- remote consoles: off; opt in with -s TELNETCONSOLE_ENABLED=True / -s REMOTE_CONTROL_ENABLED=True ------------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy's HTTP remote-control extension (recent Scrapy versions)

# --- output --------------------------------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
