"""The go-tests engine: a mutant realised in Go under Go's own pool tests (properties.conformance.gomutants).

config: ``{"race": false, "short": true}``. The variant must be a registered mutant with a Go
counterpart (or ``reference``, the unmodified source); otherwise the result is a pass with a note
(nothing to run). A failing Go test is a violation whose ``prop`` is the Go test's name.
"""

from __future__ import annotations

import time
from typing import Any

from model.variants import resolve
from poolcheck.engine.contract import Budget, EngineResult, Verdict, Violation
from poolcheck.progress import ProgressSink

__all__ = ["GoTestsEngine"]


class GoTestsEngine:
    name = "go-tests"
    module = "properties.conformance.gomutants"

    def run(self, variant: str, config: dict[str, Any], budget: Budget, progress: ProgressSink) -> EngineResult:
        from properties.conformance.gomutants import run_go_tests

        model = resolve(variant)
        name = "reference" if model.kind == "reference" else model.name
        progress.stage(f"go test {name}")
        t0 = time.monotonic()
        res = run_go_tests(name, race=bool(config.get("race", False)), short=bool(config.get("short", True)))
        if res is None:
            return EngineResult("go-tests", variant, Verdict.PASS, seconds=time.monotonic() - t0,
                                notes=["no Go counterpart"], data={"applicable": False})
        data = {"applicable": True, "killed": res.killed, "status": res.status, "test": res.test,
                "seconds": res.seconds, "tests_run": res.tests_run, "cell": res.cell()}
        if res.killed:
            status = res.status or "killed"
            shown = f"{res.test} {status}" if status != "killed" and res.test else (res.test or status)
            v = Violation(shown, f"Go's test {res.test} fails ({status})", None, None, "go test", res.seconds,
                          False, {"output_tail": res.output_tail})
            return EngineResult("go-tests", variant, Verdict.FAIL, [v], {"tests_run": res.tests_run}, {},
                                time.monotonic() - t0, [status], data=data)
        return EngineResult("go-tests", variant, Verdict.PASS, [], {"tests_run": res.tests_run}, {},
                            time.monotonic() - t0, ["Go's tests pass"], data=data)
