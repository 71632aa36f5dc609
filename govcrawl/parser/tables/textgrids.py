"""Tables found in plain text: flattened pipe rows (seed 003) and Markdown tables.

Flattened pipe rows come from HTML tables whose cells were joined with ``|`` after spanned cells were dropped,
so their columns do not line up; the reader maps them through the header tree (see mapping.py). Markdown
tables are rectangular and read like HTML grids.
"""

from __future__ import annotations

import re

Grid = list[list[str]]

_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")


def _split_pipe_row(line: str) -> list[str]:
    stripped = line.strip()
    if stripped.startswith("|"):
        stripped = stripped[1:]
    if stripped.endswith("|"):
        stripped = stripped[:-1]
    return [" ".join(cell.split()) for cell in stripped.split("|")]  # as _clean_grids would leave them


def text_grids(text: str) -> list[Grid]:
    """Every run of consecutive pipe-separated lines in ``text`` as one grid (Markdown separators dropped); cells
    trimmed, inner whitespace runs collapsed to one space."""
    grids: list[Grid] = []
    current: Grid = []
    for line in text.splitlines():
        if "|" in line and line.strip().strip("|").strip():
            if _MD_SEPARATOR.match(line.strip()):
                continue
            current.append(_split_pipe_row(line))
            continue
        if line.strip() and _MD_SEPARATOR.match(line.strip()):
            continue
        if current:
            grids.append(current)
            current = []
    if current:
        grids.append(current)
    return grids

