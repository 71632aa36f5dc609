"""Headline figures from the narrative text (tables, when present, win: see ``parse_report``).

Only phrasings that say what is counted are read; a number is never guessed from context alone:

- ``proactive_total``: 主动公开(各类)(政府)信息 N 条, else 发布/公开(各类)(政府)信息 N 条 (no subcategory words between
  the verb and 信息, so 公开重点领域信息 N 条 is not the total);
- ``applications_received``: 收到/受理/接到 …申请… N 件, 受理 N 件…申请, and 0 for 没有/未 收到…申请;
- ``review_total``: 行政复议(案件) N 件/起, and 0 for 没有/未…行政复议 clauses without a number.

Each figure keeps an evidence snippet and whether it is approximate (余/多/约/近/逾/左右, or 13.1万-style rounding).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from govcrawl.parser.numbers import (
    CHINESE_NUMERAL_CHARS,
    NUMBER_PATTERN,
    NUMBER_PATTERN_RUN_START,
    read_number,
)


def _starting_with(first: str, pattern: str) -> re.Pattern[str]:
    """``pattern`` behind a lookahead for the characters its matches can start with (``first``, a class body):
    the same matches, but ``re`` skips to those characters instead of trying the pattern at every position."""
    return re.compile(f"(?=[{first}])" + pattern)


_TAIL = r"\s*(?:左右|以上)?"
_VERB_GAP_EXCLUDED = r"复议|诉讼|举报|投诉|提案|建议|留言|来信|咨询|信访"

_SCOPE = r"(?:我区|全区|我县|全县|我市|全市|我省|全省|本机关|本单位|我局|我委|我办|我厅)?(?:各级单位|各级|各单位|各部门)?"
_PROACTIVE = [
    re.compile(r"主动公开(?:了)?(?:发布)?(?:的)?" + _SCOPE + r"(?:各类|各项)?(?:政府|政务)?信息(?:数量|总数|总量|数)?"
               r"(?:共计|共|累计|合计)?(?:为|达|达到)?" + NUMBER_PATTERN + r"\s*(?:条|件|篇)" + _TAIL),
    re.compile(r"(?:发布|公开)(?:了)?" + _SCOPE + r"(?:各类|各项)?(?:政府|政务)?信息(?:共计|共|累计|合计)?(?:为|达|达到)?"
               + NUMBER_PATTERN + r"\s*(?:条|件|篇)" + _TAIL),
]
_APPLICATIONS = [
    re.compile(r"(?:收到|受理|接到|接收|新收)(?:了)?(?:[^。;\n\d]{0,12}?)(?:申请|依申请|政府信息公开)"
               r"(?:(?!" + _VERB_GAP_EXCLUDED + r")[^。;,\n\d]){0,10}?(?:共计|共|合计)?" + NUMBER_PATTERN
               + r"\s*(?:件|个|份|次|条)"),
    re.compile(r"(?:收到|受理|接到|接收)(?:了)?" + NUMBER_PATTERN + r"\s*(?:件|个|份)(?:(?!" + _VERB_GAP_EXCLUDED
               + r")[^。;\n\d]){0,12}?申请"),
    _starting_with("全本今共有", r"(?:全年|本年|今年)?(?:共)?有" + NUMBER_PATTERN
                   + r"\s*(?:件|个)(?:政府信息公开|依申请公开)(?:申请|事项)"),
]
_APPLICATIONS_NONE = re.compile(
    r"(?:没有|未|无)(?:收到|接到|受理)(?:(?!" + _VERB_GAP_EXCLUDED + r")[^。;\n\d]){0,20}?申请"
)
_REVIEW = re.compile(r"行政复议(?:案件|申请|案)?(?:共计|共)?" + NUMBER_PATTERN + r"\s*(?:件|起|宗)")
#: words before a count that make it something else than this year's disclosure figure
_NOT_THIS_YEAR = re.compile(r"历年|以来|至今|截至目前|截止目前")
_CUMULATIVE = re.compile(r"累计")
_THIS_YEAR = re.compile(r"(?:19|20)\d{2}\s*年|全年|本年|今年|年内")
_SINGLE_CHANNEL = re.compile(r"(?:微信|微博|公众号|新媒体|客户端|抖音|头条号|视频号)[^,。;]{0,6}$")
_SERVICE_APPLICATIONS = re.compile(r"审批|窗口|办件|政务服务|行政服务中心|服务事项|便民服务")
_YEAR_DIGITS = re.compile(r"(?:19|20)\d{2}\s*年度?")
_SPACES = " \t\u3000"  # dropped from the joined text
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d+[、.](?!\d))(?:(?![,。]).)*$")
_CLAUSE_BREAKS = "。;!?\n,"
_NEGATION = re.compile(r"没有|未|无")
_DIGIT = re.compile(r"\d")
_EVIDENCE_RADIUS = 24


@dataclass(frozen=True)
class Figure:
    value: int
    approximate: bool
    evidence: str


def _evidence(text: str, start: int, end: int) -> str:
    """The clause around ``text[start:end]``: from the last break (。;, or line) before it, at most a few chars
    past it."""
    window_start = max(0, start - _EVIDENCE_RADIUS)
    left = max(text.rfind(sep, window_start, start) for sep in "。;,\n") + 1 or window_start
    left = max(left, window_start)
    right = min((pos for pos in (text.find(sep, end) for sep in "。;,\n") if pos >= 0), default=len(text))
    return text[left:min(right, end + 12)].strip()


def _figure_from(match: re.Match[str], text: str) -> Figure | None:
    token = (match.group("pre") or "") + match.group("num") + (match.group("post") or "")
    number = read_number(token)
    if number is None or isinstance(number.value, float):
        return None
    approximate = number.approximate or match.group(0).endswith(("左右", "以上"))
    return Figure(number.value, approximate, _evidence(text, match.start(), match.end()))


def _in_subcount(text: str, start: int, verb: str) -> bool:
    """True when the clause before ``start`` says 其中 after a total of the same kind (其中 after 主动公开…N条):
    a part. 其中 after another total (制作、获取政府信息总数N条，其中主动公开…) does not make a part."""
    clause_start = max(text.rfind(sep, 0, start) for sep in "。;\n") + 1
    before = text[clause_start:start]
    if "其中" not in before:
        return False
    pre = before[: before.rindex("其中")].rstrip(",: ")
    parent = pre[max(pre.rfind(sep) for sep in ",。;") + 1:]  # the statement 其中 divides
    return not verb or verb in parent or not _DIGIT.search(parent)


def _distractor(text: str, match: re.Match[str]) -> bool:
    """A count that is not this year's disclosure figure: cumulative (历年/累计), one social channel only
    (政务微信公开…), or applications for administrative services (审批窗口 受理申请…)."""
    clause = _clause_around(text, match.start(), match.end())
    head = text[max(0, match.start() - 12):match.start()]
    if _NOT_THIS_YEAR.search(head + match.group(0)):
        return True
    sentence = text[max(text.rfind(sep, 0, match.start()) for sep in "。;\n") + 1:match.end()]
    if _CUMULATIVE.search(head + match.group(0)) and not _THIS_YEAR.search(sentence):
        return True  # 累计 with no year bound: a running total (截止2018年底…累计 is the year's)
    if _SINGLE_CHANNEL.search(head):
        return True
    wider = text[max(0, match.start() - 40):match.end()]
    return bool(_SERVICE_APPLICATIONS.search(wider)) and "申请" in match.group(0) and "信息公开" not in clause


def _may_match(pattern: re.Pattern[str], text: str) -> bool:
    """False when ``text`` lacks every word one of ``pattern``'s matches must hold (no need to run it)."""
    words = _NEEDS.get(pattern)
    return words is None or any(word in text for word in words)


