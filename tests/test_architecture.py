"""The plan and the code agree: every import of every module (module level, inside functions, under
TYPE_CHECKING, ``importlib.import_module("...")`` with a literal name) honours the import contract written in
docs/architecture.md, and no module outside tests/, benchmarks/ and govcrawl/demo/ is over the line limit.

The contract is read from the doc, between ``<!-- import-contract:start -->`` and ``<!-- import-contract:end -->``:
a table ``| module prefix | may not import |`` (prefixes match a module and its submodules), and a table
``| neutral module | may import of ours only |`` (``govcrawl``/``spiders`` modules a neutral module may use).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "architecture.md"
SOURCE_ROOTS = ("govcrawl", "spiders")
MAX_LINES = 450
LINE_LIMIT_EXEMPT = ("tests", "benchmarks", "govcrawl/demo")
#: the layers of the data path the doc's contract must at least constrain
REQUIRED_PREFIXES = {"govcrawl.parser", "govcrawl.extract", "govcrawl.discovery", "govcrawl.warc", "spiders"}
OURS = ("govcrawl", "spiders")


@dataclass(frozen=True)
class Contract:
    forbidden: dict[str, tuple[str, ...]]  # module prefix -> prefixes it may not import
    neutral: dict[str, tuple[str, ...]]  # neutral module -> modules of ours it may import


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported} ({self.rule})"


def _names(cell: str) -> tuple[str, ...]:
    return tuple(name.strip(" `") for name in cell.split(",") if name.strip(" `"))


def parse_contract(markdown: str) -> Contract:
    """The import contract from the marked block of an architecture doc (two markdown tables)."""
    match = re.search(r"<!-- import-contract:start -->(.*?)<!-- import-contract:end -->", markdown, re.S)
    assert match, "docs/architecture.md has no <!-- import-contract:start --> ... :end --> block"
    forbidden: dict[str, tuple[str, ...]] = {}
    neutral: dict[str, tuple[str, ...]] = {}
    table = None
    for line in match.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not line.strip().startswith("|"):
            continue
        head = cells[1].lower()
        if "may not import" in head:
            table = forbidden
        elif "may import of ours only" in head:
            table = neutral
        elif set(cells[0]) <= set("-: ") or table is None:
            continue
        else:
            for module in _names(cells[0]):
                table[module] = _names(cells[1]) if cells[1] not in ("", "-", "nothing") else ()
    return Contract(forbidden, neutral)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module an ``from X import ...`` names (relative imports resolved against ``module``)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, imported module) for every import anywhere in ``source``; ``from a import b`` gives a and a.b."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node)
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names if alias.name != "*"]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")):
            found.append((node.lineno, node.args[0].value))
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def check_imports(root: Path, contract: Contract) -> list[Violation]:
    """Every import under ``root``'s source packages that breaks ``contract``."""
    violations = []
    for top in SOURCE_ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            module = module_name(path, root)
            imports = imports_of(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
            for prefix, banned in contract.forbidden.items():
                if not _within(module, prefix):
                    continue
                for line, name in imports:
                    for ban in banned:
                        if _within(name, ban):
                            violations.append(Violation(module, line, name, f"{prefix} may not import {ban}"))
            if module in contract.neutral:
                allowed = (module, *contract.neutral[module])
                for line, name in imports:
                    ours = any(_within(name, top_name) for top_name in OURS)
                    if ours and name not in OURS and not any(_within(name, ok) for ok in allowed):
                        violations.append(Violation(module, line, name, f"neutral {module} imports only "
                                                                        f"{', '.join(allowed[1:]) or 'nothing'} of ours"))
    first: dict[tuple[str, int, str], Violation] = {}  # ``from a import b``: one violation, the shortest name
    for violation in sorted(violations, key=lambda v: (v.module, v.line, len(v.imported))):
        first.setdefault((violation.module, violation.line, violation.rule), violation)
    return list(first.values())


def oversized_modules(root: Path, limit: int = MAX_LINES) -> list[str]:
    """``path: N lines`` for every Python module over ``limit`` lines outside the exempt folders."""
    out = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(tuple(f"{folder}/" for folder in LINE_LIMIT_EXEMPT)) or "/." in f"/{relative}":
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            out.append(f"{relative}: {lines} lines")
    return out


def _report(violations: list) -> str:
    return f"{len(violations)} violation(s):\n  " + "\n  ".join(map(str, violations))


# -- the real tree ------------------------------------------------------------------------------------------------

def test_every_import_honours_the_contract_in_docs_architecture() -> None:
    contract = parse_contract(DOC.read_text(encoding="utf-8"))
    violations = check_imports(REPO, contract)
    assert not violations, _report(violations)


def test_no_module_outside_tests_benchmarks_and_demo_is_over_the_line_limit() -> None:
    oversized = oversized_modules(REPO)
    assert not oversized, _report(oversized)


def test_the_doc_states_the_contract_for_every_layer_of_the_data_path() -> None:
    contract = parse_contract(DOC.read_text(encoding="utf-8"))
    assert REQUIRED_PREFIXES <= set(contract.forbidden), sorted(REQUIRED_PREFIXES - set(contract.forbidden))
    assert all(contract.forbidden.values()), contract.forbidden
    for module in (*contract.forbidden, *contract.neutral):
        path = REPO.joinpath(*module.split("."))
        assert path.is_dir() or path.with_suffix(".py").is_file(), f"the contract names {module}, which does not exist"


# -- the checker itself can fail ----------------------------------------------------------------------------------

SYNTHETIC_DOC = """
<!-- import-contract:start -->
| module prefix | may not import |
|---|---|
| `govcrawl.parser` | `scrapy`, `govcrawl.warc` |
| `spiders` | `govcrawl.report` |

| neutral module | may import of ours only |
|---|---|
| `govcrawl.capture` | nothing |
| `govcrawl.charset` | `govcrawl.formats` |
<!-- import-contract:end -->
"""


def _tree(root: Path, files: dict[str, str]) -> Path:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


def test_synthetic_violations_are_all_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "govcrawl/__init__.py": "",
        "govcrawl/parser/__init__.py": "from ..warc import writer\n",  # relative, resolved
        "govcrawl/parser/late.py": "def f():\n    import scrapy.http\n    return scrapy\n",  # inside a function
        "govcrawl/parser/dynamic.py": "import importlib\nimportlib.import_module('govcrawl.warc.reader')\n",
        "govcrawl/parser/fine.py": "import scrapyish\nfrom govcrawl.warcfile import x\nfrom . import late\n",
        "govcrawl/capture.py": "from govcrawl.formats import template\n",
        "govcrawl/charset.py": "from govcrawl.formats import template\nimport codecs\n",
        "spiders/gov.py": "from govcrawl import report\nfrom govcrawl.reporting import y\n",
    })
    found = {(v.module, v.line, v.imported) for v in check_imports(root, parse_contract(SYNTHETIC_DOC))}
    assert found == {
        ("govcrawl.parser", 1, "govcrawl.warc"),
        ("govcrawl.parser.late", 2, "scrapy.http"),
        ("govcrawl.parser.dynamic", 2, "govcrawl.warc.reader"),
        ("govcrawl.capture", 1, "govcrawl.formats"),
        ("spiders.gov", 1, "govcrawl.report"),
    }


def test_synthetic_oversized_module_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "govcrawl/big.py": "x = 1\n" * (MAX_LINES + 1),
        "govcrawl/ok.py": "x = 1\n" * MAX_LINES,
        "govcrawl/demo/big.py": "x = 1\n" * 999,
        "tests/test_big.py": "x = 1\n" * 999,
        "benchmarks/bench_big.py": "x = 1\n" * 999,
    })
    assert oversized_modules(root) == [f"govcrawl/big.py: {MAX_LINES + 1} lines"]


def test_a_doc_without_the_contract_block_fails_loudly() -> None:
    with pytest.raises(AssertionError, match="import-contract"):
        parse_contract("# architecture\nno contract here\n")
