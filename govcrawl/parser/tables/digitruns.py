"""Splitting a table row whose cells ran together into one digit string (``801000081`` = 80,1,0,0,0,0,81).

A split is only accepted when the template's own arithmetic allows exactly one: every split of the digits into
``n`` cells (no cell with a leading zero, none longer than ``MAX_CELL_DIGITS``) is tried and kept when it satisfies
the row's constraint. One survivor: the cells. None or several: the caller flags ``ambiguous_digits`` and leaves the
cells out. Nothing is ever guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

MAX_CELL_DIGITS = 6
#: splits tried at most per row (a longer run is reported as ambiguous rather than searched)
MAX_SPLITS = 200_000
_DIGITS = re.compile(r"\d+")

Constraint = Callable[[list[int]], bool]


def row_total_rule(cells: list[int]) -> bool:
    """表三: the applicant columns sum to the 总计 column (the last cell)."""
    return sum(cells[:-1]) == cells[-1]


def group_total_rule(group: int) -> Constraint:
    """表四: in every group of ``group`` cells (维持, 纠正, 其他, 尚未审结, 总计) the first ones sum to the last."""
    def rule(cells: list[int]) -> bool:
        return all(sum(cells[i:i + group - 1]) == cells[i + group - 1] for i in range(0, len(cells), group))
    return rule


def _splits(digits: str, parts: int) -> Iterator[list[str]]:
    if parts == 1:
        if len(digits) <= MAX_CELL_DIGITS and (digits == "0" or not digits.startswith("0")):
            yield [digits]
        return
    if digits.startswith("0"):
        widths: range | tuple[int, ...] = (1,)  # a 0 is a cell of its own
    else:
        widths = range(1, min(MAX_CELL_DIGITS, len(digits) - parts + 1) + 1)
    for width in widths:
        if len(digits) - width < parts - 1:
            break
        for rest in _splits(digits[width:], parts - 1):
            yield [digits[:width], *rest]


def candidate_splits(digits: str, parts: int, rule: Constraint | None) -> list[list[int]] | None:
    """Every split of ``digits`` into ``parts`` cells that satisfies ``rule``; None when there are too many to try."""
    found: list[list[int]] = []
    for tried, split in enumerate(_splits(digits, parts)):
        if tried >= MAX_SPLITS:
            return None
        cells = [int(cell) for cell in split]
        if rule is None or rule(cells):
            found.append(cells)
    return found


def read_run(run: str, parts: int, rule: Constraint | None) -> tuple[list[int] | None, list[list[int]]]:
    """The cells of one printed row ``run`` (digits, maybe spaced) and the candidates when it is ambiguous.

    Printed with exactly ``parts`` space-separated numbers: those numbers, as printed (a published
    inconsistency stays for the checks to flag). Otherwise the digits are joined and split under ``rule``."""
    tokens = _DIGITS.findall(run)
    if len(tokens) == parts and all(len(t) <= MAX_CELL_DIGITS for t in tokens):
        return [int(t) for t in tokens], []
    digits = "".join(tokens)
    if len(digits) < parts:
        return None, []
    candidates = candidate_splits(digits, parts, rule)
    if candidates is None:
        return None, []
    if len(candidates) == 1:
        return candidates[0], []
    return None, candidates
