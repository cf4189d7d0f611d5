"""The one path from the tool to every engine (DESIGN.md section 8).

``run(engine, variant, config, budget, progress) -> EngineResult`` is how
commands, the campaign and the kill matrix reach an engine; ``run_job`` is
the same call on plain data (what poolcheck.jobs ships to a worker and gets
back). ``available(engine)`` says why an engine cannot run ("" if it can).

    res = run("explore", "reference", {"configs": [one_config("dequeue", "push pop", Params(size=2))]},
              Budget("ci"), NullProgress())
    res.verdict, res.violations, res.coverage
"""

from __future__ import annotations

import importlib.util
from typing import Any

from model.variants import VariantError
from poolcheck.engine.contract import BUDGET_NAMES, Budget, ConfigRun, Engine, EngineResult, Verdict, Violation
from poolcheck.engine.explore import ExploreEngine, one_config
from poolcheck.engine.fuzz import FuzzEngine
from poolcheck.engine.gotests import GoTestsEngine
from poolcheck.engine.guard import blame, load_variant
from poolcheck.engine.prove import ProveEngine
from poolcheck.engine.sample import SampleEngine
from poolcheck.engine.study import StudyEngine
from poolcheck.progress import NullProgress, ProgressSink

__all__ = ["Verdict", "Violation", "ConfigRun", "EngineResult", "Budget", "Engine", "ENGINES", "BUDGET_NAMES",
           "run", "run_job", "available", "get", "one_config", "load_variant", "VariantError"]

ENGINES: dict[str, Engine] = {e.name: e for e in (SampleEngine(), ExploreEngine(), FuzzEngine(), ProveEngine(),
                                                  GoTestsEngine(), StudyEngine())}


def get(name: str) -> Engine:
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}: use one of {', '.join(ENGINES)}") from None


def available(name: str) -> str:
    """"" if engine ``name`` can run here, else why not."""
    eng = ENGINES.get(name)
    if eng is None:
        return f"unknown engine (use {', '.join(ENGINES)})"
    try:
        if importlib.util.find_spec(eng.module) is None:
            return f"module {eng.module} is not installed"
    except ModuleNotFoundError:
        return f"module {eng.module} is not installed"
    return ""


def run(engine: str, variant: str, config: dict[str, Any], budget: Budget | None = None,
        progress: ProgressSink | None = None) -> EngineResult:
    """Run ``engine`` on ``variant`` (a spec string). A user's variant that breaks raises VariantError."""
    eng = get(engine)
    model = load_variant(variant)
    try:
        return eng.run(variant, config, budget or Budget(), progress or NullProgress())
    except (Exception, SystemExit) as e:
        line = blame(variant, model, e)
        if line is not None:
            raise VariantError(line) from None
        raise


def run_job(engine: str, variant: str, config: dict[str, Any], budget: dict[str, Any] | str = "ci") -> dict[str, Any]:
    """``run`` on plain data, returning plain data (``EngineResult.from_json`` reads it back)."""
    return run(engine, variant, config, Budget.from_json(budget), NullProgress()).to_json()
