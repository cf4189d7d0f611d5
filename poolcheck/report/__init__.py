"""What a counterexample report says, worked out once for both renderings.

``build_report(cx)`` replays the counterexample (poolcheck.replay) with a hook
that snapshots memory after every scheduling point, and turns the execution
into a ``Report``: the property and its statement from the catalog, one row
per scheduling point (silent steps folded into the row of the step before
them), the shared state after each row decoded (headTail as head and tail,
ring slots as values), the steps that matter, and one sentence saying what
went wrong, derived from the history and the memory writes rather than copied
from the checker. ``render_folder`` writes report.md (poolcheck.report.md) and
report.html (poolcheck.report.html) next to trace.json.

If the trace cannot be replayed here (a user's variant file that moved, a
schedule that no longer fits), the report is built from the recorded steps
alone and says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.bits import unpack
from model.kernel import Kernel
from model.memory import Block, blocks
from model.params import Params
from model.poolqueue import TYP_NIL
from model.tracefile import Counterexample, TraceFileError, history_json, step_json, write_text_atomic
from model.variants import VariantError, resolve
from poolcheck.replay import ReplayResult, replay
from poolcheck.report.sarif import step_go_location
from properties import catalog

__all__ = ["Report", "Row", "Line", "BlockView", "Slot", "build_report", "render_folder", "compact_trace", "GO_REPLAY_FILE",
           "thread_name", "MAX_STATE_ROWS"]

# Beyond this many rows the HTML keeps the state of marked rows and the last one only.
MAX_STATE_ROWS = 160

_POINTER_FIELDS = ("head", "tail", "next", "prev", "local", "victim", "shared.head", "shared.tail")
_OPS_RETURNING_PAIR = ("pop", "tail")


# -- the data a rendering needs -------------------------------------------------------------------
@dataclass
class Slot:
    index: int
    text: str           # "3", "nil", "" (empty)
    live: bool          # in [tail, head)
    changed: bool
    typ: str            # "T", "dequeueNil" or "" (empty)


@dataclass
class BlockView:
    """One allocated block after a row: a dequeue with its ring, or a list of fields."""

    name: str
    kind: str                                   # "dequeue" | "fields"
    fields: list[tuple[str, str, bool]]         # (field, text, changed)
    head: int = 0
    tail: int = 0
    size: int = 0
    slots: list[Slot] = field(default_factory=list)
    head_tail_changed: bool = False
    reachable: bool = True

    @property
    def count(self) -> int:
        return sum(1 for s in self.slots if s.live)


@dataclass
class Line:
    """One step of the trace, ready to print."""

    step: int
    tid: int
    file: str           # poolqueue.go, pool.go, or "" (user code, runtime)
    func: str           # pushHead, popTail, Get, ...
    stmt: str           # the Go statement
    effect: str         # Load, CompareAndSwap, write, ...
    location: str
    value: str          # value read or written, decoded
    silent: bool
    op: str             # the operation, e.g. "push(3)"
    op_start: bool      # first step of its operation
    ret: str | None     # the operation's return value on its last step
    mark: str = ""      # "violation" | "involved" | ""
    goline: str = ""    # the statement in the installed Go source, e.g. src/sync/poolqueue.go:81 ("" if none)

    @property
    def go(self) -> str:
        return f"{self.func}: {self.stmt}" if self.func else self.stmt


@dataclass
class Row:
    """A scheduling point: a step and the silent steps that ran on with it."""

    index: int
    tid: int
    lines: list[Line]
    state: list[BlockView] | None   # shared state after the row (None if not known)
    mark: str = ""

    @property
    def first(self) -> int:
        return self.lines[0].step


@dataclass
class ThreadInfo:
    tid: int
    name: str        # "owner", "thief 1", "goroutine 0"
    short: str       # "T0"
    ops: str         # its operations, e.g. "push push pop"


@dataclass
class Report:
    cx: Counterexample
    prop: str
    prop_name: str
    statement: str
    source: str
    headline: str                  # the sentence that says what went wrong
    message: str                   # the checker's message
    threads: list[ThreadInfo]
    rows: list[Row]
    final_state: list[BlockView] | None
    variant_description: str
    reproduced: bool | None        # None: could not replay here
    notes: list[str]
    params_text: str
    trace_path: str = "trace.json"
    # The schedule replayed on the real Go code (``poolcheck replay TRACE --on go`` saves it in the folder as
    # go_replay.json): the data of properties.conformance.goreplay_cli.go_replay, or None if not run.
    go: dict[str, Any] | None = None

    @property
    def steps(self) -> int:
        return sum(len(r.lines) for r in self.rows)

    @property
    def scenario_line(self) -> str:
        return f'{self.cx.target} "{self.cx.scenario}"'

    @property
    def replay_command(self) -> str:
        return f"poolcheck replay {self.trace_path}"

    @property
    def fix_command(self) -> str:
        return f"poolcheck replay {self.trace_path} --variant reference"

    @property
    def go_command(self) -> str:
        return f"poolcheck replay {self.trace_path} --on go"

    @property
    def on_go(self) -> bool:
        """Whether the schedule can run on the real Go code: Go's width, and the reference or a Go mutant."""
        from properties.conformance.goreplay_cli import why_not_on_go
        try:
            return why_not_on_go(self.cx) is None
        except VariantError:
            return False

    @property
    def go_lines(self) -> list[str]:
        """What the real Go code did under this schedule (empty: not replayed on Go yet)."""
        g = self.go
        if not g:
            return []
        same = " (every step, value and result identical to the model's)" if g.get("same_steps_and_results") else ""
        out = [f"Reproduced on the real Go code: {'yes' if g.get('reproduced') else 'no'}{same}.",
               f"Go code: {g.get('go_code')} ({g.get('go_version', 'go')}), {g.get('steps')} hooked steps."]
        if g.get("violating_go_step") is not None:
            out.append(f"The violation shows at Go step {g['violating_go_step']}.")
        if g.get("duplicated"):
            out.append(f"Duplicated on Go (handed out twice, or handed out and still inside): {g['duplicated']}.")
        if g.get("not_returned"):
            out.append(f"Lost on Go (never handed out, no longer inside): {g['not_returned']}.")
        if g.get("first_difference"):
            out.append(f"The model and Go differ: {g['first_difference']}.")
        return out

    @property
    def marked_rows(self) -> list[int]:
        return [r.index for r in self.rows if r.mark]

    @property
    def violating_row(self) -> int | None:
        for r in self.rows:
            if r.mark == "violation":
                return r.index
        return None