def _finditer_near(pattern: re.Pattern[str], text: str, word: str, reach: int) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern whose every match holds ``word`` at most ``reach`` characters after
    its start: only the starts up to ``reach`` before an occurrence of ``word`` are tried, in increasing order."""
    position = 0  # where finditer would search next
    tried = -1  # the last start tried
    hit = text.find(word)
    while hit >= 0:
        for start in range(max(tried + 1, hit - reach, position), hit + 1):
            match = pattern.match(text, start)
            if match:
                yield match
                position = match.end()  # never empty: it holds the word
                tried = position - 1
                break
        else:
            tried = hit
            position = max(position, hit + 1)
        hit = text.find(word, position)


def _matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    near = _NEAR.get(pattern)
    return pattern.finditer(text) if near is None else _finditer_near(pattern, text, *near)


def _first(patterns: list[re.Pattern[str]], text: str, verb: str = "") -> Figure | None:
    for pattern in patterns:
        if not _may_match(pattern, text):
            continue
        for match in _matches(pattern, text):
            if _in_subcount(text, match.start(), verb) or _distractor(text, match):
                continue
            figure = _figure_from(match, text)
            if figure is not None:
                return figure
    return None


def _clause_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(sep, 0, start) for sep in _CLAUSE_BREAKS) + 1
    right = min((pos for pos in (text.find(sep, end) for sep in _CLAUSE_BREAKS) if pos >= 0), default=len(text))
    return text[left:right]


def _zero_review(text: str) -> Figure | None:
    position = text.find("行政复议")
    while position >= 0:
        left = max(text.rfind(sep, 0, position) for sep in _CLAUSE_BREAKS) + 1
        clause = _clause_around(text, position, position + 4)
        before = text[left:position]  # the clause up to this 行政复议
        position = text.find("行政复议", position + 4)
        if _NEGATION.search(before) and not _DIGIT.search(_YEAR_DIGITS.sub("", clause)):
            return Figure(0, False, clause.strip()[:60])
    return None


@lru_cache(maxsize=4)  # narrative_figures and narrative_statements both read the page's text
def _join_broken_lines(text: str) -> str:
    """Lines broken inside a sentence (PDF text layers) joined, spaces dropped (``1136 条``, ``政\\n府``); a
    heading line (一、… / (一)… without a comma or full stop) keeps its line break."""
    out: list[str] = []
    for space in _SPACES:  # spaces never span lines: dropped from the whole text, each in one C-level pass
        text = text.replace(space, "")
    for line in text.split("\n"):
        if out and out[-1] and not out[-1].endswith(("。", ";", "!", "?", ":")) and not _HEADING.match(out[-1]) \
                and line and not _HEADING.match(line):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def narrative_figures(text: str) -> dict[str, Figure]:
    """Figures stated in the narrative text, keyed like the schema's ``figures``."""
    figures: dict[str, Figure] = {}
    text = _join_broken_lines(text)  # 1136 条 / 政\n府网站 / 2 543: a number or phrase broken by spaces or lines
    proactive = _first(_PROACTIVE, text, "主动公开")
    if proactive:
        figures["proactive_total"] = proactive
    applications = _first(_APPLICATIONS, text, "申请")
    if applications is None:
        none = _APPLICATIONS_NONE.search(text) if _may_match(_APPLICATIONS_NONE, text) else None
        if none:
            applications = Figure(0, False, _evidence(text, none.start(), none.end()))
    if applications:
        figures["applications_received"] = applications
    review = _first([_REVIEW], text) or _zero_review(text)
    if review:
        figures["review_total"] = review
    return figures


