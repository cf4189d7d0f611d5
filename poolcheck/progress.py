"""The one progress interface: a bar on a terminal, plain lines in a CI log.

Engines and commands talk to a ``ProgressSink``: ``stage(name, total)`` when a
new stage (or kill-matrix cell, or campaign stage) starts, ``update(done,
**fields)`` as work gets done. ``Progress`` is the implementation every
command uses, on stderr (never on stdout, so ``--json`` stays one object):

- on a terminal: one redrawn bar line, at most five times a second;
- otherwise (CI logs, pipes): one line per stage and at most one line per
  10 seconds, so a long run shows it is alive without flooding the log.

``POOLCHECK_PROGRESS=bar`` (or 1) forces the bar, ``lines`` the lines,
``off`` (or 0) silences it. ``NullProgress`` is the sink that ignores all.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from properties.sinks import ProgressSink

__all__ = ["ProgressSink", "Progress", "NullProgress", "LINE_EVERY"]

LINE_EVERY = 10.0      # seconds between progress lines when stderr is not a terminal


class NullProgress:
    """A sink that shows nothing (library calls, workers)."""

    total: int | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        self.total = total

    def update(self, done: int | None = None, force: bool = False, **fields: Any) -> None:
        return None

    def close(self) -> None:
        return None


def _mode(enabled: bool | None) -> str:
    if enabled is False:
        return "off"
    env = os.environ.get("POOLCHECK_PROGRESS", "").strip().lower()
    if env in ("0", "off"):
        return "off"
    if env in ("1", "bar") or enabled is True:
        return "bar"
    if env == "lines":
        return "lines"
    return "bar" if sys.stderr.isatty() else "lines"


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.1f}"
    return str(v)


class Progress:
    """``with Progress("explore") as bar: bar.update(states=..., depth=...)``."""

    def __init__(self, title: str, total: int | None = None, enabled: bool | None = None, every: float = 0.2) -> None:
        self.title = title
        self.total = total
        self.start = time.monotonic()
        self.mode = _mode(enabled)
        self.every = every if self.mode == "bar" else LINE_EVERY
        self._last = time.monotonic()
        self._shown = False
        self.done = 0
        self.stage_name = ""

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage starts: its name heads the following updates; in line mode one line says so."""
        self.stage_name, self.total, self.done = name, total, 0
        if self.mode == "lines":
            sys.stderr.write(f"{self.title}: {name}" + (f" ({total:,} units)" if total else "") + "\n")
            sys.stderr.flush()
            self._last = time.monotonic()

    def _text(self, fields: dict[str, Any]) -> str:
        parts = [self.title + (f" {self.stage_name}" if self.stage_name else "")]
        if self.total:
            frac = min(1.0, self.done / self.total)
            if self.mode == "bar":
                n = 24
                parts.append("[" + "#" * int(frac * n) + "." * (n - int(frac * n)) + f"] {self.done}/{self.total}")
            else:
                parts.append(f"{self.done:,}/{self.total:,}")
        parts += [f"{k} {_fmt(v)}" for k, v in fields.items()]
        parts.append(f"{self.elapsed:.1f}s")
        return "  ".join(parts)

    def update(self, done: int | None = None, force: bool = False, **fields: Any) -> None:
        if done is not None:
            self.done = done
        if self.mode == "off":
            return
        now = time.monotonic()
        if not force and now - self._last < self.every:
            return
        self._last = now
        if self.mode == "bar":
            sys.stderr.write("\r\x1b[2K" + self._text(fields))
            self._shown = True
        else:
            sys.stderr.write(self._text(fields) + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
            self._shown = False
