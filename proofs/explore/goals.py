"""Reachability goals: the interesting code a bounded run must exercise (DESIGN.md section 5).

An exhaustive search that passes proves the properties only for the
behaviours inside its bounds. If the bounds are too small to reach the code
that matters (a ring that never fills, a chain that never grows, a Get that
never reaches the victim), the run passes by doing nothing. So each
configuration *declares* the goals it reaches, the search marks a goal when
some transition performs its Go statement with the interesting outcome, and
the verdict accounts for every declared goal the search did not reach.

A goal is recognised by the Go statement an effect models (its label), the
effect's result, the memory after it and, for some goals, what the same
operation did before (``op_effects``), so it works on every variant that
keeps Go's labels.

Declarations are witnessed, never guessed: a goal is declared for a
configuration only when a concrete schedule of the *reference* model in that
configuration reaches it (``witnesses``). The schedules tried are whole
operations in some order (every thread order, then interleavings of whole
operations) and, for the goals that need another thread between two
statements (``Goal.pause``), the same with one thread stopped just before its
``pause`` statement while another thread takes a few steps. A declared goal
is therefore reachable by construction, and the witness is kept to say so.
So when a search misses a declared goal:

- on a variant, the reference reaches it in the same configuration (the
  witness shows how) and the variant does not: the variant lost a behaviour,
  a finding (``lost``);
- on the reference itself, the search and the witness disagree, which
  ``proofs.explore`` reports as incomplete, never as a violation.

A goal a caller *requires* (``poolcheck explore --goal``) that no witness
reaches is the scenario's problem: it too is reported as incomplete.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from model.bits import unpack
from model.effects import WRITE, Effect
from model.harness import World, build
from model.kernel import Kernel, RoundRobin
from model.memory import Block
from model.params import Params
from model.pool import LOCAL_CELLS
from model.scenario import Scenario
from model.variants import Model

__all__ = ["Goal", "GOALS", "Witness", "declared_goals", "goal_names", "witnesses", "OpEffects"]

OpEffects = Callable[[], Sequence[tuple[Effect, Any]]]
"""The (effect, result) pairs the current operation performed before this step, oldest first."""

# Witness search bounds: the orders of whole operations tried, and the runs with a thread slipped in.
MAX_ORDERS = 160
MAX_SLIP_BASES = 24
MAX_SLIP_RUNS = 400


@dataclass(frozen=True)
class Goal:
    """A reachability goal: some step performs ``label`` (a prefix) with an outcome ``hit`` accepts.

    ``hit(effect, result, memory after, params, op_effects)``. ``pause``: the
    statement (a label prefix) before which another thread must take steps for
    the goal to be reached (a CAS that loses a race, a load that sees another
    thread's store); the witness search stops a thread there.
    """

    name: str
    target: str
    description: str
    label: str
    hit: Callable[[Effect, Any, Any, Params, OpEffects], bool]
    pause: str | None = None

    def matches(self, eff: Effect, res: Any, mem: Any, params: Params, op_effects: OpEffects) -> bool:
        """Whether this step reaches the goal."""
        return eff.label.startswith(self.label) and self.hit(eff, res, mem, params, op_effects)


def _last(op_effects: OpEffects, label: str, exact: bool = False) -> Any:
    """The result of the operation's last effect labelled ``label`` (a prefix, or exactly), or None."""
    for eff, res in reversed(op_effects()):
        if eff.label == label or (not exact and eff.label.startswith(label)):
            return res
    return None


def _saw_victim(op_effects: OpEffects) -> bool:
    """Whether the operation (a Get) has consulted the victim cache (loaded victimSize) so far."""
    return any("victimSize" in e.label for e, _ in op_effects())


def _full(eff: Effect, res: Any, mem: Any, params: Params, ctx: OpEffects) -> bool:
    head, tail = unpack(res, params.dequeue_bits)
    vals = mem[eff.addr + 1]
    return vals is not None and (tail + vals[1]) & ((1 << params.dequeue_bits) - 1) == head


def _wrapped(eff: Effect, res: Any, mem: Any, params: Params, ctx: OpEffects) -> bool:
    head, _ = unpack(res, params.dequeue_bits)
    return head < params.start_index


def _capped(eff: Effect, res: Any, mem: Any, params: Params, ctx: OpEffects) -> bool:
    """``d2.vals = make([]eface, newSize)`` where d already has dequeueLimit slots and d2 no more (capped).

    d's length is the one pushHead read just before (``len(d.vals)``, the operation's last read of d.vals);
    the write's value is d2's slice header (ring, newSize).
    """
    hdr = eff.a[0] if eff.kind == WRITE and len(eff.a) == 1 else None
    if not (isinstance(hdr, tuple) and len(hdr) == 2):
        return False
    old = _last(ctx, _D_VALS, exact=True)
    return isinstance(old, tuple) and old[1] >= params.limit and hdr[1] == params.limit


def _stale_size(eff: Effect, res: Any, mem: Any, params: Params, ctx: OpEffects) -> bool:
    """pin's l := p.local loads an array that covers pid, after its localSize load said it did not."""
    pid = _last(ctx, "pool.go:pin: pid := runtime_procPin()")
    size = _last(ctx, "pool.go:pin: s := ")
    if res is None or pid is None or size is None or pid < size:
        return False
    hdr = mem[res - 1] if 0 < res <= len(mem) else None
    return isinstance(hdr, Block) and hdr.ncells // LOCAL_CELLS > pid


def _pinslow_finds_array(eff: Effect, res: Any, mem: Any, params: Params, ctx: OpEffects) -> bool:
    pid = _last(ctx, "pool.go:pinSlow: pid := runtime_procPin()")
    return pid is not None and pid < res


_POPTAIL_CAS = "poolqueue.go:popTail: d.headTail.CompareAndSwap"
_D_VALS = "poolqueue.go:pushHead: d.vals"  # model/poolqueue.py: PoolDequeue._vals("pushHead")

GOALS: tuple[Goal, ...] = (
    # -- poolDequeue
    Goal("push-full", "dequeue", "some pushHead finds the ring full (tail + len(vals) == head)",
         "poolqueue.go:pushHead: ptrs := d.headTail.Load()", _full),
    Goal("push-typ-not-nil", "dequeue", "some pushHead returns false because the head slot's typ != nil "
         "(a popTail still owns it)",
         "poolqueue.go:pushHead: typ := atomic.LoadPointer(&slot.typ)", lambda e, r, m, p, c: r is not None,
         pause="poolqueue.go:pushHead: ptrs := d.headTail.Load()"),
    Goal("poptail-cas-fails", "dequeue", "some popTail's CompareAndSwap on headTail fails",
         _POPTAIL_CAS, lambda e, r, m, p, c: r is False, pause=_POPTAIL_CAS),
    Goal("pophead-cas-fails", "dequeue", "some popHead's CompareAndSwap on headTail fails",
         "poolqueue.go:popHead: d.headTail.CompareAndSwap", lambda e, r, m, p, c: r is False,
         pause="poolqueue.go:popHead: d.headTail.CompareAndSwap"),
    Goal("index-wraps", "dequeue", "head wraps around 2^bits (pushHead's Add carries out of the index)",
         "poolqueue.go:pushHead: d.headTail.Add", _wrapped),
    # -- poolChain
    Goal("chain-grows", "chain", "the owner links a new, larger dequeue (d.next.Store(d2))",
         "poolqueue.go:pushHead: d.next.Store(d2)", lambda e, r, m, p, c: True),
    Goal("chain-limit", "chain", "a dequeue of dequeueLimit slots fills and the next one is capped at dequeueLimit "
         "(newSize >= dequeueLimit: newSize = dequeueLimit)",
         "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)", _capped),
    Goal("chain-backs-up", "chain", "some popHead backs up to an older dequeue (d = d.prev.Load() is not nil)",
         "poolqueue.go:popHead: d = d.prev.Load()", lambda e, r, m, p, c: r is not None),
    Goal("poptail-drops-drained", "chain", "some popTail drops a drained dequeue (c.tail.CompareAndSwap(d, d2) "
         "succeeds)", "poolqueue.go:popTail: c.tail.CompareAndSwap(d, d2)", lambda e, r, m, p, c: r is True),
    Goal("chain-poptail-cas-fails", "chain", "some popTail's CompareAndSwap on a dequeue's headTail fails",
         _POPTAIL_CAS, lambda e, r, m, p, c: r is False, pause=_POPTAIL_CAS),
    # -- sync.Pool
    Goal("pinslow-allocates", "pool", "some pinSlow allocates and publishes a local array "
         "(atomic.StorePointer(&p.local, ...))", "pool.go:pinSlow: atomic.StorePointer(&p.local",
         lambda e, r, m, p, c: True),
    Goal("pinslow-contends", "pool", "two pinSlows contend on allPoolsMu: the later one, under the mutex, finds the "
         "array the other published (pinSlow's `if pid < s` taken)",
         "pool.go:pinSlow: s := p.localSize", _pinslow_finds_array, pause="pool.go:pinSlow: allPoolsMu.Lock()"),
    Goal("stale-localsize", "pool", "a P loads a stale localSize: pin sees size <= pid, then loads the array "
         "another P already published, which covers pid (pin falls back to pinSlow)",
         "pool.go:pin: l := p.local", _stale_size, pause="pool.go:pin: l := p.local"),
    Goal("gomaxprocs-change", "pool", "after a GOMAXPROCS change, a pinSlow replaces a non-nil local array "
         "(`if p.local == nil` false: the old array is dropped, P6)",
         "pool.go:pinSlow: if p.local == nil", lambda e, r, m, p, c: r is not None),
    Goal("steal", "pool", "some Get steals from another P's shared chain",
         _POPTAIL_CAS, lambda e, r, m, p, c: r is True and not _saw_victim(c)),
    Goal("victim-hit", "pool", "some Get is served from the victim cache (victim private slot)",
         "pool.go:getSlow: if x := l.private; x != nil", lambda e, r, m, p, c: r is not None),
    Goal("victim-tail-hit", "pool", "some Get is served from a victim's shared tail (popTail on a victim chain)",
         _POPTAIL_CAS, lambda e, r, m, p, c: r is True and _saw_victim(c)),
    Goal("victim-empty", "pool", "some getSlow finds every victim cache empty and marks it "
         "(atomic.StoreUintptr(&p.victimSize, 0))",
         "pool.go:getSlow: atomic.StoreUintptr(&p.victimSize, 0)", lambda e, r, m, p, c: True),
)

_BY_NAME = {g.name: g for g in GOALS}


def goal_names(target: str | None = None) -> list[str]:
    """Every goal's name (of ``target``, if given), in catalog order."""
    return [g.name for g in GOALS if target is None or g.target == target]


@dataclass(frozen=True)
class Witness:
    """A schedule of the reference model (kernel thread choices) that reaches ``goal``; ``how`` in words."""

    goal: str
    schedule: tuple[int, ...]
    how: str

    def describe(self) -> str:
        return f"{self.how}, {len(self.schedule)} steps: schedule {' '.join(map(str, self.schedule))}"


class _Watch(Kernel):
    """A kernel (no trace, no race tracking) that tests every performed effect against the wanted goals."""

    def __init__(self, world: World, wanted: dict[str, Goal]) -> None:
        super().__init__(list(world.mem0), track_races=False, record_trace=False)
        for prog in world.programs:
            self.spawn(prog)
        if world.rt is not None:
            self.epoch_addr = world.rt.numgc
        self.params = world.params
        self.wanted = wanted
        self.hits: dict[str, tuple[int, ...]] = {}
        self._ops: dict[int, tuple[object, list[tuple[Effect, Any]]]] = {}

    def _perform(self, th: Any, eff: Effect) -> Any:
        res = super()._perform(th, eff)
        rec, done = self._ops.get(th.tid, (None, []))
        if rec is not th.record:
            done = []
            self._ops[th.tid] = (th.record, done)
        for g in self.wanted.values():
            if g.name not in self.hits and g.matches(eff, res, self.mem, self.params, lambda: done):
                self.hits[g.name] = tuple(self.schedule)
        done.append((eff, res))
        return res

    # -- driving -----------------------------------------------------------
    def op_to_end(self, tid: int) -> None:
        """Thread ``tid``'s current (or next) operation to its end; stop where it blocks."""
        th = self.threads[tid]
        start = th.op_index
        while not th.done and th.op_index == start and tid in self.enabled():
            self.step(tid)

    def until(self, tid: int, label: str, skip: int) -> bool:
        """Step ``tid`` within its current operation until it is about to perform the (skip+1)-th ``label``."""
        th = self.threads[tid]
        self._ensure_started()
        start = th.op_index
        while not th.done and th.op_index == start:
            eff = th.pending
            if eff is not None and eff.label.startswith(label):
                if not skip:
                    return True
                skip -= 1
            if tid not in self.enabled():
                return False
            self.step(tid)
        return False

    def finish(self) -> None:
        if not self.finished():
            self.run(RoundRobin())


def _orders(world: World) -> Iterator[tuple[int, ...]]:
    """Orders of whole operations (one thread id per operation): thread orders, then interleavings."""
    counts = [len(p) for p in world.programs]
    n = len(counts)
    seen: set[tuple[int, ...]] = set()
    threads = [t for t in range(n) if counts[t]]
    perms = itertools.permutations(threads) if len(threads) <= 4 else (
        tuple(threads[i:] + threads[:i]) for i in range(len(threads)))
    for perm in perms:
        order = tuple(t for t in perm for _ in range(counts[t]))
        if order not in seen:
            seen.add(order)
            yield order
    total = sum(counts)
    rng = random.Random(0)
    for _ in range(MAX_ORDERS * 4):
        if len(seen) >= MAX_ORDERS:
            return
        bag = [t for t in range(n) for _ in range(counts[t])]
        rng.shuffle(bag)
        order = tuple(bag)
        if len(order) == total and order not in seen:
            seen.add(order)
            yield order


def witnesses(target: str, scenario: Scenario, params: Params, goals: Sequence[Goal] | None = None) -> dict[str, Witness]:
    """For each goal of ``target`` (or of ``goals``) that the reference reaches here: one witness."""
    wanted = {g.name: g for g in (goals if goals is not None else GOALS) if g.target == target}
    found: dict[str, Witness] = {}
    if not wanted:
        return found
    world = build(target, scenario, params, Model)

    def record(k: _Watch, how: str) -> None:
        for name, sched in k.hits.items():
            if name not in found:
                found[name] = Witness(name, sched, how)
                wanted.pop(name, None)

    orders = []
    for order in _orders(world):
        orders.append(order)
        k = _Watch(world, wanted)
        for tid in order:
            k.op_to_end(tid)
        k.finish()
        record(k, f"whole operations in the order {' '.join(map(str, order))}")
        if not wanted:
            return found
    runs = 0
    for order in orders[:MAX_SLIP_BASES]:
        for i, a in enumerate(order):
            for pause in sorted({g.pause for g in wanted.values() if g.pause is not None}):
                # The (skip+1)-th time thread a is about to perform ``pause`` in this operation, let each other
                # thread b take 1, 2, ... steps (until its operation ends), then finish the order.
                for skip in itertools.count():
                    paused = False
                    for b in (t for t in range(len(world.programs)) if t != a):
                        for steps in itertools.count(1):
                            if runs >= MAX_SLIP_RUNS or not any(g.pause == pause for g in wanted.values()):
                                break
                            runs += 1
                            run, moved, ended = _slip(world, wanted, order, i, pause, skip, b, steps)
                            if run is None:
                                break
                            paused = True
                            record(run, f"whole operations in the order {' '.join(map(str, order))}, thread {b} "
                                        f"taking {moved} step(s) just before thread {a}'s {pause!r}")
                            if not wanted:
                                return found
                            if ended:
                                break
                        if not paused:
                            break
                    if not paused or runs >= MAX_SLIP_RUNS:
                        break
    return found


def _slip(world: World, wanted: dict[str, Goal], order: tuple[int, ...], i: int, pause: str, skip: int, b: int,
          steps: int) -> tuple[_Watch | None, int, bool]:
    """Run ``order`` with thread b taking up to ``steps`` steps just before order[i]'s (skip+1)-th ``pause``.

    Returns the finished kernel (None if that pause never comes), the steps b took, and whether b's
    operation ended (or b blocked) before ``steps``, so that more steps would change nothing.
    """
    k = _Watch(world, wanted)
    for tid in order[:i]:
        k.op_to_end(tid)
    if not k.until(order[i], pause, skip):
        return None, 0, True
    th = k.threads[b]
    op, moved = th.op_index, 0
    while moved < steps and not th.done and th.op_index == op and b in k.enabled():
        k.step(b)
        moved += 1
    ended = moved < steps or th.done or th.op_index != op
    for tid in order[i:]:
        k.op_to_end(tid)
    k.finish()
    return k, moved, ended


def declared_goals(target: str, scenario: Scenario, params: Params) -> list[Goal]:
    """The goals this configuration must reach: those a schedule of the reference reaches (``witnesses``)."""
    found = witnesses(target, scenario, params)
    return [g for g in GOALS if g.name in found]