# -- naming ------------------------------------------------------------------------------------------
def thread_name(target: str, tid: int) -> str:
    """How reports call a thread: the owner and thieves of a queue, goroutines of a pool."""
    if target == "pool":
        return f"goroutine {tid}"
    return "owner" if tid == 0 else f"thief {tid}"


def _split_label(label: str) -> tuple[str, str, str]:
    """'poolqueue.go:popTail: ptrs := d.headTail.Load()' -> ('poolqueue.go', 'popTail', 'ptrs := ...')."""
    head, sep, stmt = label.partition(": ")
    if not sep:
        return "", "", label
    if ".go:" in head:
        f, _, fn = head.partition(":")
        return f, fn, stmt
    return "", head, stmt


def _is_pair(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) == 2


def _go(v: Any) -> str:
    """A Go value as text: nil for None, true/false for booleans."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _eface(typ: Any, val: Any) -> str:
    if typ is None:
        return "empty"
    if typ == TYP_NIL:
        return "nil"
    return _go(val)


def _returned(op: str, v: Any) -> str | None:
    """An operation's return value as Go prints it; None for operations that return nothing."""
    if op in _OPS_RETURNING_PAIR and _is_pair(v):
        return f"({_go(v[0])}, {_go(v[1])})"
    if v is None and (op in ("put", "gc") or op.startswith(("push", "procs="))):
        return None
    return _go(v)


class _Names:
    """Block names by base address, for printing pointers."""

    def __init__(self, mem: Sequence[Any] | None) -> None:
        self.by_base: dict[int, str] = {}
        if mem is not None:
            for base, h in blocks(mem):
                self.by_base[base] = h.name

    def ptr(self, v: Any) -> str:
        if v is None:
            return "nil"
        if isinstance(v, int) and not isinstance(v, bool) and v in self.by_base:
            return self.by_base[v]
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(self.ptr(x) for x in v) + "]"
        return str(v)


def _is_pointer_field(location: str) -> bool:
    return any(location.endswith("." + f) or location.endswith("]." + f) for f in _POINTER_FIELDS) or \
        location.endswith(("allPools", "oldPools"))


def _ht(v: Any, bits: int) -> str:
    if not isinstance(v, int) or isinstance(v, bool):
        return _go(v)
    h, t = unpack(v, bits)
    return f"head {h}, tail {t}"


