"""Where ``poolcheck conform --schedules`` gets its schedules, and the run that compares them on the model and Go.

Sources (each yields (target, scenario, params, schedule)):

- ``explorer_schedules``: for a bench configuration, one schedule per
  transition of the scenario's state graph (the explorer's graph, with its
  thread-symmetry reduction: identical thieves in identical local states are
  one), each completed round-robin to the end: every transition the explorer
  takes is taken by at least one schedule replayed on Go. E1, E2 and the
  two Pool configurations E6 and G2 in full.
- ``sampled_schedules``: uniformly random walks (seeded), for the larger
  configurations (E3 to E5, and E6+P: three Ps).
- ``hypothesis_schedules``: the fuzz engine's own strategies
  (properties.scenarios: scenarios, burst choices and PCT plans) at Go's
  width, run on the model; the schedule each one produced.
- ``regression_schedules``: every trace in tests/regressions, on its
  variant's Go mutant (gomutants.py) when it has one.

``run_schedules`` replays them all (model side: model.harness; Go side:
goreplay.GoReplayer) and reports counts and the first differences.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as _seed
from hypothesis import strategies as st

from model.harness import World, build
from model.kernel import Kernel
from model.params import Params
from model.scenario import Scenario
from model.variants.base import Model
from proofs.explore.bench_configs import BENCH_CONFIGS, LADDER, BenchConfig
from properties.conformance.goreplay import GoReplayer, NotReplayable, ReplayMismatch, replay_many, replayable

__all__ = ["Case", "explorer_schedules", "sampled_schedules", "hypothesis_schedules", "regression_schedules",
           "ScheduleRun", "run_schedules", "FULL", "SAMPLED"]

Case = tuple[str, str, Params, list[int]]
FULL = ("E1", "E2", "E6", "G2")
SAMPLED = ("E3", "E4", "E5", "E6+P")


def _local(k: Kernel, tid: int) -> tuple[Any, ...]:
    th = k.threads[tid]
    return (th.op_index, repr(th.results), th.done)


def _key(k: Kernel, programs: list[tuple[str, ...]], symmetric: bool) -> tuple[Any, ...]:
    """The state: memory and each thread's local state; identical thieves are interchangeable (``symmetric``;
    not a Pool's goroutines: each has its own home P)."""
    owner = _local(k, 0)
    rest = [(programs[t], _local(k, t)) for t in range(1, len(programs))]
    return (repr(k.mem), owner, tuple(sorted(rest) if symmetric else rest))


def _replay(world: World, prefix: list[int]) -> Kernel:
    k = world.kernel(track_races=False, record_trace=False)
    for t in prefix:
        k.step(t)
    return k


def explorer_schedules(target: str, scenario: str, params: Params, model: type[Model] = Model,
                       limit: int = 1_000_000) -> Iterator[list[int]]:
    """One schedule per transition of the state graph (symmetry-reduced for thieves), each ending round-robin."""
    world = build(target, scenario, params, model)
    programs = [tuple(op.name for op in p) for p in world.programs]
    symmetric = target != "pool"
    seen = {_key(_replay(world, []), programs, symmetric)}
    stack: list[list[int]] = [[]]
    emitted = 0
    while stack and emitted < limit:
        prefix = stack.pop()
        k = _replay(world, prefix)
        en = k.enabled()
        done: set[Any] = set()
        for t in en:
            # symmetry: of identical thieves in identical local states, the first one stands for all
            sym = (programs[t], _local(k, t)) if t > 0 and symmetric else None
            if sym is not None and sym in done:
                continue
            if sym is not None:
                done.add(sym)
            child = prefix + [t]
            kc = _replay(world, child)
            key = _key(kc, programs, symmetric)
            if key in seen or kc.finished():
                emitted += 1
                yield child
            else:
                seen.add(key)
                stack.append(child)


def sampled_schedules(target: str, scenario: str, params: Params, n: int, seed: int = 0,
                      model: type[Model] = Model) -> Iterator[list[int]]:
    """``n`` uniformly random complete schedules (seeded)."""
    world = build(target, scenario, params, model)
    rng = random.Random(seed)
    for _ in range(n):
        k = world.kernel(track_races=False, record_trace=False)
        while True:
            en = k.enabled()
            if not en:
                break
            k.step(rng.choice(en))
        yield list(k.schedule)


@st.composite
def _go_params(draw: st.DrawFn, target: str) -> Params:
    """properties.scenarios.params_for at Go's width (dequeueBits is a constant of Go's code)."""
    from properties.scenarios import _wrap_start
    if target == "pool":
        return Params(gomaxprocs=draw(st.integers(1, 3)), with_new=draw(st.booleans()))
    if target == "dequeue":
        return Params(size=draw(st.sampled_from((1, 2, 4))), start_index=draw(_wrap_start(32, 12)))
    init = draw(st.sampled_from((1, 2, 4)))
    limits: list[int | None] = [init * 2 ** k for k in range(4) if init * 2 ** k <= 8] + [None]
    return Params(init_size=init, dequeue_limit=draw(st.sampled_from(limits)))


