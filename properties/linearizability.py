"""Linearizability of kernel histories (D5, C4).

A history is linearizable (Herlihy & Wing 1990) when its operations can be
put in one sequence that respects real time (an operation that returned
before another was called comes first) and that the sequential
specification (properties/specs.py) accepts, results included.

The search is Wing & Gong's ("Testing and verifying concurrent objects",
J. Parallel Distrib. Comput. 17, 1993): repeatedly pick a *minimal*
operation (no unlinearized operation returned before it was called), apply
it to the specification state, and backtrack when the recorded result is
impossible. Lowe's improvement ("Testing for linearizability", Concurrency
and Computation: Practice and Experience 29(4), 2017, section 4) memoises the
configurations already explored: two search nodes with the same set of
linearized operations and the same specification state have the same
future, so the second is cut. That makes the search polynomial in practice
for the deques: the state is the deque's contents, the linearized set a bit
mask.

Two extensions, both from the specifications:
- an operation may take several atomic steps in the specification
  (UnboundedDeque's failed popTail: snapshot, then conclusion); each step is
  placed separately, all within the operation's interval, in order;
- operations that have not returned (``ret is None``: a crashed or
  deadlocked run) may be linearized with any result or left out, as the
  definition allows.

Call and return times are kernel step indices: an operation's interval is
[its first shared access, its last]. Its effect can only happen at one of
its accesses, so using these bounds (rather than the earlier invocation
and later response of a real call) is exact, not an approximation.

A budget bounds the search; running out raises ``Undecided`` (a timeout is
never a pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from model.harness import World
from model.kernel import OpRecord
from properties.invariants import Violation
from properties.specs import ANY, BoundedDeque, Event, Spec, UnboundedDeque

__all__ = ["LinResult", "Undecided", "events_of", "check", "check_kernel_history", "spec_for", "DEFAULT_BUDGET"]

DEFAULT_BUDGET = 2_000_000
"""Search nodes explored before giving up with Undecided."""


class Undecided(RuntimeError):
    """The search budget ran out before linearizability was decided (never a pass)."""


@dataclass
class LinResult:
    """The verdict on one history.

    ``verdict``: "ok" (``order`` is a witness: (event index, phase) in
    linearization order), "illegal" (``message`` says where the search got
    stuck, ``prefix`` is the longest legal prefix found, ``step`` the kernel
    step by which the history was already wrong) or "unknown" (budget).
    """

    verdict: str
    explored: int
    order: list[tuple[int, int]] = field(default_factory=list)
    prefix: list[tuple[int, int]] = field(default_factory=list)
    message: str = ""
    step: int | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def events_of(history: Sequence[OpRecord]) -> list[Event]:
    """The operations of a kernel history that started (call >= 0), as checker Events."""
    out: list[Event] = []
    for r in history:
        if r.call < 0:
            continue
        out.append(Event(len(out), r.tid, r.name, r.arg, ANY if r.ret is None else r.result, r.call, r.ret))
    return out


def spec_for(world: World) -> Spec:
    """The sequential specification a world's history is checked against."""
    if world.target == "dequeue":
        return BoundedDeque(world.params.size)
    if world.target == "chain":
        return UnboundedDeque()
    raise ValueError(f"no linearizability specification for target {world.target!r}")


def check(events: Sequence[Event], spec: Spec, budget: int = DEFAULT_BUDGET) -> LinResult:
    """Wing & Gong's search with Lowe's memoisation; see the module docstring."""
    return _Search(list(events), spec, budget).run()