def _value_text(s: dict[str, Any], bits: int, names: _Names) -> str:
    """The value a step read or wrote, decoded for people."""
    kind, loc, value, result = s["effect"], s["location"], s["value"], s["result"]
    if loc.endswith("headTail"):
        if kind == "CompareAndSwap" and _is_pair(value):
            old, new = value
            return f"{_ht(old, bits)} → {_ht(new, bits)} " + ("succeeded" if result else "failed")
        if kind == "Add":
            return "→ " + _ht(result, bits)
        return _ht(value if kind == "Store" else result, bits)
    if kind == "CompareAndSwap" and _is_pair(value):
        old, new = value
        return f"{names.ptr(old)} → {names.ptr(new)} " + ("succeeded" if result else "failed")
    if loc.endswith(".vals") and kind in ("read", "write"):
        v = result if kind == "read" else value
        return f"{names.ptr(v[0])}, len {v[1]}" if _is_pair(v) else "nil"
    if kind in ("read", "write"):
        v = value if kind == "write" else result
        if _is_pair(v) and (loc.endswith("]") or v[0] in (None, "T", TYP_NIL)):
            return _eface(v[0], v[1])
        if loc.endswith(".typ"):
            return "typ = " + ("nil" if v is None else "dequeueNil" if v == TYP_NIL else "set")
        return names.ptr(v) if _is_pointer_field(loc) else _go(v)
    if kind in ("Load", "Store"):
        v = value if kind == "Store" else result
        if loc.endswith(".typ"):
            return "typ = " + ("nil" if v is None else "dequeueNil" if v == TYP_NIL else "set")
        return names.ptr(v) if _is_pointer_field(loc) else _go(v)
    if kind == "Add":
        return "→ " + _go(result)
    if kind == "procPin":
        return f"P{_go(result)}"
    if kind == "alloc":
        return "new " + names.ptr(result)
    if kind == "index":
        return "&" + str(loc.rsplit(".", 1)[0] if "." in loc else loc)
    return ""


# -- memory views -------------------------------------------------------------------------------------
def _state(mem: Sequence[Any], changed: set[int], bits: int, reachable: set[int] | None) -> list[BlockView]:
    bl = blocks(mem)
    names = _Names(mem)
    rings = {base: h for base, h in bl if h.name.startswith("ring")}
    out: list[BlockView] = []
    payloads: list[tuple[str, str, bool]] = []
    for base, h in bl:
        if base in rings:
            continue
        if h.name.startswith("obj") and h.fields == ("payload",):
            payloads.append((f"{h.name}.payload", _go(mem[base]), base in changed))
            continue
        if "headTail" in h.fields:
            out.append(_dequeue_view(mem, base, h, changed, bits, names, reachable))
            continue
        flds = []
        for i, f in enumerate(h.fields):
            v = mem[base + i]
            loc = f"{h.name}.{f}"
            text = names.ptr(v) if _is_pointer_field(loc) else _go(v)
            if f.startswith("pinned[") or f == "allPoolsMu":
                text = {0: "no", 1: "yes"}.get(v, text) if f.startswith("pinned[") else {0: "unlocked", 1: "locked"}.get(v, text)
            flds.append((f, text, base + i in changed))
        if h.name == "runtime" and mem[0] != -1:
            flds.append(("world", f"stopped by thread {mem[0]}", 0 in changed))
        out.append(BlockView(h.name, "fields", flds))
    if payloads:
        out.append(BlockView("objects", "fields", payloads))
    return out


def _dequeue_view(mem: Sequence[Any], base: int, h: Block, changed: set[int], bits: int, names: _Names,
                  reachable: set[int] | None) -> BlockView:
    ht = mem[base]
    head, tail = unpack(ht, bits) if isinstance(ht, int) else (0, 0)
    vals = mem[base + 1]
    slots: list[Slot] = []
    n = 0
    if _is_pair(vals):
        rbase, n = vals
        m = (1 << bits) - 1
        cnt = (head - tail) & m
        live = {((tail + i) & m) & (n - 1) for i in range(min(cnt, n))} if n else set()
        for i in range(n):
            typ, val = mem[rbase + 2 * i], mem[rbase + 2 * i + 1]
            slots.append(Slot(i, "" if typ is None else _eface(typ, val), i in live,
                              rbase + 2 * i in changed or rbase + 2 * i + 1 in changed,
                              "" if typ is None else str(typ)))
    flds = [(f, names.ptr(mem[base + i]), base + i in changed) for i, f in enumerate(h.fields)
            if f in ("next", "prev")]
    return BlockView(h.name, "dequeue", flds, head, tail, n, slots, base in changed,
                     reachable is None or base in reachable)


def _reachable(mem: Sequence[Any], target: str) -> set[int] | None:
    """Dequeues a consumer can still reach (chain and pool targets); None when every one is."""
    if target == "dequeue":
        return None
    from properties.invariants import chain_reachable
    out: set[int] = set()
    for base, h in blocks(mem):
        if h.fields == ("head", "tail"):
            out.update(chain_reachable(mem, base))
        elif "shared.head" in " ".join(h.fields):
            for i, f in enumerate(h.fields):
                if f.endswith("shared.head"):
                    out.update(chain_reachable(mem, base + i))
    return out


