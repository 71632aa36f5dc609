"""Numbered top-level parts (一、二、… up to 二十、) of a report, for the pre-2019 narrative layout and the
2019/2021 six-part layout, including headings run inline into one long line (seen on real pages).

A heading counts when it starts a line, or follows whitespace inside a line and is short (no comma). Headings
must form the sequence 一、二、三、…; the longest such sequence wins, so table row labels (一、本年新收…) and
lists inside paragraphs do not break the layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五",
            "十六", "十七", "十八", "十九", "二十"]
_NUMERAL_VALUE = {numeral: index + 1 for index, numeral in enumerate(NUMERALS)}
_BEFORE_NUMERAL = "\n |"  # a candidate numeral starts the text or follows a line break, a space or a pipe
_TABLE_ROW_LABEL = re.compile(r"^(?:本年新收|上年结转|本年度办理结果|结转下年度|予以公开|部分公开|不予公开)")
_HEADING_END = re.compile(r"[ 。;!?]")
_WEAK_HEADING_MAX = 30
_STRONG_HEADING_MAX = 60

#: Fragments of the six official headings (report-formats.json ``report_sections``), in order.
OFFICIAL_HEADINGS = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况",
                     "行政复议、行政诉讼情况", "存在的主要问题及改进情况", "其他需要报告的事项")
_OFFICIAL_VARIANTS = (("总体情况",), ("主动公开政府信息情况",), ("收到和处理政府信息公开申请",),
                      ("行政复议、行政诉讼", "行政复议、提起行政诉讼"), ("存在的主要问题及改进情况",),
                      ("其他需要报告的事项",))


@dataclass(frozen=True)
class Heading:
    number: int
    title: str  # e.g. "二、主动公开政府信息情况"
    start: int  # offset of the numeral
    body_start: int  # offset where the section's text begins
    strong: bool  # at the start of a line


def _numeral_marks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, numeral) of every 一、… 二十、 that starts the text or follows a line break, space or pipe.

    Found from each 、 backwards (a numeral is one or two characters): several times faster than a regex that
    must try its anchor at every position of the text."""
    marks = []
    comma = text.find("、")
    while comma != -1:
        for start in (comma - 2, comma - 1):
            if start >= 0 and text[start:comma] in _NUMERAL_VALUE and (
                    start == 0 or text[start - 1] in _BEFORE_NUMERAL):
                marks.append((start, comma + 1, text[start:comma]))
                break
        comma = text.find("、", comma + 1)
    return marks


def _candidates(text: str) -> list[Heading]:
    found: list[Heading] = []
    for mark_start, mark_end, numeral in _numeral_marks(text):
        line_start = text.rfind("\n", 0, mark_start) + 1
        line_end = text.find("\n", mark_end)
        line_end = len(text) if line_end < 0 else line_end
        line = text[line_start:line_end]
        if line.count("|") >= 2:  # a flattened table row, not a heading
            continue
        strong = not text[line_start:mark_start].strip(" |")
        rest = text[mark_end:line_end]
        if strong and len(rest) <= _STRONG_HEADING_MAX and "。" not in rest.rstrip("。"):
            title = rest.strip(" |")
        else:
            cut = _HEADING_END.search(rest)
            title = (rest[: cut.start()] if cut else rest).strip(" |")
            if not strong and (len(title) > _WEAK_HEADING_MAX or "," in title or "," in title):
                continue
        if not title or _TABLE_ROW_LABEL.match(title):
            continue
        body_start = mark_end + rest.find(title) + len(title) if title in rest else line_end
        found.append(Heading(_NUMERAL_VALUE[numeral], f"{numeral}、{title}", mark_start, body_start, strong))
    return found


def find_headings(text: str) -> list[Heading]:
    """The top-level headings of ``text``: the longest 一、二、三… chain among the candidates."""
    candidates = _candidates(text)
    best: list[Heading] = []
    for index, first in enumerate(candidates):
        if first.number != 1:
            continue
        chain = [first]
        for candidate in candidates[index + 1:]:
            if candidate.number == chain[-1].number + 1:
                chain.append(candidate)
        if len(chain) > len(best) or (len(chain) == len(best) and sum(h.strong for h in chain) > sum(
                h.strong for h in best)):
            best = chain
    return best


def break_inline_headings(text: str, headings: list[Heading] | None = None) -> str:
    """``text`` with each top-level heading on a line of its own (inline headings and bodies run on after them).

    ``headings``: ``find_headings(text)`` when the caller has it already. The very same ``text`` object comes
    back when nothing had to move."""
    for heading in reversed(find_headings(text) if headings is None else headings):
        after = text[heading.body_start:]
        if after.startswith(" "):  # body runs on after the heading: give it its own line
            text = text[:heading.body_start] + "\n" + after.lstrip(" ")
        if not heading.strong:
            text = text[:heading.start].rstrip(" ") + "\n" + text[heading.start:]
    return text


def split_sections(text: str, headings: list[Heading] | None = None) -> list[dict[str, str]]:
    """``[{heading, text}]`` for the numbered top-level parts of ``text`` (empty when it has none); ``headings``:
    ``find_headings(text)`` when the caller has it already."""
    headings = find_headings(text) if headings is None else headings
    sections = []
    for index, heading in enumerate(headings):
        end = headings[index + 1].start if index + 1 < len(headings) else len(text)
        body = text[heading.body_start:end].strip(" |\n")
        sections.append({"heading": heading.title, "text": body})
    return sections


def official_heading_matches(sections: list[dict[str, str]]) -> list[bool]:
    """For each of the six official headings, whether one of ``sections`` carries it."""
    headings = [section["heading"] for section in sections]
    return [any(variant in heading for heading in headings for variant in variants)
            for variants in _OFFICIAL_VARIANTS]


def has_official_layout(sections: list[dict[str, str]]) -> bool:
    """True when at least four of the six official 2019/2021 headings are present."""
    return sum(official_heading_matches(sections)) >= 4


def table_section_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the official table sections 二/三/四 (by their headings) in ``text``."""
    headings = find_headings(text)
    spans = []
    for index, heading in enumerate(headings):
        if any(variant in heading.title for variants in _OFFICIAL_VARIANTS[1:4] for variant in variants):
            end = headings[index + 1].start if index + 1 < len(headings) else len(text)
            spans.append((heading.start, end))
    return spans


def has_table_sections(sections: list[dict[str, str]]) -> bool:
    """True when the official table sections 二 (主动公开), 三 (申请) and 四 (复议/诉讼) are all present."""
    matches = official_heading_matches(sections)
    return matches[1] and matches[2] and matches[3]
