"""Concurrent scenarios for Hypothesis, Lincheck-style (DESIGN.md section 5).

A ``Case`` is a scenario (the owner's operations and one to three thieves'
for a dequeue or chain; goroutines on Ps for the Pool), the model parameters
and a schedule. Two kinds of schedule:

- ``choices``: a list of thread ids drawn in bursts, followed in order
  (``Bursts``: an entry naming a thread that cannot move is skipped), then
  run on without preemption or round-robin: any list is valid, so shrinking
  never produces an invalid example, and shorter lists are simpler;
- ``pct``: a PCT plan (properties/pct.py: priorities and change points,
  Burckhardt et al. 2010) for bugs that need a few specific preemptions
  deep into a long run.

``run_case`` executes a case in the kernel and returns every violated
property (properties.checks.check_execution: D3, D4, D5 by the
linearizability checker, D6, D7, D9, and the chain and Pool analogues).
``save_case`` writes the counterexample folder through the saver it is given
(poolcheck.artifacts.saver, the one writer) so that ``poolcheck replay <folder>/trace.json``
re-executes it exactly (the schedule saved is ``kernel.schedule``, every
thread choice, whatever drew it).

Strategies shrink towards small things: fewer thieves, shorter programs,
``push`` before ``push:nil`` before ``pop``, ring size 1, start index 0
(no wrap-around), full 32-bit width, fewer PCT change points.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from model.harness import World, build
from model.kernel import Kernel, RoundRobin
from model.params import Params
from model.scenario import Scenario
from model.tracefile import Counterexample, from_kernel
from model.variants import Model, spec_of
from properties.checked_run import StateWatch, check_all
from properties.invariants import Violation
from properties.linearizability import Undecided
from properties.pct import PCT, PCTPlan
from properties.sinks import Saver

__all__ = ["Case", "Bursts", "GOALS", "goals_of", "Outcome", "scenarios", "params_for", "choices", "pct_plans", "cases", "run_case",
           "counterexample", "save_case", "p3_at_unpin", "minimize", "explicit", "KINDS", "DEQUE_OPS", "POOL_OPS"]

KINDS = ("choices", "pct")
DEQUE_OPS = ("push", "push:nil", "pop")
POOL_OPS = ("put", "get", "gc", "procs=1", "procs=2", "procs=3")
MAX_CHOICES = 160


@dataclass(frozen=True)
class Case:
    """One concurrent test case: what runs, with which parameters, under which schedule."""

    target: str
    scenario: Scenario
    params: Params
    choices: tuple[int, ...] = ()
    pct: PCTPlan | None = None
    round_robin: bool = False    # after ``choices``: round-robin (True) or run on without preemption

    @property
    def kind(self) -> str:
        return "pct" if self.pct is not None else "choices"

    @property
    def nthreads(self) -> int:
        return len(self.scenario.threads)

    @property
    def nops(self) -> int:
        return self.scenario.nops

    def scheduler(self) -> Bursts | PCT:
        return PCT(self.pct) if self.pct is not None else Bursts(self.choices, self.round_robin)

    def __str__(self) -> str:
        sched = str(self.pct) if self.pct is not None else \
            f"choices={list(self.choices)}" + (" then round-robin" if self.round_robin else "")
        return f"{self.target} {str(self.scenario)!r} {_show_params(self.target, self.params)} {sched}"


def _show_params(target: str, p: Params) -> str:
    d = Params()
    keys = {"dequeue": ("dequeue_bits", "size", "start_index"),
            "chain": ("dequeue_bits", "init_size", "dequeue_limit", "start_index"),
            "pool": ("gomaxprocs", "with_new", "dequeue_bits")}[target]
    parts = [f"{k}={getattr(p, k)}" for k in keys if getattr(p, k) != getattr(d, k)]
    return "(" + ", ".join(parts) + ")"


@dataclass
class Outcome:
    """A case executed: the world, the finished kernel and what it violates."""

    case: Case
    world: World
    kernel: Kernel
    violations: list[Violation] = field(default_factory=list)
    followed: int | None = None   # for a run-on Bursts schedule: how many steps followed its choices
    entries: list[tuple[int, int]] = field(default_factory=list)   # (thread, operation) per scheduling point
    shrunk_from: Case | None = None   # set by minimize: the case it started from (Hypothesis's shrunk case)
    undecided: bool = False   # the history checker ran out of budget: D5/C4 unknown, the rest checked
    shrink_runs: int = 0      # set by minimize: the executions it tried

    @property
    def failed(self) -> bool:
        return bool(self.violations)


class Bursts:
    """Follow ``choices`` by thread id, skipping entries that name a thread unable to move; then no preemption.

    Unlike model.schedulers.Prefix (entry modulo the enabled count), an entry
    here means the same thread whatever else exists, and an entry for a thread
    that has finished, is blocked or was deleted is ignored. So when shrinking
    deletes a thread or an operation, the rest of the schedule keeps its
    meaning, and Hypothesis can reach a minimal scenario and schedule.

    When the choices run out, either the lowest-numbered enabled thread runs
    until it finishes or blocks (no further preemption: most bugs need only one
    or two preemptions, Musuvathi & Qadeer, PLDI 2007, which the bursts
    provide), or, with ``round_robin``, the threads alternate step by step,
    which makes contention on headTail (failed CompareAndSwaps) common. Cases
    draw both; shrinking prefers no preemption, the simpler counterexample.
    """

    def __init__(self, choices: Sequence[int], round_robin: bool = False) -> None:
        self.choices = list(choices)
        self.i = 0
        self.rest = RoundRobin() if round_robin else None
        self.followed = 0    # steps taken from ``choices`` (the rest came from the completion policy)

    def choose(self, enabled: Sequence[int], kernel: Kernel) -> int:
        while self.i < len(self.choices):
            t = self.choices[self.i]
            self.i += 1
            if t in enabled:
                self.followed += 1
                return t
        if self.rest is not None:
            return self.rest.choose(enabled, kernel)
        # After the prefix, no more preemptions: the lowest enabled thread runs on.
        return min(enabled)


# -- strategies -----------------------------------------------------------
@st.composite
def _wrap_start(draw: st.DrawFn, bits: int, reach: int) -> int:
    """A start index 0 (shrinks here) or within ``reach`` operations below 2**bits (wrap-around)."""
    back = draw(st.integers(0, min(reach, (1 << bits) - 1)))
    return (1 << bits) - back if back else 0


@st.composite
def params_for(draw: st.DrawFn, target: str) -> Params:
    """Parameters drawn per case: small and full widths, starts just below the wrap."""
    if target == "pool":
        procs = draw(st.integers(1, 3))
        return Params(gomaxprocs=procs, with_new=draw(st.booleans())).validate("pool")
    bits = draw(st.sampled_from((32, 3, 4, 5, 2)))
    half = 1 << (bits - 1)
    if target == "dequeue":
        size = draw(st.sampled_from([s for s in (1, 2, 4) if s <= half]))
        return Params(dequeue_bits=bits, size=size, start_index=draw(_wrap_start(bits, 12))).validate("dequeue")
    init = draw(st.sampled_from([s for s in (1, 2, 4) if s <= half]))
    # None is Go's own dequeueLimit, (1 << bits) / 4: small enough to reach only at small widths.
    go_limit = Params(dequeue_bits=bits).limit
    limits: list[int | None] = [init * 2 ** k for k in range(4) if init * 2 ** k <= min(half, 8)]
    if init <= go_limit:
        limits.append(None)
    limit = draw(st.sampled_from(limits))
    return Params(dequeue_bits=bits, init_size=init, dequeue_limit=limit,
                  start_index=draw(_wrap_start(bits, 12))).validate("chain")


@st.composite
def scenarios(draw: st.DrawFn, target: str, multi_producer: bool = False, max_owner: int = 8,
              max_thieves: int = 3, max_thief_ops: int = 4) -> Scenario:
    """An owner's operations and one to ``max_thieves`` thieves' (dequeue, chain), or goroutines (pool)."""
    if target == "pool":
        gs = draw(st.lists(st.lists(st.sampled_from(POOL_OPS), min_size=1, max_size=4), min_size=2, max_size=3))
        return Scenario("pool", tuple(tuple(g) for g in gs))
    owner = draw(st.lists(st.sampled_from(DEQUE_OPS), min_size=1, max_size=max_owner))
    thief_ops = ("tail", "push") if multi_producer else ("tail",)
    thieves = draw(st.lists(st.lists(st.sampled_from(thief_ops), min_size=1, max_size=max_thief_ops),
                            min_size=1, max_size=max_thieves))
    return Scenario(target, (tuple(owner),) + tuple(tuple(t) for t in thieves))


MAX_THREADS = 4
MAX_STEP = {"dequeue": 24, "chain": 32, "pool": 64}
"""PCT change points are drawn in 1..MAX_STEP[target], about the length of a drawn scenario's run."""