# -- building the report -----------------------------------------------------------------------------
@dataclass
class _Run:
    steps: list[dict[str, Any]]
    history: list[dict[str, Any]]
    snapshots: list[tuple[int, list[Any]]]      # (steps so far, memory) after each scheduling point
    mem0: list[Any] | None
    result: ReplayResult | None


def _replay(cx: Counterexample, notes: list[str]) -> _Run:
    snaps: list[tuple[int, list[Any]]] = []

    def hook(k: Kernel) -> None:
        snaps.append((len(k.trace), list(k.mem)))

    try:
        res = replay(cx, on_step=hook)
    except (TraceFileError, VariantError) as e:
        notes.append(f"This report shows the recorded steps only: the trace cannot be replayed here ({e}).")
        return _Run(list(cx.steps), list(cx.history), [], None, None)
    return _Run([step_json(s) for s in res.kernel.trace], [history_json(r) for r in res.kernel.history], snaps,
                list(res.world.mem0), res)


def _rows_of(steps: list[dict[str, Any]], snaps: list[tuple[int, list[Any]]]) -> list[tuple[list[int], int]]:
    """Step indices of each row and the snapshot index after it (-1: none)."""
    out: list[tuple[list[int], int]] = []
    if snaps:
        start = 0
        for si, (end, _) in enumerate(snaps):
            if end > start:
                out.append((list(range(start, end)), si))
            start = end
        return out
    for i, s in enumerate(steps):
        if s.get("silent") and out and steps[out[-1][0][-1]]["thread"] == s["thread"]:
            out[-1][0].append(i)
        else:
            out.append(([i], -1))
    return out


def _writes(steps: Sequence[dict[str, Any]], mem0: list[Any]) -> Iterator[tuple[dict[str, Any], list[tuple[int, Any, Any]]]]:
    """Each step with its writes as (addr, before, after), replaying writes on a copy of ``mem0``."""
    mem = list(mem0)
    for s in steps:
        ws = []
        for a, v in s.get("writes") or []:
            if a >= len(mem):
                mem.extend([None] * (a + 1 - len(mem)))
            ws.append((a, mem[a], v))
            mem[a] = v
        yield s, ws


@dataclass
class _Story:
    headline: str
    steps: set[int] = field(default_factory=set)     # steps that matter
    addrs: set[int] = field(default_factory=set)     # cells that matter
    violation_step: int | None = None


def _who(target: str, tid: int) -> str:
    """A thread as the subject of a sentence: "the owner", "thief 1", "goroutine 0"."""
    name = thread_name(target, tid)
    return "the owner" if name == "owner" else name


def _first_value(msg: str, pattern: str) -> int | None:
    m = re.search(pattern, msg)
    return int(m.group(1)) if m else None


def _returns(hist: Sequence[dict[str, Any]], v: int) -> list[dict[str, Any]]:
    out = []
    for r in hist:
        if r.get("ret") is None:
            continue
        res: Any = r.get("result")
        if r["operation"] in _OPS_RETURNING_PAIR and _is_pair(res) and res[1] and res[0] == v:
            out.append(r)
        elif r["operation"] == "get" and res == v:
            out.append(r)
    return sorted(out, key=lambda r: r["ret"])


def _holds_value(location: str) -> bool:
    """Whether a cell can hold a pushed or Put value (rather than an index, a size or a pointer)."""
    return location.endswith((".private", ".val", "payload")) or ".vals[" in location


def _touches(s: dict[str, Any], v: int) -> bool:
    def has(x: Any) -> bool:
        if isinstance(x, (list, tuple)):
            return any(has(y) for y in x)
        return x == v and not isinstance(x, bool)
    holds = _holds_value(str(s.get("location", "")))
    return (holds and (has(s.get("value")) or has(s.get("result")))) or \
        (bool(s.get("op_done")) and has(s.get("returned")))


def _sentence(message: str) -> str:
    """``message`` as a sentence: a capital first letter, unless it starts with a Go name (``d1.vals``, ``c.tail``,
    ``headTail``) that must keep its case; a final full stop."""
    first = message.split(" ", 1)[0]
    code = any(ch in first for ch in ".[]()_") or first[1:] != first[1:].lower()
    head = message if code else message[:1].upper() + message[1:]
    return head + ("" if message.endswith(".") else ".")


