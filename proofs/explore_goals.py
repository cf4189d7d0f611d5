"""Reachability goals: the interesting code a bounded run must exercise (DESIGN.md section 5).

An exhaustive search that passes proves the properties only for the
behaviours inside its bounds. If the bounds are too small to reach the code
that matters (a ring that never fills, a chain that never grows, a Get that
never reaches the victim), the run passes by doing nothing. So each
configuration *declares* the goals its scenario and parameters make
reachable, the search marks a goal when some transition performs its Go
statement with the interesting outcome, and a declared goal that is never
reached turns the verdict into "fail" (vacuous), with the goal named.

A goal is recognised by the Go statement an effect models (its label) and
the effect's result, so it works on every variant that keeps Go's labels.
Declarations are conservative: a goal is declared only when a schedule that
reaches it exists for every scenario satisfying the condition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from model.bits import unpack
from model.effects import Effect
from model.params import Params
from model.scenario import Scenario

__all__ = ["Goal", "GOALS", "declared_goals"]


@dataclass(frozen=True)
class Goal:
    """A reachability goal: some step performs ``label`` (a prefix) with a result ``hit`` accepts."""

    name: str
    target: str
    description: str
    label: str
    hit: Callable[[Effect, Any, Any, Params], bool]   # (effect, result, memory after, params)
    # In a pool Get: whether the step must come before (False) or after (True) the victim is consulted;
    # None: either.
    after_victim: bool | None = None


def _full(eff: Effect, res: Any, mem: Any, params: Params) -> bool:
    head, tail = unpack(res, params.dequeue_bits)
    vals = mem[eff.addr + 1]
    return vals is not None and (tail + vals[1]) & ((1 << params.dequeue_bits) - 1) == head


def _wrapped(eff: Effect, res: Any, mem: Any, params: Params) -> bool:
    head, _ = unpack(res, params.dequeue_bits)
    return head < params.start_index


GOALS: tuple[Goal, ...] = (
    Goal("push-full", "dequeue", "some pushHead finds the ring full (tail + len(vals) == head)",
         "poolqueue.go:pushHead: ptrs := d.headTail.Load()", _full),
    Goal("push-typ-not-nil", "dequeue", "some pushHead returns false because the head slot's typ != nil "
         "(a popTail still owns it)",
         "poolqueue.go:pushHead: typ := atomic.LoadPointer(&slot.typ)", lambda e, r, m, p: r is not None),
    Goal("poptail-cas-fails", "dequeue", "some popTail's CompareAndSwap on headTail fails",
         "poolqueue.go:popTail: d.headTail.CompareAndSwap", lambda e, r, m, p: r is False),
    Goal("pophead-cas-fails", "dequeue", "some popHead's CompareAndSwap on headTail fails",
         "poolqueue.go:popHead: d.headTail.CompareAndSwap", lambda e, r, m, p: r is False),
    Goal("index-wraps", "dequeue", "head wraps around 2^bits (pushHead's Add carries out of the index)",
         "poolqueue.go:pushHead: d.headTail.Add", _wrapped),
    Goal("chain-grows", "chain", "the owner links a new, larger dequeue (d.next.Store(d2))",
         "poolqueue.go:pushHead: d.next.Store(d2)", lambda e, r, m, p: True),
    Goal("poptail-drops-drained", "chain", "some popTail drops a drained dequeue (c.tail.CompareAndSwap(d, d2) "
         "succeeds)", "poolqueue.go:popTail: c.tail.CompareAndSwap(d, d2)", lambda e, r, m, p: r is True),
    Goal("chain-poptail-cas-fails", "chain", "some popTail's CompareAndSwap on a dequeue's headTail fails",
         "poolqueue.go:popTail: d.headTail.CompareAndSwap", lambda e, r, m, p: r is False),
    Goal("victim-hit", "pool", "some Get is served from the victim cache (victim private slot)",
         "pool.go:getSlow: if x := l.private; x != nil", lambda e, r, m, p: r is not None),
    Goal("steal", "pool", "some Get steals from another P's shared chain",
         "poolqueue.go:popTail: d.headTail.CompareAndSwap", lambda e, r, m, p: r is True, after_victim=False),
)

_BY_NAME = {g.name: g for g in GOALS}


def _balance(ops: Sequence[str], up: tuple[str, ...], down: tuple[str, ...]) -> int:
    """The largest number of values one thread's program can have added and not removed itself."""
    best = cur = 0
    for w in ops:
        if w in up:
            cur += 1
        elif w in down:
            cur = max(0, cur - 1)
        best = max(best, cur)
    return best


