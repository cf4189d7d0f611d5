"""The prove engine: Z3 lemmas, bounded model checking and induction, CrossHair contracts (proofs.smt.prove).

config: ``{"only": "names,prefixes,globs" | null}``; budget.name: ci or thorough. A row whose result is
its expected one passes; a counterexample where a proof was expected is a violation; ``unknown`` (a
solver budget) and a proof where a counterexample was expected are ``incomplete``; n/a rows are skipped.
"""

from __future__ import annotations

import time
from typing import Any

from model.variants import resolve
from poolcheck.engine.checked import order
from poolcheck.engine.contract import Budget, ConfigRun, EngineResult, Verdict, Violation
from poolcheck.progress import ProgressSink

__all__ = ["ProveEngine", "row_verdict"]


def row_verdict(result: str, expected: str) -> str:
    if result == "n/a":
        return "n/a"
    if result == expected:
        return Verdict.PASS.value
    if result == "counterexample" and expected == "proved":
        return Verdict.FAIL.value
    return Verdict.INCOMPLETE.value


class ProveEngine:
    name = "prove"
    module = "proofs.smt.prove"

    def run(self, variant: str, config: dict[str, Any], budget: Budget, progress: ProgressSink) -> EngineResult:
        from proofs.smt.prove import run_all

        model = resolve(variant)
        progress.stage("prove")
        t0 = time.monotonic()

        def feed(info: dict[str, Any]) -> None:
            progress.update(info.get("done"), row=info.get("row", ""), result=info.get("result", ""))
        results = run_all(only=config.get("only"), model=model, budget=budget.name, progress=feed)
        cells: dict[str, str] = {}
        violations: list[Violation] = []
        configs: list[ConfigRun] = []
        notes: list[str] = []
        elapsed = 0.0
        depth = 0
        for r in results:
            elapsed += r.seconds
            if isinstance(r.bound, int):
                depth = max(depth, r.bound)
            verdict = row_verdict(r.result, r.expected)
            configs.append(ConfigRun(r.name, verdict, r.seconds, {"kind": r.kind, "result": r.result,
                                                                  "expected": r.expected, "bound": r.bound},
                                     r.detail))
            if verdict == "n/a":
                continue
            if verdict != Verdict.PASS.value:
                notes.append(f"{r.name}: {r.result} (expected {r.expected})")
            if r.prop:
                rank = [Verdict.PASS.value, Verdict.INCOMPLETE.value, Verdict.FAIL.value]
                if rank.index(verdict) >= rank.index(cells.get(r.prop, Verdict.PASS.value)):
                    cells[r.prop] = verdict
            if verdict == Verdict.FAIL.value:
                violations.append(Violation(r.prop or r.name, r.detail or f"{r.name} found a counterexample",
                                            r.bound if r.counterexample is None else None, r.counterexample,
                                            r.name, elapsed, r.counterexample is not None,
                                            {"proof": r.name, "kind": r.kind, "trace": r.extra.get("trace")}))
        applicable = [c for c in configs if c.verdict != "n/a"]
        verdict = Verdict.worst(Verdict(c.verdict) for c in applicable)
        checked = sorted(cells, key=order)
        return EngineResult("prove", variant, verdict, violations,
                            {"proofs": len(results), "applicable": len(applicable), "proof_depth": depth},
                            {}, time.monotonic() - t0, notes, checked,
                            [p for p, v in cells.items() if v == Verdict.INCOMPLETE.value], configs,
                            {"results": [r.to_json() for r in results]})
