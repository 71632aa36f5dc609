"""Pagination styles of government CMS list pages, as pure functions over page text (docs/sites.md).

Static ``index_N.html`` links and TRS ``createPageHTML``/``createPage``/``var countPage``; query pagination
(``?page=N``, ``pageNo``, ``column-index-N.shtml``); Hanweb jpage (``<datastore>``, POST groups to ``dataproxy.jsp``);
JSON list APIs (gkmlpt ``/gkmlpt/api/all/<id>?page=N`` and generic ``{"data": [...], "pageCount": N}``); Fujian
"动静结合" (``listModel({...})`` search API). Every generator is bounded by ``max_pages``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

from govcrawl.discovery.links import Link, clean_text
from govcrawl.discovery.pagers import UNAMBIGUOUS_LABELS, pager_label, pager_script_pages

DEFAULT_MAX_PAGES = 200

_CREATE_PAGE_RE = re.compile(r"\b(createPageHTML|createPage)\s*\(([^()]*)\)", re.IGNORECASE)
_COUNT_PAGE_RE = re.compile(r"\bvar\s+countPage\s*=\s*(\d+)", re.IGNORECASE)
_CURRENT_PAGE_RE = re.compile(r"\bvar\s+currentPage\s*=\s*(\d+)", re.IGNORECASE)
_PAGE_FILE_RE = re.compile(r"/(?P<prefix>index|list|default)(?:_(?P<n>\d+))?\.(?P<ext>s?html?)$", re.IGNORECASE)
_PAGE_LINK_RE = re.compile(
    r"(?:/(?:index|list|default)_\d+\.s?html?$)|(?:column-index-\d+\.shtml$)|"
    r"(?:[?&](?:page|pageNo|pageNum|pageIndex|curPage|currentPage|page_no|pn|p)=\d+(?:&|$))",
    re.IGNORECASE,
)
_EXTS = {"html", "htm", "shtml"}
_DATASTORE_RE = re.compile(r"<datastore>.*?</datastore>", re.DOTALL | re.IGNORECASE)
_JPAGE_PERPAGE_RE = re.compile(r"perPage\s*[:=]\s*['\"]?(\d+)", re.IGNORECASE)
_JPAGE_TOTAL_RE = re.compile(r"totalRecord\s*[:=]\s*['\"]?(\d+)", re.IGNORECASE)
_LISTMODEL_RE = re.compile(r"\blistModel\s*\(\s*(\{.*?\})\s*\)\s*;?", re.DOTALL)
_GKMLPT_CONFIG_RE = re.compile(r"window\._CONFIG\s*=\s*(\{.*?\})\s*;?\s*(?:</script>|window\.|$)", re.DOTALL)
_JSON_API_ATTR_RE = re.compile(
    r"""(?:data-(?:api|list-api|url|source)|listApi|apiUrl|dataUrl|listUrl)\s*[=:]\s*['"]([^'"]+)['"]""",
    re.IGNORECASE,
)

_SAFE_XML = lxml.etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True, dtd_validation=False
)


@dataclass
class PageRequest:
    """One more list page to fetch: a URL (GET) or a form POST, and how its answer must be read."""

    url: str
    method: str = "GET"
    formdata: dict[str, str] | None = None
    kind: str = "html"  # "html" | "jpage" | "json" | "fjsearch"
    page: int = 0
    style: str = "static"
    context: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- TRS scripts and static links


def _script_args(raw: str) -> list[str | int]:
    args: list[str | int] = []
    for token in re.split(r"\s*,\s*", raw.strip()):
        token = token.strip()
        if not token:
            continue
        if re.fullmatch(r"-?\d+", token):
            args.append(int(token))
        else:
            args.append(token.strip("'\""))
    return args


def _page_url(list_url: str, prefix: str, ext: str, n: int) -> str:
    name = f"{prefix}.{ext}" if n == 0 else f"{prefix}_{n}.{ext}"
    return urljoin(list_url, name)


def trs_script_pages(text: str, list_url: str, max_pages: int = DEFAULT_MAX_PAGES) -> list[PageRequest]:
    """Pages announced by TRS ``createPageHTML`` / ``createPage`` / ``countPage`` / ``Pager({...})`` scripts.

    Forms handled: ``createPageHTML(pages, current, "index", "html")``,
    ``createPageHTML(records, pages, current, "index", "html")``, ``createPageHTML('div', pages, current,
    'index', 'html', records)``, ``createPage(pages, current, "index", "html")`` and
    ``var countPage = N`` (+ ``document.write`` of ``index_<n>.html``). Page 0 is ``index.html``.
    """
    total_pages: int | None = None
    prefix, ext, style = "index", "html", "createPageHTML"
    match = next(
        (m for m in _CREATE_PAGE_RE.finditer(text) if any(isinstance(a, int) for a in _script_args(m.group(2)))),
        None,
    )  # skips the ``function createPageHTML(_nPageCount, …)`` definition itself
    if match:
        style = match.group(1)
        args = _script_args(match.group(2))
        ext_pos = next((i for i, a in enumerate(args) if isinstance(a, str) and a.lower() in _EXTS), None)
        if ext_pos is not None:
            ext = str(args[ext_pos])
            if ext_pos > 0 and isinstance(args[ext_pos - 1], str):
                prefix = str(args[ext_pos - 1])
        leading = args[: ext_pos - 1] if ext_pos is not None and ext_pos > 0 else args
        numbers = [a for a in leading if isinstance(a, int)]
        if len(numbers) == 2:
            total_pages = numbers[0]
        elif len(numbers) >= 3:
            total_pages = numbers[1]
        elif len(numbers) == 1:
            total_pages = numbers[0]
    elif pager_script_pages(text):  # inline Pager({size:N, current:C, prefix:'index', suffix:'html'})
        return [PageRequest(url=urljoin(list_url, name), page=n, style="Pager")
                for name, n in pager_script_pages(text)[:max_pages]]
    else:
        count = _COUNT_PAGE_RE.search(text)
        if count:
            total_pages, style = int(count.group(1)), "countPage"
            file_match = _PAGE_FILE_RE.search(urlsplit(list_url).path)
            if file_match:
                prefix, ext = file_match.group("prefix"), file_match.group("ext")
    if not total_pages or total_pages < 1:
        return []
    total_pages = min(total_pages, max_pages)
    return [
        PageRequest(url=_page_url(list_url, prefix, ext, n), page=n, style=style) for n in range(total_pages)
    ]


def pager_links(doc: lxml.html.HtmlElement, links: list[Link], list_url: str) -> list[PageRequest]:
    """Static pagination links on a list page: ``index_N.html``, ``?page=N``, ``column-index-N.shtml``,
    anchors labelled 下一页/尾页 on the same host, and 首页/page numbers only inside the list's pager
    (``Link.region == "pager"``, see :mod:`govcrawl.discovery.pagers`) — never the site menu's 首页."""
    own = urlsplit(list_url)
    host, own_path = own.netloc, own.path or "/"
    own_dir = own_path.rsplit("/", 1)[0]
    found: dict[str, PageRequest] = {}
    for link in links:
        parts = urlsplit(link.url)
        if parts.netloc != host or link.url == list_url or link.region == "tree":
            continue
        label = re.sub(r"\s+", "", link.text).lower()
        home = parts.path in ("", "/") and not parts.query
        by_label = label in UNAMBIGUOUS_LABELS or (link.region == "pager" and pager_label(label))
        # a page-shaped URL is a page of THIS column only in the column's folder (or at its path, for ?page=N):
        # ../c100573/list_2.html is another column's page linked from the menu
        same_column = parts.path.rsplit("/", 1)[0] == own_dir if not parts.query else parts.path == own_path
        if not home and ((_PAGE_LINK_RE.search(link.url) and same_column) or by_label):
            style = "query" if parts.query else "static"
            found.setdefault(link.url, PageRequest(url=link.url, style=style))
    return list(found.values())


