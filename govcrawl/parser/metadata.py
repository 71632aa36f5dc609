"""Report metadata from normalised text (+ page metadata): title, agency, admin level, year, dates, 索引号.

All functions take normalised text (simplified, half-width brackets and colons, one block per line).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from govcrawl.gazetteer import region_of  # a data lookup: standard library and a CSV file
from govcrawl.parser.numbers import chinese_to_int

# --- header fields (the 要素表 flattened into text: 索引号 ... 发布日期 ... 来源 ...) -------------------------------

#: label -> canonical field name. Longer labels first so 发布日期 wins over 日期.
HEADER_LABELS: dict[str, str] = {
    "索引号": "index_no", "发布日期": "published", "发文日期": "issued", "发布时间": "published_time",
    "成文日期": "written", "生成日期": "generated", "日期": "date", "时间": "time", "信息来源": "source_name",
    "来源": "source_name", "内容概述": "summary", "主题分类": "topic", "组配分类": "category", "体裁分类": "genre",
    "发布机构": "agency", "发文机关": "agency", "所属机构": "agency", "发文字号": "doc_no", "发布文号": "doc_no",
    "文件编号": "doc_no", "文号": "doc_no", "信息名称": "title", "名称": "title", "标题": "title",
    "关键词": "keywords", "分类": "category", "有效性": "validity", "公开方式": "disclosure", "公开范围": "disclosure",
    "栏目": "column", "所属栏目": "column", "原文链接": "original_url", "原文地址": "original_url",
    "本地目录": "local_dir", "作者": "author", "责任编辑": "editor", "浏览次数": "views", "访问量": "views",
}
#: a ``key: value`` line of an archiver's or CMS's header (any short label followed by a colon)
_KEY_VALUE_LINE = re.compile(r"^\|?\s*[\u4e00-\u9fff]{2,6}\s*:")
#: a line of ``=`` or ``-`` (an archiver's separator such as ``===== 正文 =====``)
_RULE_LINE = re.compile(r"^[=\-_*#~]{4,}\s*\S{0,6}\s*[=\-_*#~]{4,}$")
_LABEL_ALTERNATIVES = "|".join(
    r"\s?".join(map(re.escape, label)) for label in sorted(HEADER_LABELS, key=len, reverse=True)
)
_LABEL_RE = re.compile(r"(?:^|(?<=[\s|]))(" + _LABEL_ALTERNATIVES + r")\s*(?::|\s|$)")
_LABEL_AT_START = re.compile(r"^\|?\s*(?:" + _LABEL_ALTERNATIVES + r")\s*(?::|\s|$)")
_SPACE = re.compile(r"\s+")

# --- dates ---------------------------------------------------------------------------------------------------------
_CN_DIGIT = "〇零一二三四五六七八九"
_DATE_NUMERIC = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?")
_DATE_CHINESE = re.compile(
    r"([" + _CN_DIGIT + r"○]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日"
)
_DATE_ONLY_LINE = re.compile(
    r"^(?:[^\s。,]{2,40}\s+)?((?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[" + _CN_DIGIT
    + r"○]{4}\s*年\s*[一二三四五六七八九十]{1,3}\s*月\s*[一二三四五六七八九十]{1,3}\s*日"
    + r"|(?:19|20)\d{2}-\d{1,2}-\d{1,2})$"
)

# --- titles --------------------------------------------------------------------------------------------------------
_TITLE_RE = re.compile(
    r"(?:(?:信息公开|政务公开)[^。;!?]{0,30}?(?:年度报告|年报|工作报告)|(?:19|20)\d{2}\s*年度?年报"
    r"|政府信息(?:工作)?(?:年度报告|年报))"  # a real EmpireCMS form without 公开: …扶贫办2017年政府信息年度报告
    r"(?:\s*\([^()]{1,15}\))?$"
)
_NOT_A_REPORT_TITLE = re.compile(r"通知|函$|制度|统计表|报表|解读|工作要点|法治政府|工作总结|工作计划|^关于|《|》")
_TITLE_SUFFIX = re.compile(r"\s*\([^()]{1,15}\)$")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s*")
_TITLE_SPLIT = re.compile(r"\s*(?:_|\||--|—|-)\s*")

# --- years and agencies ------------------------------------------------------------------------------------------
_YEAR = r"((?:19|20)\d{2}|[" + _CN_DIGIT + r"○]{4})"
_YEAR_IN_TITLE = re.compile(_YEAR + r"\s*年")
_LEADING_YEAR = re.compile(r"^" + _YEAR + r"\s*年度?")
_AGENCY_STOP = re.compile(_YEAR + r"\s*年|政府信息公开|政务信息公开|政务公开|信息公开")
_PERIOD = re.compile(
    r"((?:19|20)\d{2})\s*年\s*0?1\s*月\s*0?1\s*日\s*(?:起)?\s*(?:至|到|—+|-+|~)\s*((?:19|20)\d{2})\s*年\s*12\s*月\s*31\s*日"
)
_STAT_YEAR = re.compile(r"统计(?:期限|时限|时间|区间|周期|范围)[^。]{0,12}?((?:19|20)\d{2})\s*年")
_YEAR_DU = re.compile(r"((?:19|20)\d{2})\s*年度")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_COMPILED_BY = re.compile(r"由([^\s,。、()《》]{3,30}?)(?:负责)?编制|([^\s,。、()《》]{3,30}?)编制了")

_TOWNSHIP = re.compile(r"(?:街道办事处|街道|镇|乡)(?:人民政府|政府)?$")
_DEPARTMENT = re.compile(
    r"(?:局|委员会|委|办公室|办公厅|厅|中心|办|署|处|所|院|站|馆|队|部|公司|管委会|管理委员会|分局|事务所)$"
)
_GOVERNMENT_SUFFIX = re.compile(r"(?:人民政府|政府)$")
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")


@dataclass
class HeaderFields:
    """Label -> value pairs found in the page header, and which lines held them."""

    values: dict[str, str] = field(default_factory=dict)
    line_numbers: set[int] = field(default_factory=set)


def read_header_fields(lines: list[str], limit: int) -> HeaderFields:
    """Read ``索引号 …  发布日期 …``-style label/value pairs from the first ``limit`` lines."""
    found = HeaderFields()
    for number, line in enumerate(lines[:limit]):
        if _RULE_LINE.match(line.strip()):
            found.line_numbers.add(number)
            continue
        if not _LABEL_AT_START.search(line):
            if _KEY_VALUE_LINE.match(line) and len(line) <= 200:
                found.line_numbers.add(number)  # an unknown header label: not body text, not a title
            continue
        matches = list(_LABEL_RE.finditer(line))
        if not matches:
            continue
        found.line_numbers.add(number)
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
            value = line[match.end():end].split("|")[0].strip(" :|")
            label = _SPACE.sub("", match.group(1))
            name = HEADER_LABELS[label]
            if value and _SPACE.sub("", value) not in HEADER_LABELS and name not in found.values:
                found.values[name] = value
    return found


def parse_date(value: str | None) -> str | None:
    """First date in ``value`` as ISO ``YYYY-MM-DD`` (``2018-03-08 10:14``, ``2018年3月8日``, ``二〇一八年三月八日``)."""
    if not value:
        return None
    match = _DATE_NUMERIC.search(value)
    try:
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3))).isoformat()
        match = _DATE_CHINESE.search(value)
        if match:
            year = chinese_to_int(match.group(1).replace("○", "〇"))
            return date(year, chinese_to_int(match.group(2)), chinese_to_int(match.group(3))).isoformat()
    except ValueError:
        return None
    return None


def signature_date(lines: list[str], window: int = 8) -> str | None:
    """The date under the signature: a date-only line (maybe after the agency) among the last non-empty lines."""
    seen = 0
    for line in reversed(lines):
        line = line.strip()
        if not line:
            continue
        seen += 1
        if seen > window:
            break
        match = _DATE_ONLY_LINE.match(line)
        if match:
            return parse_date(match.group(1))
    return None


#: a <meta> date this long after the signature date is a page regeneration, not the publication
REGENERATION_LAG_DAYS = 90
_BODY_SENTENCE = re.compile(r"[。,，].*[。,，]")
_MACHINE_TIME = re.compile(r"\d{1,2}:\d{2}:\d{2}")  # a CMS timestamp to the second (2020-09-26 03:45:41)
_MIDNIGHT = re.compile(r"\b0?0:00(?::00)?\b")


@dataclass(frozen=True)
class DateCandidate:
    """A date the page offers as its publication date, where it came from and how it was written."""

    iso: str
    origin: str
    raw: str

    @property
    def placeholder_like(self) -> bool:
        """January 1, or an explicit 00:00 time: what a CMS fills in when nobody set the date."""
        return self.iso[5:] == "01-01" or bool(_MIDNIGHT.search(self.raw))


def date_candidates(page_meta: dict, header: HeaderFields, lines: list[str]) -> list[DateCandidate]:
    """Every publication-date candidate in priority order: page metadata, header labels, the signature (落款)."""
    found: list[DateCandidate] = []
    for key in ("published", "pubdate", "date"):
        raw = str(page_meta.get(key) or "")
        if iso := parse_date(raw):
            found.append(DateCandidate(iso, f"page_meta.{key}", raw))
    for name in ("published", "issued", "published_time", "date", "written", "generated", "time"):
        raw = header.values.get(name) or ""
        if iso := parse_date(raw):
            found.append(DateCandidate(iso, f"header.{name}", raw))
    for line in lines[:header_zone_end(lines)]:
        match = _DATE_ONLY_LINE.match(line.strip().strip("()"))
        if match and (iso := parse_date(match.group(1))):
            found.append(DateCandidate(iso, "header.dateline", line))  # (2020年1月17日) under the title
            break
    if iso := signature_date(lines):
        found.append(DateCandidate(iso, "signature", iso))
    return found


def header_zone_end(lines: list[str], limit: int = 30) -> int:
    """Index of the first sentence-like line (40+ characters with two commas or full stops)."""
    for index, line in enumerate(lines[:limit]):
        if len(line) >= 40 and _BODY_SENTENCE.search(line):
            return index
    return min(len(lines), limit)


def choose_published(candidates: list[DateCandidate], report_year: int | None) -> tuple[str | None, str]:
    """The publication date among ``candidates`` (see :func:`date_candidates`) and where it came from.

    Tiers, best first: dates after the report year that are not placeholder-like; placeholder-like ones (January
    1, a 00:00 time), so the signature date (落款) wins over a placeholder; last, a firm date in the report year's
    own December (a report published at the year's end). Any other date on or before the report year's end is
    never the publication date. Within the first tier, when page metadata gives a CMS timestamp to the second, a
    date printed in the page's header wins over a later one, and so does a signature date more than
    ``REGENERATION_LAG_DAYS`` before it (the timestamp is a page regeneration). Page metadata without such a
    timestamp (a visible 发布日期) keeps priority."""
    def early(candidate: DateCandidate) -> bool:
        return report_year is not None and int(candidate.iso[:4]) <= report_year

    tiers = [
        [c for c in candidates if not early(c) and not c.placeholder_like],
        [c for c in candidates if not early(c) and c.placeholder_like],
        [c for c in candidates if early(c) and not c.placeholder_like and c.iso.startswith(f"{report_year}-12")],
    ]
    firm = next((tier for tier in tiers if tier), [])
    if not firm:
        return None, "none"
    best = firm[0]
    if best.origin.startswith("page_meta.") and _MACHINE_TIME.search(best.raw):
        printed = [c for c in firm if c.origin.startswith("header.") and c.iso < best.iso]
        signed = [c for c in firm if c.origin == "signature"
                  and (date.fromisoformat(best.iso) - date.fromisoformat(c.iso)).days > REGENERATION_LAG_DAYS]
        if printed or signed:
            best = (printed or signed)[0]
    return best.iso, best.origin


def published_date(page_meta: dict, header: HeaderFields, lines: list[str],
                   report_year: int | None = None) -> tuple[str | None, str]:
    """Publication date and where it came from (see :func:`choose_published`)."""
    return choose_published(date_candidates(page_meta, header, lines), report_year)


def clean_title(candidate: str) -> str:
    """Strip label prefixes (名称:) and pipes from a title line."""
    candidate = _MARKDOWN_HEADING.sub("", candidate.strip()).strip("|").strip()
    candidate = _LABEL_AT_START.sub("", candidate, count=1) if _LABEL_AT_START.search(candidate) else candidate
    return _SPACE.sub("", candidate.strip("| "))


def looks_like_report_title(candidate: str | None) -> bool:
    """True for 'XX2017年政府信息公开工作年度报告'-like strings (and not notices, letters, statistics tables)."""
    if not candidate or len(candidate) > 100 or "。" in candidate:
        return False
    return bool(_TITLE_RE.search(candidate)) and not _NOT_A_REPORT_TITLE.search(_TITLE_SUFFIX.sub("", candidate))


def find_title(lines: list[str], page_meta: dict, title_hint: str | None, header: HeaderFields) -> str | None:
    """The report's own title: page metadata title if it is one, else the first title-like line among ``lines``
    (chrome and header lines already removed), else the header's 名称/内容概述, else the hint."""
    meta_title = str(page_meta.get("title") or "")
    for part in [meta_title, *_TITLE_SPLIT.split(meta_title)]:
        part = clean_title(part)
        if looks_like_report_title(part):
            return part
    previous = ""
    head = lines[:60]
    for index, line in enumerate(head):
        candidate = clean_title(line)
        following = clean_title(head[index + 1]) if index + 1 < len(head) else ""
        if (not looks_like_report_title(candidate) and candidate and len(following) <= 20
                and not looks_like_report_title(following) and looks_like_report_title(candidate + following)):
            return candidate + following  # a title wrapped over two lines: 2024年…信息公开工作 / 年度报告
        if looks_like_report_title(candidate):
            if agency_from_title(candidate) is None and _looks_like_agency(previous) and len(previous) <= 30:
                return previous + candidate  # a title broken over two lines: 示例县人民政府 / 2017年…年度报告
            return candidate
        if candidate:
            previous = candidate
    for candidate in (header.values.get("title"), header.values.get("summary"), title_hint):
        candidate = clean_title(candidate or "")
        if looks_like_report_title(candidate):
            return candidate
    return clean_title(meta_title) or (clean_title(title_hint) if title_hint else None) or None


def agency_from_title(title: str | None) -> str | None:
    """The unit a title names before its year / 政府信息公开 (``汉阴县人民政府信息公开…`` -> ``汉阴县人民政府``)."""
    if not title:
        return None
    rest = _LEADING_YEAR.sub("", _TITLE_SUFFIX.sub("", title))
    stop = _AGENCY_STOP.search(rest)
    if not stop:
        return None
    prefix = rest[: stop.start()].strip(" :,、的")
    if prefix.endswith("人民") and rest[stop.start():].startswith("政府"):
        prefix += "政府"
    return prefix if len(prefix) >= 2 else None


def _looks_like_agency(value: str | None) -> bool:
    return bool(value) and 2 <= len(value) <= 40 and bool(
        _GOVERNMENT_SUFFIX.search(value) or _DEPARTMENT.search(value) or _TOWNSHIP.search(value)
    )


_PLACE_SUFFIX = re.compile(r"(?:省|自治区|市|州|盟|地区|县|旗|区|新区|实验区|开发区|示范区|园区)$")
_BARE_LEVEL = ("市", "县", "区", "省", "州", "镇", "乡")


_NOT_AN_AGENCY = re.compile(r"年报|年度报告|信息公开|政务公开|栏目|专栏|首页|当前位置")


def valid_agency(name: str | None, *, strict: bool = True) -> bool:
    """Could ``name`` be an issuing body? Never a field label (栏目, 发布机构, 来源…), a fragment with a colon or
    a column name. ``strict`` (values of metadata fields): it must also end like an agency (局/委/办/政府/街道/镇…)
    or a place (…区, …县) the gazetteer or its suffix vouches for; a unit named in a report's own title
    (``strict=False``) needs only the first rules."""
    if not name or not 2 <= len(name) <= 40 or _SPACE.sub("", name) in HEADER_LABELS:
        return False
    if any(mark in name for mark in ":|/\\") or _NOT_AN_AGENCY.search(name):
        return False
    if not strict:
        return True
    if _looks_like_agency(name):
        return True
    region = region_of(name)
    named = region.county or region.city or region.province
    return bool(_PLACE_SUFFIX.search(name)) and (bool(named) or len(name) >= 3)


def complete_agency(agency: str, text: str) -> str:
    """A name printed without its place (市林业局) completed from the text when the text names it in full
    (吉林市林业局): the most frequent longer name ending with it, else the name as printed."""
    if not agency.startswith(_BARE_LEVEL) or len(agency) > 12:
        return agency
    counts: Counter[str] = Counter()
    for match in re.finditer(r"([\u4e00-\u9fff]{1,8})" + re.escape(agency), text[:20000]):
        run = match.group(1) + agency[0]  # the characters before 市林业局, with its 市
        for length in range(2, len(run) + 1):
            if region_of(run[-length:]).province:  # a place the gazetteer knows: 吉林市, not 年度市
                counts[run[-length:] + agency[1:]] += 1
                break
    return counts.most_common(1)[0][0] if counts else agency


def find_agency(title: str | None, page_meta: dict, header: HeaderFields, text: str, lines: list[str]) -> str | None:
    """Issuing agency: from the title, else page metadata, header 发布机构/来源, 由…编制, or the signature line.

    Every candidate is validated (:func:`valid_agency`); a name printed without its place is completed from the
    text (:func:`complete_agency`)."""
    agency = agency_from_title(title)
    if valid_agency(agency, strict=False):
        return complete_agency(agency, text)
    for value in (page_meta.get("agency"), header.values.get("agency"), header.values.get("source_name")):
        if _looks_like_agency(str(value or "").strip()) and valid_agency(str(value).strip()):
            return str(value).strip()
    match = _COMPILED_BY.search(text[:3000])
    if match:
        candidate = match.group(1) or match.group(2)
        if _looks_like_agency(candidate):
            return candidate
    tail = [line.strip() for line in lines if line.strip()][-4:]
    for index, line in enumerate(tail[:-1]):
        if _DATE_ONLY_LINE.match(tail[index + 1]) and _looks_like_agency(line):
            return line
    return None


def _county_level_city(place: str) -> bool:
    """Is ``place`` (…市) a county-level city in China's division codes (义乌市), not a prefecture (定西市)?"""
    county = region_of(place).county
    return bool(county) and place.endswith(county)


def admin_level(agency: str | None) -> str:
    """province / city / county / district / township / department / unknown, from the agency's name."""
    if not agency:
        return "unknown"
    if _TOWNSHIP.search(agency):
        return "township"
    place = _GOVERNMENT_SUFFIX.sub("", agency)
    if place != agency or not _DEPARTMENT.search(agency):
        if place.endswith(("省", "自治区")) or place in _MUNICIPALITIES:
            return "province"
        if place.endswith("市") and _county_level_city(place):
            return "county"
        if place.endswith(("市", "州", "盟", "地区")):
            return "city"
        if place.endswith(("县", "旗")):
            return "county"
        if place.endswith("区"):
            return "district"
        return "unknown"
    return "department"


def _plausible_year(year: int, published: str | None) -> bool:
    latest = int(published[:4]) if published else 2100
    return 2007 <= year <= latest


def _year_value(token: str) -> int | None:
    try:
        return int(token) if token.isdigit() else chinese_to_int(token.replace("○", "〇"))
    except ValueError:
        return None


def find_report_year(title: str | None, text: str, published: str | None) -> tuple[int | None, str]:
    """The year the report is ABOUT and how it was found (title, statistics period, 'YYYY年度', most cited).

    The weak rules ('YYYY年度', most cited year) ignore years after the publication year."""
    # The report's own statements win, even against an odd publication date (the year check reports that).
    for match in _YEAR_IN_TITLE.finditer(title or ""):
        year = _year_value(match.group(1))
        if year and _plausible_year(year, None):
            return year, "title"
    head = text[:6000]
    for pattern, how in ((_PERIOD, "statistics period"), (_STAT_YEAR, "statistics period")):
        match = pattern.search(head)
        if match:
            year = int(match.group(match.lastindex or 1))
            if _plausible_year(year, None):
                return year, how
    match = _YEAR_DU.search(head)
    if match and _plausible_year(int(match.group(1)), published):
        return int(match.group(1)), "'YYYY年度' in the text"
    counts = Counter(int(y) for y in _ANY_YEAR.findall(text) if _plausible_year(int(y), published))
    if counts:
        year, _ = counts.most_common(1)[0]
        return year, "most cited year in the text"
    return None, "none"


def find_index_no(page_meta: dict, header: HeaderFields) -> str | None:
    """索引号 from page metadata or the header (first whitespace-free token)."""
    for value in (page_meta.get("index_no"), header.values.get("index_no")):
        token = str(value or "").strip().split()
        if token and token[0] not in {"-", "/", "无"}:
            return token[0]
    return None
