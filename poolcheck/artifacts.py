"""The one writer of counterexample folders (DESIGN.md section 7).

``save(cx, out)`` makes ``<out>/<property>-<variant>-<hash>/`` with
``trace.json`` (model/tracefile.py's format), ``report.md`` and
``report.html`` (poolcheck.report). Every engine goes through here; every
file is written atomically (a temporary file, then a rename), so a reader
never sees half a report. The hash covers what makes the execution
(target, scenario, params, variant, schedule, property): saving the same
counterexample twice rewrites the same folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from model.tracefile import Counterexample, write_json_atomic
from poolcheck import report
from properties.sinks import Saver

__all__ = ["save", "saver", "folder_name", "display_path", "saved"]

# Every folder written by this process, with who wrote it (the pytest test, when under pytest): the pytest
# plugin replays them all at the end of a session.
_SAVED: list[tuple[Path, str]] = []


def saved() -> list[tuple[Path, str]]:
    """(folder, writer) for every counterexample saved by this process, in order."""
    return list(_SAVED)


def _slug(s: str) -> str:
    s = s.rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s).strip("_")[:48] or "variant"


def folder_name(cx: Counterexample) -> str:
    key = json.dumps([cx.target, cx.scenario, cx.params.to_json(), cx.variant, cx.schedule, cx.prop],
                     sort_keys=True)
    h = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"{cx.prop}-{_slug(cx.variant)}-{h}"


def display_path(p: Path) -> str:
    """``p`` relative to the working directory when it is below it, else absolute (for commands people copy)."""
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p.resolve())


def save(cx: Counterexample, out: Path) -> Path:
    """Write the counterexample's folder under ``out``; return the folder."""
    folder = Path(out) / folder_name(cx)
    folder.mkdir(parents=True, exist_ok=True)
    trace = folder / "trace.json"
    shown = display_path(trace)
    write_json_atomic(trace, cx.to_json(replay_path=shown))
    report.render_folder(folder, cx, shown)
    _SAVED.append((folder, os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]))
    return folder


def saver(out: Path) -> Saver:
    """``save`` into ``out``, as the sink properties/ takes (properties.sinks.Saver)."""
    return lambda cx: save(cx, out)