def _story_duplicate(cx: Counterexample, run: _Run, v: int) -> _Story | None:
    rets = _returns(run.history, v)
    if len(rets) < 2:
        return None
    what = "object" if cx.target == "pool" else "value"
    times = {2: "twice", 3: "three times"}.get(len(rets), f"{len(rets)} times")
    by = " and ".join(f"by {_who(cx.target, r['thread'])} at step {r['ret']}" for r in rets)
    put = "Put once" if cx.target == "pool" else "pushed once"
    story = _Story(f"{what.capitalize()} {v} was returned {times}: {by}, though it was {put}.",
                   violation_step=rets[-1]["ret"])
    story.steps = {r["ret"] for r in rets}
    story.steps |= {s["index"] for s in run.steps if _touches(s, v)}
    return story


def _story_lost(cx: Counterexample, run: _Run, v: int) -> _Story | None:
    if run.mem0 is None:
        return None
    what, put, get, where = (("object", "Put", "Get", "pool") if cx.target == "pool"
                             else ("value", "pushed", "pop", "queue"))
    story = _Story("")
    pushed_at = next((r["ret"] for r in run.history if r.get("arg") == v and r.get("ret") is not None), None)
    holder: dict[int, int] = {}                          # cell -> step that stored v there
    destroyed: tuple[dict[str, Any], int, Any] | None = None
    for s, ws in _writes(run.steps, run.mem0):
        for a, before, after in ws:
            if after == v and before != v:
                holder[a] = s["index"]
            elif before == v and after != v and a in holder:
                destroyed = (s, a, after)
                del holder[a]
        if _touches(s, v):
            story.steps.add(s["index"])
    pusher = next((r["thread"] for r in run.history if r.get("arg") == v), None)
    by_pusher = "" if pushed_at is None else f" at step {pushed_at}"
    if pusher is not None:
        by_pusher = f" by {_who(cx.target, pusher)}" + by_pusher
    sentence = f"{what.capitalize()} {v} was lost: it was {put}{by_pusher}"
    if destroyed is not None:
        s, a, after = destroyed
        loc = s["location"] or f"cell {a}"
        who = _who(cx.target, s["thread"])
        _, fn, _ = _split_label(s["go"])
        new = "nil" if after is None else str(after)
        sentence += f", then at step {s['index']} {who}'s {fn or s['operation']} overwrote {loc} (holding {v}) with {new}"
        story.addrs.add(a)
        story.violation_step = s["index"]
        story.steps.add(s["index"])
        readers = [t for t in run.steps if t["index"] > s["index"] and t["thread"] != s["thread"] and
                   t["location"] == loc and t["effect"] in ("read", "Load")]
        if readers:
            r = readers[0]
            rw = _who(cx.target, r["thread"])
            claim = _claim(run.steps, r, s["index"])
            if claim is not None:
                _, cfn, _ = _split_label(claim["go"])
                sentence += (f", although {rw}'s {cfn} had claimed that slot at step {claim['index']} (its "
                             f"CompareAndSwap moved tail past it) and had not read it yet")
                story.steps.add(claim["index"])
            sentence += (f"; {rw} then read {_value_text(r, cx.params.dequeue_bits, _Names(None))} from it at "
                         f"step {r['index']}")
            story.steps.add(r["index"])
        sentence += f". No {get} returned {v} and it is not in the {where} at the end."
    elif holder:
        a, at = max(holder.items(), key=lambda kv: kv[1])
        final = run.snapshots[-1][1] if run.snapshots else None
        loc = next((s["location"] for s in run.steps if s["index"] == at), f"cell {a}")
        blk = loc.split(".", 1)[0]
        sentence += f"; it is still in {loc}"
        unlink = _unlink_step(run, blk, final)
        if unlink is not None:
            who = _who(cx.target, unlink["thread"])
            _, fn, stmt = _split_label(unlink["go"])
            sentence += f", but {blk} is no longer reachable: {who} unlinked it at step {unlink['index']} ({fn}: {stmt})"
            seen = [t for t in run.steps if t["thread"] == unlink["thread"] and t["op"] == unlink["op"] and
                    t["index"] < at and t["location"] == f"{blk}.headTail" and t["effect"] == "Load" and
                    isinstance(t["result"], int) and len(set(unpack(t["result"], cx.params.dequeue_bits))) == 1]
            if seen:
                sentence += (f", after its {fn} had found {blk} empty at step {seen[-1]['index']}, before {v} was "
                             f"stored in it")
                story.steps.add(seen[-1]["index"])
            story.violation_step = unlink["index"]
            story.steps.add(unlink["index"])
        story.addrs.add(a)
        story.steps.add(at)
        sentence += f". No {get} can return {v} any more."
    else:
        sentence += f", and no {get} returned it."
    story.headline = sentence
    return story