def _put_gc_get(ops: Sequence[str], gc_elsewhere: bool) -> bool:
    """Whether a put comes before a get in ``ops``, with a gc between them or in another thread."""
    for i, w in enumerate(ops):
        if w == "put":
            rest = ops[i + 1:]
            if "get" in rest and (gc_elsewhere or "gc" in rest[:rest.index("get")]):
                return True
    return False


def declared_goals(target: str, scenario: Scenario, params: Params) -> list[Goal]:
    """The goals this configuration must reach (see each condition's comment)."""
    threads = scenario.threads
    out: list[str] = []
    if target in ("dequeue", "chain"):
        owner = threads[0]
        thieves = [t for t in threads[1:] if "tail" in t]
        pushes = _balance(owner, ("push", "push:nil"), ("pop",))
        tails = sum(t.count("tail") for t in threads)
        owner_tails = owner.count("tail")
        if target == "dequeue":
            n = params.size
            # Fill the ring with n pushes, then the next push sees tail + n == head.
            if pushes >= n + 1:
                out.append("push-full")
                # ... and if a thief claims the tail slot (CAS) and stalls before releasing it, the
                # next push is not full by the indices but finds typ != nil.
                if thieves:
                    out.append("push-typ-not-nil")
            # Two consumers that can race for the same tail: a thief and another thief, or the owner's pop.
            if pushes >= 1 and thieves and (len(thieves) >= 2 or "pop" in owner or owner_tails):
                out.append("poptail-cas-fails")
            # popHead's CAS fails when a thief takes the last value between its load and its CAS.
            if pushes >= 1 and thieves and "pop" in owner:
                out.append("pophead-cas-fails")
            # The head index passes 2^bits - 1.
            if params.start_index + pushes >= 1 << params.dequeue_bits:
                out.append("index-wraps")
        else:
            # More values than the first dequeue holds: the owner links a second one.
            if pushes > params.init_size and params.limit > 0:
                out.append("chain-grows")
                # A consumer drains the first dequeue (init_size pops by thieves or the owner's
                # popHead backing up), then a popTail finds it empty with next set and drops it.
                if thieves and tails + owner.count("pop") >= params.init_size + 1:
                    out.append("poptail-drops-drained")
            if pushes >= 1 and (len(thieves) >= 2 or (thieves and owner_tails)):
                out.append("chain-poptail-cas-fails")
    elif target == "pool":
        words = [w for t in threads for w in t]
        # A Put, then a GC that moves it to the victim (another thread's, or the same thread's in
        # between), then a Get on the same P (the Put's thread) that finds the primary cache empty.
        # A GOMAXPROCS change could move the thread to another P, so none may be in the scenario.
        if not any(w.startswith("procs=") for w in words) and any(
                _put_gc_get(t, "gc" in [w for u in threads if u is not t for w in u]) for t in threads):
            out.append("victim-hit")
        # Two Puts on one P put the second in the shared chain; a Get on another P steals it.
        if params.gomaxprocs >= 2 and any(_balance(t, ("put",), ("get",)) >= 2 for t in threads) and \
                sum(1 for t in threads if "get" in t) >= 1 and len(threads) >= 2:
            others = [i for i, t in enumerate(threads) if "get" in t]
            holders = [i for i, t in enumerate(threads) if _balance(t, ("put",), ("get",)) >= 2]
            if any(o != h for o in others for h in holders):
                out.append("steal")
    return [_BY_NAME[n] for n in out]
