"""Rows whose values a PDF text layer prints on a line of their own, above or inside their label.

A PDF cell's values are centred on its row: when the row label wraps over two lines, or sits in a taller row,
the text layer gives the values on a line of their own before the label (``1 0 0 0 0 0 1`` then
``1.属于国家秘密``) or between the label's two lines (the hzq PDFs). :func:`values_after_labels` moves such a
line behind the label it belongs to, so the flattened reader sees ``label numbers`` again; only when that is
certain, never otherwise:

* only a line holding a whole row (as many numbers as the table has columns) is moved;
* a label line opening with an enumeration (``1.``, ``(三)``, ``四、``) starts a row, any other label line
  continues the row before it; single characters (a vertical header such as 本/年/度 of 三、本年度办理结果)
  are read past;
* the values go to the row they sit inside (the label continues on the next line), else to the row that starts
  on the next line when the row before already has its values or is a group heading ((四)无法提供); in any
  other case the line stays where it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from govcrawl.parser.tables.labels import core
from govcrawl.parser.tables.spec import TableSpec

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_ENUMERATION = r"^(?:[(（][一二三四五六七八九十]{1,2}[)）]|[一二三四五六七八九十]{1,2}\s*[、.]|\d{1,2}\s*[.、．])"
_ENUMERATED = re.compile(_ENUMERATION + r"\s*\S")
_ENUMERATION_PREFIX = re.compile(_ENUMERATION)
_VERTICAL_CHAR = re.compile(r"^[\u4e00-\u9fff、]\s+(?=\S)")  # a vertical header's character before a label


@dataclass
class _Row:
    lines: list[str]
    group: bool
    numbers: list[str] = field(default_factory=list)
    had_numbers: bool = False  # values printed on one of its own lines already


def _is_values(line: str, width: int) -> bool:
    tokens = line.split()
    return len(tokens) == width and all(_NUMBER.fullmatch(token) for token in tokens)


def _label_only(line: str) -> bool:
    """Text and no number (an enumeration's digit aside)."""
    return bool(line) and not re.search(r"\d", _ENUMERATION_PREFIX.sub("", line, count=1))


def values_after_labels(section: str, spec: TableSpec, width: int) -> str:
    """``section`` with each values-only line behind the label it belongs to (see the module docstring)."""
    groups = {p for r in spec.rows for p in r.parents} - {c for r in spec.rows for c in r.cores}
    lines = [line.strip() for line in section.splitlines()]
    out: list[str | _Row] = []
    current: _Row | None = None  # the row whose label lines are being read (None after any other line)
    pending: list[str] = []  # a values line waiting for the row that starts on the next line
    for index, line in enumerate(lines):
        stripped = _VERTICAL_CHAR.sub("", line)
        if len(line) == 1:
            out.append(line)  # a vertical header's character: read past
            continue
        if _is_values(line, width):
            upcoming = next((x for x in lines[index + 1:] if len(x) > 1), "")
            upcoming = _VERTICAL_CHAR.sub("", upcoming)
            continues = _label_only(upcoming) and not _ENUMERATED.match(upcoming)
            if current is not None and not current.numbers and not current.group and continues:
                current.numbers.append(line)  # inside its label: the label goes on below
                continue
            starts = _label_only(upcoming) and _ENUMERATED.match(upcoming) and core(upcoming) not in groups
            if starts and not pending and (current is None or current.numbers or current.group):
                pending.append(line)
                continue
            out.append(line)
            current = None
            continue
        if _label_only(stripped) and _ENUMERATED.match(stripped):
            current = _Row([line], core(stripped) in groups, numbers=pending)
            pending = []
            out.append(current)
            continue
        if _label_only(line) and current is not None:
            current.lines.append(line)
            continue
        out.extend(pending)
        pending, current = [], None
        out.append(line)
    out.extend(pending)
    text: list[str] = []
    for item in out:
        text.append(item if isinstance(item, str) else " ".join([*item.lines, *item.numbers]))
    return "\n".join(text)
