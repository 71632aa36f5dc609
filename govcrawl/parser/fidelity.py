"""Text fidelity: the item's ``text`` in the published characters, full-width punctuation included.

The parser works on a width-folded copy (its patterns are written against ``,():`` …); what it keeps of that copy
(chrome and header lines dropped, inline headings broken onto their own lines) is mapped back onto the published
form (:func:`govcrawl.parser.normalise.published_form`: whitespace folded, OpenCC for traditional sources, nothing
else). Every kept character is a character of the source in the same order, so a greedy walk finds each one: a
character without a full-width twin (most CJK) re-synchronises the walk over whatever was dropped; a folded one
(``,`` ``2`` ``(``) takes the published character (``，`` ``２`` ``（``) found just ahead, else stays as it is.
"""

from __future__ import annotations

from govcrawl.parser.normalise import WIDTH_TWINS

#: how far ahead a character without a twin is looked for (a dropped run of chrome or header lines)
SYNC_WINDOW = 20000
#: how far ahead the published form of a folded character is looked for
TWIN_WINDOW = 48


def restore_published(kept: str, published: str) -> str:
    """``kept`` (a width-folded text made of ``published``'s characters, in order) in ``published``'s characters."""
    out: list[str] = []
    position = 0
    end = len(published)
    for char in kept:
        if char.isspace():
            out.append(char)
            continue
        twins = WIDTH_TWINS.get(char)
        if twins is None:
            found = published.find(char, position, min(end, position + SYNC_WINDOW))
            if found >= 0:
                position = found + 1
            out.append(char)
            continue
        limit = min(end, position + TWIN_WINDOW)
        hits = [hit for hit in (published.find(form, position, limit) for form in char + twins) if hit >= 0]
        if hits:
            nearest = min(hits)
            out.append(published[nearest])
            position = nearest + 1
        else:
            out.append(char)
    return "".join(out)
