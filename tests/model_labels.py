"""The labels a model module yields, read from its source: what the schedule-replay hook tables must equal."""

from __future__ import annotations

import ast
from pathlib import Path

# The effects that are shared accesses (model/effects.py): the atomic and plain ones, and allPoolsMu.
SHARED_EFFECTS = frozenset({"atomic_load", "atomic_store", "atomic_add", "atomic_cas", "plain_read", "plain_write",
                            "lock", "unlock"})


def non_silent_labels(module: Path, prefix: str) -> set[str]:
    """Every label starting with ``prefix`` that ``module`` passes to a shared-access effect not marked silent."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SHARED_EFFECTS):
            continue
        if any(k.arg == "silent" and isinstance(k.value, ast.Constant) and k.value.value for k in node.keywords):
            continue
        out |= {a.value for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith(prefix)}
    return out