class _Search:
    def __init__(self, events: list[Event], spec: Spec, budget: int) -> None:
        if len(events) > 256:
            raise ValueError(f"history of {len(events)} operations: the checker handles at most 256")
        if sorted(e.index for e in events) != list(range(len(events))):
            raise ValueError("event indices must be 0..n-1, each once (build events with events_of)")
        self.events = sorted(events, key=lambda e: e.call)
        self.by_index = {e.index: e for e in events}
        self.spec = spec
        self.budget = budget
        self.nphases = {e.index: spec.phases(e) for e in events}
        self.bit = {e.index: 1 << k for k, e in enumerate(self.events)}
        self.must = 0  # completed operations: every one must be linearized
        for e in self.events:
            if not e.pending:
                self.must |= self.bit[e.index]
        self.seen: set[tuple[int, int, Any]] = set()
        self.explored = 0
        self.path: list[tuple[int, int]] = []
        self.best: list[tuple[int, int]] = []
        self.best_state: Any = spec.initial()
        self.best_done = 0
        self.events_list = [self.by_index[i] for i in sorted(self.by_index)]

    def run(self) -> LinResult:
        try:
            found = self._dfs(0, 0, self.spec.initial())
        except _OutOfBudget:
            return LinResult("unknown", self.explored, prefix=list(self.best),
                             message=f"undecided after {self.explored:,} search nodes (budget {self.budget:,})")
        if found:
            return LinResult("ok", self.explored, order=list(self.path))
        return self._illegal()

    def _dfs(self, done: int, started: int, state: Any) -> bool:
        if done & self.must == self.must:
            return True
        key = (done, started, state)
        if key in self.seen:
            return False
        self.seen.add(key)
        self.explored += 1
        if self.explored > self.budget:
            raise _OutOfBudget
        if len(self.path) > len(self.best):
            self.best, self.best_state, self.best_done = list(self.path), state, done
        min_ret = self._min_ret(done)
        for e in self.events:
            if e.call > min_ret:
                break  # sorted by call: no later event is minimal either
            b = self.bit[e.index]
            if done & b:
                continue
            phase = 1 if started & b else 0
            last = phase == self.nphases[e.index] - 1
            for nxt in self.spec.step(state, e, phase, self.events_list):
                self.path.append((e.index, phase))
                if last:
                    ok = self._dfs(done | b, started & ~b, nxt)
                else:
                    ok = self._dfs(done, started | b, nxt)
                if ok:
                    return True
                self.path.pop()
        return False

    def _min_ret(self, done: int) -> int:
        m = 1 << 62
        for e in self.events:
            if e.ret is not None and not done & self.bit[e.index] and e.ret < m:
                m = e.ret
        return m

    def _illegal(self) -> LinResult:
        ev = self.by_index
        shown = "; ".join(ev[i].show() + ("" if self.nphases[i] == 1 else f" [step {p + 1}]") for i, p in self.best)
        min_ret = self._min_ret(self.best_done)
        stuck = [e for e in self.events if not self.best_done & self.bit[e.index] and e.call <= min_ret]
        why = "; ".join(self.spec.explain(self.best_state, e) for e in stuck[:3])
        state = self.spec.show_state(self.best_state)
        n = len(self.events)
        msg = (f"no linearization of these {n} operations against the {type(self.spec).__name__} specification: "
               f"after the longest legal prefix [{shown or 'nothing'}] the deque holds {state} and no "
               f"remaining operation fits: {why}")
        rets = [e.ret for e in self.events if e.ret is not None]
        return LinResult("illegal", self.explored, prefix=list(self.best), message=msg,
                         step=max(rets) if rets else None)


class _OutOfBudget(Exception):
    pass


def check_kernel_history(world: World, history: Sequence[OpRecord], budget: int = DEFAULT_BUDGET) -> list[Violation]:
    """D5 (dequeue) or C4 (chain) for one execution; [] when the history is linearizable.

    Raises Undecided if the budget runs out (never reported as a pass).
    """
    spec = spec_for(world)
    res = check(events_of(history), spec, budget)
    if res.verdict == "ok":
        return []
    if res.verdict == "unknown":
        raise Undecided(f"{spec.prop}: {res.message}; raise the budget or shorten the scenario")
    return [Violation(spec.prop, res.message, res.step)]