@st.composite
def choices(draw: st.DrawFn, max_size: int = MAX_CHOICES) -> tuple[int, ...]:
    """A prefix of thread choices, drawn as bursts: (choice, length) runs, then no preemption.

    Each choice names a thread (``Bursts`` skips it if that thread cannot move). Bursts make
    context-bounded schedules likely (a thread preempted after a few steps while another runs
    whole operations, as in CHESS, Musuvathi & Qadeer 2007), where a uniform per-step draw
    would almost never produce them. The draws do not depend on the number of
    threads, so deleting a thread while shrinking leaves the rest of the schedule in place.
    """
    length = st.one_of(st.integers(1, 3), st.integers(1, 16))  # short bursts: a preemption inside an operation
    runs = draw(st.lists(st.tuples(st.integers(0, MAX_THREADS - 1), length), max_size=12))
    out: list[int] = []
    for c, k in runs:
        out.extend([c] * k)
    return tuple(out[:max_size])


@st.composite
def pct_plans(draw: st.DrawFn, nthreads: int, max_depth: int = 3, max_step: int = 64) -> PCTPlan:
    """A PCT plan: a priority order and up to ``max_depth - 1`` change points in 1..max_step.

    The priorities are drawn as one key per possible thread (not as a permutation of
    ``nthreads``), so that deleting a thread while shrinking keeps the others' order.
    """
    keys = draw(st.lists(st.integers(0, 7), min_size=MAX_THREADS, max_size=MAX_THREADS))
    order = sorted(range(nthreads), key=lambda t: (-keys[t % MAX_THREADS], t))
    cps = draw(st.lists(st.integers(1, max_step), max_size=max_depth - 1, unique=True))
    return PCTPlan(tuple(order), tuple(sorted(cps)))


