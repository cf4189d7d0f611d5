"""Replay a counterexample: re-execute its exact schedule and re-check its property.

``replay(cx)`` rebuilds the world from the trace's target, scenario, params and
variant, lets the thread named by each schedule entry take its step, finishes
any remaining operations round-robin, and runs the same checks as every
engine (properties.checks.check_execution). On the recorded variant the
schedule must be followable, or the file does not belong to it
(TraceFileError); on another variant (checking a fix) the run may diverge,
and ``diverged_at`` says where.

Besides what an execution shows at its end, replay evaluates the state
invariants (the catalog's ``state`` properties for the target: D1, D2, C5, C6,
P9, P11, through properties.state_checks) after every scheduling point, as the explorer does, so that a violation which exists
only mid-run (a D2 state a later step repairs) replays too (``StateWatch``,
properties/checked_run.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from model.harness import World, build
from model.kernel import Kernel, RoundRobin
from model.params import ParamError
from model.scenario import ScenarioError
from model.tracefile import Counterexample, TraceFileError
from model.variants import Model, registry, resolve
from properties import catalog
from properties.checked_run import StateWatch, check_all
from properties.invariants import Violation

__all__ = ["ReplayResult", "replay", "build_world", "load_trace", "needs_trust",
           "MAX_TRACE_BYTES"]

MAX_TRACE_BYTES = 64 * 1024 * 1024

# Called after every scheduling point with the kernel (reports snapshot memory here).
StepHook = Callable[[Kernel], None]


@dataclass
class ReplayResult:
    world: World
    kernel: Kernel
    violations: list[Violation]
    reproduced: bool               # the recorded property is violated again
    diverged_at: int | None = None  # schedule index where the variant could not follow it
    mismatches: list[str] = field(default_factory=list)  # recorded steps that differ from the replayed ones
    prop: str = ""                  # the recorded property
    note: str = ""                  # e.g. linearizability undecided within its budget

    @property
    def violation(self) -> Violation | None:
        """The first violation of the recorded property, if it is reproduced."""
        return next((v for v in self.violations if v.prop == self.prop), None)


def load_trace(path: str) -> Counterexample:
    """A trace.json read defensively: TraceFileError (one line) for a file that is not a replayable trace.

    Beyond model.tracefile.load's checks: the file's size, binary content,
    JSON nested too deeply to parse, a property the catalog does not know and
    an empty schedule are all refused before anything runs.
    """
    import json
    import os
    from pathlib import Path

    p = Path(path)
    try:
        size = os.stat(p).st_size
        if p.is_dir():
            raise TraceFileError(f"{p} is a directory: give the trace.json inside it")
        if size > MAX_TRACE_BYTES:
            raise TraceFileError(f"{p} is {size:,} bytes: larger than any trace poolcheck writes")
        raw = p.read_bytes()
    except OSError as e:
        raise TraceFileError(f"cannot read {p}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TraceFileError(f"{p} is not a text file (not UTF-8): not a poolcheck trace") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TraceFileError(f"{p} is not valid JSON (line {e.lineno}: {e.msg}); the file may be truncated") from None
    except RecursionError:
        raise TraceFileError(f"{p} nests JSON too deeply to read: not a poolcheck trace") from None
    cx = Counterexample.from_json(data)
    known = {pr.id for pr in catalog.CATALOG}
    if cx.prop not in known:
        raise TraceFileError(f"{p} names the property {cx.prop!r}, which is not in the catalog "
                             f"(properties/catalog.py)")
    if not cx.schedule:
        raise TraceFileError(f"{p} has an empty schedule: there is nothing to replay")
    return cx


def needs_trust(cx: Counterexample) -> bool:
    """True when replaying ``cx`` on its recorded variant would import code the trace names (not built in)."""
    return cx.variant.strip() not in registry()


def build_world(cx: Counterexample, model: type[Model]) -> World:
    """The world of ``cx`` on ``model``; TraceFileError if the trace's scenario or params cannot be built."""
    try:
        return build(cx.target, cx.scenario, cx.params, model)
    except (ScenarioError, ParamError) as e:
        raise TraceFileError(f"the trace's scenario {cx.scenario!r} cannot be run on {cx.target}: {e}") from None


def _why_not(k: Kernel, tid: int) -> str:
    th = k.threads[tid]
    if th.done:
        return f"thread {tid} has already finished its operations"
    return f"thread {tid} is blocked there"


def replay(cx: Counterexample, variant: type[Model] | None = None, on_step: StepHook | None = None) -> ReplayResult:
    """Run ``cx``'s schedule on its recorded variant (or ``variant``, to check a fix)."""
    model = variant or resolve(cx.variant)
    world = build_world(cx, model)
    k = world.kernel()
    watch = StateWatch(world)
    n = len(k.threads)
    diverged: int | None = None
    for i, tid in enumerate(cx.schedule):
        if not 0 <= tid < n:
            raise TraceFileError(f"schedule entry {i} names thread {tid}, but the scenario {cx.scenario!r} has {n} "
                                 f"thread{'s' if n != 1 else ''}")
        en = k.enabled()
        if tid not in en:
            if variant is None:
                if not en:
                    raise TraceFileError(f"the schedule has {len(cx.schedule)} entries but the execution ends after "
                                         f"{i}: the trace does not match its scenario and variant")
                raise TraceFileError(f"the schedule cannot be followed at entry {i} ({_why_not(k, tid)}): the trace "
                                     f"does not match its scenario and variant")
            diverged = i
            break
        k.step(tid)
        watch.observe(k)
        if on_step is not None:
            on_step(k)
    rr = RoundRobin()
    while en := k.enabled():
        k.step(rr.choose(en, k))
        watch.observe(k)
        if on_step is not None:
            on_step(k)
    mismatches = []
    if variant is None and cx.steps:
        for rec, s in zip(cx.steps, k.trace):
            if rec.get("go") != s.label or rec.get("thread") != s.tid:
                mismatches.append(f"step {s.index}: recorded {rec.get('go')!r} by thread {rec.get('thread')}, "
                                  f"replayed {s.label!r} by thread {s.tid}")
                break
    vs, note = check_all(world, k, watch)
    return ReplayResult(world, k, vs, any(v.prop == cx.prop for v in vs), diverged, mismatches, prop=cx.prop,
                        note=note)
