"""Where a model label's Go statement is: the installed Go file and line, and the model (or variant) file and line.

A label is ``FILE:FUNC: STATEMENT`` (model/effects.py). ``go_line(label)``
finds FUNC in ``$(go env GOROOT)/src/sync/FILE`` (gosource.functions, as
tests/test_drift.py does) and the first line of its body whose text,
whitespace removed, contains STATEMENT. ``model_line(label, module_file)``
finds the label's string literal in a Python file of the model.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from properties.conformance.gosource import GoNotFound, functions, go_env

__all__ = ["go_line", "model_line", "parse_label", "REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parents[2]
_LABEL = re.compile(r"^(?P<file>[\w.]+\.go):(?P<func>\w+): (?P<stmt>.+)$")


def parse_label(label: str) -> tuple[str, str, str] | None:
    m = _LABEL.match(label)
    return (m.group("file"), m.group("func"), m.group("stmt")) if m else None


@functools.lru_cache(maxsize=4)
def _source(file: str) -> tuple[str, str] | None:
    try:
        env = go_env()
    except GoNotFound:
        return None
    p = env.sync_path(file)
    return (str(p), p.read_text()) if p.is_file() else None


@functools.lru_cache(maxsize=1024)
def go_line(label: str) -> tuple[str, int] | None:
    """(installed Go file path, 1-based line) of the label's statement, or None (not a Go label, no toolchain)."""
    parsed = parse_label(label)
    if parsed is None:
        return None
    file, func, stmt = parsed
    src = _source(file)
    if src is None:
        return None
    path, text = src
    want = re.sub(r"\s+", "", stmt)
    for f in functions(text):
        if f.name != func:
            continue
        base = text.count("\n", 0, f.body_start) + 1
        lines = f.body.split("\n")
        for i in range(len(lines)):
            # a statement may span two lines (a swapped pair, a multi-line call)
            window = re.sub(r"\s+", "", "".join(lines[i:i + 2]))
            if want in re.sub(r"\s+", "", lines[i]) or (want in window and want not in re.sub(r"\s+", "",
                                                                                               lines[i + 1] if i + 1 < len(lines) else "")):
                return path, base + i
    return None


@functools.lru_cache(maxsize=1024)
def model_line(label: str, files: tuple[str, ...]) -> tuple[str, int] | None:
    """(path relative to the repository, line) of the first of ``files`` quoting ``label``, or None."""
    for f in files:
        p = Path(f)
        if not p.is_file():
            continue
        for i, line in enumerate(p.read_text().split("\n"), 1):
            if f'"{label}"' in line:
                try:
                    rel = str(p.resolve().relative_to(REPO_ROOT))
                except ValueError:
                    rel = str(p)
                return rel, i
    return None