def hypothesis_schedules(target: str, kind: str, n: int, seed: int = 0,
                         model: type[Model] = Model) -> list[Case]:
    """``n`` cases drawn by the fuzz engine's strategies (``kind``: choices or pct), with the schedule each ran."""
    from properties.pct import PCT
    from properties.scenarios import MAX_STEP, Bursts, choices, pct_plans, scenarios

    out: list[Case] = []

    @settings(max_examples=n, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate], verbosity=Verbosity.quiet)
    @_seed(seed)
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        sc: Scenario = data.draw(scenarios(target, model.multi_producer))
        params: Params = data.draw(_go_params(target))
        world = build(target, sc, params, model)
        k = world.kernel(track_races=False, record_trace=False)
        if kind == "pct":
            k.run(PCT(data.draw(pct_plans(len(sc.threads), max_step=MAX_STEP[target]))))
        else:
            k.run(Bursts(data.draw(choices()), data.draw(st.booleans())))
        out.append((target, str(sc), params, list(k.schedule)))

    draw()
    return out


def regression_schedules(folder: Path) -> Iterator[tuple[Path, str | None, Case]]:
    """(file, Go mutant or None for the reference, case) for each trace in ``folder``."""
    from model.tracefile import load
    from properties.conformance.gomutants import GO_MUTANTS

    for p in sorted(folder.glob("*.json")):
        cx = load(p)
        mutant = cx.variant if cx.variant in GO_MUTANTS else None
        if mutant is None and cx.variant not in ("reference", ""):
            continue
        yield p, mutant, (cx.target, cx.scenario, cx.params, list(cx.schedule))


@dataclass
class ScheduleRun:
    """What ``run_schedules`` compared."""

    schedules: int = 0
    steps: int = 0
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)
    mismatches: list[tuple[str, ReplayMismatch]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    go_version: str = ""

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def to_json(self) -> dict[str, Any]:
        return {"schedules": self.schedules, "steps": self.steps, "per_source": self.per_source,
                "mismatches": [{"source": s, **m.to_json()} for s, m in self.mismatches],
                "skipped": self.skipped, "seconds": round(self.seconds, 2), "go_version": self.go_version}


def _config(name: str) -> BenchConfig:
    for c in BENCH_CONFIGS + LADDER:
        if c.name == name:
            return c
    raise KeyError(name)


def run_schedules(samples: int = 300, hypothesis: int = 100, seed: int = 0, model: type[Model] = Model,
                  regressions: Path | None = None, full: tuple[str, ...] = FULL, sampled: tuple[str, ...] = SAMPLED,
                  progress: Callable[[int, str], None] | None = None, max_mismatches: int = 5) -> ScheduleRun:
    """Replay every source's schedules on ``model`` and on Go's code; count schedules and steps; keep mismatches."""
    t0 = time.monotonic()
    res = ScheduleRun()
    with GoReplayer() as ref:
        res.go_version = ref.env.version

        def compare(source: str, cases: list[Case], replayer: GoReplayer, m: type[Model]) -> None:
            row = res.per_source.setdefault(source, {"schedules": 0, "steps": 0, "mismatches": 0})
            for i in range(0, len(cases), 256):
                for c in replay_many(replayer, cases[i:i + 256], m):
                    row["schedules"] += 1
                    row["steps"] += c.steps
                    res.schedules += 1
                    res.steps += c.steps
                    if c.mismatch is not None:
                        row["mismatches"] += 1
                        if len(res.mismatches) < max_mismatches:
                            res.mismatches.append((source, c.mismatch))
                if progress is not None:
                    progress(res.schedules, source)

        for name in full + sampled:
            cfg = _config(name)
            why = replayable(cfg.target, cfg.params)
            if why:
                res.skipped.append(f"{name}: {why}")
                continue
            scheds = (explorer_schedules(cfg.target, cfg.scenario, cfg.params, model) if name in full
                      else sampled_schedules(cfg.target, cfg.scenario, cfg.params, samples, seed, model))
            label = f"{name} ({'every transition' if name in full else f'{samples} sampled'})"
            compare(label, [(cfg.target, cfg.scenario, cfg.params, s) for s in scheds], ref, model)
        for target in ("dequeue", "chain", "pool") if hypothesis > 0 else ():
            for kind in ("choices", "pct"):
                compare(f"hypothesis {target} {kind}", hypothesis_schedules(target, kind, hypothesis, seed, model),
                        ref, model)
        if regressions is not None and regressions.is_dir():
            from model.variants import resolve
            for path, mutant, case in regression_schedules(regressions):
                why = replayable(case[0], case[2])
                if why:
                    res.skipped.append(f"{path.name}: {why}")
                    continue
                try:
                    if mutant is None:
                        compare(f"regression {path.name}", [case], ref, model)
                    else:
                        with GoReplayer(mutant) as mg:
                            compare(f"regression {path.name} (Go mutant {mutant})", [case], mg, resolve(mutant))
                except NotReplayable as e:
                    res.skipped.append(f"{path.name}: {e}")
    res.seconds = time.monotonic() - t0
    return res