def _claim(steps: Sequence[dict[str, Any]], reader: dict[str, Any], before: int) -> dict[str, Any] | None:
    """The reader operation's successful CompareAndSwap on a headTail before step ``before``, if any."""
    found = None
    for s in steps:
        if s["index"] >= before:
            break
        if s["thread"] == reader["thread"] and s["op"] == reader["op"] and s["effect"] == "CompareAndSwap" and \
                s["location"].endswith("headTail") and s["result"] is True:
            found = s
    return found


def _unlink_step(run: _Run, blk: str, final: list[Any] | None) -> dict[str, Any] | None:
    """The last step that moved a chain pointer off the block named ``blk``."""
    if final is None or run.mem0 is None:
        return None
    base = next((b for b, h in blocks(final) if h.name == blk), None)
    if base is None:
        return None
    moves = [s for s, ws in _writes(run.steps, run.mem0)
             for _a, before, after in ws if before == base and after != base and _is_pointer_field(s["location"])]
    tails = [s for s in moves if s["location"].endswith("tail")]
    return (tails or moves)[-1] if moves else None


def _story_race(cx: Counterexample, run: _Run, message: str) -> _Story | None:
    races = run.result.kernel.races if run.result is not None else []
    m = re.search(r"at step (\d+) .* at step (\d+)", message)
    race = None
    for r in races:
        if m is None or (r.first.step == int(m.group(1)) and r.second.step == int(m.group(2))):
            race = r
            break
    if race is None:
        return None
    a, b = race.first, race.second

    def side(x: Any) -> str:
        who = _who(cx.target, x.tid)
        _, fn, stmt = _split_label(x.label)
        return f"{who} {'wrote' if x.write else 'read'} it at step {x.step} ({fn}: {stmt})"
    story = _Story(f"Data race on {race.location}: {side(a)}, and {side(b)}; nothing orders the two accesses "
                   f"(no happens-before edge), so Go's memory model gives this execution no meaning.",
                   violation_step=b.step)
    story.steps = {a.step, b.step}
    story.addrs.add(race.addr)
    return story


def _story_aging(cx: Counterexample, run: _Run, v: int) -> _Story | None:
    """P3: when the Get took the object, compared with the GCs (stop-the-world steps) around it."""
    get = next((r for r in _returns(run.history, v) if r["operation"] == "get"), None)
    put = next((r for r in run.history if r["operation"] == "put" and r.get("arg") == v and r.get("ret") is not None),
               None)
    if get is None or put is None:
        return None
    gcs = [s["index"] for s in run.steps if s["effect"] == "stopTheWorld" and "gcStart" in s["go"]]
    took = next((s for s in run.steps if s["thread"] == get["thread"] and s["op"] == get["seq"] and
                 s["effect"] in ("read", "Load") and _holds_value(s["location"]) and
                 (s["result"] == v or (_is_pair(s["result"]) and s["result"][1] == v))), None)
    who_put, who_get = _who(cx.target, put["thread"]), _who(cx.target, get["thread"])
    sentence = (f"Object {v} was Put by {who_put} (its Put returned at step {put['ret']}) and {who_get}'s Get "
                f"returned it at step {get['ret']}, after {get['epoch_ret'] - put['epoch_ret']} GCs")
    story = _Story("", violation_step=get["ret"])
    story.steps = {put["ret"], get["ret"], *gcs}
    if took is not None:
        _, fn, stmt = _split_label(took["go"])
        before = [g for g in gcs if g > took["index"]]
        sentence += f"; that Get took it from the pool at step {took['index']} ({fn}: {stmt})"
        if before:
            sentence += f", before the GC that starts at step {before[0]}"
        story.steps.add(took["index"])
    story.headline = sentence + "."
    return story


def _story_still_held(cx: Counterexample, run: _Run, v: int) -> _Story | None:
    """P1: a Get returned the object, yet a cell of the pool still holds it."""
    get = next(iter(_returns(run.history, v)), None)
    if get is None or run.mem0 is None:
        return None
    holder: dict[int, dict[str, Any]] = {}
    for s, ws in _writes(run.steps, run.mem0):
        for a, before, after in ws:
            if after == v and before != v and _holds_value(s["location"]):
                holder[a] = s
            elif before == v and after != v:
                holder.pop(a, None)
    story = _Story("", violation_step=get["ret"])
    sentence = f"Object {v} was returned by {_who(cx.target, get['thread'])}'s Get at step {get['ret']}"
    took = next((s for s in run.steps if s["thread"] == get["thread"] and s["op"] == get["seq"] and
                 s["effect"] in ("read", "Load") and _holds_value(s["location"]) and s["result"] == v), None)
    if took is not None:
        _, fn, stmt = _split_label(took["go"])
        sentence += f" (it took it at step {took['index']}: {fn}: {stmt})"
        story.steps.add(took["index"])
    if holder:
        a, w = max(holder.items(), key=lambda kv: kv[1]["index"])
        _, fn, stmt = _split_label(w["go"])
        sentence += (f", but {w['location']} still holds it, as {_who(cx.target, w['thread'])}'s {fn} stored it at "
                     f"step {w['index']} ({stmt}): the next Get can hand it out again")
        story.steps.add(w["index"])
        story.addrs.add(a)
    story.headline = sentence + "."
    story.steps.add(get["ret"])
    return story


