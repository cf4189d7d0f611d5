"""Run one sequence through the model and through Go, and compare them step by step.

The model side is ``model.harness.Sequential`` (each operation to its end):
the owner (thread 0) pushes and pops the head, a thief (thread 1) pops the
tail; for the pool, one goroutine (thread 0) on one P. After every step both
sides produce an observation: the operation's result and the observable
state, in the driver's JSON shape (properties/conformance/gocode.py):

- dequeue: ``[head, tail, [[slot, value], ...]]`` (non-empty slots only;
  value is the int, ``"nil"`` for dequeueNil, ``"val-only"`` for a slot whose
  typ word is nil but whose val word is not);
- chain: ``{"elts": [[len(vals), head, tail, prev != nil, slots], ...],
  "head": index of c.head}`` for every dequeue from c.tail along next
  (slots every CHAIN_SLOTS_EVERY operations and at the end, else null);
- pool: the number of GC cycles (poolCleanups) so far; the pool's fields
  are private to package sync, so what is compared is the result of every
  Get: the object's label, New's objects being -1, -2, ... in call order on
  both sides, so identity is compared exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from model.bits import unpack
from model.harness import Sequential
from model.params import Params
from model.poolqueue import TYP_NIL
from model.variants.base import Model
from properties.conformance.driver import GoDriver
from properties.conformance.sequences import Held, OpSeq, render_op
from properties.invariants import chain_elts

__all__ = ["Mismatch", "ModelRun", "run_model", "run_go", "compare", "model_params", "CHAIN_SLOTS_EVERY"]

_MODEL_WORD = {"pushHead": "push", "popHead": "pop", "popTail": "tail", "put": "put", "get": "get", "gc": "gc"}
# A chain's rings are compared slot by slot after every CHAIN_SLOTS_EVERY-th
# operation and after the last (head, tail, sizes and links after every one):
# the rings grow to 64 slots and more, and this keeps 10,000 sequences cheap.
CHAIN_SLOTS_EVERY = 4

_TID = {"pushHead": 0, "popHead": 0, "popTail": 1, "put": 0, "get": 0, "gc": 0}


def model_params(seq: OpSeq) -> Params:
    """The model's Params for ``seq``: Go's defaults (dequeueBits 32, initSize 8, one P)."""
    if seq.target == "dequeue":
        return Params(size=seq.size, start_index=seq.start)
    if seq.target == "pool":
        return Params(gomaxprocs=1, with_new=seq.with_new)
    return Params()


def _slot_word(typ: Any, val: Any) -> Any:
    if typ is None:
        return "val-only"
    return "nil" if typ == TYP_NIL else val


def _dequeue_state(mem: Any, d: int, bits: int) -> list[Any]:
    # dequeue_view's fields, read directly: this runs after every step.
    head, tail = unpack(mem[d], bits)
    vals = mem[d + 1]
    slots: list[list[Any]] = []
    if vals is not None:
        base, n = vals
        ring = mem[base:base + 2 * n]
        typs, words = ring[0::2], ring[1::2]
        slots = [[i, _slot_word(t, words[i])] for i, t in enumerate(typs) if t is not None or words[i] is not None]
    return [head, tail, slots]


def _chain_state(mem: Any, c: int, bits: int, with_slots: bool) -> dict[str, Any]:
    elts = chain_elts(mem, c)
    rows = []
    for d in elts:
        if with_slots:
            head, tail, slots = _dequeue_state(mem, d, bits)
        else:
            (head, tail), slots = unpack(mem[d], bits), None
        n = (mem[d + 1] or (0, 0))[1]
        rows.append([n, head, tail, mem[d + 3] is not None, slots])
    return {"elts": rows, "head": elts.index(mem[c]) if mem[c] in elts else -1}


@dataclass
class ModelRun:
    """The model's side of one sequence: the concrete commands sent to Go and one observation per command."""

    commands: list[dict[str, Any]]
    observations: list[dict[str, Any]]   # {"r": result, "s": state}, as the driver prints them
    panic: str | None = None             # the model stopped with a run-time panic at the last observation


def _canon(x: Any) -> Any:
    """Tuples as lists, so model and driver observations compare like JSON."""
    if isinstance(x, tuple | list):
        return [_canon(v) for v in x]
    if isinstance(x, dict):
        return {k: _canon(v) for k, v in x.items()}
    return x


