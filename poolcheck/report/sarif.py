"""Counterexamples for code scanning: SARIF 2.1.0 and GitHub Actions annotations.

``to_sarif(cx)`` is one SARIF log with one run and one result per
counterexample: the property id is the rule id; the result points at the
line of the model (or of the variant's module, for a mutant) that carries
the Go statement of the violating step; its code flow has one thread flow
per goroutine, each step a location at the model line that performs it,
with the Go statement, the installed Go file and line (properties/
conformance/golines.py), and the value in the message.

``annotations(cx)`` is the same pointer as one ``::error file=...,line=...``
workflow command (GitHub Actions).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from model.tracefile import Counterexample

__all__ = ["to_sarif", "github_annotations", "emit", "SARIF_SCHEMA_URI", "step_go_location"]

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_MODEL_FILES = ("model/poolqueue.py", "model/pool.py", "model/harness.py")


def step_go_location(label: str) -> str:
    """``src/sync/poolqueue.go:123`` for a label, or "" when the installed source does not have it."""
    from properties.conformance.golines import go_line
    g = go_line(label)
    if g is None:
        return ""
    p = Path(g[0])
    return f"{'/'.join(p.parts[-3:])}:{g[1]}"


def _override_line(cx: Counterexample, label: str) -> tuple[str, int] | None:
    """The line quoting ``label`` inside a class the variant's module defines for it (its overridden functions)."""
    from properties.conformance.golines import REPO_ROOT
    try:
        from model.variants import resolve
        model = resolve(cx.variant)
    except Exception:  # noqa: BLE001 - an unknown variant still gets the model's lines
        return None
    for cls in vars(model).values():
        if not (isinstance(cls, type) and cls.__module__ == model.__module__):
            continue
        f = inspect.getsourcefile(cls)
        lines, start = inspect.getsourcelines(cls)
        for i, text in enumerate(lines):
            if f'"{label}"' in text and f:
                p = Path(f).resolve()
                rel = str(p.relative_to(REPO_ROOT)) if p.is_relative_to(REPO_ROOT) else str(p)
                return rel, start + i
    return None


def _where(cx: Counterexample, label: str) -> tuple[str, int]:
    from properties.conformance.golines import REPO_ROOT, model_line
    return (_override_line(cx, label) or model_line(label, tuple(str(REPO_ROOT / f) for f in _MODEL_FILES))
            or ("model/poolqueue.py", 1))


def _loc(uri: str, line: int, text: str | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "SRCROOT"},
                                                "region": {"startLine": line}}}
    if text is not None:
        loc["message"] = {"text": text}
    return loc


def _violating(cx: Counterexample) -> dict[str, Any] | None:
    steps = cx.steps
    if not steps:
        return None
    if cx.violating_step is not None and 0 <= cx.violating_step < len(steps):
        return steps[cx.violating_step]
    loud = [s for s in steps if not s.get("silent")]
    return (loud or steps)[-1]


def _step_text(s: dict[str, Any]) -> str:
    go = step_go_location(s["go"])
    at = f" ({go})" if go else ""
    return f"T{s['thread']} {s['operation']}: {s['go']}{at} = {s.get('value')!r}"


def to_sarif(cx: Counterexample, trace_uri: str = "trace.json") -> dict[str, Any]:
    """One SARIF 2.1.0 log for ``cx``."""
    v = _violating(cx)
    label = v["go"] if v else ""
    uri, line = _where(cx, label)
    go = step_go_location(label) if label else ""
    msg = f"{cx.prop} violated on {cx.variant} ({cx.target} \"{cx.scenario}\"): {cx.message}"
    if label:
        msg += f". Violating step: {label}" + (f" ({go})" if go else "")
    threads: dict[int, list[dict[str, Any]]] = {}
    for s in cx.steps:
        if s.get("silent"):
            continue
        u, ln = _where(cx, s["go"])
        threads.setdefault(int(s["thread"]), []).append(
            {"location": _loc(u, ln, _step_text(s)), "executionOrder": int(s["index"]),
             "properties": {"go": s["go"], "goLocation": step_go_location(s["go"]), "step": int(s["index"])}})
    flows = [{"id": f"T{t}", "message": {"text": f"goroutine T{t}"}, "locations": locs}
             for t, locs in sorted(threads.items())]
    result: dict[str, Any] = {
        "ruleId": cx.prop, "level": "error", "message": {"text": msg},
        "locations": [_loc(uri, line)],
        "properties": {"replay": f"poolcheck replay {trace_uri}", "schedule": list(cx.schedule),
                       "engine": cx.engine},
    }
    if flows:
        result["codeFlows"] = [{"message": {"text": f"schedule {cx.schedule}"}, "threadFlows": flows}]
    try:
        from properties.catalog import get
        desc = get(cx.prop).name
    except Exception:  # noqa: BLE001 - the rule's name is decoration
        desc = cx.prop
    rule = {"id": cx.prop, "name": str(desc).replace(" ", "-") or cx.prop,
            "shortDescription": {"text": str(desc)}}
    return {
        "$schema": SARIF_SCHEMA_URI, "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "poolcheck", "informationUri": "https://github.com/poolcheck",
                                      "rules": [rule]}},
                  "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the poolcheck repository"}}},
                  "results": [result]}],
    }


def _esc(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop_esc(s: str) -> str:
    return _esc(s).replace(":", "%3A").replace(",", "%2C")


def github_annotations(cx: Counterexample) -> list[str]:
    """GitHub Actions workflow commands (``::error file=...,line=...,title=...::message``) for ``cx``."""
    v = _violating(cx)
    label = v["go"] if v else ""
    uri, line = _where(cx, label)
    go = step_go_location(label) if label else ""
    msg = f"{cx.message}" + (f" [{label}" + (f" at {go}" if go else "") + "]" if label else "")
    title = f"poolcheck {cx.prop} on {cx.variant}"
    return [f"::error file={_prop_esc(uri)},line={line},title={_prop_esc(title)}::{_esc(msg)}"]


def emit(cx: Counterexample, sarif: Path | None, github: bool, trace_path: str = "trace.json") -> None:
    """Write ``sarif`` (atomically) and/or print the annotations, for the replay command."""
    import json

    from model.tracefile import write_text_atomic
    if sarif is not None:
        write_text_atomic(sarif, json.dumps(to_sarif(cx, trace_path), indent=2) + "\n")
    if github:
        for line in github_annotations(cx):
            print(line)
