"""The explore engine: every interleaving of each configuration (proofs.explore), shortest counterexamples.

config: ``{"configs": [{"name", "target", "scenario", "params": {...}, "reduction": true}], "max_memory_mb": N,
"jobs": N}`` (jobs: worker processes of each search, default 1).
budget.max_states: states per configuration (None: the budget's default, 0: unbounded). A state or
memory limit that is hit makes the configuration, and the run, ``incomplete`` (never a pass).
"""

from __future__ import annotations

import resource
import time
from typing import Any

from model.params import Params
from model.variants import resolve
from poolcheck.engine.checked import checked_properties
from poolcheck.engine.contract import Budget, ConfigRun, EngineResult, Verdict, Violation
from poolcheck.progress import ProgressSink

__all__ = ["ExploreEngine", "DEFAULT_MAX_STATES", "DEFAULT_MAX_MEMORY_MB", "one_config"]

DEFAULT_MAX_STATES = {"ci": 400_000, "thorough": 5_000_000}
DEFAULT_MAX_MEMORY_MB = 4096


class MemoryLimit(Exception):
    """Raised from the search's progress callback when the process grew past the memory limit."""


def one_config(target: str, scenario: str, params: Params, name: str = "", reduction: bool = True) -> dict[str, Any]:
    """A configuration entry of the explore engine's config (plain data)."""
    return {"name": name, "target": target, "scenario": scenario, "params": params.to_json(), "reduction": reduction}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _max_states(budget: Budget) -> int | None:
    n = DEFAULT_MAX_STATES.get(budget.name, DEFAULT_MAX_STATES["ci"]) if budget.max_states is None \
        else budget.max_states
    return None if n == 0 else n


class ExploreEngine:
    name = "explore"
    module = "proofs.explore"

    def run(self, variant: str, config: dict[str, Any], budget: Budget, progress: ProgressSink) -> EngineResult:
        from proofs.explore import explore
        from proofs.explore.search import SearchTooLarge

        model = resolve(variant)
        max_states = _max_states(budget)
        max_mb = float(config.get("max_memory_mb", DEFAULT_MAX_MEMORY_MB) or 0)
        jobs = int(config.get("jobs", 1) or 1)
        t0 = time.monotonic()
        cfgs = list(config["configs"])
        best: dict[str, Violation] = {}
        checked: set[str] = set()
        incomplete: set[str] = set()
        runs: list[ConfigRun] = []
        goals: dict[str, bool] = {}
        notes: list[str] = []
        states = transitions = depth = 0
        vacuous: list[str] = []
        for i, c in enumerate(cfgs):
            key = c.get("name") or f"{c['target']} {c['scenario']!r}"
            if len(cfgs) > 1:
                progress.stage(f"explore {key}", len(cfgs))
            params = Params.from_json(c["params"]) if isinstance(c["params"], dict) else c["params"]

            def feed(info: dict[str, Any], i: int = i) -> None:
                if max_mb and _rss_mb() > max_mb:
                    raise MemoryLimit(f"memory limit {max_mb:,.0f} MB reached at {info['states']:,} states")
                progress.update(i, states=info["states"], frontier=info["frontier"], depth=info["depth"],
                                per_s=int(info["states_per_second"]))
            props = checked_properties(c["target"])
            checked |= set(props)
            c0 = time.monotonic()
            try:
                res = explore(c["target"], c["scenario"], params, model, reduction=bool(c.get("reduction", True)),
                              max_states=max_states, progress=feed, jobs=jobs,
                              require_goals=tuple(c.get("require_goals", ())),
                              core=str(config.get("core", "auto")), compact=bool(config.get("compact", False)))
            except (MemoryLimit, SearchTooLarge) as e:
                incomplete |= set(props)
                notes.append(f"{key}: {e}")
                runs.append(ConfigRun(key, Verdict.INCOMPLETE.value, time.monotonic() - c0, {"complete": False},
                                      str(e)))
                continue
            if res.verdict == "incomplete" and res.compaction:
                incomplete |= set(props)
                notes.append(f"{key}: {res.compaction}")
            elif res.verdict == "incomplete" and res.complete:  # a required goal the scenario cannot reach
                incomplete |= set(props)
                notes.append(f"{key}: {res.summary()}")
            elif res.verdict == "incomplete":
                incomplete |= set(props)
                notes.append(f"{key}: the state limit ({max_states:,}) was reached before every interleaving was "
                             f"checked (raise --max-states; 0 means no limit)")
            states += res.states
            transitions += res.transitions
            depth = max(depth, res.max_depth)
            unreached = res.unreached_goals
            for g, ok in res.goals.items():
                goals[g] = goals.get(g, False) or ok
            if res.verdict == "fail" and not res.violations:
                vacuous.append(f"{key} ({', '.join(unreached)})")
            notes += [f"{key}: {n}" for n in res.notes] if len(cfgs) > 1 else list(res.notes)
            for v in res.violations:
                old = best.get(v.prop)
                if old is None or (old.steps or 0) > v.length:
                    best[v.prop] = Violation(v.prop, v.message, v.length, v.counterexample, key,
                                             time.monotonic() - t0 - res.seconds + v.seconds, v.replayable,
                                             {"states": res.states})
            runs.append(ConfigRun(key, res.verdict, res.seconds,
                                  {"states": res.states, "transitions": res.transitions, "depth": res.max_depth,
                                   "complete": res.complete, "violations": [v.prop for v in res.violations],
                                   "cpu_seconds": round(res.cpu_seconds, 3),
                                   "states_per_second": round(res.states_per_second),
                                   "terminal_states": res.terminal_states,
                                   "goal_descriptions": res.goal_descriptions, "goals": dict(res.goals),
                                   "lost_goals": res.lost_goals, "unreachable_goals": res.unreachable_goals,
                                   "goal_witnesses": res.goal_witnesses, "not_exercised": res.not_exercised,
                                   "scenario": res.scenario, "params": res.params.to_json(),
                                   "reduction": res.reduction, "summary": res.summary(),
                                   "time_to_first_violation": res.time_to_first_violation},
                                  "" if not unreached else f"goal(s) never reached: {', '.join(unreached)}"))
        violations = sorted(best.values(), key=lambda v: (v.steps or 0, v.prop))
        if vacuous:
            notes.insert(0, f"lost behaviour: goal(s) the reference reaches in the same configuration, no "
                            f"interleaving of the variant does: {'; '.join(vacuous)}")
        verdict = Verdict.FAIL if violations or vacuous else Verdict.INCOMPLETE if incomplete else Verdict.PASS
        return EngineResult("explore", variant, verdict, violations,
                            {"states": states, "transitions": transitions, "max_depth": depth,
                             "configurations": len(cfgs), "max_states": max_states},
                            goals, time.monotonic() - t0, notes, sorted(checked),
                            sorted(incomplete - set(best)), runs)