@st.composite
def cases(draw: st.DrawFn, target: str, kind: str = "choices", model: type[Model] = Model) -> Case:
    """A whole case for ``target`` with a schedule of ``kind`` ("choices" or "pct")."""
    if kind not in KINDS:
        raise ValueError(f"unknown schedule kind {kind!r}: use one of {', '.join(KINDS)}")
    sc = draw(scenarios(target, model.multi_producer))
    params = draw(params_for(target))
    if kind == "pct":
        return Case(target, sc, params, pct=draw(pct_plans(len(sc.threads), max_step=MAX_STEP[target])))
    return Case(target, sc, params, choices=draw(choices()), round_robin=draw(st.booleans()))


# -- reachability goals ---------------------------------------------------
GOALS: dict[str, dict[str, str]] = {
    "dequeue": {
        "typ-not-nil": "some pushHead finds the head slot still owned by a popTail (typ != nil) and fails",
        "tail-cas-lost": "some popTail loses its CompareAndSwap on headTail and retries",
        "head-cas-lost": "some popHead loses its CompareAndSwap to a popTail and retries",
        "full": "some pushHead finds the ring full",
    },
    "chain": {
        "grow": "the producer links a new, larger dequeue (d.next.Store(d2))",
        "cap": "a new dequeue is capped at dequeueLimit",
        "drop": "some popTail drops a drained dequeue (c.tail.CompareAndSwap(d, d2) succeeds)",
        "back-up": "some popHead backs up to the previous dequeue (d = d.prev.Load())",
    },
    "pool": {
        "steal": "some Get steals from another P's shared chain",
        "victim": "some Get is served from the victim cache",
        "victim-marked-empty": "some getSlow marks the victim cache empty",
        "new": "some Get calls New",
        "pin-slow-resize": "pinSlow reallocates p.local after a GOMAXPROCS change",
    },
}
"""Reachability goals (DESIGN.md section 5, "no vacuous passes"): a run of the scenario tests that never
reaches one of them fails, so a strategy too narrow to exercise the interesting code cannot pass by doing
nothing."""