def looks_like_list_url(url: str) -> bool:
    """True for URLs shaped like list pages (column index pages and their pagination)."""
    path = urlsplit(url).path
    return (
        path.endswith("/")
        or bool(_PAGE_FILE_RE.search(path))
        or bool(_PAGE_LINK_RE.search(url))
        or bool(re.search(r"/col/col\d+/", path))
    )


# ----------------------------------------------------------------------------- Hanweb jpage


@dataclass
class JpageData:
    """What a Hanweb ``<datastore>`` (embedded or from dataproxy.jsp) holds."""

    records: list[str]
    total_records: int | None
    nextgroup_url: str | None


def parse_datastore(xml_text: str) -> JpageData | None:
    """Read a ``<datastore>`` XML document safely (no entity expansion, no network, no DTD)."""
    match = _DATASTORE_RE.search(xml_text)
    if not match:
        return None
    try:
        root = lxml.etree.fromstring(match.group(0).encode("utf-8"), parser=_SAFE_XML)
    except lxml.etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    records = [r.text or "" for r in root.iter("record")]
    total = root.findtext("totalrecord")
    nextgroup = root.findtext("nextgroup") or ""
    href = re.search(r"""href\s*=\s*['"]([^'"]+)['"]""", nextgroup)
    return JpageData(
        records=records,
        total_records=int(total) if total and total.strip().isdigit() else None,
        nextgroup_url=href.group(1) if href else None,
    )


