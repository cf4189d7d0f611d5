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
from dataclasses import dataclass, field
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


@dataclass
class _Seq:
    """What one witness schedule shows: the owner runs alone, then each thief runs alone, in order.

    The goals below are declared only from events of this one schedule (or
    of it with one other thread's step slipped in where the comment says),
    so a declared goal is reachable by construction.
    """

    full_push: bool = False        # a push found the structure full (dequeue) / grew it (chain)
    max_head: int = 0              # the furthest head got past start_index (dequeue)
    owner_took: set[str] = field(default_factory=set)  # "pop"/"tail": the owner took a value that way
    dropped: bool = False          # a popTail dropped a drained dequeue (chain)
    pushed: int = 0                # successful pushes


def _seq_dequeue(owner: Sequence[str], n: int) -> _Seq:
    out = _Seq()
    count = head = 0
    for w in owner:
        if w.startswith("push"):
            if count == n:
                out.full_push = True
            else:
                count += 1
                head += 1
                out.pushed += 1
                out.max_head = max(out.max_head, head)
        elif count:
            count -= 1
            out.owner_took.add(w)
            if w == "pop":
                head -= 1
    return out


def _seq_chain(owner: Sequence[str], thieves: Sequence[Sequence[str]], init_size: int, limit: int) -> _Seq:
    """poolChain run sequentially: dequeues as [capacity, count], tail first (poolqueue.go's logic)."""
    out = _Seq()
    deqs: list[list[int]] = []

    def pop_tail() -> bool:
        while deqs:
            if deqs[0][1]:
                deqs[0][1] -= 1
                return True
            if len(deqs) == 1:
                return False
            deqs.pop(0)  # drained, and next is set: c.tail.CompareAndSwap(d, d2) drops it
            out.dropped = True
        return False

    for w in owner:
        if w.startswith("push"):
            if not deqs:
                deqs.append([init_size, 0])
            elif deqs[-1][1] == deqs[-1][0]:
                deqs.append([min(2 * deqs[-1][0], limit), 0])
                out.full_push = True
            deqs[-1][1] += 1
            out.pushed += 1
        elif w == "pop":
            for d in reversed(deqs):
                if d[1]:
                    d[1] -= 1
                    out.owner_took.add("pop")
                    break
        elif pop_tail():
            out.owner_took.add("tail")
    for t in thieves:
        for _ in t:
            pop_tail()
    return out


def _put_gc_get(ops: Sequence[str], gc_elsewhere: bool) -> bool:
    """Whether a put comes before a get in ``ops``, with a gc between them or in another thread."""
    for i, w in enumerate(ops):
        if w == "put":
            rest = ops[i + 1:]
            if "get" in rest and (gc_elsewhere or "gc" in rest[:rest.index("get")]):
                return True
    return False


def _holds_two(ops: Sequence[str]) -> bool:
    """Whether a goroutine running alone ever has two objects in its P's caches (private + shared).

    A gc of its own moves what it holds to the victim, out of the steal loop's reach.
    """
    count = 0
    for w in ops:
        if w == "put":
            count += 1
            if count >= 2:
                return True
        elif w == "get" and count:
            count -= 1
        elif w == "gc":
            count = 0
    return False


def _gets_empty_handed(ops: Sequence[str]) -> bool:
    """Whether a goroutine running alone reaches a get with nothing of its own in its P's caches.

    Not after a gc of its own: that would have moved the other P's objects to the victim, where a
    Get finds them after the steal loop.
    """
    count = 0
    for w in ops:
        if w == "put":
            count += 1
        elif w == "gc":
            return False
        elif w == "get":
            if not count:
                return True
            count -= 1
    return False


def declared_goals(target: str, scenario: Scenario, params: Params) -> list[Goal]:
    """The goals this configuration must reach (see each condition's comment)."""
    threads = scenario.threads
    out: list[str] = []
    if target in ("dequeue", "chain"):
        owner = threads[0]
        thieves = [t for t in threads[1:] if "tail" in t]
        if target == "dequeue":
            seq = _seq_dequeue(owner, params.size)
            # The owner alone fills the ring; its next push sees tail + len(vals) == head.
            if seq.full_push:
                out.append("push-full")
                # Slip in a thief's load and CAS just before that push: the ring is no longer full by
                # the indices, but the thief still owns the head's slot (typ != nil).
                if thieves:
                    out.append("push-typ-not-nil")
            # Two consumers race for one value: two thieves after the first push, or a thief whose
            # load comes just before the owner takes a value (the owner's pop or tail moves headTail).
            if seq.pushed and thieves and (len(thieves) >= 2 or seq.owner_took):
                out.append("poptail-cas-fails")
            # A thief takes a value between the owner's popHead load and its CAS.
            if thieves and "pop" in seq.owner_took:
                out.append("pophead-cas-fails")
            # The head index passes 2^bits - 1.
            if params.start_index + seq.max_head >= 1 << params.dequeue_bits:
                out.append("index-wraps")
        else:
            seq = _seq_chain(owner, thieves, params.init_size, params.limit)
            if seq.full_push:
                out.append("chain-grows")
            if seq.dropped:
                out.append("poptail-drops-drained")
            if seq.pushed and (len(thieves) >= 2 or (thieves and "tail" in seq.owner_took)):
                out.append("chain-poptail-cas-fails")
    elif target == "pool":
        words = [w for t in threads for w in t]
        if not any(w.startswith("procs=") for w in words):  # a GOMAXPROCS change can move a goroutine's P
            # A Put, then a GC that moves it to the victim (another thread's, or the same thread's in
            # between), then a Get on the same P (the Put's thread) that finds the primary cache empty.
            if any(_put_gc_get(t, "gc" in [w for u in threads if u is not t for w in u]) for t in threads):
                out.append("victim-hit")
            # One goroutine holds two objects (the second in its shared chain); a goroutine on another
            # P gets with nothing of its own and steals it.
            procs = params.gomaxprocs
            if procs >= 2 and any(_holds_two(h) and _gets_empty_handed(g) and i % procs != j % procs
                                  for i, h in enumerate(threads) for j, g in enumerate(threads)):
                out.append("steal")
    return [_BY_NAME[n] for n in out]
