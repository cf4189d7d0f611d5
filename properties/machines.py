"""Hypothesis stateful machines, one per layer, against the sequential specifications.

Each machine drives one model instance operation by operation
(model.harness.Sequential: every operation runs to its end before the next
starts, on the thread the rule names) and after every step compares the
model with its specification (properties/specs.py) and evaluates the state
invariants of properties/invariants.py:

- ``DequeueMachine``: pushHead, pushHead(nil), popHead, popTail against the
  bounded deque; D1, D2, D6 as invariants; D3/D5/D8 as "the result and the
  contents agree with the specification"; D7 and G1 (no race, no panic).
  Parameters (size, dequeueBits, start index) are drawn per run: full 32-bit
  width and widths 3..5, starting at 0 or a few operations below 2^bits,
  so the indices wrap around in most runs.
- ``ChainMachine``: the same operations against the unbounded deque; C1, C5
  (with init_size and dequeueLimit small enough that the cap is reached),
  C6, D1/D6 on every dequeue of the chain.
- ``PoolMachine``: Put on a goroutine's P, Get, GC, GOMAXPROCS changes; every
  Get must return exactly what P4's lookup order gives (a sequential run is
  deterministic), P3 (victim aging) and P1/P2/P6 by accounting against
  the Pool specification, P9, P11 as invariants, P8 (no race on objects).
  The specification has the variant's number of victim tiers
  (``victim_tiers``, Go's one by default), so a correct design with another
  tier count fails only Go's P3 claim, by design.

Values come from a bundle of unique tokens (``consumes``: each is pushed or
Put at most once), so a lost or duplicated value is always visible.

A failure raises ``PropertyViolation`` (an AssertionError carrying the
property id), so properties/fuzz.py can report it by id and turn the
machine's log of operations into a replayable scenario.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from model.harness import Sequential
from model.params import Params
from model.variants import Model
from properties import invariants as inv
from properties.checks import p3_victim_aging, race_property, victim_tiers_of
from properties.invariants import Violation
from properties.scenarios import params_for
from properties.specs import BoundedDeque, DequeState, PoolSpec, PoolState, UnboundedDeque, tier_name

__all__ = ["PropertyViolation", "LayerMachine", "DequeueMachine", "ChainMachine", "PoolMachine", "machine_for",
           "MACHINES", "GOALS", "REACHED"]

GOALS: dict[str, dict[str, str]] = {
    "dequeue": {"full": "pushHead finds the ring full", "wrap": "the head index wraps around 2^dequeueBits",
                "nil": "popHead or popTail returns a pushed nil"},
    "chain": {"cap": "a dequeue is capped at dequeueLimit", "drop": "popTail drops a drained dequeue",
              "wrap": "a dequeue's head index wraps around 2^dequeueBits"},
    "pool": {"steal": "a Get steals another P's tail", "victim": "a Get is served from the victim cache",
             "victim-marked-empty": "getSlow marks the victim empty", "aged-out": "a GC drops objects Put two GCs ago",
             "resize-lost": "a GOMAXPROCS change makes pinSlow drop a local array holding objects",
             "new": "a Get returns New()"},
}
"""Reachability goals of the machines ("no vacuous passes"): tests/test_machines.py fails if a run of a
machine never reaches one of its layer's goals."""

TOKENS = 32
"""Unique values in a machine's bundle (a run of 50 steps rarely pushes more; then push waits)."""

REACHED: Counter[tuple[str, str]] = Counter()
"""(target, goal) -> how many times a machine reached it in this process."""