def goals_of(outcome: Outcome) -> set[str]:
    """The goals of GOALS[target] one execution reached, read off its trace."""
    got: set[str] = set()
    c = outcome.case
    allocs = 0
    for s in outcome.kernel.trace:
        lab = s.label
        if lab.endswith("typ := atomic.LoadPointer(&slot.typ)") and s.result is not None:
            got.add("typ-not-nil")
        elif lab == "poolqueue.go:popTail: d.headTail.CompareAndSwap(ptrs, ptrs2)" and not s.result:
            got.add("tail-cas-lost")
        elif lab == "poolqueue.go:popHead: d.headTail.CompareAndSwap(ptrs, ptrs2)" and not s.result:
            got.add("head-cas-lost")
        elif lab == "poolqueue.go:pushHead: d.next.Store(d2)":
            got.add("grow")
        elif lab == "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)" and s.kind == "write":
            size = s.value[1] if isinstance(s.value, tuple) else None
            if size == outcome.world.cfg.limit and size != c.params.init_size:
                got.add("cap")
        elif lab == "poolqueue.go:popTail: c.tail.CompareAndSwap(d, d2)" and s.result:
            got.add("drop")
        elif lab == "poolqueue.go:popHead: d = d.prev.Load()" and s.result is not None:
            got.add("back-up")
        elif lab == "pool.go:getSlow: l.private = nil":
            got.add("victim")
        elif lab == "pool.go:getSlow: atomic.StoreUintptr(&p.victimSize, 0)":
            got.add("victim-marked-empty")
        elif lab == "pool.go:Get: x = p.New()":
            got.add("new")
        elif lab == "pool.go:pinSlow: local := make([]poolLocal, size)":
            allocs += 1
    if c.target == "pool":
        if allocs > 1 and any(op.startswith("procs=") for t in c.scenario.threads for op in t):
            got.add("pin-slow-resize")
        got |= _pool_sources(outcome)
    for r in outcome.kernel.history:
        if r.name.startswith("push") and r.result is False:
            got.add("full")
    return got & set(GOALS[c.target])


def _pool_sources(outcome: Outcome) -> set[str]:
    """Pool goals read off the history: a Get returning an object another goroutine Put (steal) or from
    the victim (an object Put before a GC that had completed when the Get began)."""
    out: set[str] = set()
    put_by = {r.arg: r for r in outcome.kernel.history if r.name == "put" and r.ret is not None}
    for r in outcome.kernel.history:
        if r.name != "get" or r.ret is None or r.result not in put_by:
            continue
        p = put_by[r.result]
        if p.epoch_ret < r.epoch_call:
            out.add("victim")
        elif p.tid != r.tid and p.ret is not None and p.ret < r.call:
            out.add("steal")
    return out


