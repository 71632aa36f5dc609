"""Text fidelity: the item's ``text`` in the published characters, full-width punctuation included.

The parser works on a width-folded copy (its patterns are written against ``,():`` …); what it keeps of that copy
(chrome and header lines dropped, inline headings broken onto their own lines) is mapped back onto the published
form (:func:`govcrawl.parser.normalise.published_form`: whitespace folded, OpenCC for traditional sources, nothing
else). Every kept character is a character of the source in the same order, so a greedy walk finds each one: a
character without a full-width twin (most CJK) re-synchronises the walk over whatever was dropped; a folded one
(``,`` ``2`` ``(``) takes the published character (``，`` ``２`` ``（``) found just ahead, else stays as it is.

Most of ``kept`` is a verbatim run of the published text once its twins are folded one for one
(:func:`fold_twins`): wherever the walk stands at the start of such a run it would take exactly the run's published
characters, so the run is found with one C-level comparison and copied; the character walk only bridges the places
where ``kept`` and the published text part (dropped lines, moved headings, table pipes).
"""

from __future__ import annotations

import re

from govcrawl.parser.normalise import WIDTH_TWINS

#: how far ahead a character without a twin is looked for (a dropped run of chrome or header lines)
SYNC_WINDOW = 20000
#: how far ahead the published form of a folded character is looked for
TWIN_WINDOW = 48
#: the first stretch a verbatim run is compared over; it doubles while the run goes on
_RUN_STEP = 64

_TWIN_OF = {wide: narrow for narrow, wides in WIDTH_TWINS.items() for wide in wides}
_TWIN_RE = re.compile("[" + re.escape("".join(_TWIN_OF)) + "]")
#: half-width character -> a pattern finding it or any of its twins (the nearest of them in one search)
_FORMS = {narrow: re.compile("[" + re.escape(narrow + wides) + "]") for narrow, wides in WIDTH_TWINS.items()}


def fold_twins(published: str) -> str:
    """``published`` with every full-width twin (``，`` ``２`` ``（`` ``．`` …) as its half-width character: one
    character for one, so offsets are shared with ``published``."""
    for wide in set(_TWIN_RE.findall(published)):  # each kind in one C-level pass (no narrow form is a twin)
        published = published.replace(wide, _TWIN_OF[wide])
    return published


def _run_length(kept: str, start: int, folded: str, position: int) -> int:
    """Length of the longest common prefix of ``kept[start:]`` and ``folded[position:]`` (galloping, then halving)."""
    limit = min(len(kept) - start, len(folded) - position)
    if limit <= 0 or kept[start] != folded[position]:
        return 0
    good, step = 1, _RUN_STEP
    while good < limit:
        size = min(limit, good + step)
        if not folded.startswith(kept[start + good:start + size], position + good):
            break
        good, step = size, step * 2
    else:
        return good
    bad = size  # kept[start:start + good] matches, kept[start:start + bad] does not
    while bad - good > 1:
        middle = (good + bad) // 2
        if folded.startswith(kept[start + good:start + middle], position + good):
            good = middle
        else:
            bad = middle
    return good


def restore_published(kept: str, published: str, folded: str | None = None) -> str:
    """``kept`` (a width-folded text made of ``published``'s characters, in order) in ``published``'s characters.

    ``folded``: ``fold_twins(published)`` when the caller has it already (several texts restored on one page)."""
    if folded is None:
        folded = fold_twins(published)
    out: list[str] = []
    position = 0
    end = len(published)
    index = 0
    count = len(kept)
    while index < count:
        run = _run_length(kept, index, folded, position) if folded.startswith(kept[index], position) else 0
        if run:
            # the walk over this run takes published[position + k] for each of its characters (whitespace
            # included: it matches itself) and stands after the run's last non-space character
            out.append(published[position:position + run])
            position += len(kept[index:index + run].rstrip())
            index += run
            continue
        char = kept[index]
        index += 1
        if char.isspace():
            out.append(char)
            continue
        forms = _FORMS.get(char)
        if forms is None:
            found = published.find(char, position, min(end, position + SYNC_WINDOW))
            if found >= 0:
                position = found + 1
            out.append(char)
            continue
        nearest = forms.search(published, position, min(end, position + TWIN_WINDOW))
        if nearest:
            out.append(nearest.group())
            position = nearest.end()
        else:
            out.append(char)
    return "".join(out)
