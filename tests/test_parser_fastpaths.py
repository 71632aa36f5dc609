"""The parser's fast paths give what the plain forms give: restore_published against the per-character walk it
replaces, the 结转 pattern against its NUMBER_PATTERN form, the words each narrative pattern's matches hold, and
normalise_with_published against normalise + published_form, clean_whitespace against its regular expressions,
restoring against piped table rows against restoring against the published text."""

from __future__ import annotations

import random
import re

import pytest

from govcrawl.parser import fidelity
from govcrawl.parser.figures import _APPLICATIONS, _CARRIED, _NEEDS, _matches
from govcrawl.parser.normalise import (
    WIDTH_TWINS,
    clean_whitespace,
    fold_width,
    normalise,
    normalise_with_published,
    published_form,
)
from govcrawl.parser.numbers import NUMBER_PATTERN


def _walk(kept: str, published: str, sync: int, twin: int) -> str:
    """The plain greedy walk (one character at a time) that restore_published must reproduce."""
    out, position, end = [], 0, len(published)
    for char in kept:
        if char.isspace():
            out.append(char)
            continue
        twins = WIDTH_TWINS.get(char)
        if twins is None:
            found = published.find(char, position, min(end, position + sync))
            if found >= 0:
                position = found + 1
            out.append(char)
            continue
        hits = [h for h in (published.find(f, position, min(end, position + twin)) for f in char + twins) if h >= 0]
        if hits:
            out.append(published[min(hits)])
            position = min(hits) + 1
        else:
            out.append(char)
    return "".join(out)


_ALPHABET = list("本机关公开信息条件一二三、。ab") + list(",.()2:，．（）２：") + [" ", "\n", "\t", "|", "\u3000"]


@pytest.mark.parametrize("sync", [fidelity.SYNC_WINDOW, 30])
def test_restore_published_is_the_character_walk(monkeypatch: pytest.MonkeyPatch, sync: int) -> None:
    monkeypatch.setattr(fidelity, "SYNC_WINDOW", sync)
    rng = random.Random(sync)
    for _ in range(800):
        published = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 300)))
        kept = []
        for char in fold_width(published):  # dropped, inserted and moved characters, as the parser makes them
            roll = rng.random()
            if roll < 0.03:
                continue
            if roll < 0.05:
                kept.append(rng.choice(_ALPHABET))
            elif roll < 0.06:
                kept.extend(rng.choice(_ALPHABET) for _ in range(40))
            kept.append(char)
        text = "".join(kept)
        if rng.random() < 0.3:  # a section: a piece of the kept text, restored on its own
            start = rng.randint(0, len(text))
            text = text[start:start + rng.randint(0, 200)]
        assert fidelity.restore_published(text, published) == _walk(text, published, sync, fidelity.TWIN_WINDOW)


def _pieces(rng: random.Random) -> str:
    number = (rng.choice(["", "约", "大约", "近"]) + rng.choice(["12", "1234", "1,234", "1234,567", "3.5", "二十", "0"])
              + rng.choice(["", "余", "多"]))
    return rng.choice([
        number + rng.choice(["", " ", "\n"]) + rng.choice(["件", "件申请", "个"]) + rng.choice(["", "已", "xxxxx", "。"])
        + rng.choice(["结转", "结转至", "x"]) + rng.choice(["下年度", "下一年", "2019年", "20 年"]),
        rng.choice(["", "全年", "共"]) + rng.choice(["有", "共有"]) + number + rng.choice(["件", "个"])
        + rng.choice(["政府信息公开", "依申请公开", "x"]) + rng.choice(["申请", "事项", ""]),
        rng.choice(list("0123456789,.件年结转有一") + ["。", " "]),
    ])


