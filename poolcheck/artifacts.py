"""The one writer of counterexample folders (DESIGN.md section 7).

``save(cx, out)`` makes ``<out>/<property>-<variant>-<hash>/`` with
``trace.json`` and, through poolcheck.report, ``report.md`` and
``report.html``. Every file is written atomically.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from pathlib import Path

from model.tracefile import Counterexample, write_json_atomic

__all__ = ["save", "folder_name"]


def _slug(s: str) -> str:
    s = s.rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s).strip("_")[:48] or "variant"


def folder_name(cx: Counterexample) -> str:
    key = json.dumps([cx.target, cx.scenario, cx.params.to_json(), cx.variant, cx.schedule, cx.prop],
                     sort_keys=True)
    h = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"{cx.prop}-{_slug(cx.variant)}-{h}"


def save(cx: Counterexample, out: Path) -> Path:
    """Write the counterexample's folder under ``out``; return the folder."""
    folder = out / folder_name(cx)
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / "trace.json", cx.to_json())
    try:
        report = importlib.import_module("poolcheck.report")
    except ImportError:  # rendering arrives with the report issue; trace.json is enough to replay
        return folder
    report.render_folder(folder, cx)
    return folder
