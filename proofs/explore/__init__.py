"""Exhaustive exploration of every interleaving of a scenario (DESIGN.md sections 2, 5 and 6).

``explore(target, scenario, params, model)`` checks every interleaving of
the scenario's operations, at the kernel's granularity (one scheduling point
per shared-memory access), against every property of the catalog that a
state, a step, a history or a final state can violate, and returns an
ExploreResult: the verdict, each violated property with a shortest
counterexample (a model.tracefile.Counterexample that ``poolcheck replay``
re-executes), the numbers of states and transitions, the depth, the
reachability goals and whether they were reached.

Verdicts: "pass" (complete search, no violation, every declared goal
reached), "fail" (a violation, or a declared goal the variant never reaches
although a schedule of the reference reaches it in the same configuration:
the variant lost a behaviour) and "incomplete" (``max_states`` ran out
first, or a goal the caller required is not reachable in this scenario:
the scenario's problem; never a pass). Goals are declared from witness
schedules of the reference (proofs/explore/goals.py).

The search (proofs/explore/search.py) is breadth-first over packed integer
states with hashing; thread-local states are memoised generator replays
(proofs/explore/local.py); linearizability is checked against the abstract
deque kept as ghost state at linearization points (proofs/explore/lin.py);
the reduction (``reduction=True``) is thread symmetry between identical
thieves (proofs/explore/symmetry.py). docs/explorer.md explains all of it
with measured figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from model.harness import build
from model.params import Params
from model.tracefile import Counterexample
from model.variants import Model, spec_of
from proofs import native
from proofs.explore.bench_configs import BENCH_CONFIGS, BenchConfig, BenchRow, bench
from proofs.explore.cx import build_counterexample, decide_lp
from proofs.explore.goals import GOALS, Goal, Witness, goal_names, witnesses
from proofs.explore.search import Search

__all__ = ["explore", "ExploreResult", "ExploreViolation", "VERDICTS", "BENCH_CONFIGS", "BenchConfig", "BenchRow",
           "bench"]

VERDICTS = ("pass", "fail", "incomplete")


def declared_goals(target: str, scenario: Any, params: Params) -> tuple[list[Goal], dict[str, Witness]]:
    """The goals a schedule of the reference reaches in this configuration, with those schedules."""
    found = witnesses(target, scenario, params)
    return [g for g in GOALS if g.name in found], found


@dataclass
class ExploreViolation:
    """A violated property with its shortest counterexample.

    ``length`` is the number of scheduling points up to and including the
    violating step; ``replayable`` says whether ``poolcheck replay`` reports
    the property again at the end of the recorded run (see proofs/explore/cx.py).
    """

    prop: str
    message: str
    counterexample: Counterexample
    length: int
    replayable: bool = True
    seconds: float = 0.0


@dataclass
class ExploreResult:
    target: str
    scenario: str
    variant: str
    params: Params
    verdict: str
    violations: list[ExploreViolation]
    states: int
    transitions: int
    max_depth: int
    seconds: float
    complete: bool
    goals: dict[str, bool]
    time_to_first_violation: float | None
    reduction: bool = True
    terminal_states: int = 0
    goal_descriptions: dict[str, str] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    search_seconds: float = 0.0   # the search alone (``seconds`` adds building the counterexamples)
    compaction: str = ""  # hash compaction: what was stored and P(omission) (then never complete, never a pass)
    # How the reference reaches each declared goal (proofs.explore.goals.Witness.describe()).
    goal_witnesses: dict[str, str] = field(default_factory=dict)
    # Goals the caller required that no schedule of the reference reaches in this configuration.
    unreachable_goals: list[str] = field(default_factory=list)
    is_reference: bool = True
    undecided: list[str] = field(default_factory=list)  # properties neither the search nor the history checker decided

    @property
    def unreached_goals(self) -> list[str]:
        return [g for g, ok in self.goals.items() if not ok]

    @property
    def lost_goals(self) -> list[str]:
        """Declared goals a complete search of a variant never reached: the reference reaches them here."""
        return self.unreached_goals if self.complete and not self.is_reference else []

    @property
    def not_exercised(self) -> list[str]:
        """The target's goals this configuration does not declare (no schedule of the reference reaches them)."""
        return [g for g in goal_names(self.target) if g not in self.goals]

    @property
    def states_per_second(self) -> float:
        """States per second of the search itself."""
        t = self.search_seconds or self.seconds
        return self.states / t if t > 0 else 0.0

    def summary(self) -> str:
        """One line: verdict, configuration and figures."""
        figures = (f"{self.states:,} states, {self.transitions:,} transitions, depth {self.max_depth}, "
                   f"{self.seconds:.1f}s ({self.states_per_second:,.0f} states/s), reduction "
                   f"{'on' if self.reduction else 'off'}")
        what = f"{self.target} \"{self.scenario}\" on {self.variant}"
        if self.verdict == "pass":
            goals = f"; goals reached: {', '.join(self.goals)}" if self.goals else "; no goals declared"
            return f"PASS {what}: every interleaving checked, {figures}{goals}"
        if self.verdict == "incomplete":
            if self.compaction:
                return f"INCOMPLETE {what}: {self.compaction}, {figures}"
            if not self.complete:
                return f"INCOMPLETE {what}: --max-states reached before the search was complete, {figures}"
            why = []
            if self.undecided:
                why.append(f"{', '.join(self.undecided)} undecided: linearization-point hits the history checker "
                           f"neither confirmed nor refuted on every execution (see notes)")
            if self.unreachable_goals:
                why.append(f"required goal(s) {', '.join(self.unreachable_goals)} not reachable in this scenario on "
                           f"the reference (the scenario's problem: enlarge it)")
            if self.is_reference and self.unreached_goals:
                why.append(f"goal(s) {', '.join(self.unreached_goals)} reached by a witness schedule but not by the "
                           f"search (report this as a bug of the explorer)")
            return f"INCOMPLETE {what}: {'; '.join(why)}; {figures}"
        if self.violations:
            props = ", ".join(f"{v.prop} (length {v.length})" for v in self.violations)
            lost = f"; lost behaviour: {', '.join(self.lost_goals)}" if self.lost_goals else ""
            return f"FAIL {what}: {props}{lost}; {figures}"
        return (f"FAIL {what}: lost behaviour: the reference reaches goal(s) {', '.join(self.lost_goals)} in this "
                f"configuration, no interleaving of {self.variant} does; {figures}")

    def to_json(self, traces: dict[str, str] | None = None) -> dict[str, Any]:
        """The --json object; ``traces`` maps a property to the path of its trace.json."""
        return {
            "target": self.target, "scenario": self.scenario, "variant": self.variant,
            "params": self.params.to_json(), "verdict": self.verdict,
            "violations": [{"property": v.prop, "message": v.message, "length": v.length,
                            "replayable": v.replayable,
                            "trace": (traces or {}).get(v.prop)} for v in self.violations],
            "states": self.states, "transitions": self.transitions, "max_depth": self.max_depth,
            "seconds": round(self.seconds, 3), "states_per_second": round(self.states_per_second),
            "complete": self.complete, "reduction": self.reduction, "terminal_states": self.terminal_states,
            "goals": dict(self.goals), "unreached_goals": self.unreached_goals, "notes": list(self.notes),
            "lost_goals": self.lost_goals, "unreachable_goals": list(self.unreachable_goals),
            "goal_witnesses": dict(self.goal_witnesses), "not_exercised": self.not_exercised,
            "compaction": self.compaction or None, "undecided": list(self.undecided),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "time_to_first_violation": (None if self.time_to_first_violation is None
                                        else round(self.time_to_first_violation, 3)),
        }


