"""Text normalisation: script detection, traditional -> simplified conversion, width folding, whitespace.

Conversion goes through the one OpenCC wrapper, :mod:`govcrawl.opencc_wrap` (OpenCC's ``t2s``, built lazily once).
"""

from __future__ import annotations

import re
from typing import Literal

from govcrawl.opencc_wrap import to_simplified

__all__ = ["Script", "clean_whitespace", "detect_script", "fold_width", "normalise", "normalise_with_published",
           "to_simplified"]

Script = Literal["simplified", "traditional"]

# Frequent characters that exist only in traditional script, and their simplified forms (same order).
_TRADITIONAL_ONLY = "開與國會為發關們這個說時對經報務書實際當區縣鄉鎮條項據處門網頁點擊覽檔歲幾進還從體應數產過動問題讓認識將無見長東車馬風電話語記議讀課選達運邊審稱單裡獲辦規範請隨們總應當級導"
_SIMPLIFIED_ONLY = "开与国会为发关们这个说时对经报务书实际当区县乡镇条项据处门网页点击览档岁几进还从体应数产过动问题让认识将无见长东车马风电话语记议读课选达运边审称单里获办规范请随们总应当级导"
_TRAD_RE = re.compile("[" + "".join(sorted(set(_TRADITIONAL_ONLY) - set(_SIMPLIFIED_ONLY))) + "]")
_SIMP_RE = re.compile("[" + "".join(sorted(set(_SIMPLIFIED_ONLY) - set(_TRADITIONAL_ONLY))) + "]")

# Full-width -> half-width where it is safe for Chinese text: digits, latin letters, brackets, colon, comma,
# semicolon, !, ?, percent (the parser's patterns are written against the half-width forms).
_WIDTH_TABLE = {ord("０") + i: ord("0") + i for i in range(10)}
_WIDTH_TABLE.update({ord("Ａ") + i: ord("A") + i for i in range(26)})
_WIDTH_TABLE.update({ord("ａ") + i: ord("a") + i for i in range(26)})
_WIDTH_TABLE.update({ord(a): ord(b) for a, b in zip("（）：％［］｜＞＜／－＋＝，；！？", "():%[]|></-+=,;!?", strict=True)})
# Every kind of horizontal space (ideographic, em, nbsp, zero-width ...) becomes a plain space.
_WIDTH_TABLE.update({cp: ord(" ") for cp in (0x3000, 0x00A0, 0x2002, 0x2003, 0x2004, 0x2005, 0x2009, 0x202F, 0x205F)})
_WIDTH_TABLE.update({cp: None for cp in (0x200B, 0x200C, 0x200D, 0xFEFF, 0x00AD)})
# Tabs stay: extracted HTML tables arrive as tab-separated cells (parse_report turns them into pipe rows).
_WIDTH_TABLE.update({ord("\r"): None, ord("\f"): ord("\n"), ord("\v"): ord("\n")})

_FOLD_MAP = {chr(key): (chr(value) if value is not None else "") for key, value in _WIDTH_TABLE.items()}
_FOLD_RE = re.compile("[" + re.escape("".join(_FOLD_MAP)) + "]")
_FULLWIDTH_POINT = re.compile(r"(?<=\d)．(?=\d)")
_EDGE_SPACE = " \t"
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def detect_script(text: str) -> Script:
    """``"traditional"`` when traditional-only characters outnumber their simplified counterparts."""
    traditional = len(_TRAD_RE.findall(text))
    if traditional < 2:
        return "simplified"  # whatever the simplified count
    simplified = 0
    for _ in _SIMP_RE.finditer(text):  # counted only as far as needed
        simplified += 1
        if simplified >= traditional:
            return "simplified"
    return "traditional"



def fold_width(text: str) -> str:
    """Full-width digits, letters, brackets, colon, comma, semicolon, !, ?, % to half-width; odd spaces to plain
    spaces. 。、《》“” stay: they have no half-width twin in Chinese text."""
    # a regex finds the few kinds of character to change, each is then replaced in one C-level pass: much faster
    # than str.translate over a whole CJK text or a callback per match (no replacement is itself replaced)
    for char in set(_FOLD_RE.findall(text)):
        text = text.replace(char, _FOLD_MAP[char])
    return _FULLWIDTH_POINT.sub(".", text) if "．" in text else text


#: the whitespace part of the fold only: odd spaces -> space, zero-width characters and \r dropped, \f \v -> \n
_SPACE_MAP = {key: value for key, value in _FOLD_MAP.items() if not value.strip() or not key.strip()}
_SPACE_RE = re.compile("[" + re.escape("".join(_SPACE_MAP)) + "]")
#: half-width character -> the published characters that fold to it (，for , ２ for 2 …), for restoring them
WIDTH_TWINS: dict[str, str] = {}
for _wide, _narrow in _FOLD_MAP.items():
    if _narrow.strip() and _wide.strip():
        WIDTH_TWINS[_narrow] = WIDTH_TWINS.get(_narrow, "") + _wide
WIDTH_TWINS["."] = WIDTH_TWINS.get(".", "") + "．"


def fold_spaces(text: str) -> str:
    """Only the whitespace part of :func:`fold_width`: the published characters otherwise stay as they are."""
    for char in set(_SPACE_RE.findall(text)):
        text = text.replace(char, _SPACE_MAP[char])
    return text


def published_form(text: str) -> str:
    """The text as published, with only whitespace folded and, for a traditional source, OpenCC's t2s applied:
    what the item's ``text`` keeps (see govcrawl.parser.fidelity)."""
    if detect_script(text) == "traditional":
        text = to_simplified(text)
    return clean_whitespace(fold_spaces(text))


def clean_whitespace(text: str) -> str:
    """Strip every line, collapse runs of spaces, keep at most one blank line in a row."""
    text = _collapse(_CONTROL.sub("", text), "  ", " ")  # space runs never span lines: one pass over the text
    lines = [line.strip(_EDGE_SPACE) for line in text.split("\n")]
    return _collapse("\n".join(lines), "\n\n\n", "\n\n").strip()


def _collapse(text: str, run: str, shorter: str) -> str:
    """``text`` with every run of a repeated character of ``run``'s length or longer cut to ``shorter`` (one
    character less): C-level replaces, until none is left (most texts have none: one search)."""
    while run in text:
        text = text.replace(run, shorter)
    return text


def normalise(text: str) -> tuple[str, Script]:
    """Fold widths and whitespace, convert to simplified when the text is traditional; return (text, script)."""
    script = detect_script(text)
    if script == "traditional":
        text = to_simplified(text)
    return clean_whitespace(fold_width(text)), script


def normalise_with_published(text: str) -> tuple[str, Script, str]:
    """``normalise(text)`` and ``published_form(text)`` together: (normalised, script, published).

    The published form is made first; the normalised text is then that form width-folded. Folding touches no
    whitespace, and the whitespace cleaning no folded character, so the order does not matter, except where a
    control character that the cleaning removes sits between a digit and ``．``: such a text takes both passes."""
    script = detect_script(text)
    if script == "traditional":
        text = to_simplified(text)
    published = clean_whitespace(fold_spaces(text))
    if _CONTROL.search(text):
        return clean_whitespace(fold_width(text)), script, published
    return fold_width(published), script, published
