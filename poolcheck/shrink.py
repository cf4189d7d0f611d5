"""Shrinking a counterexample found by sampling, so that its report fits on one screen.

A sampled schedule is long and switches threads at random. ``shrink`` keeps
the violated property and makes the execution smaller in two passes, each
greedy and deterministic:

1. the scenario: drop one operation at a time (a thread whose last operation
   goes disappears); a smaller scenario is kept if the old schedule, followed
   leniently, or one of a few seeded random schedules still violates the
   property;
2. the parameters: start_index back to 0 (small indices read better than
   ones near 2^32), smaller rings and fewer Ps, each kept only if the
   property is still violated;
3. the schedule: remove chunks of scheduling choices (delta debugging, Zeller
   and Hildebrandt 2002); what is left runs "sticky" (the last thread goes on
   while it can), so fewer choices means fewer context switches.

A shrunk execution is only ever accepted if it has no more steps and no more
context switches than the one it replaces. The result is an ordinary kernel
run, so its ``kernel.schedule`` replays exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from model.harness import World, build
from model.kernel import Kernel, Scheduler
from model.params import Params
from model.scenario import Scenario
from model.schedulers import RandomScheduler
from model.variants import Model
from poolcheck.replay import StateWatch, check_all
from properties.invariants import Violation

__all__ = ["Shrunk", "shrink", "run_choices", "run_checked", "switches"]


@dataclass
class Shrunk:
    """A smallest-found execution violating the property."""

    scenario: Scenario
    params: Params
    world: World
    kernel: Kernel
    violation: Violation
    runs: int                 # executions tried while shrinking
    steps_before: int
    steps_after: int


def switches(schedule: Sequence[int]) -> int:
    """Context switches in a schedule: entries that name another thread than the one before."""
    return sum(1 for a, b in zip(schedule, schedule[1:]) if a != b)


def run_checked(world: World, scheduler: Scheduler) -> tuple[Kernel, list[Violation]]:
    """Run ``world`` to its end under ``scheduler``, checked as replay checks it (state invariants at every step)."""
    k = world.kernel()
    watch = StateWatch(world)
    while en := k.enabled():
        k.step(scheduler.choose(en, k))
        watch.observe(k)
    return k, check_all(world, k, watch)[0]


class _Sticky:
    """Follow choices leniently (skip a thread that cannot move), then keep running the last thread."""

    def __init__(self, choices: Sequence[int]) -> None:
        self.choices = list(choices)
        self.i = 0
        self.last: int | None = None

    def choose(self, enabled: Sequence[int], kernel: Kernel) -> int:
        while self.i < len(self.choices):
            c = self.choices[self.i]
            self.i += 1
            if c in enabled:
                self.last = c
                return c
        t = self.last if self.last is not None and self.last in enabled else enabled[0]
        self.last = t
        return t


def run_choices(world: World, choices: Sequence[int]) -> tuple[Kernel, list[Violation]]:
    """Follow ``choices`` leniently (skip a thread that cannot move), then finish sticky; checked."""
    return run_checked(world, _Sticky(choices))


def _pick(vs: Sequence[Violation], prop: str) -> Violation | None:
    return next((v for v in vs if v.prop == prop), None)


def _without(sc: Scenario, t: int, j: int) -> tuple[Scenario, int | None] | None:
    """``sc`` without thread t's j-th operation; the dropped thread id if the thread becomes empty."""
    ops = sc.threads[t][:j] + sc.threads[t][j + 1:]
    if ops:
        return Scenario(sc.target, sc.threads[:t] + (ops,) + sc.threads[t + 1:]), None
    if len(sc.threads) == 1:
        return None
    return Scenario(sc.target, sc.threads[:t] + sc.threads[t + 1:]), t


def _remap(choices: Sequence[int], dropped: int | None) -> list[int]:
    if dropped is None:
        return list(choices)
    return [c - 1 if c > dropped else c for c in choices if c != dropped]


