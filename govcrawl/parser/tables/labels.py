"""Label normalisation and fuzzy label matching for the standard tables.

Labels are compared on their *core*: NFKC-folded (full-width brackets, digits and colons become half-width),
whitespace removed (so ``商业 企业`` / ``商业\\n企业`` equal ``商业企业``), the leading enumeration markers
(``一、``, ``（一）``, ``1.``, ``①``) stripped and all punctuation dropped.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．,]|\([一二三四五六七八九十]+\)|\(\d+\)|\d+[、.．,](?!\d)|第[一二三四五六七八九十]+[、.])+"
)
_NON_WORD = re.compile(r"[^\w]|_", re.UNICODE)
_SPACE = re.compile(r"\s+")

# Header cells that label the label column rather than a data column.
LABEL_COLUMN_HEADERS = frozenset({"信息内容", "项目", "内容", "类别", "名称", "序号", "指标"})

# Scores returned by label_score().
EXACT, PARTIAL = 3, 2


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """NFKC-fold a cell and drop all whitespace (incl. NBSP and ideographic space)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=8192)
def core(text: str) -> str:
    """The comparable core of a label: folded, enumeration prefix and punctuation removed."""
    folded = fold(text)
    stripped = _NUMBERING.sub("", folded)
    return _NON_WORD.sub("", stripped or folded)


@lru_cache(maxsize=65536)
def label_score(cell_core: str, target_core: str) -> int:
    """How well a cell core matches a template label core: EXACT, PARTIAL (truncated/extended) or 0."""
    if not cell_core or not target_core:
        return 0
    if cell_core == target_core:
        return EXACT
    if len(cell_core) >= 2 and target_core.startswith(cell_core):
        return PARTIAL  # truncated header, e.g. 结果 for 结果纠正, 部分公开 for the long label
    if len(target_core) >= 2 and cell_core.startswith(target_core) and (
            len(target_core) >= 4 or 2 * len(target_core) >= len(cell_core)):
        return PARTIAL  # cell carries extra words, e.g. 本年收费金额单位元 (but 其他 does not name 其他法律…公开)
    if len(target_core) >= 4 and target_core in cell_core:
        return PARTIAL
    if min(len(cell_core), len(target_core)) >= 5 and similarity(cell_core, target_core) >= TYPO_SIMILARITY:
        return PARTIAL  # a typo'd label: 其他法律行政止公开 for 其他法律行政法规禁止公开
    return 0


#: how similar (difflib ratio) a label must be to a template label to name it despite typos; the closest two
#: distinct template labels (上年结转… / 本年新收…申请数量) are at 0.79
TYPO_SIMILARITY = 0.84


def similarity(a: str, b: str) -> float:
    """difflib's ratio of two label cores (1.0 equal, 0.0 nothing in common)."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@lru_cache(maxsize=65536)
def best_score(cell_core: str, target_cores: tuple[str, ...]) -> int:
    """The best label_score of a cell against a label and its variants."""
    return max((label_score(cell_core, t) for t in target_cores), default=0)
