"""Concurrent scenarios for Hypothesis, Lincheck-style (DESIGN.md section 5).

A ``Case`` is a scenario (the owner's operations and one to three thieves'
for a dequeue or chain; goroutines on Ps for the Pool), the model parameters
and a schedule. Two kinds of schedule:

- ``choices``: a list of thread ids drawn in bursts, followed in order
  (``Bursts``: an entry naming a thread that cannot move is skipped) and
  then run without preemption: any list is valid, so shrinking never produces an
  invalid example, and shorter lists with smaller entries are simpler;
- ``pct``: a PCT plan (properties/pct.py: priorities and change points,
  Burckhardt et al. 2010) for bugs that need a few specific preemptions
  deep into a long run.

``run_case`` executes a case in the kernel and returns every violated
property (properties.checks.check_execution: D3, D4, D5 by the
linearizability checker, D6, D7, D9, and the chain and Pool analogues).
``save_case`` writes the counterexample folder through the one writer
(poolcheck.artifacts) so that ``poolcheck replay <folder>/trace.json``
re-executes it exactly (the schedule saved is ``kernel.schedule``, every
thread choice, whatever drew it).

Strategies shrink towards small things: fewer thieves, shorter programs,
``push`` before ``push:nil`` before ``pop``, ring size 1, start index 0
(no wrap-around), full 32-bit width, fewer PCT change points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from model.harness import World, build
from model.kernel import Kernel
from model.params import Params
from model.scenario import Scenario
from model.tracefile import Counterexample, from_kernel
from model.variants import Model, spec_of
from poolcheck import artifacts
from properties.checks import check_execution
from properties.invariants import Violation
from properties.pct import PCT, PCTPlan

__all__ = ["Case", "Bursts", "Outcome", "scenarios", "params_for", "choices", "pct_plans", "cases", "run_case",
           "counterexample", "save_case", "KINDS", "DEQUE_OPS", "POOL_OPS"]

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
        return PCT(self.pct) if self.pct is not None else Bursts(self.choices)

    def __str__(self) -> str:
        sched = str(self.pct) if self.pct is not None else f"choices={list(self.choices)}"
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

    When the choices run out, the lowest-numbered enabled thread runs until it
    finishes or blocks (no further preemption): most bugs need only one or two
    preemptions (Musuvathi & Qadeer, PLDI 2007), which the bursts provide, and
    a round-robin tail would add many context switches that only obscure a
    counterexample.
    """

    def __init__(self, choices: Sequence[int]) -> None:
        self.choices = list(choices)
        self.i = 0

    def choose(self, enabled: Sequence[int], kernel: Kernel) -> int:
        while self.i < len(self.choices):
            t = self.choices[self.i]
            self.i += 1
            if t in enabled:
                return t
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
    bits = draw(st.sampled_from((32, 3, 4, 5)))
    half = 1 << (bits - 1)
    if target == "dequeue":
        size = draw(st.sampled_from([s for s in (1, 2, 4) if s <= half]))
        return Params(dequeue_bits=bits, size=size, start_index=draw(_wrap_start(bits, 12))).validate("dequeue")
    init = draw(st.sampled_from([s for s in (1, 2, 4) if s <= half]))
    limit = draw(st.sampled_from([init * 2 ** k for k in range(4) if init * 2 ** k <= min(half, 8)]))
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
MAX_STEP = {"dequeue": 48, "chain": 64, "pool": 120}
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
    return Case(target, sc, params, choices=draw(choices()))


# -- running --------------------------------------------------------------
def run_case(case: Case, model: type[Model] = Model) -> Outcome:
    """Execute ``case`` on ``model`` in the kernel and check everything one execution can violate."""
    world = build(case.target, case.scenario, case.params, model)
    kernel = world.kernel()
    kernel.run(case.scheduler())
    return Outcome(case, world, kernel, check_execution(world, kernel))


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


def save_case(outcome: Outcome, model: type[Model], out: Path, engine: str = "hypothesis",
              extra: dict[str, Any] | None = None) -> Path:
    """Write the counterexample folder of a failing outcome; return its trace.json."""
    folder = artifacts.save(counterexample(outcome, model, engine, extra=extra), out)
    return folder / "trace.json"
