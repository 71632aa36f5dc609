"""The one OpenCC wrapper: converters built once, lazily, on first use (neutral: imports nothing of ours).

Conversion uses the ``opencc`` C++ binding (PyPI ``opencc``), about 40x faster than the pure-Python
``opencc-python-reimplemented`` (see performance-notes.md). Both install a top-level module named ``opencc`` and
both expose ``opencc.OpenCC("t2s").convert(text)``, so swapping is a package swap only. The parser
(``govcrawl.parser.normalise.to_simplified``), the title classifier and the demo portal all convert through here.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def converter(config: str) -> Any:
    """The OpenCC converter for ``config`` (``"t2s"``, ``"s2t"`` ...), built on first use and kept.

    Raises ``ImportError`` where the binding is not installed."""
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese with OpenCC's ``t2s`` config."""
    return converter("t2s").convert(text)