class _Search:
    def __init__(self, target: str, params: Params, model: type[Model], prop: str, seed: int, budget: int) -> None:
        self.target, self.params, self.model, self.prop = target, params, model, prop
        self.seed, self.budget, self.runs = seed, budget, 0

    def left(self) -> bool:
        return self.runs < self.budget

    def try_choices(self, sc: Scenario, choices: Sequence[int]) -> tuple[World, Kernel, Violation] | None:
        self.runs += 1
        w = build(self.target, sc, self.params, self.model)
        k, vs = run_choices(w, choices)
        v = _pick(vs, self.prop)
        return (w, k, v) if v else None

    def try_random(self, sc: Scenario, tries: int) -> tuple[World, Kernel, Violation] | None:
        for i in range(tries):
            if not self.left():
                return None
            self.runs += 1
            w = build(self.target, sc, self.params, self.model)
            k, vs = run_checked(w, RandomScheduler(self.seed * 7919 + self.runs * 104_729 + i))
            v = _pick(vs, self.prop)
            if v:
                return w, k, v
        return None


def _better(k: Kernel, best: Kernel) -> bool:
    return len(k.trace) <= len(best.trace) and switches(k.schedule) <= switches(best.schedule)


def shrink(target: str, scenario: Scenario, params: Params, model: type[Model], schedule: Sequence[int], prop: str,
           *, seed: int = 0, budget: int = 600, random_tries: int = 25) -> Shrunk | None:
    """Shrink the execution of ``scenario`` under ``schedule`` that violates ``prop``; None if it does not."""
    s = _Search(target, params, model, prop, seed, budget)
    first = s.try_choices(scenario, schedule)
    if first is None:
        return None
    sc, (w, k, v) = scenario, first
    before = len(k.trace)
    # 1. the scenario, one operation at a time, last operations first (they matter least to a prefix).
    progress = True
    while progress and s.left():
        progress = False
        for t in reversed(range(len(sc.threads))):
            for j in reversed(range(len(sc.threads[t]))):
                cand = _without(sc, t, j)
                if cand is None or not s.left():
                    continue
                sc2, dropped = cand
                got = s.try_choices(sc2, _remap(k.schedule, dropped)) or s.try_random(sc2, random_tries)
                if got is not None and len(got[1].trace) <= len(k.trace):
                    sc, (w, k, v) = sc2, got
                    progress = True
                    break
            if progress:
                break
    # 2. the parameters.
    for cand_params in _smaller_params(s.params, target):
        if not s.left():
            break
        old = s.params
        s.params = cand_params
        got = s.try_choices(sc, k.schedule) or s.try_random(sc, random_tries)
        if got is not None and len(got[1].trace) <= len(k.trace):
            w, k, v = got
        else:
            s.params = old
    # 3. the schedule: delta debugging over the choices.
    choices = list(k.schedule)
    n = 2
    while len(choices) >= 2 and s.left():
        chunk = max(1, len(choices) // n)
        reduced = False
        for start in range(0, len(choices), chunk):
            if not s.left():
                break
            cand_choices = choices[:start] + choices[start + chunk:]
            got = s.try_choices(sc, cand_choices)
            if got is not None and _better(got[1], k):
                w, k, v = got
                choices = cand_choices
                reduced = True
                break
        if reduced:
            n = max(n - 1, 2)
        elif chunk == 1:
            break
        else:
            n = min(n * 2, len(choices))
    return Shrunk(sc, s.params, w, k, v, s.runs, before, len(k.trace))


def _smaller_params(p: Params, target: str) -> list[Params]:
    """Simpler parameter sets to try, most readable first; only valid ones."""
    out: list[Params] = []
    cands = []
    if p.start_index:
        cands.append(p.with_(start_index=0))
    if p.size > 2 and target == "dequeue":
        cands.append(p.with_(size=p.size // 2))
    if p.gomaxprocs > 1 and target == "pool":
        cands.append(p.with_(gomaxprocs=p.gomaxprocs - 1))
    for c in cands:
        try:
            out.append(c.validate(target))
        except ValueError:
            continue
    return out