def explore(target: str, scenario: str, params: Params, model: type[Model] = Model, *, reduction: bool = True,
            max_states: int | None = None,
            progress: Callable[[dict[str, Any]], None] | None = None, jobs: int = 1,
            require_goals: Sequence[str] = (), core: str = "auto", compact: bool = False) -> ExploreResult:
    """Check every interleaving of ``scenario`` on ``model`` (see the module docstring).

    ``require_goals``: goal names the configuration must reach; one that no
    schedule of the reference reaches makes the verdict incomplete (ValueError
    if one is not a goal of ``target``).

    ``jobs`` > 1 spreads the search over that many processes (the same
    result). ``core``: "native" runs the search loop compiled
    (proofs/native), "python" in Python, "auto" native when it was built
    (jobs 1); the same result. ``compact``: hash compaction (native only),
    never a pass (proofs/native/core.py). Raises ScenarioError or ParamError on bad input; ValueError if
    ``max_states`` is not positive.
    """
    if max_states is not None and max_states < 1:
        raise ValueError(f"max_states must be at least 1, not {max_states}")
    unknown = [g for g in require_goals if g not in goal_names(target)]
    if unknown:
        raise ValueError(f"unknown {target} goal(s) {', '.join(unknown)}: use {', '.join(goal_names(target))}")
    world = build(target, scenario, params, model)
    text = str(world.scenario)
    goals, found = declared_goals(target, world.scenario, world.params)
    if compact and jobs > 1:
        raise ValueError("hash compaction runs in one process: use jobs=1 with compact")
    if jobs > 1:  # the same result over ``jobs`` worker processes (proofs/explore/parallel.py)
        from proofs.explore.parallel import ParallelSearch
        search: Search = ParallelSearch(world, goals, reduction=reduction, max_states=max_states, progress=progress,
                                        jobs=jobs)
    else:
        search = Search(world, goals, reduction=reduction, max_states=max_states, progress=progress,
                        core=native.select(core, compact), compact=compact)
    search.run()
    variant = spec_of(model)
    violations: list[ExploreViolation] = []
    notes: list[str] = []
    t0 = time.monotonic()
    extra = {"states": search.states, "reduction": reduction}
    for hit in search.hits.values():
        built = build_counterexample(search, hit, world, variant, text, extra)
        violations.append(ExploreViolation(hit.prop, built.counterexample.message, built.counterexample, hit.length,
                                           built.replayable, hit.seconds))
    # D5/C4: a linearization-point hit the history checker confirms, else that checker on every execution;
    # neither deciding makes the property undecided (proofs/explore/cx.decide_lp).
    undecided: list[str] = []
    for prop, cands in search.lp_candidates.items():
        lp = decide_lp(search, prop, cands, world, variant, text, extra, exhaustive=not violations)
        if lp.built is not None:
            violations.append(ExploreViolation(prop, lp.built.counterexample.message, lp.built.counterexample,
                                               lp.length, True, lp.seconds))
        notes += [lp.note] if lp.note else []
        undecided += [prop] if lp.undecided else []
    violations.sort(key=lambda v: (v.length, v.prop))
    unreachable = [g for g in require_goals if g not in found]
    seconds = search.seconds + (time.monotonic() - t0)
    if violations:
        verdict = "fail"
    elif not search.complete or undecided:
        verdict = "incomplete"
    elif any(not ok for ok in search.reached.values()):
        # The reference reaches the goal (its witness); a variant that does not has lost that behaviour. The
        # reference itself missing it would be the explorer disagreeing with the kernel: not a finding.
        verdict = "incomplete" if model is Model else "fail"
    elif unreachable:
        verdict = "incomplete"
    else:
        verdict = "pass"
    if search.complete and model is not Model:
        described = {goal.name: goal.description for goal in goals}
        notes += [f"goal {g} ({described[g]}) is lost: the reference reaches it in this configuration "
                  f"({found[g].describe()}), no interleaving of {variant} does"
                  for g, ok in search.reached.items() if not ok]
    first = min((v.seconds for v in violations), default=None)
    return ExploreResult(target, text, variant, world.params, verdict, violations, search.states,
                         search.transitions, search.max_depth, seconds, search.complete, dict(search.reached),
                         first, reduction, search.terminal_states,
                         {g.name: g.description for g in goals}, search.cpu_seconds, notes, search.seconds,
                         goal_witnesses={g: w.describe() for g, w in found.items()}, unreachable_goals=unreachable,
                         is_reference=model is Model, undecided=undecided,
                         compaction=search.native_stats.compaction if compact and search.native_stats else "")