# -- running --------------------------------------------------------------
def run_case(case: Case, model: type[Model] = Model, watch: bool = False) -> Outcome:
    """Execute ``case`` on ``model`` in the kernel and check everything one execution can violate
    (properties.checks.check_execution: exactly what ``poolcheck replay`` re-checks); with ``watch``, the
    state invariants after every step too (properties.checked_run.StateWatch, as replay and sampling do)."""
    world = build(case.target, case.scenario, case.params, model)
    kernel = world.kernel()
    sched = case.scheduler()
    rec = _Recording(sched)
    states = StateWatch(world) if watch else None
    if states is None:
        kernel.run(rec)
    else:
        while en := kernel.enabled():
            kernel.step(rec.choose(en, kernel))
            states.observe(kernel)
    # An undecided D5/C4 leaves the execution's races, faults and state checks counted (dropping them with the
    # history would hide a D7 behind an undecided D5).
    vs, note = check_all(world, kernel, states)
    followed = sched.followed if isinstance(sched, Bursts) and sched.rest is None else None
    return Outcome(case, world, kernel, vs, followed, rec.entries, undecided=bool(note))


class _Recording:
    """A scheduler wrapper noting, at each scheduling point, the thread chosen and the operation it is in."""

    def __init__(self, inner: Bursts | PCT) -> None:
        self.inner = inner
        self.entries: list[tuple[int, int]] = []

    def choose(self, enabled: Sequence[int], kernel: Kernel) -> int:
        t = self.inner.choose(enabled, kernel)
        self.entries.append((t, kernel.threads[t].op_index))
        return t


_GET_UNPIN = "pool.go:Get: runtime_procUnpin()"
_PUT_UNPIN = "pool.go:Put: runtime_procUnpin()"


def p3_at_unpin(world: World, kernel: Kernel) -> list[Violation]:
    """P3 with each Put and Get dated by the GC count at its procUnpin, read off the trace.

    An independent cross-check of properties.checks.p3_victim_aging (which
    dates them by OpRecord.epoch_unpin): the two must agree on every run.

    An object enters the pool and leaves it while its goroutine is pinned, and
    no GC runs while a P is pinned (P5), so the GC count at the unpin is the
    one at which the object entered or left. (A Put unpins as its last step;
    a Get unpins before calling New and before the user reads the object.)
    """
    assert world.rt is not None
    numgc = world.rt.numgc
    epoch = 0
    at: dict[tuple[int, int], int] = {}
    for s in kernel.trace:
        for a, v in s.writes:
            if a == numgc:
                epoch = int(v)
        if s.label in (_GET_UNPIN, _PUT_UNPIN):
            at[(s.tid, s.op)] = epoch
    put_epoch: dict[Any, int] = {}
    out: list[Violation] = []
    done = sorted((r for r in kernel.history if r.ret is not None), key=lambda r: r.ret or 0)
    for r in done:
        e = at.get((r.tid, r.seq))
        if e is None:
            continue
        if r.name == "put":
            put_epoch[r.arg] = e
        elif r.name == "get" and r.result in put_epoch and e - put_epoch[r.result] >= 2:
            out.append(Violation("P3", f"object {r.result} was Put before GC {put_epoch[r.result] + 1} and taken "
                                       f"from the pool by thread {r.tid}'s Get after GC {e}: it survived "
                                       f"{e - put_epoch[r.result]} GCs", r.ret))
    return out


# -- a last deletion pass --------------------------------------------------------
def explicit(outcome: Outcome) -> Case:
    """The same execution as an explicit schedule: the thread choices up to the last one the completion
    policy would not have made itself, then no preemption."""
    c = outcome.case
    sched = outcome.kernel.schedule
    n = outcome.followed if outcome.followed is not None else len(sched)
    return Case(c.target, c.scenario, c.params, tuple(sched[:n]))