def _story(cx: Counterexample, run: _Run, prop: str, message: str, step: int | None) -> _Story:
    st: _Story | None = None
    held = _first_value(message, r"^object (\d+) was returned by Get but is still in the pool")
    aged = _first_value(message, r"^object (\d+) was Put before GC")
    dup = _first_value(message, r"^(?:value|object) (\d+) was (?:returned \d+ times|handed)")
    lost = _first_value(message, r"^(?:value|object) (\d+) was (?:pushed|Put) but is neither")
    if dup is not None:
        st = _story_duplicate(cx, run, dup)
    elif lost is not None:
        st = _story_lost(cx, run, lost)
    elif message.startswith("data race"):
        st = _story_race(cx, run, message)
    elif aged is not None:
        st = _story_aging(cx, run, aged)
    elif held is not None:
        st = _story_still_held(cx, run, held)
    if st is None:
        st = _Story(_sentence(message))
    if st.violation_step is None:
        st.violation_step = step
    if st.violation_step is not None:
        st.steps.add(st.violation_step)
    for loc in set(re.findall(r"\b((?:d|c|p|local|ring)\d*(?:\.[A-Za-z]+|\[\d+\])+(?:\.[a-z]+)?)", message)):
        st.steps |= {s["index"] for s in run.steps if s["location"] == loc}
    return st


_RELEVANT = {
    "dequeue": ("dequeue_bits", "size", "start_index"),
    "chain": ("dequeue_bits", "init_size", "dequeue_limit", "start_index"),
    "pool": ("dequeue_bits", "init_size", "dequeue_limit", "start_index", "gomaxprocs", "with_new", "pools"),
}


def _params_text(p: Params, target: str) -> str:
    """The parameters that differ from Go's values, among those the target uses."""
    d = Params()
    parts = [f"{k}={v}" for k, v in p.to_json().items()
             if getattr(d, k) != v and k in _RELEVANT.get(target, tuple(p.to_json()))]
    return " ".join(parts) if parts else "Go's defaults"


def build_report(cx: Counterexample, trace_path: str = "trace.json") -> Report:
    """Everything the renderings show, from a counterexample (replayed on its recorded variant)."""
    notes: list[str] = []
    run = _replay(cx, notes)
    try:
        prop = catalog.get(cx.prop)
        name, statement, source = prop.name, prop.statement, prop.source
    except KeyError:
        name, statement, source = "", "(not in the property catalog)", ""
    try:
        variant_description = resolve(cx.variant).description
    except VariantError:
        variant_description = ""
    reproduced: bool | None = None
    message, vstep = cx.message, cx.violating_step
    if run.result is not None:
        reproduced = run.result.reproduced
        v = run.result.violation
        if v is not None:
            message, vstep = v.message, v.step if v.step is not None else vstep
        else:
            notes.append(f"Replaying this trace on {cx.variant} does not violate {cx.prop} any more; the report "
                         f"shows the execution as it replays now.")
        notes.extend(f"Recorded and replayed steps differ: {m}" for m in run.result.mismatches)
    story = _story(cx, run, cx.prop, message, vstep)
    bits = cx.params.dequeue_bits
    final_mem = run.snapshots[-1][1] if run.snapshots else None
    names = _Names(final_mem)
    threads_ops = [t.split() for t in cx.scenario.split("|")]
    threads = [ThreadInfo(i, thread_name(cx.target, i), f"T{i}", " ".join(ops)) for i, ops in enumerate(threads_ops)]
    # operations: (thread, seq) -> text, from the history
    op_text: dict[tuple[int, int], str] = {}
    for r in run.history:
        arg = r.get("arg")
        word = r["operation"]
        op_text[(r["thread"], r["seq"])] = f"{word}({_go(arg)})" if word in ("push", "put") else word
    rows: list[Row] = []
    seen_ops: set[tuple[int, int]] = set()
    state_rows = _rows_of(run.steps, run.snapshots)
    keep_all = len(state_rows) <= MAX_STATE_ROWS
    for ri, (idxs, si) in enumerate(state_rows):
        lines = []
        for i in idxs:
            s = run.steps[i]
            f, fn, stmt = _split_label(s["go"])
            key = (s["thread"], s["op"])
            start = key not in seen_ops
            seen_ops.add(key)
            mark = "violation" if s["index"] == story.violation_step else "involved" if s["index"] in story.steps else ""
            lines.append(Line(s["index"], s["thread"], f, fn, stmt, s["effect"], s["location"],
                              _value_text(s, bits, names), bool(s["silent"]),
                              op_text.get(key, s["operation"]), start,
                              _returned(s["operation"], s["returned"]) if s.get("op_done") else None, mark,
                              step_go_location(s["go"])))
        lines[0].silent = False  # the first step of a row is its scheduling point
        rmark = "violation" if any(ln.mark == "violation" for ln in lines) else \
            "involved" if any(ln.mark for ln in lines) else ""
        state = None
        if si >= 0:
            mem = run.snapshots[si][1]
            changed = {a for i in idxs for a, _ in (run.steps[i].get("writes") or [])}
            if keep_all or rmark or ri == len(state_rows) - 1:
                state = _state(mem, changed, bits, _reachable(mem, cx.target))
        rows.append(Row(ri, lines[0].tid, lines, state, rmark))
    final_state = rows[-1].state if rows and rows[-1].state is not None else None
    if final_state is None and final_mem is not None:
        final_state = _state(final_mem, set(), bits, _reachable(final_mem, cx.target))
    return Report(cx, cx.prop, name, statement, source, story.headline, message, threads, rows, final_state,
                  variant_description, reproduced, notes, _params_text(cx.params, cx.target), trace_path)


