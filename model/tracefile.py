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

# The fields of a trace.json (schema version 1), documented once. poolcheck/trace_schema.json is the same
# contract as a JSON Schema; tests check that both agree and that every writer's output validates.
#
# schema_version  1
# tool            "poolcheck"
# engine          which engine found it: sample, explore, fuzz, bmc, ...
# target          dequeue | chain | pool
# scenario        the scenario text, e.g. "push push pop | tail tail"
# params          model/params.py Params as an object (dequeue_bits, size, init_size, ...)
# variant         the variant spec: a registered name, path/to/file.py:Class or module:Class
# property        the violated property id (properties/catalog.py), e.g. "D3"
# message         one sentence saying how it is violated
# schedule        the thread chosen at each scheduling point: replay follows it exactly
# violating_step  the step index where the violation shows, or null
# steps           every performed effect: index, thread, op (index in the thread's program), operation
#                 (scenario word), go (the Go statement), effect, location, addr, value (read or
#                 written; CompareAndSwap: [old, new]), result (what the effect returned), silent,
#                 writes ([addr, new value] pairs), returned (the operation's return value on its last
#                 step), op_done
# history         the operations: thread, seq, operation, arg, call and ret (step indices), result,
#                 epoch_call and epoch_ret (completed GCs)
# replay          the shell command that replays the file
# extra           engine-specific data (e.g. how the counterexample was shrunk)


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

    def to_json(self, replay_path: str = "trace.json") -> dict[str, Any]:
        """The trace.json object; ``replay_path`` is the path the replay command names."""
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
            "replay": self.replay_command(replay_path),
            "extra": jsonable(self.extra),
        }

    @staticmethod
    def from_json(d: Any) -> Counterexample:
        """Read a trace.json object; TraceFileError with a one-line reason if it is not a valid one."""
        if not isinstance(d, dict):
            raise TraceFileError("not a poolcheck trace: the top level is not a JSON object")
        if "schema_version" not in d:
            raise TraceFileError("not a poolcheck trace: it has no 'schema_version' field")
        ver = d["schema_version"]
        if ver != SCHEMA_VERSION:
            raise TraceFileError(f"trace schema_version {ver!r} is not supported (this poolcheck reads version "
                                 f"{SCHEMA_VERSION}); re-run the engine that made it")
        _check_fields(d)
        return Counterexample(
            target=d["target"], scenario=d["scenario"], params=Params.from_json(d["params"]),
            variant=d["variant"], schedule=list(d["schedule"]), prop=d["property"], message=d["message"],
            engine=str(d.get("engine", "kernel")), steps=list(d.get("steps") or []),
            history=list(d.get("history") or []), violating_step=d.get("violating_step"),
            extra=dict(d.get("extra") or {}))


_TARGETS = ("dequeue", "chain", "pool")
_STEP_TYPES: dict[str, tuple[type, ...]] = {
    "index": (int,), "thread": (int,), "op": (int,), "operation": (str,), "go": (str,), "effect": (str,),
    "location": (str,), "silent": (bool,), "op_done": (bool,), "writes": (list,),
}
_HISTORY_TYPES: dict[str, tuple[type, ...]] = {"thread": (int,), "seq": (int,), "operation": (str,), "call": (int,)}


_TYPE_NAMES: dict[type, str] = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
                                int: "an integer", float: "a number", type(None): "null"}


def _kind(v: Any) -> str:
    """What a JSON value is, in words."""
    return _TYPE_NAMES.get(type(v), type(v).__name__)


def _names(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def _is(v: Any, types: tuple[type, ...]) -> bool:
    """isinstance, except that a JSON boolean is not an integer."""
    if isinstance(v, bool) and bool not in types:
        return False
    return isinstance(v, types)


def _check_fields(d: dict[str, Any]) -> None:
    """The checks poolcheck/trace_schema.json states, with messages that name the field."""
    for k in ("target", "scenario", "params", "variant", "property", "message", "schedule"):
        if k not in d:
            raise TraceFileError(f"trace is missing field {k!r}")
    for k in ("target", "scenario", "variant", "property", "message"):
        if not isinstance(d[k], str):
            raise TraceFileError(f"trace field {k!r} must be a string, not {_kind(d[k])}")
    if d["target"] not in _TARGETS:
        raise TraceFileError(f"trace field 'target' is {d['target']!r}: use one of {', '.join(_TARGETS)}")
    sched = d["schedule"]
    if not isinstance(sched, list) or not all(_is(t, (int,)) and t >= 0 for t in sched):
        raise TraceFileError("trace field 'schedule' must be a list of thread ids (non-negative integers)")
    params = d["params"]
    if not isinstance(params, dict):
        raise TraceFileError(f"trace field 'params' must be an object, not {_kind(params)}")
    fields = Params.__dataclass_fields__
    for k, v in params.items():
        if k not in fields:
            raise TraceFileError(f"trace field 'params' has an unknown parameter {k!r} (known: {', '.join(fields)})")
        want: tuple[type, ...] = (bool,) if k == "with_new" else (int, type(None)) if k == "dequeue_limit" else (int,)
        if not _is(v, want):
            raise TraceFileError(f"trace parameter {k!r} must be {_names(want)}, not {_kind(v)}")
    vs = d.get("violating_step")
    if vs is not None and not (_is(vs, (int,)) and vs >= 0):
        raise TraceFileError("trace field 'violating_step' must be a step index (a non-negative integer) or null")
    if "engine" in d and not isinstance(d["engine"], str):
        raise TraceFileError(f"trace field 'engine' must be a string, not {_kind(d['engine'])}")
    if d.get("extra") is not None and not isinstance(d["extra"], dict):
        raise TraceFileError(f"trace field 'extra' must be an object, not {_kind(d['extra'])}")
    for name, types in (("steps", _STEP_TYPES), ("history", _HISTORY_TYPES)):
        items = d.get(name)
        if items is None:
            continue
        if not isinstance(items, list):
            raise TraceFileError(f"trace field {name!r} must be a list, not {_kind(items)}")
        for i, it in enumerate(items):
            if not isinstance(it, dict):
                raise TraceFileError(f"trace {name}[{i}] must be an object, not {_kind(it)}")
            for k, t in types.items():
                if k not in it:
                    raise TraceFileError(f"trace {name}[{i}] is missing field {k!r}")
                if not _is(it[k], t):
                    raise TraceFileError(f"trace {name}[{i}].{k} must be {_names(t)}, not {_kind(it[k])}")


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
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; reports are meant to be read (CI artifacts, web servers)
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
