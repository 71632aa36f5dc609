"""Report-title classifier: is a link title (or a fetched page) a 政府信息公开工作年度报告?

Pure and rule based (no Scrapy, no I/O). Rules come from the real titles and near-misses in the domain
guide §7; each rule below says why it exists. The public API:

- ``classify_title(title) -> (is_report, reason)``: reason is short, e.g. ``"accept: 年度报告 noun + 信息公开"``
  or ``"reject: 解读"``; reasons starting with ``"reject: truncated"`` mean the visible text was cut before
  the report noun, so the caller should classify the link's full ``title`` attribute instead.
- ``is_report_title(title) -> bool``
- ``title_year(title) -> int | None``: the report year, Arabic or Chinese numerals (二〇二三年, 二零二三年).
- ``classify_page(title, text_head) -> (is_report, reason)``: confirms a fetched page from its own <title>
  and the first few hundred characters of its text.

Normalisation (``normalise_title``) is local on purpose (the parser's normalise module is separate):
NFKC folds full-width letters/digits/brackets, whitespace is removed, traditional characters go through
OpenCC t2s (C++ binding; a small fallback table keeps the rules working without it), pinyin glosses of
spam mirrors (``政(zhèng)府``) are dropped and four-character Chinese-numeral years become digits.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from govcrawl.opencc_wrap import converter

__all__ = [
    "classify_page",
    "classify_title",
    "is_report_title",
    "is_truncated",
    "normalise_title",
    "title_year",
]

# --------------------------------------------------------------------------------------------------
# Normalisation

# Fallback when the OpenCC binding is missing: only the traditional characters that occur in the words the
# rules look at (report nouns, near-miss words, unit suffixes). Enough to classify, not to convert text.
_FALLBACK_T2S = str.maketrans(dict(zip(
    "開報務鎮縣區關於說統計預決鑑鑒圖讀點總結劃網頁發書條規處辦廳會員單啟數據設時稅國門戶導鏈實驗綜閱議評佈範彙編"
    "轉審學業環態衛經濟財資況鄉見徵專欄題廣黃稿鄉興",
    "开报务镇县区关于说统计预决鉴鉴图读点总结划网页发书条规处办厅会员单启数据设时税国门户导链实验综阅议评布范汇编"
    "转审学业环态卫经济财资况乡见征专栏题广黄稿乡兴",
    strict=True,
)))


def fallback_to_simplified(text: str) -> str:
    """Convert the rule-relevant traditional characters with the local table."""
    return text.translate(_FALLBACK_T2S)


try:  # the C++ binding (the one OpenCC wrapper); t2s covers every traditional form seen on gov mirrors (報告, 公開 ...)
    _to_simplified = converter("t2s").convert
except Exception:  # pragma: no cover - only where the binding is missing
    _to_simplified = fallback_to_simplified


_CN_DIGIT = {"〇": "0", "○": "0", "零": "0", "O": "0", "0": "0", "一": "1", "二": "2", "三": "3", "四": "4",
             "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
# Four numeral characters followed by 年 (二〇二三年, 二零二三年度, 二○二○年; ○ U+25CB and a digit 0 are
# common typos for 〇).
# Requiring 年 keeps unit names such as 第一中学 intact.
_CN_YEAR_RE = re.compile(r"([〇○零O0一二三四五六七八九]{4})(?=年)")
# Pinyin glosses inserted by spam mirrors: 公務(wù), 報(bào).
_PINYIN_GLOSS_RE = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)")
_WHITESPACE_RE = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def normalise_title(title: str) -> str:
    """Fold width, remove whitespace, convert to simplified, drop pinyin glosses, digitise CN years."""
    text = unicodedata.normalize("NFKC", title or "")
    text = _WHITESPACE_RE.sub("", text).replace("\u200b", "")
    text = _to_simplified(text)
    text = _PINYIN_GLOSS_RE.sub("", text)
    return _CN_YEAR_RE.sub(lambda m: "".join(_CN_DIGIT[c] for c in m.group(1)), text)


# --------------------------------------------------------------------------------------------------
# Years

_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def title_year(title: str) -> int | None:
    """Report year named in a title: the first 4-digit year followed by 年 (or in brackets), else the first
    plausible 4-digit number (``2009上海市…``); Chinese-numeral years count. None if there is none."""
    text = normalise_title(title)
    fallback: int | None = None
    for match in _YEAR_RE.finditer(text):
        year = int(match.group(1))
        if not 1990 <= year <= 2099:
            continue
        after = text[match.end(): match.end() + 1]
        before = text[match.start() - 1: match.start()] if match.start() else ""
        if after == "年" or (before and after and before in "([【" and after in ")]】"):
            return year
        if fallback is None:
            fallback = year
    return fallback


# --------------------------------------------------------------------------------------------------
# Rules (applied to the normalised title)

# Truncated list text (Hanweb cuts link text and keeps the full title in @title).
_ELLIPSIS_RE = re.compile(r"(?:\.{2,}|…+|。{3,}|·{3,})$")

# Decoration removed before the structural test. Reject words are checked BEFORE this stripping, so that
# "【图解】…年度报告" cannot lose its 图解 marker.
_LEADING_JUNK_RE = re.compile(r"^(?:附件\d*[:：]|[【\[][^】\]]{0,12}[】\]]|[·•●■◆▪\-]|\d{1,2}[.、])+")
_FILE_EXT_RE = re.compile(r"\.(?:pdf|docx?|wps|ofd|xlsx?|html?|shtml)$", re.IGNORECASE)
_TRAILING_DATE_RE = re.compile(r"[\[(]?\d{4}[-./]\d{1,2}[-./]\d{1,2}[\])]?$")
# Suffixes that still denote the report itself: 图片版/超链版/文字版/全真版/PDF版 (domain guide §2.6),
# corrected editions, and a bracketed year (汉阴县人民政府信息公开工作年度报告(2017年度)).
_SUFFIX_RE = re.compile(
    r"[(\[【](?:图片版|超链版|超链接版|文字版|全真版|pdf版|word版|简版|图文版|更正版|修订版|更正|修订|全文|正文"
    r"|pdf|docx?|word"
    r"|(?:19|20)\d{2}年?度?)[)\]】]$",
    re.IGNORECASE,
)
_BOOK_QUOTES_RE = re.compile(r"^《([^《》]+)》$")

# Where the report is named: 政府信息公开 / 政务信息公开 / 信息公开 / 政务公开 (政务公开年报 is a positive form),
# then optional 工作 / a year / 年度 / 情况, then the report noun at the very end. Requiring the noun at the
# end is the main rule: every near-miss family (…的通知, …制度, …统计表, …解读, …展示平台, …工作要点) ends
# with something else.
# 政府信息年度报告 (no 公开): "…扶贫办2017年政府信息年度报告", a real EmpireCMS title; only with 年度报告/年报.
_CORE = r"(?:(?:政府|政务)?信息公开|政务公开|(?:政府|政务)信息(?!化))"
_TAIL = r"(?:工作)?(?:(?:19|20)\d{2}年?度?)?(?:年度)?(?:工作)?(?:情况)?(?P<noun>年度报告|年报|工作报告|报告)"
_REPORT_RE = re.compile(rf"(?P<core>{_CORE}){_TAIL}$")
# For truncated text: the cut falls inside the noun (…工作年, …年度报) or right after it (…报告（图片).
_TRUNCATED_OK_RE = re.compile(
    rf"{_CORE}(?:工作)?(?:年度)?(?:工作)?(?:情况)?(?:年度?报?告?|年报?|报告?|工作报告?)(?:[(\[【][^)\]】]*)?$"
)
# "淮安市洪泽区人民政府2025年年报" (a real file name): a bare 年报 counts only as "<government unit><year>年年报"
# (or year first); anything else before 年报 (统计年报, 公司…年报) is a different annual report.
_GOV_UNIT = r"(?:人民政府|政府|办公室|办公厅|管委会|委员会|局|厅|委|办|街道|街道办事处|镇|乡|区|县|市|省|中心)"
_BARE_NIANBAO_RE = re.compile(r"^(?P<unit1>.*?)(?:19|20)\d{2}年度?(?P<unit2>.*?)年报$")
_GOV_UNIT_END_RE = re.compile(rf"{_GOV_UNIT}$")

# Near-miss words, with the reason each exists (all from domain guide §7 or the list):
_REJECT_WORDS: tuple[tuple[str, str], ...] = (
    # interpretations and infographics of a report are separate articles in the same column
    (r"解读|图解|一图读懂|一图看懂|图读|读懂|问答", "解读"),
    # the government work report (own column zwgk/zfgzbg), not the disclosure report
    (r"政府工作报告", "政府工作报告"),
    # 政务公开工作要点 and their 落实情况 letters sit inside 年报 columns (Pingtan)
    (r"要点", "工作要点"),
    # 法治政府建设年度报告 is a separate mandatory report (due 4月1日)
    (r"法治政府", "法治政府建设"),
    (r"工作总结|工作计划|工作打算|实施方案", "工作总结/计划"),
    # statistics: 统计公报/统计表/报表/统计制度 — but never the bare word 统计 (统计局 publishes reports)
    (r"统计公报|统计表|报表|统计制度|统计数据", "统计表/公报"),
    (r"预算|决算", "财政预决算"),
    # news items and notices about reports: "我市发布…年度报告", "关于做好…年度报告…的通知"
    # (发布中心 is a unit: 预警信息发布中心)
    (r"发布(?!中心)|公布|印发|转发|做好|报送|出炉|亮相|编制公布|编制发布|抽查|评估(?!中心)|评议|排名|召开|部署|培训(?!中心)",
     "news/notice about a report"),
    (r"征求意见|送审稿|草案|讨论稿", "draft (征求意见稿/送审稿)"),
    # 高等学校信息公开年度报告 use academic years; enterprises publish 环境信息公开 reports
    (r"学年", "学年 (高校 academic-year report)"),
    (r"(?<!政府)(?<!政务)环境信息公开|企业信息公示", "enterprise disclosure"),
)
_REJECT_RES = tuple((re.compile(pattern), reason) for pattern, reason in _REJECT_WORDS)

# Document types that end a near-miss title; named in the reason so a log shows why a title was dropped.
_DOC_TYPE_END_RE = re.compile(
    r"(?:通知|函|说明|通报|批复|请示|意见|公告|公示|决定|办法|方案|制度|格式|规范|模板|范本|平台|专栏|汇编"
    r"|目录|摘要|附表|反馈|指南|情况|结果|申请表)(?P<bracket>[(\[][^)\]]*[)\]]?)?$"
)


def is_truncated(title: str) -> bool:
    """True when list text was cut and ends with an ellipsis (…, ..., ……)."""
    return bool(_ELLIPSIS_RE.search(normalise_title(title)))


def _strip_decoration(text: str) -> str:
    """Remove prefixes/suffixes that do not change what the document is."""
    previous = None
    while previous != text:
        previous = text
        text = _LEADING_JUNK_RE.sub("", text)
        text = _FILE_EXT_RE.sub("", text)
        text = _TRAILING_DATE_RE.sub("", text)
        text = _SUFFIX_RE.sub("", text)
        quoted = _BOOK_QUOTES_RE.match(text)
        if quoted:
            text = quoted.group(1)
    return text


# A bare 信息公开 (no 政府/政务) belongs to the government only when a year, a unit or nothing precedes it
# (平潭综合实验区地方税务局2013年信息公开年度报告). 信用/企业/财政资金/环境信息公开 are other regimes.
_BARE_CORE_OK_BEFORE_RE = re.compile(rf"(?:^|年|年度|度|{_GOV_UNIT}|人民政府|关于)$")


def _foreign_qualifier(head: str, core: str) -> str | None:
    """The qualifier in front of a bare 信息公开 when it is not a year or a unit (信用, 国有企业 ...)."""
    if core != "信息公开" or _BARE_CORE_OK_BEFORE_RE.search(head):
        return None
    return re.sub(r"^.*?(?:19|20)\d{2}年度?", "", head)[-6:] or head[-6:]


def _has_scope(head: str, year: int | None) -> bool:
    """A report title names a year or a unit; a bare 政府信息公开年报 is a column or navigation link."""
    if year is not None:
        return True
    unit = re.sub(r"年度|本级|关于|的", "", head)
    return bool(unit)


def _classify_normalised(text: str, year: int | None) -> tuple[bool, str]:
    if not text:
        return False, "reject: empty title"
    for pattern, reason in _REJECT_RES:
        if pattern.search(text):
            return False, f"reject: {reason}"

    truncated = bool(_ELLIPSIS_RE.search(text))
    body = _strip_decoration(_ELLIPSIS_RE.sub("", text))

    if truncated:
        match = _TRUNCATED_OK_RE.search(body)
        if match and _has_scope(body[: match.start()], year):
            return True, "accept (truncated): cut inside the 信息公开 report noun"
        return False, "reject: truncated before the report noun (classify the full title attribute)"

    match = _REPORT_RE.search(body)
    if match:
        qualifier = _foreign_qualifier(body[: match.start()], match.group("core"))
        if qualifier:
            return False, f"reject: {qualifier}信息公开 is not 政府信息公开"
        if "公开" not in match.group("core") and not re.search(r"年度报告$|年报$", match.group(0)):
            return False, "reject: 政府信息…报告 without 公开 (only 政府信息年度报告 is a report form)"
        if "情况" in match.group(0) and match.group("core") == "政务公开":
            return False, "reject: 政务公开工作情况报告 (a work summary, not the annual report)"
        noun = next(n for n in ("年度报告", "年报", "工作报告", "报告") if match.group(0).endswith(n))
        if noun == "报告" and year is None and "年度" not in match.group(0):
            return False, "reject: 信息公开报告 without a year or 年度"
        if not _has_scope(body[: match.start()], year):
            return False, "reject: column name (no year or unit)"
        return True, f"accept: {noun} noun + {match.group('core')}"

    bare = _BARE_NIANBAO_RE.match(body)
    if bare and bool(bare.group("unit1")) != bool(bare.group("unit2")):
        unit = bare.group("unit1") or bare.group("unit2")
        if _GOV_UNIT_END_RE.search(unit) and not re.search(r"公司|集团|银行|医院|学校|大学", unit):
            return True, "accept: <government unit><year>年年报"
        return False, "reject: 年报 of a company, institution or other subject (not a government unit)"

    end = _DOC_TYPE_END_RE.search(body)
    if end:
        word = end.group(0).removesuffix(end.group("bracket") or "")
        return False, f"reject: {word} (not a report)"
    if body.endswith("的报告"):
        return False, "reject: 关于…的报告 (a letter, not the annual report)"
    if re.search(r"年度报告|年报|报告$", body):
        return False, "reject: report noun without 信息公开/政务公开"
    return False, "reject: no 信息公开 report noun at the end"


@lru_cache(maxsize=8192)
def classify_title(title: str) -> tuple[bool, str]:
    """Classify a link or page title; returns (is_report, short reason). Cached: a list page's link is
    classified for its decision and again for its reason, and titles recur across list pages."""
    text = normalise_title(title)
    return _classify_normalised(text, title_year(title))


def is_report_title(title: str) -> bool:
    """True when ``title`` names a 政府信息公开工作年度报告."""
    return classify_title(title)[0]


# --------------------------------------------------------------------------------------------------
# Pages

# Page <title>s carry the site and column after a separator: "…年度报告_政府信息公开年报_平潭综合实验区".
_PAGE_TITLE_SEP_RE = re.compile(r"\s*(?:[_|｜]|(?<!\d)[-—–](?!\d)|——|-{2,})\s*")
# Phrases every real report opens with (条例 citation, 统计期限 sentence, six-section headings).
_REPORT_MARKERS = ("政府信息公开条例", "统计期限", "总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况",
                   "本报告", "年度报告由", "依申请公开", "政府信息公开工作年度报告")
_INTERPRETATION_MARKERS_RE = re.compile(r"解读|一图读懂|图解")
_MIN_CONFIRMABLE_TEXT = 40


def classify_page(title: str, text_head: str) -> tuple[bool, str]:
    """Confirm a fetched page: its own title (split at the site/column separators) and the first few hundred
    characters of its text must agree that it is a report. An image-only page (no text) is confirmed by
    its title alone; the reason says so."""
    # The article title is the longest segment; the others are column and site names, which may look like
    # anything (政府信息公开专栏, 政府信息公开年报) and must neither confirm nor veto.
    segments = [segment for segment in _PAGE_TITLE_SEP_RE.split(title or "") if segment.strip()]
    article = max(segments, key=lambda segment: len(normalise_title(segment)), default="")
    title_verdict: tuple[bool, str] | None = None
    verdict = classify_title(article)
    if verdict[0]:
        title_verdict = verdict
    elif not re.search(r"column name|no 信息公开|without 信息公开|empty|truncated", verdict[1]):
        return False, f"reject: page title: {verdict[1].removeprefix('reject: ')}"

    head = normalise_title(text_head or "")[:600]
    # text extractions keep table pipes and breadcrumb bars around the heading ("定西市…年度报告 |")
    head_lines = [line.strip(" \t|｜") for line in (text_head or "").splitlines()[:20]]
    heading = next((line for line in head_lines if line and is_report_title(line)), None)
    if _INTERPRETATION_MARKERS_RE.search(head[:200]) and heading is None:
        return False, "reject: page text is an interpretation (解读)"
    markers = [marker for marker in _REPORT_MARKERS if marker in head]

    if title_verdict is not None:
        if markers:
            return True, f"accept: title + text mentions {markers[0]}"
        if heading is not None:
            return True, "accept: title + report heading in text"
        if len(head) < _MIN_CONFIRMABLE_TEXT:
            return True, "accept: title only (page has no text to confirm; image-only?)"
        return False, "reject: title looks like a report but the text does not"
    if heading is not None and markers:
        return True, f"accept: report heading in text + {markers[0]}"
    return False, "reject: neither title nor text names a report"
