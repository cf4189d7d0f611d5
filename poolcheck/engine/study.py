"""The study engine: the seed text's quantitative claims, measured (poolcheck.study).

config: ``{"which": "all", "out": "reports", "quick": false}``. A study measures, it checks no
property: its verdict is a pass; its files (plots, tables) are listed in ``data``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from poolcheck.engine.contract import Budget, EngineResult, Verdict
from poolcheck.progress import Progress, ProgressSink

__all__ = ["StudyEngine"]


class StudyEngine:
    name = "study"
    module = "poolcheck.study"

    def run(self, variant: str, config: dict[str, Any], budget: Budget, progress: ProgressSink) -> EngineResult:
        from poolcheck.study import run_study

        which = str(config.get("which", "all"))
        out = Path(config.get("out", "reports"))
        progress.stage(f"study {which}")
        t0 = time.monotonic()
        res = run_study(which, out, progress if isinstance(progress, Progress) else None,
                        quick=bool(config.get("quick", False)))
        return EngineResult("study", variant, Verdict.PASS, [], {"plots": len(res.plots)}, {},
                            time.monotonic() - t0, [],
                            data={"result": res.to_json(), "text": res.text(), "plots": list(res.plots),
                                  "which": which, "out": str(out)})