def compact_trace(rep: Report, limit: int = 20) -> list[str]:
    """At most ``limit`` lines (thread, Go statement, value), one per row; the rows that matter come first.

    ``>>`` marks the violating step, ``*`` a step that touches the value or location involved; runs of
    rows left out are shown as one "... n step(s) omitted" line.
    """
    rows = rep.rows
    width = max((len(t.name) for t in rep.threads), default=5)

    def line(r: Row) -> str:
        ln = r.lines[0]
        mark = ">>" if r.mark == "violation" else " *" if r.mark else "  "
        val = f"  {ln.value}" if ln.value else ""
        ret = next((f"  => {x.ret}" for x in r.lines if x.ret is not None), "")
        name = rep.threads[ln.tid].name if ln.tid < len(rep.threads) else f"T{ln.tid}"
        return f"{mark} {ln.step:>3} {name:<{width}}  {ln.go}{val}{ret}"

    def render(keep: set[int]) -> list[str]:
        out: list[str] = []
        last = -1
        for r in rows:
            if r.index in keep:
                if r.index > last + 1:
                    out.append(f"   ... {r.index - last - 1} step(s) omitted")
                out.append(line(r))
                last = r.index
        if rows and last < rows[-1].index:
            out.append(f"   ... {rows[-1].index - last} step(s) omitted")
        return out

    if len(rows) <= limit:
        return render({r.index for r in rows})
    v = rep.violating_row if rep.violating_row is not None else rows[-1].index
    marked = [r.index for r in rows if r.mark]

    def priority(i: int) -> tuple[int, int, int]:
        if i == v:
            return (0, 0, i)
        if i in marked:
            return (1, abs(i - v), i)
        return (2, min(abs(i - k) for k in marked or [v]), i)
    order = sorted((r.index for r in rows), key=priority)
    for n in range(limit, 0, -1):
        lines = render(set(order[:n]))
        if len(lines) <= limit:
            return lines
    return render({v})[:limit]


GO_REPLAY_FILE = "go_replay.json"


def render_folder(folder: Path, cx: Counterexample, trace_path: str | None = None) -> Report:
    """Write report.md and report.html for ``cx`` into ``folder`` (trace.json is already there).

    ``trace_path`` is how the replay command names trace.json (default: the path in ``folder``).
    """
    from poolcheck.report import html as report_html  # they import this module for the data classes
    from poolcheck.report import md as report_md
    rep = build_report(cx, trace_path=trace_path or str(folder / "trace.json"))
    go = folder / GO_REPLAY_FILE
    if go.is_file():
        try:
            rep.go = json.loads(go.read_text())
        except (OSError, ValueError):
            rep.notes.append(f"{GO_REPLAY_FILE} is unreadable; run {rep.go_command} again.")
    write_text_atomic(folder / "report.md", report_md.render(rep))
    write_text_atomic(folder / "report.html", report_html.render(rep))
    return rep