def minimize(outcome: Outcome, model: type[Model] = Model, max_tries: int = 2000,
             reschedule_budget: int = 3000, *, prop: str | None = None, watch: bool = False) -> Outcome:
    """Delete threads, operations and schedule entries while the execution still fails; return the result.

    Hypothesis's shrinker deletes and simplifies *choices*; it cannot trade a
    round-robin tail and extra operations (which give interleaving for free)
    for a few explicit schedule entries, because that needs entries added
    while operations go. This pass works on the explicit schedule instead
    (``explicit``), where deleting an operation deletes exactly its entries
    and leaves every other entry naming the same thread (``Bursts`` skips
    entries for threads that cannot move), so each deletion keeps the rest of
    the interleaving.

    When no single deletion fails any more, each smaller scenario (a thread or
    an operation fewer) gets a second chance under every two-burst schedule
    (thread a runs i steps, thread b runs j steps, then no preemption: the
    shapes of context-bounded testing, Musuvathi & Qadeer 2007), shortest
    first, within ``reschedule_budget`` executions in all; deleting an early
    operation shifts where the preemption must fall, which single deletions
    cannot express. The result is 1-minimal under deletions: no single
    thread, operation or entry can be removed, nor the schedule cut short,
    and the execution still fail. Any failure counts, as in Hypothesis's own
    shrinking (the first violation may change), unless ``prop`` names the
    property to keep; ``watch`` checks the state invariants at every step
    (properties.checked_run), as the sample engine does.

    Before the deletions, simpler parameters are tried (start index 0, a
    smaller ring, fewer Ps), each kept if the execution, on its schedule,
    still fails and takes no more steps. This is the project's one shrinker:
    Hypothesis's cases (properties/fuzz.py) and sampled executions
    (poolcheck/engine/sample.py) both end here.
    """
    judge = _Judge(model, prop, watch)
    if not judge.fails(outcome):
        return outcome
    cur = judge.run(explicit(outcome))
    if not judge.fails(cur):  # the explicit schedule must replay the same execution
        return outcome
    cur = _simpler_params(cur, judge)
    tries = 0
    budget = [reschedule_budget]
    while tries < max_tries:
        found = None
        for cand in _deletions(cur):
            tries += 1
            found = _smaller_failure(cand, cur, judge)
            if found is not None or tries >= max_tries:
                break
        if found is None and budget[0] > 0:
            for cand in _deletions(cur, schedule=False):
                found = _reschedule(cand, cur, judge, budget)
                if found is not None or budget[0] <= 0:
                    break
        if found is None:
            break
        cur = found
    cur.shrunk_from = outcome.case
    cur.shrink_runs = judge.runs
    return cur


@dataclass
class _Judge:
    """What counts as still failing while shrinking: any violation, or one of ``prop``; runs counted."""

    model: type[Model]
    prop: str | None
    watch: bool
    runs: int = 0

    def run(self, case: Case) -> Outcome:
        self.runs += 1
        return run_case(case, self.model, self.watch)

    def fails(self, o: Outcome) -> bool:
        return o.failed if self.prop is None else any(v.prop == self.prop for v in o.violations)


