"""The site registry: which 信息公开年报 columns to crawl and how (TOML, see docs/sites.md)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from govcrawl.discovery.urls import host_port

LIST_STYLES = frozenset({"auto", "static", "trs", "query", "jpage", "json", "gkmlpt", "dongjing", "js"})
_KNOWN_KEYS = frozenset(
    {"name", "agency", "start_urls", "allowed_domains", "list_style", "render_js", "browser_on_challenge",
     "max_pages", "notes"}
)
DEFAULT_MAX_PAGES = 200


class RegistryError(ValueError):
    """A site registry that cannot be used; the message names the file, site and field."""


@dataclass
class Site:
    """One registry entry."""

    name: str
    start_urls: list[str]
    agency: str = ""
    allowed_domains: list[str] = field(default_factory=list)
    list_style: str = "auto"
    render_js: bool = False
    browser_on_challenge: bool = False
    max_pages: int = DEFAULT_MAX_PAGES
    hints: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.allowed_domains:
            self.allowed_domains = sorted({host_port(u) for u in self.start_urls})
        self.allowed_domains = [d.strip().lower().rstrip(".") for d in self.allowed_domains if d.strip()]

    def allows(self, url: str) -> bool:
        """True if ``url`` is on one of the site's allowed hosts.

        ``host`` entries allow that host and its subdomains on any port; ``host:port`` entries allow exactly
        that port (Scrapy's own OffsiteMiddleware ignores ports, which matters for 127.0.0.1 and ``:8080``).
        """
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        try:
            port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
        except ValueError:
            return False
        for entry in self.allowed_domains:
            entry_host, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
            if not entry_port.isdigit():
                entry_host, entry_port = entry, ""
            if host != entry_host and not host.endswith("." + entry_host):
                continue
            if entry_port and int(entry_port) != port:
                continue
            return True
        return False


def site_from_url(url: str, name: str | None = None) -> Site:
    """An ad-hoc site for a ``-a start_urls=`` URL: named after and restricted to its host[:port]."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise RegistryError(f"start URL must be http(s): {url!r}")
    hp = host_port(url)
    allowed = [hp]
    if hp.startswith("www.") and ":" not in hp:
        allowed.append(hp[4:])  # www.x.gov.cn: attachments and articles on zwgk.x.gov.cn are the same site
    return Site(name=name or hp, start_urls=[url], allowed_domains=allowed)


def _site_from_table(table: dict[str, Any], source: str, index: int) -> Site:
    where = f"{source}: site #{index + 1}"
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RegistryError(f"{where}: 'name' is required (a short identifier such as \"pingtan\")")
    where = f"{source}: site {name!r}"
    start_urls = table.get("start_urls")
    if isinstance(start_urls, str):
        start_urls = [start_urls]
    if not isinstance(start_urls, list) or not start_urls or not all(isinstance(u, str) for u in start_urls):
        raise RegistryError(f"{where}: 'start_urls' must be a non-empty list of URLs")
    for url in start_urls:
        if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
            raise RegistryError(f"{where}: start URL is not an http(s) URL: {url!r}")
    allowed = table.get("allowed_domains", [])
    if isinstance(allowed, str):
        allowed = [allowed]
    if not isinstance(allowed, list) or not all(isinstance(d, str) for d in allowed):
        raise RegistryError(f"{where}: 'allowed_domains' must be a list of host or host:port strings")
    style = str(table.get("list_style", "auto"))
    if style not in LIST_STYLES:
        raise RegistryError(f"{where}: unknown list_style {style!r}; one of {sorted(LIST_STYLES)}")
    max_pages = table.get("max_pages", DEFAULT_MAX_PAGES)
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
        raise RegistryError(f"{where}: 'max_pages' must be a positive integer")
    for flag in ("render_js", "browser_on_challenge"):
        if flag in table and not isinstance(table[flag], bool):
            raise RegistryError(f"{where}: {flag!r} must be true or false")
    return Site(
        name=name.strip(),
        agency=str(table.get("agency", "")),
        start_urls=list(start_urls),
        allowed_domains=list(allowed),
        list_style=style,
        render_js=bool(table.get("render_js", False)),
        browser_on_challenge=bool(table.get("browser_on_challenge", False)),
        max_pages=max_pages,
        hints={k: v for k, v in table.items() if k not in _KNOWN_KEYS},
    )


def parse_registry(text: str, source: str = "<registry>") -> list[Site]:
    """Sites of a TOML registry: ``[[site]]`` array tables (``[[sites]]`` and ``[sites.NAME]`` also work)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{source}: not valid TOML: {exc}") from exc
    tables: list[dict[str, Any]] = []
    for key in ("site", "sites"):
        value = data.get(key)
        if isinstance(value, list):
            tables.extend(value)
        elif isinstance(value, dict):
            for name, table in value.items():
                if isinstance(table, dict):
                    tables.append({"name": name, **table})
    if not tables:
        raise RegistryError(f"{source}: no sites found (expected [[site]] tables)")
    sites = [_site_from_table(t, source, i) for i, t in enumerate(tables)]
    names = [s.name for s in sites]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RegistryError(f"{source}: duplicate site names: {', '.join(duplicates)}")
    return sites


def load_registry(path: str | Path | None = None) -> list[Site]:
    """Load a registry file, or the default one shipped in ``govcrawl/data/sites.toml``."""
    if path is None:
        text = resources.files("govcrawl.data").joinpath("sites.toml").read_text(encoding="utf-8")
        return parse_registry(text, "govcrawl/data/sites.toml")
    file = Path(path)
    if not file.is_file():
        raise RegistryError(f"site registry not found: {file}")
    return parse_registry(file.read_text(encoding="utf-8"), str(file))


def registry_from_arguments(start_urls: str | None, sites: str | None) -> list[Site]:
    """The sites of a crawl from the spider's ``-a sites=FILE`` and ``-a start_urls=URL[,URL…]`` (ad-hoc columns,
    one site per host), or the default registry when neither is given. Site names must be unique."""
    registry: list[Site] = []
    if sites:
        registry.extend(load_registry(sites))
    if start_urls:
        by_host: dict[str, Site] = {}
        for url in (u.strip() for u in start_urls.split(",")):
            if not url:
                continue
            site = site_from_url(url)
            if site.name in by_host:
                by_host[site.name].start_urls.append(url)
            else:
                by_host[site.name] = site
        registry.extend(by_host.values())
    if not registry:
        registry = load_registry(None)
    names = [s.name for s in registry]
    if len(set(names)) != len(names):
        raise RegistryError(f"duplicate site names across -a sites and -a start_urls: {names}")
    return registry
