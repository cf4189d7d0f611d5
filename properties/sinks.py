"""What the tool hands down to the checking layer: where progress goes and where counterexamples are saved.

properties/ and proofs/ never import poolcheck/ (tests/test_layers.py): a
search that reports progress or saves a counterexample is given a sink of
these types by its caller. poolcheck.progress implements ``ProgressSink``;
poolcheck.artifacts.saver(out) makes a ``Saver`` (the one writer of
counterexample folders: trace.json, report.md, report.html).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from model.tracefile import Counterexample

__all__ = ["ProgressSink", "Saver"]


class ProgressSink(Protocol):
    def stage(self, name: str, total: int | None = None) -> None: ...

    def update(self, done: int | None = None, force: bool = False, **fields: Any) -> None: ...


Saver = Callable[[Counterexample], Path]
"""Writes a counterexample's folder and returns the folder."""
