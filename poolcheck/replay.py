"""Replay a counterexample: re-execute its exact schedule and re-check its property."""

from __future__ import annotations

from dataclasses import dataclass, field

from model.harness import World, build
from model.kernel import Kernel, RoundRobin, ScheduleError
from model.tracefile import Counterexample, TraceFileError
from model.variants import Model, resolve
from properties.checks import check_execution
from properties.invariants import Violation

__all__ = ["ReplayResult", "replay"]


@dataclass
class ReplayResult:
    world: World
    kernel: Kernel
    violations: list[Violation]
    reproduced: bool               # the recorded property is violated again
    diverged_at: int | None = None  # schedule index where the variant could not follow it
    mismatches: list[str] = field(default_factory=list)  # recorded steps that differ from the replayed ones


def replay(cx: Counterexample, variant: type[Model] | None = None) -> ReplayResult:
    """Run ``cx``'s schedule on its recorded variant (or ``variant``, to check a fix)."""
    model = variant or resolve(cx.variant)
    world = build(cx.target, cx.scenario, cx.params, model)
    k = world.kernel()
    diverged: int | None = None
    for i, tid in enumerate(cx.schedule):
        if not 0 <= tid < len(k.threads):
            raise TraceFileError(f"schedule entry {i} names thread {tid}, but the scenario has {len(k.threads)} "
                                 f"threads")
        if tid not in k.enabled():
            if variant is None:
                raise TraceFileError(f"the schedule cannot be followed at entry {i} (thread {tid} cannot move): the "
                                     f"trace does not belong to this scenario and variant")
            diverged = i
            break
        k.step(tid)
    try:
        k.run(RoundRobin())
    except ScheduleError:  # pragma: no cover - run() only chooses enabled threads
        pass
    mismatches = []
    if variant is None and cx.steps:
        for rec, s in zip(cx.steps, k.trace):
            if rec.get("go") != s.label or rec.get("thread") != s.tid:
                mismatches.append(f"step {s.index}: recorded {rec.get('go')!r} by thread {rec.get('thread')}, "
                                  f"replayed {s.label!r} by thread {s.tid}")
                break
    vs = check_execution(world, k)
    return ReplayResult(world, k, vs, any(v.prop == cx.prop for v in vs), diverged, mismatches)