_HANDLED = re.compile(r"办结(?:了)?(?:[^。;,\d]{0,6}?)" + NUMBER_PATTERN + r"\s*(?:件|个|份)")
_CARRIED = [
    # it ends in 年/度, so the next search never starts inside a run of digits or numerals
    _starting_with(r"\d大将超约近逾" + CHINESE_NUMERAL_CHARS, NUMBER_PATTERN_RUN_START
                   + r"\s*件(?:申请)?(?:[^。;,\d]{0,4}?)结转(?:至|到)?(?:下一?年度?|(?:19|20)\d{2}\s*年)"),
    re.compile(r"结转(?:至|到)?(?:下一?年度?|(?:19|20)\d{2}\s*年)(?:继续办理)?(?:的)?(?:申请)?" + NUMBER_PATTERN + r"\s*件"),
]
_LITIGATION = re.compile(r"行政诉讼(?:案件|案)?(?:共计|共)?" + NUMBER_PATTERN + r"\s*(?:件|起|宗)")


def narrative_statements(text: str, figures: dict[str, Figure] | None = None) -> dict[str, Figure]:
    """What the narrative states that the tables also count, for the narrative-vs-table checks (never figures):
    applications received and handled (办结), carried to next year (结转), reviews, lawsuits (行政诉讼 N件).

    ``figures``: ``narrative_figures(text)`` when the caller has it already."""
    stated = dict(narrative_figures(text) if figures is None else figures)
    text = _join_broken_lines(text)
    for key, patterns in (("applications_handled", [_HANDLED]), ("carried_next", _CARRIED),
                          ("litigation_total", [_LITIGATION])):
        figure = _first(patterns, text)
        if figure is not None:
            stated[key] = figure
    return stated


#: pattern -> words of which each of its matches holds at least one (a text without them is not searched)
_NEEDS: dict[re.Pattern[str], tuple[str, ...]] = {
    _PROACTIVE[0]: ("主动公开",), _PROACTIVE[1]: ("信息",),
    _APPLICATIONS[0]: ("申请", "政府信息公开"), _APPLICATIONS[1]: ("申请",),
    _APPLICATIONS[2]: ("政府信息公开", "依申请公开"), _APPLICATIONS_NONE: ("申请",), _REVIEW: ("行政复议",),
    _HANDLED: ("办结",), _CARRIED[0]: ("结转",), _CARRIED[1]: ("结转",), _LITIGATION: ("行政诉讼",),
}
#: pattern -> (word, reach): each match holds the word at most ``reach`` characters after its start
_NEAR: dict[re.Pattern[str], tuple[str, int]] = {_APPLICATIONS[2]: ("有", 3)}  # (全年|本年|今年)?(共)?有