class PropertyViolation(AssertionError):
    """A property the machine found violated (``violation.prop`` is its catalog id)."""

    raised: ClassVar[int] = 0
    """How many were raised in this process (properties/fuzz.py uses it to see the first failing example)."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(str(violation))
        self.violation = violation
        PropertyViolation.raised += 1


def _fail(prop: str, message: str) -> PropertyViolation:
    return PropertyViolation(Violation(prop, message))


def _raise_first(vs: list[Violation]) -> None:
    if vs:
        raise PropertyViolation(vs[0])


def _show(v: Any) -> str:
    if isinstance(v, tuple) and len(v) == 2:
        return f"({'nil' if v[0] is None else v[0]}, {str(bool(v[1])).lower()})"
    return "nil" if v is None else str(v)


class LayerMachine(RuleBasedStateMachine):
    """What every machine shares: the model, the Sequential driver and the log of operations.

    ``log`` lists (thread, scenario word, argument) in call order, so a failing
    run can be written as a scenario and a schedule (properties/fuzz.py).
    ``last`` is the most recently created instance of the class (the one
    Hypothesis replays last, when reporting a failure).
    """

    target: ClassVar[str] = ""
    model: ClassVar[type[Model]] = Model
    threads: ClassVar[int] = 4
    last: ClassVar[LayerMachine | None] = None

    values = Bundle("values")

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[int, str, Any]] = []
        self.params = Params()
        self._seq: Sequential | None = None
        type(self).last = self

    @property
    def seq(self) -> Sequential:
        if self._seq is None:  # pragma: no cover - @initialize always runs first
            raise RuntimeError("the machine was not initialised")
        return self._seq

    def start(self, params: Params, nprocs_max: int | None = None) -> None:
        self.params = params
        self._seq = Sequential(self.target, params, self.model, threads=self.threads, nprocs_max=nprocs_max,
                               record_trace=True)

    def reach(self, goal: str) -> None:
        REACHED[(self.target, goal)] += 1

    def call(self, tid: int, word: str, arg: Any = None) -> Any:
        self.log.append((tid, word, arg))
        return self.seq.call(tid, word, arg)

    @initialize(target=values)
    def tokens(self) -> MultipleResults[int]:
        """The unique tokens 1..TOKENS, each pushed or Put at most once (``consumes``)."""
        return multiple(*range(1, TOKENS + 1))

    @invariant()
    def no_race_no_fault(self) -> None:
        if self._seq is None:
            return
        k = self.seq.kernel
        if k.faults:
            f = k.faults[0]
            raise _fail(f.prop, f.message)
        if k.races:
            r = k.races[0]
            raise _fail(race_property(self.target, r.location), r.describe())


class _DequeMachine(LayerMachine):
    """The operations the dequeue and the chain share; ``spec`` is the sequential deque."""

    spec: BoundedDeque | UnboundedDeque
    state: DequeState

    def _thief(self, i: int) -> int:
        # Thieves are threads 1..threads-1; keep the ids used contiguous so the log is a valid scenario.
        used = {t for t, _, _ in self.log if t > 0}
        return i if i in used or i == len(used) + 1 else len(used) + 1

    def _push(self, word: str, v: Any) -> None:
        before = self._before
        got = self.call(0, word, v if word == "push" else None)
        value = v if word == "push" else None
        ok, self.state = self.spec.push_head(self.state, v if word == "push" else -len(self.log), value)
        if not ok:
            self.reach("full")
        elif (self.params.start_index + self.state.head) % (1 << self.params.dequeue_bits) == 0:
            self.reach("wrap")
        want: Any = ok if self.target == "dequeue" else None
        if got != want:
            prop = "C1" if self.target == "chain" else "D5"
            raise _fail(prop, f"pushHead({_show(value)}) returned {_show(got)} but the specification says "
                              f"{_show(want)} (deque before: {before})")

    def _pop(self, word: str, tid: int) -> None:
        before = self._before
        got = self.call(tid, word)
        if word == "pop":
            want, self.state = self.spec.pop_head(self.state)
        else:
            want, self.state = self.spec.pop_tail(self.state)
        if got == (None, True):
            self.reach("nil")
        if got != want:
            name = "popHead" if word == "pop" else "popTail"
            prop = "D8" if (got[0] is None) != (want[0] is None) and got[1] and want[1] else self.spec.prop
            raise _fail(prop, f"{name} on thread {tid} returned {_show(got)} but the specification says "
                              f"{_show(want)} (deque before: {before})")

    @property
    def _before(self) -> str:
        return self.spec.show_state(self.state)

    @rule(v=consumes(LayerMachine.values))
    def push(self, v: int) -> None:
        self._push("push", v)

    @rule()
    def push_nil(self) -> None:
        self._push("push:nil", None)

    @rule()
    def pop(self) -> None:
        self._pop("pop", 0)

    @rule(thief=st.integers(1, 3))
    def tail(self, thief: int) -> None:
        self._pop("tail", self._thief(thief))

    def contents(self) -> list[Any]:
        raise NotImplementedError

    @invariant()
    def contents_match(self) -> None:
        if self._seq is None:
            return
        have, want = self.contents(), self.state.values()
        if have != want:
            prop = "C2" if self.target == "chain" else "D3"
            raise _fail(prop, f"the {self.target} holds {have} (tail first) but the specification holds {want}")


class DequeueMachine(_DequeMachine):
    """poolDequeue against the bounded deque (D1, D2, D3, D5, D6, D7, D8)."""

    target = "dequeue"

    @initialize(params=params_for("dequeue"))
    def setup(self, params: Params) -> None:
        self.start(params)
        self.spec = BoundedDeque(params.size)
        self.state = self.spec.initial()

    def contents(self) -> list[Any]:
        w = self.seq.world
        return inv.dequeue_view(self.seq.mem, w.root, self.params.dequeue_bits).contents(self.params.dequeue_bits)

    @invariant()
    def dequeue_state(self) -> None:
        if self._seq is None:
            return
        mem, d, bits = self.seq.mem, self.seq.world.root, self.params.dequeue_bits
        _raise_first(inv.d1_packed_index(mem, d, bits) + inv.d2_slot_ownership(mem, d, bits, 0)
                     + inv.d6_no_retention(mem, d, bits))


class ChainMachine(_DequeMachine):
    """poolChain against the unbounded deque (C1, C2, C3, C4, C5, C6, C7; D1, D6 per dequeue)."""

    target = "chain"

    @initialize(params=params_for("chain"))
    def setup(self, params: Params) -> None:
        self.start(params)
        self.spec = UnboundedDeque()
        self.state = self.spec.initial()

    def contents(self) -> list[Any]:
        return inv.chain_contents(self.seq.mem, self.seq.world.root, self.params.dequeue_bits)

    @invariant()
    def chain_state(self) -> None:
        if self._seq is None:
            return
        mem, c, bits = self.seq.mem, self.seq.world.root, self.params.dequeue_bits
        limit = self.seq.world.cfg.limit
        elts = inv.chain_elts(mem, c)
        if limit > self.params.init_size and any((mem[d + 1] or (0, 0))[1] == limit for d in elts):
            self.reach("cap")
        if elts and elts[0] != min(inv.all_elts(mem)):
            self.reach("drop")
        if any(inv.dequeue_view(mem, d, bits).head < self.params.start_index for d in elts):
            self.reach("wrap")   # dequeues start at start_index, so a smaller head has wrapped
        out = inv.c5_growth(mem, c, self.params.init_size, limit)
        out += inv.c6_drop_only_drained(mem, c, bits)
        for d in inv.chain_reachable(mem, c):
            out += inv.d1_packed_index(mem, d, bits) + inv.d6_no_retention(mem, d, bits)
        _raise_first(out)


class PoolMachine(LayerMachine):
    """sync.Pool against PoolSpec: P4's exact lookup order, P3, P1/P2/P6 accounting, P8, P9, P11.

    Goroutine i's home P is i (modulo GOMAXPROCS when it pins); GC and
    GOMAXPROCS changes run on goroutine 0 (they pin nothing).
    """

    target = "pool"
    threads = 3
    spec = PoolSpec()
    pstate: PoolState

    def _g(self, i: int) -> int:
        used = {t for t, _, _ in self.log}
        return i if i in used or i == len(used) else len(used)

    @initialize(params=params_for("pool"))
    def setup(self, params: Params) -> None:
        self.start(params, nprocs_max=3)
        # The specification has as many victim tiers as the design (Go's one by default), so a design with
        # another tier count is held to its own lookup order and accounting; P3 stays Go's claim.
        self.spec = PoolSpec(victim_tiers_of(self.model))
        self.pstate = self.spec.initial(params.gomaxprocs)

    @rule(g=st.integers(0, 2), v=consumes(LayerMachine.values))
    def put(self, g: int, v: int) -> None:
        g = self._g(g)
        self.call(g, "put", v)
        before = len(self.spec.all_held(self.pstate))
        self.pstate = self.spec.put(self.pstate, g, v)
        if len(self.spec.all_held(self.pstate)) <= before:
            self.reach("resize-lost")

    @rule(g=st.integers(0, 2))
    def get(self, g: int) -> None:
        g = self._g(g)
        before = self.pstate
        got = self.call(g, "get")
        out = self.spec.get(before, g)
        self.pstate = out.state
        held = self.spec.all_held(before)
        if len(self.spec.all_held(out.state)) < len(held) - (out.value is not None):
            self.reach("resize-lost")
        if "stolen" in out.source:
            self.reach("steal")
        elif out.source.startswith("victim"):
            self.reach("victim")
        elif "marked" in out.source:
            self.reach("victim-marked-empty")
        if isinstance(got, int) and got < 0:
            self.reach("new")
        if got is not None and got not in held:
            is_new = isinstance(got, int) and got < 0 and self.params.with_new and out.value is None
            if not is_new:
                put_ever = any(x == got for x, _ in before.put_epoch)
                prop = "P1" if put_ever else "P2"
                raise _fail(prop, f"Get on goroutine {g} returned {got}, which the pool does not hold "
                                  f"({'handed out already' if put_ever else 'never Put nor made by New'})")
        if got is not None and self.spec.aged_out(before, got):
            raise _fail("P3", f"Get on goroutine {g} returned {got}, Put before GC "
                              f"{dict(before.put_epoch)[got] + 1}, after GC {before.epoch}")
        want = out.value
        if self.params.with_new and want is None:
            if not (isinstance(got, int) and got < 0):
                raise _fail("P4", f"Get on goroutine {g} returned {_show(got)}; P4's order finds nothing "
                                  f"({out.source}), so it must return New()")
            return
        if got != want:
            where = _where(before, got)
            raise _fail("P4", f"Get on goroutine {g} (P{g % before.gomaxprocs}) returned {_show(got)}{where}; "
                              f"P4's order gives {_show(want)} from {out.source}")

    @rule()
    def gc(self) -> None:
        self.call(0, "gc")
        before = len(self.spec.all_held(self.pstate))
        self.pstate = self.spec.gc(self.pstate)
        if len(self.spec.all_held(self.pstate)) < before:
            self.reach("aged-out")

    @rule(n=st.integers(1, 3))
    def procs(self, n: int) -> None:
        self.call(0, f"procs={n}")
        self.pstate = self.spec.set_gomaxprocs(self.pstate, n)

    @invariant()
    def pool_state(self) -> None:
        if self._seq is None:
            return
        w, mem, bits = self.seq.world, self.seq.mem, self.params.dequeue_bits
        assert w.rt is not None
        out: list[Violation] = []
        for p in w.pools:
            out += inv.p9_victim_empty_mark(mem, p, bits) + inv.p11_registry(mem, p, w.rt)
        out += p3_victim_aging(self.seq.kernel.history)
        _raise_first(out)
        have = inv.pool_objects(mem, w.root, bits)
        want = Counter(self.spec.all_held(self.pstate))
        if have != want:
            extra, missing = sorted((have - want).elements()), sorted((want - have).elements())
            prop = "P6" if missing else "P1"
            raise _fail(prop, f"the pool holds {sorted(have.elements())} but the specification holds "
                              f"{sorted(want.elements())} (missing {missing}, unexpected {extra})")


def _where(s: PoolState, x: Any) -> str:
    if x is None:
        return ""
    tiers = ((("local", s.local),) + tuple((tier_name(k + 1), v) for k, (v, _) in enumerate(s.victims)))
    for name, arr in tiers:
        for i, l in enumerate(arr or ()):
            if l.private == x:
                return f" (from {name} P{i}'s private)"
            if x in l.shared:
                return f" (from {name} P{i}'s shared chain)"
    return ""


MACHINES: dict[str, type[LayerMachine]] = {"dequeue": DequeueMachine, "chain": ChainMachine, "pool": PoolMachine}


def machine_for(target: str, model: type[Model] = Model) -> type[LayerMachine]:
    """The machine of ``target`` checking ``model`` (a subclass per variant; the reference's is the class itself)."""
    base = MACHINES[target]
    if model is Model:
        return base
    name = f"{base.__name__}_{model.__name__}"
    cls = type(name, (base,), {"model": model, "__module__": __name__})
    return cls