def records_links(records: list[str], base_url: str) -> list[Link]:
    """Item links inside jpage ``<record>`` CDATA snippets (``<li><a title=…>``, table rows)."""
    from govcrawl.discovery.links import list_links, parse_html

    html = "<ul>" + "".join(records) + "</ul>"
    return list_links(parse_html(html, base_url), base_url)


def jpage_requests(
    data: JpageData, page_text: str, list_url: str, start_after: int, max_pages: int = DEFAULT_MAX_PAGES
) -> list[PageRequest]:
    """The next dataproxy.jsp POST group after ``start_after`` records, if more records exist.

    Groups hold ``3 × perpage`` records (45 by default), as the jpage script requests them.
    """
    if not data.nextgroup_url:
        return []
    proxy = urljoin(list_url, data.nextgroup_url)
    parts = urlsplit(proxy)
    form = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"}
    per_page_match = _JPAGE_PERPAGE_RE.search(page_text)
    per_page = int(form.pop("perpage", "") or (per_page_match.group(1) if per_page_match else 15))
    group = per_page * 3
    total = data.total_records
    if total is None:
        total_match = _JPAGE_TOTAL_RE.search(page_text)
        total = int(total_match.group(1)) if total_match else None
    if total is not None and start_after >= total:
        return []
    if start_after // max(group, 1) >= max_pages:
        return []
    form.setdefault("col", "1")
    form.setdefault("appid", "1")
    form.setdefault("sourceContentType", "1")
    end = start_after + group if total is None else min(start_after + group, total)
    query = urlencode({"startrecord": start_after + 1, "endrecord": end, "perpage": per_page})
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return [
        PageRequest(
            url=url,
            method="POST",
            formdata=form,
            kind="jpage",
            page=start_after // max(group, 1) + 1,
            style="jpage",
            context={"end": end, "total": total},
        )
    ]


# ----------------------------------------------------------------------------- JSON list APIs

_TITLE_KEYS = ("title", "doctitle", "docTitle", "name", "DOCTITLE", "wzbt", "articleTitle")
_URL_KEYS = ("url", "docpuburl", "chnldocurl", "post_url", "link", "href", "docUrl", "DOCPUBURL", "pubUrl")
_PAGES_KEYS = ("pageCount", "totalPage", "totalPages", "total_page", "pages", "pagecount", "pageTotal")
_COUNT_KEYS = ("post_count", "total", "totalCount", "recordCount", "totalRecord", "count", "totalrecord")


def json_entries(data: Any) -> list[tuple[str, str]]:
    """``(title, url)`` of every list entry in a JSON answer (the largest list of title+url objects)."""
    best: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        nonlocal best
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            entries = []
            for entry in node:
                if isinstance(entry, dict):
                    title = next((entry[k] for k in _TITLE_KEYS if isinstance(entry.get(k), str)), None)
                    url = next((entry[k] for k in _URL_KEYS if isinstance(entry.get(k), str) and entry[k]), None)
                    if title and url:
                        entries.append((clean_text(title), url))
            if len(entries) > len(best):
                best = entries
            for entry in node:
                walk(entry)

    walk(data)
    return best


def _find_number(data: Any, keys: tuple[str, ...]) -> int | None:
    if isinstance(data, dict):
        for key in keys:
            value = data.get(key)
            if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                return int(value)
        for value in data.values():
            if isinstance(value, dict):
                found = _find_number(value, keys)
                if found is not None:
                    return found
    return None


def json_page_count(data: Any, per_page: int) -> int | None:
    """Number of pages a JSON list API announces (``pageCount`` or ``total``/``post_count`` ÷ page size)."""
    pages = _find_number(data, _PAGES_KEYS)
    if pages is not None:
        return pages
    count = _find_number(data, _COUNT_KEYS)
    if count is not None and per_page > 0:
        return math.ceil(count / per_page)
    return None