def test_fast_number_patterns_match_as_the_plain_ones() -> None:
    plain = {
        _CARRIED[0]: re.compile(NUMBER_PATTERN + r"\s*件(?:申请)?(?:[^。;,\d]{0,4}?)结转(?:至|到)?"
                                r"(?:下一?年度?|(?:19|20)\d{2}\s*年)"),
        _APPLICATIONS[2]: re.compile(r"(?:全年|本年|今年)?(?:共)?有" + NUMBER_PATTERN
                                     + r"\s*(?:件|个)(?:政府信息公开|依申请公开)(?:申请|事项)"),
    }
    rng = random.Random(3)
    found = 0
    for _ in range(5000):
        text = "".join(_pieces(rng) for _ in range(rng.randint(1, 6)))
        for fast, slow in plain.items():
            expected = [(m.span(), m.groupdict()) for m in slow.finditer(text)]
            assert [(m.span(), m.groupdict()) for m in _matches(fast, text)] == expected, text
            found += len(expected)
    assert found > 500


def test_every_match_holds_a_needed_word() -> None:
    rng = random.Random(7)
    words = ["收到", "受理", "新收", "了", "申请", "依申请", "政府信息公开", "依申请公开", "件", "个", "有", "共", "12",
             "主动公开", "发布", "公开", "信息", "条", "没有", "未", "行政复议", "行政诉讼", "办结", "结转", "下年度", "，", "。"]
    for _ in range(5000):
        text = "".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        for pattern, needed in _NEEDS.items():
            for match in pattern.finditer(text):
                assert any(word in match.group() for word in needed), (pattern.pattern, match.group())


def test_normalise_with_published_is_both_passes() -> None:
    rng = random.Random(11)
    alphabet = list("本機關開發國12３４．.，,（） \t\n\r\x0b\x0c\x00\x01\x7f\u3000\xa0\u200b\xad") + ["\n\n\n", "１．２", "1．2"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert normalise_with_published(text) == (*normalise(text), published_form(text))


def test_clean_whitespace_collapses_as_the_regular_expressions() -> None:
    def plain(text: str) -> str:
        text = re.sub(r" {2,}", " ", re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", "", text))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip(" \t") for line in text.split("\n"))).strip()

    rng = random.Random(2)
    pieces = [" ", "  ", "\n", "\n\n\n", "a", "\t", "\x01", "本", "\u3000"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        assert clean_whitespace(text) == plain(text)


def test_grid_cells_are_collapsed_as_str_split_would_in_one_joined_pass() -> None:
    """``_normalise_grids`` collapses whitespace over all cells joined (the tables reader no longer does it per
    cell): the same cells as width-folding each and ``" ".join(cell.split())``, for every whitespace character."""
    import sys

    from govcrawl.parser import _normalise_grids

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    alphabet = [*spaces, "a", "中", "１", "，", "\x1f"]
    rng = random.Random(11)
    for _ in range(3000):
        grid = [["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(1, 4))]
                for _ in range(rng.randint(1, 3))]
        expected = [[" ".join(fold_width(cell).split()) for cell in row] for row in grid]
        assert _normalise_grids([grid], False) == [expected], grid


def test_table_rows_restore_as_against_the_published_text() -> None:
    """Restoring against the published text with its tab rows in the kept pipe form (one run per row) gives
    what the walk over the published text gives, full-width cells, blank cells and padding included."""
    from govcrawl.parser import _cells_to_pipes, _rows_as_kept

    rng = random.Random(5)
    cells = ["12", "１２", "0", "", " ", "（一）", "(二)", "申请", "3,5", "３．５", "本机关", "\u3000", "a b"]
    differing = 0
    for _ in range(1500):
        lines = []
        for _ in range(rng.randint(1, 8)):
            if rng.random() < 0.6:
                lines.append("\t".join(rng.choice(cells) for _ in range(rng.randint(2, 6))))
            else:
                lines.append("".join(rng.choice(_ALPHABET[:-4]) for _ in range(rng.randint(0, 30))))
        published = published_form("\n".join(lines))
        kept = clean_whitespace("\n".join(_cells_to_pipes(line).strip(" |") for line in fold_width(published).split("\n")))
        expected = fidelity.restore_published(kept, published)
        assert fidelity.restore_published(kept, _rows_as_kept(published)) == expected, (published, kept)
        differing += kept != fold_width(published)
    assert differing > 500