def _smaller_params(p: Params, target: str) -> list[Params]:
    """Simpler parameter sets to try, most readable first (small indices read better than ones near 2^32)."""
    cands = []
    if p.start_index:
        cands.append(p.with_(start_index=0))
    if p.size > 2 and target == "dequeue":
        cands.append(p.with_(size=p.size // 2))
    if p.gomaxprocs > 1 and target == "pool":
        cands.append(p.with_(gomaxprocs=p.gomaxprocs - 1))
    out: list[Params] = []
    for c in cands:
        try:
            out.append(c.validate(target))
        except ValueError:
            continue
    return out


def _simpler_params(cur: Outcome, judge: _Judge) -> Outcome:
    """``cur`` with each simpler parameter set that still fails on its schedule in no more steps."""
    for params in _smaller_params(cur.case.params, cur.case.target):
        c = cur.case
        try:
            o = judge.run(Case(c.target, c.scenario, params, c.choices))
            if judge.fails(o):
                o = judge.run(explicit(o))
        except Undecided:
            continue
        if judge.fails(o) and len(o.kernel.trace) <= len(cur.kernel.trace):
            cur = o
    return cur


def _smaller_failure(cand: Case, cur: Outcome, judge: _Judge) -> Outcome | None:
    try:
        o = judge.run(cand)
        if not judge.fails(o):
            return None
        o = judge.run(explicit(o))
    except Undecided:   # a candidate the checker cannot decide is not a smaller failure
        return None
    return o if judge.fails(o) and _size(o.case) < _size(cur.case) else None


def _reschedule(cand: Case, cur: Outcome, judge: _Judge, budget: list[int]) -> Outcome | None:
    """A failing two-burst schedule for ``cand``'s scenario, shortest first, or None."""
    base = judge.run(Case(cand.target, cand.scenario, cand.params))
    steps = Counter(t for t, _ in base.entries)
    n = len(cand.scenario.threads)
    shapes = sorted((i + j, a, i, b, j) for a in range(n) for b in range(n) if a != b
                     for i in range(1, steps[a] + 1) for j in range(1, steps[b] + 1))
    for _, a, i, b, j in shapes:
        if budget[0] <= 0:
            return None
        budget[0] -= 1
        found = _smaller_failure(Case(cand.target, cand.scenario, cand.params, (a,) * i + (b,) * j), cur, judge)
        if found is not None:
            return found
    return None


def _deletions(o: Outcome, schedule: bool = True) -> list[Case]:
    c = o.case
    threads = c.scenario.threads
    entries = o.entries
    out: list[Case] = []
    for t in range(len(threads)):          # a whole thread (not the owner of a deque)
        if len(threads) > 1 and (t > 0 or c.target == "pool"):
            sc = Scenario(c.target, threads[:t] + threads[t + 1:])
            ch = tuple(x - (x > t) for x, e in zip(c.choices, entries) if e[0] != t)
            out.append(Case(c.target, sc, c.params, ch))
    for t, ops in enumerate(threads):       # one operation
        if len(ops) < 2:
            continue
        for j in range(len(ops)):
            sc = Scenario(c.target, threads[:t] + (ops[:j] + ops[j + 1:],) + threads[t + 1:])
            ch = tuple(x for x, e in zip(c.choices, entries) if e != (t, j))
            out.append(Case(c.target, sc, c.params, ch))
    if not schedule:
        return out
    for k in range(len(c.choices)):         # the schedule's tail (then no preemption), shortest first
        out.append(Case(c.target, c.scenario, c.params, c.choices[:k]))
    for i in range(len(c.choices)):         # one schedule entry
        out.append(Case(c.target, c.scenario, c.params, c.choices[:i] + c.choices[i + 1:]))
    return out


def _size(c: Case) -> tuple[int, int, int, tuple[int, ...]]:
    return (c.nthreads, c.nops, len(c.choices), c.choices)


def counterexample(outcome: Outcome, model: type[Model], engine: str = "hypothesis",
                   violation: Violation | None = None, extra: dict[str, Any] | None = None) -> Counterexample:
    """The trace.json content for a failing outcome (its first violation unless one is named)."""
    v = violation or outcome.violations[0]
    c = outcome.case
    info: dict[str, Any] = {"schedule_kind": c.kind, "threads": c.nthreads, "operations": c.nops,
                            "all_violations": sorted({x.prop for x in outcome.violations})}
    if c.pct is not None:
        info["pct"] = {"order": list(c.pct.order), "change_points": list(c.pct.change_points)}
    else:
        info["choices"] = list(c.choices)
    info.update(extra or {})
    return from_kernel(outcome.kernel, target=c.target, scenario=str(c.scenario), params=c.params,
                       variant=spec_of(model), prop=v.prop, message=v.message, engine=engine,
                       violating_step=v.step, extra=info)


def save_case(outcome: Outcome, model: type[Model], save: Saver, engine: str = "hypothesis",
              extra: dict[str, Any] | None = None) -> Path:
    """Write the counterexample folder of a failing outcome through ``save``; return its trace.json."""
    folder = save(counterexample(outcome, model, engine, extra=extra))
    return folder / "trace.json"
