"""A progress bar on stderr for anything that can run longer than a few seconds.

Quiet when stderr is not a terminal (CI logs stay short) unless
POOLCHECK_PROGRESS=1; ``--json`` commands never print it on stdout.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

__all__ = ["Progress"]


class Progress:
    """``with Progress("explore") as bar: bar.update(states=..., depth=...)``."""

    def __init__(self, title: str, total: int | None = None, enabled: bool | None = None, every: float = 0.2) -> None:
        self.title = title
        self.total = total
        self.start = time.monotonic()
        self._last = 0.0
        self.every = every
        if enabled is None:
            enabled = sys.stderr.isatty() or os.environ.get("POOLCHECK_PROGRESS") == "1"
        self.enabled = enabled
        self._shown = False
        self.done = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def update(self, done: int | None = None, force: bool = False, **fields: Any) -> None:
        if done is not None:
            self.done = done
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.every:
            return
        self._last = now
        parts = [f"{self.title}"]
        if self.total:
            frac = min(1.0, self.done / self.total)
            n = 24
            parts.append("[" + "#" * int(frac * n) + "." * (n - int(frac * n)) + f"] {self.done}/{self.total}")
        for k, v in fields.items():
            parts.append(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}")
        parts.append(f"{self.elapsed:.1f}s")
        sys.stderr.write("\r\x1b[2K" + "  ".join(parts))
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
            self._shown = False