def set_query_param(url: str, name: str, value: str | int) -> str:
    """``url`` with query parameter ``name`` set to ``value`` (others kept in order)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(k == name for k, _ in pairs):
        pairs = [(k, str(value) if k == name else v) for k, v in pairs]
    else:
        pairs.append((name, str(value)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), parts.fragment))


def _loose_json(js_object: str) -> dict[str, Any] | None:
    """Parse a JavaScript object literal that is *almost* JSON (unquoted keys, single quotes)."""
    try:
        return json.loads(js_object)
    except ValueError:
        pass
    text = re.sub(r"//[^\n]*", "", js_object)
    text = re.sub(r"'([^'\\]*)'", lambda m: json.dumps(m.group(1), ensure_ascii=False), text)
    text = re.sub(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:", r'\1"\2":', text)
    text = re.sub(r",\s*([}\]])", r"\1", text)
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def gkmlpt_requests(text: str, list_url: str, column_words: tuple[str, ...] = ("年报", "年度报告")) -> list[PageRequest]:
    """First API page of each annual-report category of a Guangdong gkmlpt platform (``window._CONFIG``)."""
    match = _GKMLPT_CONFIG_RE.search(text)
    if not match:
        return []
    config = _loose_json(match.group(1))
    if not config:
        return []
    sid = config.get("SID") or config.get("sid")
    categories: list[int | str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            name = str(node.get("name") or node.get("title") or "")
            if any(word in name for word in column_words) and node.get("id") is not None:
                categories.append(node["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config.get("TREE") or config.get("tree") or [])
    api = config.get("API") or "/gkmlpt/api/all/"
    return [
        PageRequest(
            url=urljoin(list_url, f"{api.rstrip('/')}/{cat}?page=1" + (f"&sid={sid}" if sid else "")),
            kind="json",
            page=1,
            style="gkmlpt",
        )
        for cat in categories
    ]


def json_api_requests(text: str, list_url: str) -> list[PageRequest]:
    """First page of a JSON list API named in the page (``data-api="…"``, ``listApi: '…'``) or gkmlpt."""
    found = gkmlpt_requests(text, list_url)
    if found:
        return found
    return [
        PageRequest(url=urljoin(list_url, api), kind="json", page=1, style="json")
        for api in dict.fromkeys(_JSON_API_ATTR_RE.findall(text))
        # "/api" alone (SiteServer's $pageInfo.apiUrl) is an API's base, not a list endpoint
        if not api.lower().endswith((".js", ".css", ".html", ".htm", ".shtml")) and ("/" in api.strip("/") or "?" in api)
    ]


def json_next_requests(request: PageRequest, data: Any, max_pages: int = DEFAULT_MAX_PAGES) -> list[PageRequest]:
    """Remaining pages of a GET JSON list API after its first answer."""
    if request.page != 1:
        return []
    per_page = len(json_entries(data)) or 1
    pages = json_page_count(data, per_page) or 1
    page_param = "page"
    query = dict(parse_qsl(urlsplit(request.url).query))
    for name in ("page", "pageNo", "pageNum", "pageIndex", "p"):
        if name in query:
            page_param = name
            break
    return [
        PageRequest(url=set_query_param(request.url, page_param, n), kind="json", page=n, style=request.style)
        for n in range(2, min(pages, max_pages) + 1)
    ]


# ----------------------------------------------------------------------------- Fujian 动静结合


def listmodel_requests(text: str, list_url: str, max_pages: int = DEFAULT_MAX_PAGES) -> list[PageRequest]:
    """Pages 2..N of a Fujian "动静结合" list: POST search API configured by inline ``listModel({...})``.

    The static page already holds page 1. Form fields: ``channelid`` / ``classsql`` from ``listArgs``,
    ``page``, ``prepage``; API URL from ``url``/``searchUrl``/``api`` (default ``/fjdzapp/search``).
    """
    match = _LISTMODEL_RE.search(text)
    if not match:
        return []
    config = _loose_json(match.group(1))
    if config is None:
        return []
    list_args = config.get("listArgs") or {}
    pagebar = config.get("pagebar") or {}
    per_page = int(pagebar.get("prepage") or config.get("prepage") or 10)
    page_count = pagebar.get("pageCount") or config.get("pageCount")
    record_count = pagebar.get("recordCount") or config.get("recordCount")
    if page_count is not None and str(page_count).isdigit():
        pages = int(page_count)
    elif record_count is not None and str(record_count).isdigit():
        pages = math.ceil(int(record_count) / max(per_page, 1))
    else:
        pages = max_pages  # unknown: stop on the first empty or repeated answer
    api = config.get("url") or config.get("searchUrl") or config.get("api") or "/fjdzapp/search"
    form: dict[str, str] = {str(k): str(v) for k, v in list_args.items()}
    channel = config.get("channelid") or list_args.get("channelid")
    if channel is None:
        chnl = re.search(r"chnlid\s*=\s*(\d+)", str(list_args.get("classsql", "")))
        channel = chnl.group(1) if chnl else None
    if channel is not None:
        form["channelid"] = str(channel)
    form["prepage"] = str(per_page)
    return [
        PageRequest(
            url=urljoin(list_url, api),
            method="POST",
            formdata={**form, "page": str(n)},
            kind="fjsearch",
            page=n,
            style="dongjing",
        )
        for n in range(2, min(pages, max_pages) + 1)
    ]
