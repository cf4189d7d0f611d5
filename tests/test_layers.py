"""The layers import downwards only: model/, properties/ and proofs/ never import the tool (poolcheck/).

The tool hands sinks down instead (properties/sinks.py: where progress goes,
where counterexamples are saved). Imports are read with ast from the source,
so an import inside a function or under TYPE_CHECKING counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOWER = ("model", "properties", "proofs")


def upward_imports(source: str, filename: str) -> list[str]:
    """``line: module`` for every import of poolcheck (or a module below it) in ``source``."""
    out: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            names = [node.module]
        else:
            continue
        out += [f"{node.lineno}: {n}" for n in names if n == "poolcheck" or n.startswith("poolcheck.")]
    return out


def test_model_properties_and_proofs_never_import_poolcheck() -> None:
    files = sorted(f for layer in LOWER for f in (ROOT / layer).rglob("*.py"))
    assert len(files) > 40   # the walk found the packages
    bad = [f"{f.relative_to(ROOT)}:{hit}" for f in files for hit in upward_imports(f.read_text(), str(f))]
    assert bad == []


def test_the_walk_sees_every_form_of_import() -> None:
    src = ("import poolcheck\nimport os, poolcheck.report as r\nfrom poolcheck import artifacts\n"
           "def f() -> None:\n    from poolcheck.progress import Progress\n"
           "from properties import checks\nfrom . import poolcheck_like\nimport poolchecker\n")
    assert upward_imports(src, "x.py") == ["1: poolcheck", "2: poolcheck.report", "3: poolcheck",
                                           "5: poolcheck.progress"]
