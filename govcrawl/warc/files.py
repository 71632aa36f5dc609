"""The one WARC file lister: which files of the paths a user named are WARC files (no warcio needed)."""

from __future__ import annotations

import os
from collections.abc import Iterable

#: suffix of a file the writer still holds (renamed away when the file is closed)
OPEN_SUFFIX = ".open"
CLOSED_SUFFIXES = (".warc", ".warc.gz")
WARC_SUFFIXES = (*CLOSED_SUFFIXES, *(suffix + OPEN_SUFFIX for suffix in CLOSED_SUFFIXES))


def warc_files(paths: Iterable[str | os.PathLike[str]], *, include_open: bool = True) -> list[str]:
    """WARC files named by ``paths`` (files, or folders searched recursively), sorted, no duplicates.

    In folders, ``.warc``/``.warc.gz`` files count, and their ``.open`` forms (still being written, or left by a
    crash) unless ``include_open`` is False; a file named explicitly is always taken. A missing path raises
    :class:`FileNotFoundError`.
    """
    suffixes = WARC_SUFFIXES if include_open else CLOSED_SUFFIXES
    found: set[str] = set()
    for path in paths:
        path = os.fspath(path)
        if os.path.isdir(path):
            for directory, _, names in os.walk(path):
                found.update(os.path.join(directory, n) for n in names if n.endswith(suffixes))
        elif os.path.isfile(path):
            found.add(path)
        else:
            raise FileNotFoundError(f"no such WARC file or folder: {path}")
    return sorted(found)
