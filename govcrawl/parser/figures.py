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
from dataclasses import dataclass

from govcrawl.parser.numbers import NUMBER_PATTERN, read_number

_TAIL = r"\s*(?:左右|以上)?"
_VERB_GAP_EXCLUDED = r"复议|诉讼|举报|投诉|提案|建议|留言|来信|咨询|信访"

_PROACTIVE = [
    re.compile(r"主动公开(?:了)?(?:各类|各项)?(?:政府|政务)?信息(?:数量|总数|总量|数)?(?:共计|共|累计|合计)?(?:为|达|达到)?"
               + NUMBER_PATTERN + r"\s*(?:条|件|篇)" + _TAIL),
    re.compile(r"(?:发布|公开)(?:了)?(?:各类|各项)?(?:政府|政务)?信息(?:共计|共|累计|合计)?(?:为|达|达到)?"
               + NUMBER_PATTERN + r"\s*(?:条|件|篇)" + _TAIL),
]
_APPLICATIONS = [
    re.compile(r"(?:收到|受理|接到|接收|新收)(?:了)?(?:[^。;\n\d]{0,12}?)(?:申请|依申请|政府信息公开)"
               r"(?:(?!" + _VERB_GAP_EXCLUDED + r")[^。;\n\d]){0,10}?(?:共计|共|合计)?" + NUMBER_PATTERN + r"\s*(?:件|个|份|次)"),
    re.compile(r"(?:收到|受理|接到|接收)(?:了)?" + NUMBER_PATTERN + r"\s*(?:件|个|份)[^。;\n\d]{0,12}?申请"),
]
_APPLICATIONS_NONE = re.compile(
    r"(?:没有|未|无)(?:收到|接到|受理)(?:(?!" + _VERB_GAP_EXCLUDED + r")[^。;\n\d]){0,20}?申请"
)
_REVIEW = re.compile(r"行政复议(?:案件|申请|案)?(?:共计|共)?" + NUMBER_PATTERN + r"\s*(?:件|起|宗)")
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


def _in_subcount(text: str, start: int) -> bool:
    """True when the clause before ``start`` says 其中 (a part of a total given earlier)."""
    clause_start = max(text.rfind(sep, 0, start) for sep in "。;\n") + 1
    return "其中" in text[clause_start:start]


def _first(patterns: list[re.Pattern[str]], text: str) -> Figure | None:
    for pattern in patterns:
        for match in pattern.finditer(text):
            if _in_subcount(text, match.start()):
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
        clause = _clause_around(text, position, position + 4)
        position = text.find("行政复议", position + 4)
        negation = _NEGATION.search(clause)
        if negation and negation.start() < clause.index("行政复议") and not _DIGIT.search(clause):
            return Figure(0, False, clause.strip()[:60])
    return None


def narrative_figures(text: str) -> dict[str, Figure]:
    """Figures stated in the narrative text, keyed like the schema's ``figures``."""
    figures: dict[str, Figure] = {}
    proactive = _first(_PROACTIVE, text)
    if proactive:
        figures["proactive_total"] = proactive
    applications = _first(_APPLICATIONS, text)
    if applications is None:
        none = _APPLICATIONS_NONE.search(text)
        if none:
            applications = Figure(0, False, _evidence(text, none.start(), none.end()))
    if applications:
        figures["applications_received"] = applications
    review = _first([_REVIEW], text) or _zero_review(text)
    if review:
        figures["review_total"] = review
    return figures
