"""Counterexamples as data: the trace.json format, its reader and the atomic writer.

Every engine produces a Counterexample; the tool layer (poolcheck/artifacts.py)
is the one writer that puts it on disk. A counterexample holds everything
needed to replay it exactly: target, scenario, parameters, variant spec and
the schedule (the thread chosen at each scheduling point). The steps are a
record for people and reports; replay recomputes them and checks they agree.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.kernel import Kernel, OpRecord, Step
from model.params import Params

__all__ = ["SCHEMA_VERSION", "Counterexample", "TraceFileError", "write_json_atomic", "write_text_atomic",
           "from_kernel", "load", "jsonable"]

SCHEMA_VERSION = 1


class TraceFileError(ValueError):
    """A trace file that cannot be read or replayed (the message says why)."""


def jsonable(v: Any) -> Any:
    """Model values as JSON: tuples become lists."""
    if isinstance(v, tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)


@dataclass
class Counterexample:
    """A violation with the execution that shows it."""

    target: str
    scenario: str
    params: Params
    variant: str                 # a spec resolve() accepts
    schedule: list[int]
    prop: str
    message: str
    engine: str = "kernel"
    steps: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    violating_step: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def replay_command(self, path: str = "trace.json") -> str:
        return f"poolcheck replay {path}"

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": "poolcheck",
            "engine": self.engine,
            "target": self.target,
            "scenario": self.scenario,
            "params": self.params.to_json(),
            "variant": self.variant,
            "property": self.prop,
            "message": self.message,
            "schedule": list(self.schedule),
            "violating_step": self.violating_step,
            "steps": self.steps,
            "history": self.history,
            "replay": self.replay_command(),
            "extra": jsonable(self.extra),
        }

    @staticmethod
    def from_json(d: Any) -> Counterexample:
        if not isinstance(d, dict):
            raise TraceFileError("not a poolcheck trace: the top level is not a JSON object")
        ver = d.get("schema_version")
        if ver != SCHEMA_VERSION:
            raise TraceFileError(f"trace schema_version {ver!r} is not supported (this poolcheck reads version "
                                 f"{SCHEMA_VERSION}); re-run the engine that made it")
        try:
            sched = d["schedule"]
            if not isinstance(sched, list) or not all(isinstance(t, int) and t >= 0 for t in sched):
                raise TraceFileError("trace field 'schedule' must be a list of thread ids (non-negative integers)")
            if not isinstance(d["params"], dict):
                raise TraceFileError("trace field 'params' must be an object")
            for k in ("target", "scenario", "variant", "property", "message"):
                if not isinstance(d[k], str):
                    raise TraceFileError(f"trace field {k!r} must be a string")
            return Counterexample(
                target=d["target"], scenario=d["scenario"], params=Params.from_json(d["params"]),
                variant=d["variant"], schedule=sched, prop=d["property"], message=d["message"],
                engine=str(d.get("engine", "kernel")), steps=list(d.get("steps") or []),
                history=list(d.get("history") or []), violating_step=d.get("violating_step"),
                extra=dict(d.get("extra") or {}))
        except KeyError as e:
            raise TraceFileError(f"trace is missing field {e.args[0]!r}") from None
        except TypeError as e:
            raise TraceFileError(f"trace has a malformed field: {e}") from None


def step_json(s: Step) -> dict[str, Any]:
    return {
        "index": s.index, "thread": s.tid, "op": s.op, "operation": s.op_name, "go": s.label, "effect": s.kind,
        "location": s.location, "addr": s.addr, "value": jsonable(s.value), "result": jsonable(s.result),
        "silent": s.silent, "writes": [[a, jsonable(v)] for a, v in s.writes],
        "returned": jsonable(s.returned) if s.op_done else None, "op_done": s.op_done,
    }


def history_json(r: OpRecord) -> dict[str, Any]:
    return {"thread": r.tid, "seq": r.seq, "operation": r.name, "arg": jsonable(r.arg), "call": r.call,
            "ret": r.ret, "result": jsonable(r.result), "epoch_call": r.epoch_call, "epoch_ret": r.epoch_ret}


def from_kernel(kernel: Kernel, *, target: str, scenario: str, params: Params, variant: str, prop: str,
                message: str, engine: str, violating_step: int | None = None,
                extra: dict[str, Any] | None = None) -> Counterexample:
    """A Counterexample from a finished kernel run (its schedule, steps and history)."""
    return Counterexample(target, scenario, params, variant, list(kernel.schedule), prop, message, engine,
                          [step_json(s) for s in kernel.trace], [history_json(r) for r in kernel.history],
                          violating_step, dict(extra or {}))


def load(path: str | os.PathLike[str]) -> Counterexample:
    """Read a trace.json; TraceFileError with a clear message if it is not one."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise TraceFileError(f"cannot read {p}: {e.strerror or e}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TraceFileError(f"{p} is not valid JSON (line {e.lineno}: {e.msg}); the file may be truncated") from None
    return Counterexample.from_json(data)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
