"""The sample engine: seeded schedules over fixed scenarios, every execution fully checked.

Run i of configuration c uses seed ``seed * 1_000_003 + c * 10_007 + i``: even
seeds a uniformly random scheduler, odd seeds PCT (Burckhardt et al., ASPLOS
2010) of depth 2..4 planned over the scenario's sequential length. Every run is
checked as replay checks it (properties.checked_run.check_all: check_execution at the
end, the state invariants after every step).

config: ``{"configs": [{"name", "target", "scenario", "params": {...}}], "seed": 0, "index0": 0,
"stop": "never" | "first" | "expected", "expected": [ids], "shrink": bool}``.
``stop`` ends a configuration at the first violation, or once every
``expected`` property was seen (the kill matrix); ``shrink`` shrinks each first
violation of a property (properties.scenarios.minimize, the one shrinker, keeping
that property) so its report fits on a screen.
budget: ``runs`` per configuration (default 300 on ci, 3000 thorough) and
``cpu_seconds`` per configuration (default: no cap).
"""

from __future__ import annotations

import random
import time
from typing import Any

from model.harness import World, build
from model.kernel import RoundRobin, ScheduleError, Scheduler
from model.params import Params
from model.schedulers import RandomScheduler
from model.tracefile import from_kernel
from model.variants import resolve
from poolcheck.engine.checked import checked_properties, order
from poolcheck.engine.contract import Budget, ConfigRun, EngineResult, Verdict, Violation
from poolcheck.progress import ProgressSink
from properties.checked_run import StateWatch, check_all
from properties.scenarios import Case, minimize, run_case

__all__ = ["SampleEngine", "DEFAULT_RUNS", "seed_of", "scheduler", "sequential_length"]

DEFAULT_RUNS = {"ci": 300, "thorough": 3000}
SHRINK_TRIES, SHRINK_RESCHEDULE = 400, 200   # executions the shrinker may try per finding


def seed_of(seed: int, config: int, run: int) -> int:
    return seed * 1_000_003 + config * 10_007 + run


def scheduler(seed: int, nthreads: int, steps: int) -> Scheduler:
    """Even seeds uniformly random; odd seeds PCT of depth 2, 3, 4 in turn."""
    if seed % 2 == 0:
        return RandomScheduler(seed)
    from properties import pct

    plan = pct.PCTPlan.random(nthreads, steps, 2 + (seed // 2) % 3, random.Random(seed))
    sched: Scheduler = pct.PCT(plan)
    return sched


def sequential_length(world: World) -> int:
    """Scheduling points of one run of the world's operations (the PCT plan's horizon)."""
    k = world.kernel(track_races=False, record_trace=False)
    try:
        k.run_sequential()
    except ScheduleError:
        k = world.kernel(track_races=False, record_trace=False)
        k.run(RoundRobin())
    return max(1, len(k.schedule))


class SampleEngine:
    name = "sample"
    module = "poolcheck.engine.sample"

    def run(self, variant: str, config: dict[str, Any], budget: Budget, progress: ProgressSink) -> EngineResult:
        model = resolve(variant)
        runs = budget.runs if budget.runs is not None else DEFAULT_RUNS.get(budget.name, DEFAULT_RUNS["ci"])
        cap = budget.cpu_seconds
        stop = str(config.get("stop", "never"))
        expected = set(config.get("expected") or ())
        base = int(config.get("seed", 0))
        index0 = int(config.get("index0", 0))   # the first configuration's index in a run split into parts
        cfgs = list(config["configs"])
        t0 = time.monotonic()
        found: dict[str, Violation] = {}
        checked: set[str] = set()
        configs: list[ConfigRun] = []
        undecided_total = executions = 0
        unknown: set[str] = set()
        progress.stage("sample", len(cfgs) * runs)
        for ci, c in enumerate(cfgs):
            target, scenario = c["target"], c["scenario"]
            params = Params.from_json(c["params"]) if isinstance(c["params"], dict) else c["params"]
            name = c.get("name") or f"{target} {scenario!r}"
            checked |= set(checked_properties(target))
            w0 = build(target, scenario, params, model)
            steps = sequential_length(w0)
            c0, cpu0 = time.monotonic(), time.process_time()
            bad = undecided = done = 0
            seen_here: set[str] = set()
            for i in range(runs):
                if cap is not None and time.process_time() - cpu0 > cap:
                    break
                seed = seed_of(base, index0 + ci, i)
                w = build(target, scenario, params, model)
                k = w.kernel()
                watch = StateWatch(w)
                sched = scheduler(seed, len(w.programs), steps)
                while en := k.enabled():
                    k.step(sched.choose(en, k))
                    watch.observe(k)
                vs, why = check_all(w, k, watch)
                done += 1
                executions += 1
                undecided += bool(why)
                bad += bool(vs)
                progress.update(executions, config=f"{ci + 1}/{len(cfgs)}", violations=len(found))
                for v in vs:
                    seen_here.add(v.prop)
                    if v.prop in found:
                        continue
                    at = time.monotonic() - t0
                    cx = from_kernel(k, target=target, scenario=str(w.scenario), params=params, variant=variant,
                                     prop=v.prop, message=v.message, engine="sample", violating_step=v.step,
                                     extra={"found_in": name, "seed": seed})
                    if config.get("shrink"):
                        first = run_case(Case(target, w.scenario, params, tuple(k.schedule)), model, watch=True)
                        sh = minimize(first, model, SHRINK_TRIES, SHRINK_RESCHEDULE, prop=v.prop, watch=True)
                        sv = next((x for x in sh.violations if x.prop == v.prop), None)
                        if sh is not first and sv is not None:
                            cx = from_kernel(sh.kernel, target=target, scenario=str(sh.case.scenario),
                                             params=sh.case.params, variant=variant, prop=v.prop, message=sv.message,
                                             engine="sample", violating_step=sv.step,
                                             extra={"found_in": name, "seed": seed, "shrunk_from_steps": len(k.trace),
                                                    "shrink_runs": sh.shrink_runs})
                    found[v.prop] = Violation(v.prop, cx.message, None, cx, name, at, True, {"seed": seed})
                if stop == "first" and seen_here:
                    break
                if stop == "expected" and seen_here and (not expected or expected <= seen_here):
                    break
            undecided_total += undecided
            if undecided:   # the history property this target's runs could not decide (never a pass)
                unknown.add({"dequeue": "D5", "chain": "C4"}.get(target, "D5"))
            configs.append(ConfigRun(name, Verdict.FAIL.value if bad else Verdict.PASS.value,
                                     time.monotonic() - c0,
                                     {"executions": done, "violating": bad, "undecided": undecided}))
        violations = sorted(found.values(), key=lambda v: order(v.prop))
        notes = [f"linearizability undecided (search budget) in {undecided_total} execution(s)"] \
            if undecided_total else []
        unknown -= {v.prop for v in violations}
        verdict = Verdict.FAIL if violations else Verdict.INCOMPLETE if unknown else Verdict.PASS
        return EngineResult("sample", variant, verdict, violations,
                            {"executions": executions, "configurations": len(cfgs), "undecided": undecided_total},
                            {}, time.monotonic() - t0, notes, sorted(checked, key=order), sorted(unknown, key=order),
                            configs)
