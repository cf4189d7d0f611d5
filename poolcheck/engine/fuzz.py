"""The fuzz engine: Hypothesis state machines and concurrent scenario searches (properties.fuzz).

config: ``{"targets": ["dequeue", ...], "seed": 0 | null, "database": DIR | null}`` (a Hypothesis example
database shared by parallel workers: properties.fuzz.database_key); budget.examples: examples per search
(default 200 on ci, 2000 thorough). Counterexamples come back as data; the driver saves them.
"""

from __future__ import annotations

import time
from typing import Any

from model.variants import resolve
from poolcheck.engine.checked import checked_properties, order
from poolcheck.engine.contract import Budget, ConfigRun, EngineResult, Verdict, Violation
from poolcheck.progress import ProgressSink

__all__ = ["FuzzEngine", "DEFAULT_EXAMPLES"]

DEFAULT_EXAMPLES = {"ci": 200, "thorough": 2000}


class FuzzEngine:
    name = "fuzz"
    module = "properties.fuzz"

    def run(self, variant: str, config: dict[str, Any], budget: Budget, progress: ProgressSink) -> EngineResult:
        from properties.fuzz import SEARCHES, TARGETS, fuzz

        model = resolve(variant)
        targets = tuple(config.get("targets") or TARGETS)
        examples = budget.examples if budget.examples is not None else \
            DEFAULT_EXAMPLES.get(budget.name, DEFAULT_EXAMPLES["ci"])
        total = examples * len(SEARCHES) * len(targets)
        progress.stage("fuzz", total)

        def feed(d: dict[str, Any]) -> None:
            progress.update(min(d["examples"], total), target=d["target"], search=d["search"],
                            violations=d["violations"])
        t0 = time.monotonic()
        res = fuzz(targets, examples, model, config.get("seed", 0), None, feed, database=config.get("database"))
        violations = [Violation(v.prop, v.message, None, v.counterexample, f"{v.target} {v.search}",
                                res.time_to_first_violation, v.counterexample is not None,
                                {"target": v.target, "search": v.search, "operations": v.length,
                                 "threads": v.threads, "example": v.example, "examples_to_find": v.examples_to_find})
                      for v in res.violations]
        checked = {p for t in targets for p in checked_properties(t)}
        if "pool" in targets:
            checked.add("P4")  # the pool state machine checks Get's exact lookup order against the specification
        verdict = Verdict(res.verdict)
        configs = [ConfigRun(t, str(row.get("verdict", "pass")), float(row.get("seconds", 0.0)),
                             {s: f"{row[s]['verdict']} ({row[s]['examples']} examples)" for s in SEARCHES if s in row}
                             | {"examples": row.get("examples", 0)})
                   for t, row in res.per_target.items()]
        notes = ["a linearizability check ran out of its search budget"] if verdict is Verdict.INCOMPLETE else []
        return EngineResult("fuzz", variant, verdict, violations,
                            {"examples": res.examples_run, "examples_per_search": examples,
                             "targets": list(targets)},
                            {}, time.monotonic() - t0, notes, sorted(checked, key=order),
                            sorted(checked, key=order) if verdict is Verdict.INCOMPLETE else [], configs,
                            {"per_target": res.per_target,
                             "time_to_first_violation": res.time_to_first_violation, "seed": config.get("seed", 0)})