def run_model(seq: OpSeq, model: type[Model] = Model) -> ModelRun:
    """Run ``seq`` on the model; ``Held`` puts are resolved against the objects the model's Gets returned."""
    params = model_params(seq)
    s = Sequential(seq.target, params, model, threads=1 if seq.target == "pool" else 2, track_races=False)
    bits = params.dequeue_bits
    root = s.world.root
    held: list[int] = []
    fresh = max([a for _, a in seq.ops if isinstance(a, int)] + [0])

    def state(slots: bool = True) -> Any:
        if seq.target == "dequeue":
            return _dequeue_state(s.mem, root, bits)
        if seq.target == "chain":
            return _chain_state(s.mem, root, bits, slots)
        assert s.world.rt is not None
        return s.mem[s.world.rt.numgc]

    new: dict[str, Any] = {"op": "new", "target": seq.target}
    if seq.target == "dequeue":
        new.update(size=seq.size, start=seq.start)
    elif seq.target == "pool":
        new["new"] = seq.with_new
    if seq.target == "chain":
        new["slots"] = True
    run = ModelRun([new], [{"r": None, "s": state()}])
    last = len(seq.ops) - 1
    for i, (op, arg) in enumerate(seq.ops):
        if isinstance(arg, Held):
            if held:
                arg = held.pop(arg.i % len(held))
            else:
                fresh += 1
                arg = fresh
        cmd: dict[str, Any] = {"op": op}
        if op in ("pushHead", "put"):
            cmd["v"] = arg
        slots = seq.target != "chain" or i % CHAIN_SLOTS_EVERY == 0 or i == last
        if seq.target == "chain" and slots:
            cmd["slots"] = True
        run.commands.append(cmd)
        nfaults = len(s.kernel.faults)
        result = s.call(_TID[op], _MODEL_WORD[op], arg)
        if len(s.kernel.faults) > nfaults:
            f = s.kernel.faults[-1]
            run.panic = f"{f.prop}: {f.message}"
            run.observations.append({"r": {"panic": run.panic}, "s": state(slots)})
            break
        if op == "get" and result is not None:
            held.append(result)
        if op == "put" and arg in held:
            held.remove(arg)
        if seq.target == "chain" and op == "pushHead":
            result = None  # poolChain.pushHead returns nothing
        run.observations.append({"r": _canon(result), "s": state(slots)})
    return run


def run_go(driver: GoDriver, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The driver's observations for ``commands``."""
    return [{"r": o.get("r"), "s": o.get("s")} for o in driver.exchange(commands)]


@dataclass(frozen=True)
class Mismatch:
    """The first step where the model and Go disagree."""

    target: str
    sequence: str           # the whole sequence, concrete (``new ...; pushHead 1; popTail; ...``)
    step: int               # 0 is the ``new`` step
    op: str                 # the operation at that step, e.g. ``popTail``
    model_result: Any
    model_state: Any
    go_result: Any
    go_state: Any
    go_version: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        def j(x: Any) -> str:
            return json.dumps(x, separators=(",", ":"))
        return (f"{self.target}: the model and Go ({self.go_version}) disagree at step {self.step}: {self.op}\n"
                f"  model: result {j(self.model_result)}  state {j(self.model_state)}\n"
                f"  go:    result {j(self.go_result)}  state {j(self.go_state)}\n"
                f"  sequence: {self.sequence}")


def _render(cmd: dict[str, Any]) -> str:
    if cmd["op"] == "new":
        if cmd["target"] == "dequeue":
            return f"new dequeue size={cmd['size']} start={cmd['start']}"
        return "new pool with New" if cmd.get("new") else f"new {cmd['target']}"
    return render_op(cmd["op"], cmd.get("v"))


def compare(seq: OpSeq, driver: GoDriver, model: type[Model] = Model) -> tuple[Mismatch | None, int]:
    """Run ``seq`` on both sides; return the first mismatch (or None) and the number of operations compared."""
    mrun = run_model(seq, model)
    gobs = run_go(driver, mrun.commands)
    for i, (m, g) in enumerate(zip(mrun.observations, gobs)):
        if m != g:
            text = "; ".join(_render(c) for c in mrun.commands[:max(i + 1, 1)])
            rest = len(mrun.commands) - i - 1
            if rest > 0:
                text += f"; ... ({rest} more)"
            return Mismatch(seq.target, text, i, _render(mrun.commands[i]), m["r"], m["s"], g["r"], g["s"],
                            driver.version), i + 1
    return None, len(mrun.observations)
