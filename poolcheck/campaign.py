"""The verification campaign behind ``poolcheck verify`` (DESIGN.md section 6).

A campaign runs a list of *stages* on one or more variants. A stage wraps one
engine with the budget's configurations and returns a StageResult: which
properties it checked and how each came out (``pass``, ``fail``,
``incomplete``), the violations it found (each saved by
poolcheck.artifacts.save, so every one has a folder with trace.json,
report.md and report.html), its coverage figures and its time.

Stages live in a registry (``STAGES``, ``register``); the built-in ones:

``sample``   seeded schedules (uniform random and PCT) over a fixed list of
             scenarios per target, every run checked as replay checks it
             (poolcheck.replay: check_execution at the end, state invariants
             after every step); each new violation is shrunk
             (properties.scenarios.minimize) before it is saved. Always available.
``explore``  proofs.explore.explore on the budget's configurations: every
             interleaving, shortest counterexamples.
``fuzz``     properties.fuzz.fuzz: Hypothesis scenarios and schedules.
``prove``    proofs.smt.prove.run_all: Z3 lemmas, BMC and induction, CrossHair.
``mutants``  poolcheck.killmatrix.kill_matrix (reference runs only): every
             mutant must be killed by an engine, the reference by none.

A stage whose engine module is not installed is reported as ``unavailable``
and changes nothing else; an engine that raises is an ``error`` (the
campaign goes on). Exit status (poolcheck.common): 1 if any stage failed, else
3 if any stage is incomplete or raised, else 0.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from model.params import Params
from model.tracefile import Counterexample
from model.variants import Model, spec_of
from poolcheck import artifacts, engine, manifest
from poolcheck.common import EXIT
from poolcheck.engine import Budget, ConfigRun, EngineResult, Verdict
from poolcheck.engine.checked import checked_properties, order
from poolcheck.engine.explore import one_config
from poolcheck.engine.merge import merge
from poolcheck.jobs import Executor, Job, executor
from poolcheck.progress import Progress

__all__ = ["Context", "Finding", "ConfigRun", "StageResult", "Stage", "VariantRun", "Campaign", "STAGES",
           "register", "stage", "stage_names", "run", "run_stage", "checked_by_execution", "SAMPLE_CONFIGS",
           "EXPLORE_CONFIGS", "BUDGETS", "stage_result", "explore_configs"]

BUDGETS = ("ci", "thorough")

# Cell statuses in the properties x engines matrix.
PASS, FAIL, INCOMPLETE_S, NA = "pass", "fail", "incomplete", "n/a"


# -- results ------------------------------------------------------------------------------------------
@dataclass
class Finding:
    """A violation found by a stage, with its saved report folder."""

    prop: str
    engine: str
    config: str                 # e.g. 'dequeue "push push | tail" size=2'
    message: str
    folder: Path | None         # the report folder (None if the engine gave no replayable trace)
    length: int | None = None   # scheduling points of the counterexample
    counterexample: Counterexample | None = None

    @property
    def report_html(self) -> Path | None:
        return self.folder / "report.html" if self.folder else None

    @property
    def trace(self) -> Path | None:
        return self.folder / "trace.json" if self.folder else None

    def to_json(self) -> dict[str, Any]:
        return {"property": self.prop, "engine": self.engine, "config": self.config, "message": self.message,
                "length": self.length, "folder": str(self.folder) if self.folder else None,
                "report": str(self.report_html) if self.report_html else None,
                "trace": str(self.trace) if self.trace else None}


@dataclass
class StageResult:
    stage: str
    engine: str                          # the matrix column
    status: str                          # pass | fail | incomplete | error | unavailable
    cells: dict[str, str] = field(default_factory=dict)        # property -> pass | fail | incomplete
    findings: list[Finding] = field(default_factory=list)
    configs: list[ConfigRun] = field(default_factory=list)
    coverage: dict[str, Any] = field(default_factory=dict)
    coverage_text: str = ""
    seconds: float = 0.0
    note: str = ""
    links: dict[str, str] = field(default_factory=dict)        # extra outputs, e.g. mutants.md

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "engine": self.engine, "status": self.status, "cells": self.cells,
                "findings": [f.to_json() for f in self.findings], "configs": [c.to_json() for c in self.configs],
                "coverage": self.coverage, "coverage_text": self.coverage_text, "seconds": round(self.seconds, 2),
                "note": self.note, "links": self.links}


@dataclass
class Context:
    """What a stage needs: the variant, the budget, where reports go, the seed."""

    model: type[Model]
    budget: str = "ci"
    out: Path = Path("reports")
    seed: int = 0
    progress: bool | None = None        # None: a bar when stderr is a terminal
    executor: Executor | None = None    # where the mutants stage runs its kill-matrix cells (None: inline)

    @property
    def variant(self) -> str:
        return spec_of(self.model)

    @property
    def is_reference(self) -> bool:
        return self.model is Model


StageFn = Callable[[Context, Progress], StageResult]


@dataclass(frozen=True)
class Part:
    """One job of a stage: its engine on one slice of the stage's configuration (plain data)."""

    key: str                # names the job in progress lines and errors
    config: dict[str, Any]
    budget: Budget
    cost: float = 1.0       # relative size: the executor starts the costliest jobs first


PlanFn = Callable[[Context], list[Part]]
FinishFn = Callable[[Context, EngineResult], StageResult]


@dataclass(frozen=True)
class Stage:
    name: str
    engine: str             # column of the matrix
    title: str              # one line for the summary
    module: str | None      # the engine's module; None: always available
    fn: StageFn
    reference_only: bool = False
    # A stage split into jobs (poolcheck.jobs): ``plan`` lists its parts, ``finish`` turns the merged result
    # (poolcheck.engine.merge, parts in plan order) into the StageResult. ``fn`` runs the same parts inline.
    plan: PlanFn | None = None
    finish: FinishFn | None = None


STAGES: list[Stage] = []


def register(st: Stage) -> Stage:
    """Add a stage to the campaign (replacing one of the same name, in place)."""
    for i, old in enumerate(STAGES):
        if old.name == st.name:
            STAGES[i] = st
            return st
    STAGES.append(st)
    return st


def stage(name: str, engine: str, title: str, module: str | None = None,
          reference_only: bool = False) -> Callable[[StageFn], StageFn]:
    """Decorator form of ``register``."""
    def deco(fn: StageFn) -> StageFn:
        register(Stage(name, engine, title, module, fn, reference_only))
        return fn
    return deco


def planned(name: str, engine_name: str, title: str, module: str, plan: PlanFn,
            reference_only: bool = False) -> Callable[[FinishFn], StageFn]:
    """Register a stage made of jobs: ``plan(ctx)`` gives its parts; the decorated function finishes it.

    The name it decorates becomes the stage's inline form, ``fn(ctx, bar)``: the same parts, run here.
    """
    def deco(finish: FinishFn) -> StageFn:
        def inline(ctx: Context, bar: Progress) -> StageResult:
            parts = [engine.run(engine_name, ctx.variant, p.config, p.budget, bar) for p in plan(ctx)]
            return finish(ctx, merge(parts))
        inline.__doc__, inline.__name__ = finish.__doc__, finish.__name__
        register(Stage(name, engine_name, title, module, inline, reference_only, plan, finish))
        return inline
    return deco


def run_part(engine_name: str, variant: str, config: dict[str, Any], budget: dict[str, Any]) -> dict[str, Any]:
    """What a worker runs for one part: the engine's result as plain data, or why it has none.

    ``{"result": ...}``; ``{"variant_error": line}`` when the user's variant
    broke (the driver raises it: exit 2); ``{"error": line}`` when the engine
    itself raised (the stage is ``error``, the campaign goes on).
    """
    try:
        return {"result": engine.run_job(engine_name, variant, config, budget)}
    except engine.VariantError as e:
        return {"variant_error": str(e)}
    except Exception as e:  # an engine bug: reported in the stage, never a pass
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
        return {"error": f"{type(e).__name__}: {e}{where}"}


def stage_names() -> list[str]:
    return [s.name for s in STAGES]


@dataclass
class VariantRun:
    variant: str
    description: str
    stages: list[StageResult]

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.stages for f in s.findings]


@dataclass
class Campaign:
    budget: str
    runs: list[VariantRun]
    seconds: float
    started: str
    out: Path
    interrupted: bool = False    # Ctrl-C: the stage that was running is incomplete, later ones did not run

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.runs for f in r.findings]

    @property
    def failed(self) -> bool:
        return any(s.status == "fail" for r in self.runs for s in r.stages)

    @property
    def incomplete(self) -> list[StageResult]:
        return [s for r in self.runs for s in r.stages if s.status in ("incomplete", "error")]

    @property
    def result(self) -> Verdict:
        """fail if a stage failed, else incomplete if one is incomplete, raised or was interrupted, else pass."""
        if self.failed:
            return Verdict.FAIL
        return Verdict.INCOMPLETE if self.incomplete or self.interrupted else Verdict.PASS

    @property
    def exit_status(self) -> int:
        return EXIT[self.result]

    @property
    def verdict(self) -> str:
        return self.result.value

    def engines(self) -> list[str]:
        """Matrix columns, in stage order."""
        out: list[str] = []
        for r in self.runs:
            for s in r.stages:
                if s.engine not in out and s.stage != "mutants":
                    out.append(s.engine)
        return out

    def to_json(self) -> dict[str, Any]:
        return {"tool": "poolcheck", "command": "verify", "budget": self.budget, "verdict": self.verdict,
                "exit_status": self.exit_status, "started": self.started, "seconds": round(self.seconds, 2),
                "out": str(self.out), "interrupted": self.interrupted,
                "variants": [{"variant": r.variant, "description": r.description,
                              "stages": [s.to_json() for s in r.stages]} for r in self.runs],
                "violations": [dict(f.to_json(), variant=r.variant) for r in self.runs for f in r.findings]}


# -- from an engine's result to a stage's result ------------------------------------------------------------
# checked_by_execution (re-exported): the property ids a checked execution can report for a target, from the catalog.
checked_by_execution = checked_properties

def _config_name(target: str, scenario: str, params: Params) -> str:
    d = Params()
    ps = " ".join(f"{k}={v}" for k, v in params.to_json().items() if getattr(d, k) != v)
    return f'{target} "{scenario}"' + (f" {ps}" if ps else "")


def _cells(checked: Iterable[str], findings: Sequence[Finding], incomplete: Iterable[str] = ()) -> dict[str, str]:
    cells = {p: PASS for p in checked}
    for p in incomplete:
        cells[p] = INCOMPLETE_S
    for f in findings:
        cells[f.prop] = FAIL
    return dict(sorted(cells.items(), key=lambda kv: order(kv[0])))


def _save(cx: Counterexample, ctx: Context) -> Path:
    return artifacts.save(cx, ctx.out)


def stage_result(stage_name: str, res: EngineResult, ctx: Context, text: str) -> StageResult:
    """A stage's result from its engine's: one finding (saved) per violated property, the shortest."""
    best: dict[str, Any] = {}
    for v in res.violations:
        if v.prop not in best or (v.steps or 0) < (best[v.prop].steps or 0):
            best[v.prop] = v
    findings = [Finding(v.prop, res.engine, v.where, v.message,
                        _save(v.counterexample, ctx) if v.counterexample is not None else None, v.steps,
                        v.counterexample)
                for v in sorted(best.values(), key=lambda v: order(v.prop))]
    status = res.verdict.value
    cells = _cells(res.checked, findings, [p for p in res.incomplete if p not in best])
    return StageResult(stage_name, res.engine, status, cells, findings, res.configs, res.coverage, text,
                       res.seconds, "; ".join(res.notes))


# -- stage: sample ---------------------------------------------------------------------------------------
# (target, scenario, params): small scenarios that reach the interesting code (a full ring, a CAS that
# fails, index wrap-around, chain growth and a dropped dequeue, stealing, the victim cache, a resize).
SAMPLE_CONFIGS: list[tuple[str, str, Params]] = [
    ("dequeue", "push push pop | tail tail", Params(size=2)),
    ("dequeue", "push push push pop | tail tail | tail", Params(size=2, start_index=2**32 - 2)),
    ("dequeue", "push push:nil push pop | tail tail", Params(size=2, dequeue_bits=3, start_index=6)),
    ("chain", "push push push push pop | tail tail | tail tail", Params(init_size=1, dequeue_limit=4)),
    ("chain", "push push push | tail tail", Params(init_size=1)),
    ("pool", "put get | put get | gc", Params(gomaxprocs=2)),
    ("pool", "put put get | get put | gc procs=1", Params(gomaxprocs=2)),
    ("pool", "put get get | put gc get", Params(gomaxprocs=2)),
    ("pool", "put gc gc get | put get", Params(gomaxprocs=1)),
]
SAMPLE_RUNS = {b: int(manifest.budget(b)["sample_runs"]) for b in BUDGETS}


def _sample_plan(ctx: Context) -> list[Part]:
    """One part per scenario; ``index0`` keeps each run's seed what one run over all of them would use."""
    return [Part(f"sample {_config_name(t, sc, p)}",
                 {"configs": [one_config(t, sc, p, _config_name(t, sc, p))], "seed": ctx.seed, "shrink": True,
                  "index0": i}, Budget(ctx.budget, runs=SAMPLE_RUNS[ctx.budget]), 1.0 + t.count("pool"))
            for i, (t, sc, p) in enumerate(SAMPLE_CONFIGS)]


@planned("sample", "sample", "seeded random and PCT schedules of small scenarios, every run fully checked",
         "poolcheck.engine.sample", _sample_plan)
def sample_stage(ctx: Context, res: EngineResult) -> StageResult:
    """The sample engine (poolcheck.engine.sample) on SAMPLE_CONFIGS; each first violation shrunk."""
    total = res.coverage["executions"]
    return stage_result("sample", res, ctx, f"{total:,} executions of {len(SAMPLE_CONFIGS)} scenarios")


# -- stage: explore --------------------------------------------------------------------------------------
# (name, target, scenario, params). Each is explored completely (every interleaving) within max_states.
EXPLORE_CONFIGS: dict[str, list[tuple[str, str, str, Params]]] = {
    "ci": [
        ("X1", "dequeue", "push push pop | tail tail", Params(size=2)),
        ("X2", "dequeue", "push push push pop | tail | tail", Params(size=2, dequeue_bits=3, start_index=6)),
        ("X3", "dequeue", "push:nil push pop | tail tail", Params(size=2)),
        ("X4", "chain", "push push push pop | tail tail", Params(init_size=1, dequeue_limit=4)),
        ("X5", "chain", "push push push | tail | tail", Params(init_size=1, dequeue_limit=2)),
        ("X6", "pool", "put get | put get | gc", Params(gomaxprocs=2)),
        ("X7", "pool", "put put get | get | gc", Params(gomaxprocs=2)),
        ("X8", "pool", "put gc gc get | get", Params(gomaxprocs=1)),
        ("X9", "pool", "put get | procs=1 get | gc", Params(gomaxprocs=2)),
    ],
}
EXPLORE_MAX_STATES = {b: int(manifest.budget(b)["explore_max_states"]) for b in BUDGETS}


def explore_configs(budget: str) -> list[tuple[str, str, str, Params]]:
    """The budget's explorer configurations: ours plus proofs.explore.bench_configs.BENCH_CONFIGS (E1..E6).

    ci takes the benchmark configurations whose stated time target is at most
    10 s; thorough takes all of them and EXPLORE_CONFIGS["thorough"].
    """
    from proofs.explore.bench_configs import BENCH_CONFIGS

    out = list(EXPLORE_CONFIGS["ci"])
    if budget == "thorough":
        out += list(EXPLORE_CONFIGS.get("thorough", []))
    limit = {"ci": 10.0, "thorough": float("inf")}[budget]
    out += [(b.name, b.target, b.scenario, b.params) for b in BENCH_CONFIGS
            if (b.target_seconds or 0.0) <= limit]
    seen: set[tuple[str, str, Params]] = set()
    unique = []
    for key, t, sc, p in out:
        if (t, sc, p) not in seen:
            seen.add((t, sc, p))
            unique.append((key, t, sc, p))
    return unique


def _explore_plan(ctx: Context) -> list[Part]:
    """One part per configuration, the biggest first (its expected state count, from the manifest)."""
    max_states = EXPLORE_MAX_STATES[ctx.budget]
    return [Part(f"explore {key}", {"configs": [one_config(t, sc, p, f"{key}: {_config_name(t, sc, p)}")]},
                 Budget(ctx.budget, max_states=max_states), float(_expected_states(t, sc, p) or 1))
            for key, t, sc, p in explore_configs(ctx.budget)]


def _expected_states(target: str, scenario: str, params: Params) -> int | None:
    e = manifest.expected(target, scenario, params)
    return e.states if e is not None else None


@planned("explore", "explore", "every interleaving of each configuration (proofs.explore), shortest counterexamples",
         "proofs.explore", _explore_plan)
def explore_stage(ctx: Context, res: EngineResult) -> StageResult:
    """The explore engine on the budget's configurations, each within EXPLORE_MAX_STATES."""
    chosen = explore_configs(ctx.budget)
    cfgs = chosen
    max_states = EXPLORE_MAX_STATES[ctx.budget]
    res.coverage["configurations"] = len(cfgs)
    if ctx.is_reference:  # the manifest's exact counts: a scheduling point added or lost is a failure
        drift = [manifest.count_mismatch(t, sc, p, True, run.coverage["states"], run.coverage["transitions"])
                 for (_, t, sc, p), run in zip(chosen, res.configs) if run.coverage.get("complete")]
        if any(drift):
            res.notes[:0] = [d for d in drift if d]
            res.verdict = Verdict.FAIL
    cov = res.coverage
    text = (f"{cov['states']:,} states, {cov['transitions']:,} transitions, max depth {cov['max_depth']}, "
            f"{len(cfgs)} configurations (max {max_states:,} states each)")
    return stage_result("explore", res, ctx, text)


# -- stage: fuzz -----------------------------------------------------------------------------------------
FUZZ_EXAMPLES = {b: int(manifest.budget(b)["fuzz_examples"]) for b in BUDGETS}


def _fuzz_plan(ctx: Context) -> list[Part]:
    """One part per target (a target's three searches use seeds of their own: properties.fuzz._sub_seed)."""
    return [Part(f"fuzz {t}", {"targets": [t], "seed": ctx.seed}, Budget(ctx.budget, examples=FUZZ_EXAMPLES[ctx.budget]),
                 {"dequeue": 1.0, "chain": 2.0, "pool": 3.0}[t])
            for t in ("dequeue", "chain", "pool")]


@planned("fuzz", "fuzz", "Hypothesis-drawn scenarios and schedules, shrunk (properties.fuzz)", "properties.fuzz",
         _fuzz_plan)
def fuzz_stage(ctx: Context, res: EngineResult) -> StageResult:
    """The fuzz engine on every target, FUZZ_EXAMPLES per search."""
    text = f"{res.coverage['examples']:,} examples over {', '.join(res.coverage['targets'])}"
    return stage_result("fuzz", res, ctx, text)


# -- stage: prove ----------------------------------------------------------------------------------------
def _prove_plan(ctx: Context) -> list[Part]:
    """The lemmas as one part (each takes well under a second), every other row a part of its own."""
    from proofs.smt.prove import row_names

    rows = row_names(ctx.model)
    lemmas = [r for r in rows if r.startswith("L")]
    # "L*" matches the lemmas by glob only: no other row starts with L (proofs.smt.prove._matcher).
    return ([Part("prove lemmas", {"only": "L*"}, Budget(ctx.budget), 1.0)] if lemmas else []) + \
        [Part(f"prove {r}", {"only": r}, Budget(ctx.budget), 2.0 + r.count("T3") + 2 * r.startswith("crosshair"))
         for r in rows if not r.startswith("L")]


@planned("prove", "prove", "Z3 lemmas, bounded model checking and induction, CrossHair contracts (proofs.smt.prove)",
         "proofs.smt.prove", _prove_plan)
def prove_stage(ctx: Context, res: EngineResult) -> StageResult:
    """The prove engine: every proof row applicable to the variant."""
    depth = res.coverage["proof_depth"]
    text = f"{res.coverage['proofs']} proofs and checks" + (f", bounded depth up to {depth}" if depth else "")
    return stage_result("prove", res, ctx, text)


# -- stage: mutants ----------------------------------------------------------------------------------------
# The engines each mutant goes through. ci: the two that kill every mutant in seconds (the fuzz stage
# still runs on the variant itself); thorough: every engine, so the matrix shows which engine finds what.
MUTANT_ENGINES = {"ci": ("sample", "explore", "prove"), "thorough": ("sample", "explore", "fuzz", "prove")}

@stage("mutants", "mutants", "every mutant through the engines (poolcheck.killmatrix): each must be killed",
       module="poolcheck.killmatrix", reference_only=True)
def mutants_stage(ctx: Context, bar: Progress) -> StageResult:
    """The kill matrix over MUTANT_ENGINES; it fails if a mutant survives or the reference is flagged."""
    from poolcheck import killmatrix

    t0 = time.monotonic()
    engines = tuple(e for e in MUTANT_ENGINES[ctx.budget] if not engine.available(e))
    km = killmatrix.kill_matrix(engines=engines, budget=ctx.budget, out=ctx.out, progress=bar, executor=ctx.executor)
    md, js = km.write(ctx.out, f"poolcheck verify --budget {ctx.budget}")
    configs = [ConfigRun(r.name, r.verdict, r.time_to_kill or 0.0,
                         {"expected": list(r.variant.expected), "cells": {e: c.status for e, c in r.cells.items()}})
               for r in km.rows + [km.reference]]
    unfinished = [f"{r.name} ({e})" for r in km.rows + [km.reference] for e, c in r.cells.items()
                  if c.status == "incomplete"]
    status = FAIL if not km.ok else INCOMPLETE_S if unfinished else PASS
    ne = km.non_equivalent
    score = {"killed": sum(r.killed for r in ne), "non_equivalent": len(ne)}
    text = f"{score['killed']}/{score['non_equivalent']} non-equivalent mutants killed by {', '.join(engines)}"
    note = "; ".join(km.problems() + ([f"unfinished cells: {', '.join(unfinished)}"] if unfinished else []))
    return StageResult("mutants", "mutants", status, {}, [], configs, {"score": score}, text,
                       time.monotonic() - t0, note, {"mutants.md": md.name, "mutants.json": js.name})


@stage("study", "study", "the seed text's design claims, measured (poolcheck.study): victim tiers, padding, cleanup",
       module="poolcheck.study", reference_only=True)
def study_stage(ctx: Context, bar: Progress) -> StageResult:
    """Runs only on the thorough budget: it measures claims, it does not check a property of a variant."""
    t0 = time.monotonic()
    if ctx.budget != "thorough":
        return StageResult("study", "study", PASS, {}, [], [], {}, "skipped on the ci budget (run with --budget "
                           "thorough, or poolcheck study)", time.monotonic() - t0)
    res = engine.run("study", ctx.variant, {"which": "all", "out": str(ctx.out)}, Budget(ctx.budget), bar)
    plots = list(res.data["plots"])
    links = {"study.md": "study/all.md"} if (ctx.out / "study" / "all.md").exists() else {}
    links.update({Path(p).stem: p for p in plots})   # PNGs: summary.py embeds them as images
    return StageResult("study", "study", PASS, {}, [], [], {"plots": len(plots)},
                       f"{len(plots)} plots, tables in study/", res.seconds, "", links)


# -- running -------------------------------------------------------------------------------------------------
def _available(module: str) -> bool:
    import importlib.util
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def run_stage(st: Stage, ctx: Context, index: int = 1, count: int = 1) -> StageResult:
    """One stage on one variant, with its own progress; an engine that raises gives status ``error``.

    A user's variant that breaks (VariantError) and Ctrl-C (KeyboardInterrupt) are not engine errors:
    they propagate (exit 2 and 130).
    """
    if st.module is not None and not _available(st.module):
        return StageResult(st.name, st.engine, "unavailable", note=f"module {st.module} is not installed yet")
    title = f"verify {index}/{count} {st.name}" + ("" if ctx.is_reference else f" [{ctx.variant}]")
    t0 = time.monotonic()
    with Progress(title, enabled=ctx.progress) as bar:
        bar.stage("started")
        try:
            res = st.fn(ctx, bar)
        except engine.VariantError:
            raise
        except Exception as e:  # an engine bug must not hide the other stages' results
            tb = traceback.extract_tb(e.__traceback__)
            where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
            return StageResult(st.name, st.engine, "error", seconds=time.monotonic() - t0,
                               note=f"{type(e).__name__}: {e}{where}")
    return res


def _assemble(st: Stage, ctx: Context, outputs: list[dict[str, Any]]) -> StageResult:
    """A planned stage's result from its parts' outputs (plan order): merged, then finished by the stage."""
    assert st.finish is not None
    for o in outputs:
        if "variant_error" in o:
            raise engine.VariantError(o["variant_error"])
    errors = [o["error"] for o in outputs if "error" in o]
    if errors:
        return StageResult(st.name, st.engine, "error", note="; ".join(dict.fromkeys(errors)))
    merged = merge([EngineResult.from_json(o["result"]) for o in outputs])
    try:
        return st.finish(ctx, merged)
    except Exception as e:  # a bug in the stage's own bookkeeping: reported, never a pass
        return StageResult(st.name, st.engine, "error", seconds=merged.seconds, note=f"{type(e).__name__}: {e}")


def _interrupted(st: Stage, seconds: float) -> StageResult:
    return StageResult(st.name, st.engine, INCOMPLETE_S, seconds=seconds,
                       note="interrupted (Ctrl-C) before the stage finished")


def run(models: Sequence[type[Model]], budget: str = "ci", out: Path = Path("reports"), seed: int = 0,
        only: Sequence[str] | None = None, progress: bool | None = None,
        on_stage: Callable[[str, StageResult], None] | None = None,
        jobs: str | int | Executor | None = "inline") -> Campaign:
    """Run the campaign's stages (or those named in ``only``) on every model in ``models``.

    ``jobs`` chooses where the work runs (poolcheck.jobs: ``inline``, a number
    of processes, ``auto`` or ``dask:ADDRESS``, or an Executor): the planned
    stages of every variant are submitted at once as parts (one scenario,
    configuration, fuzz target or proof row each), then merged in plan order,
    so the verdicts, findings and report folders do not depend on ``jobs``.
    The mutants stage hands its kill-matrix cells to the same executor. Only
    this process writes reports.

    Ctrl-C ends the campaign early: every stage not finished is ``incomplete``
    (never a pass), the result has ``interrupted`` set, and the caller decides
    (``poolcheck verify`` writes the summary, then exits 130).
    """
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}: use one of {', '.join(BUDGETS)}")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic()
    own = jobs is None or isinstance(jobs, (str, int))
    ex = executor(jobs) if jobs is None or isinstance(jobs, (str, int)) else jobs
    try:
        return _run(models, budget, out, seed, only, progress, on_stage, ex, started, t0)
    finally:
        if own:
            ex.close()


def _run(models: Sequence[type[Model]], budget: str, out: Path, seed: int, only: Sequence[str] | None,
         progress: bool | None, on_stage: Callable[[str, StageResult], None] | None, ex: Executor, started: str,
         t0: float) -> Campaign:
    ctxs = [Context(m, budget, out, seed, progress, ex) for m in models]
    chosen = [[s for s in STAGES if (only is None or s.name in only) and (not s.reference_only or c.is_reference)]
              for c in ctxs]
    work: list[tuple[int, int, Part]] = []
    for ci, ctx in enumerate(ctxs):
        for si, st in enumerate(chosen[ci]):
            if st.plan is not None and (st.module is None or _available(st.module)):
                work += [(ci, si, part) for part in st.plan(ctx)]
    todo = [Job(f"{ctxs[ci].variant} {part.key}", "poolcheck.campaign:run_part",
                {"engine_name": chosen[ci][si].engine, "variant": ctxs[ci].variant, "config": part.config,
                 "budget": part.budget.to_json()}, part.cost) for ci, si, part in work]
    interrupted = False
    outputs: list[dict[str, Any]] = []
    with Progress(f"verify ({ex.name})", total=len(todo), enabled=progress) as bar:
        bar.stage(f"{len(todo)} jobs on {ex.name}", len(todo))
        try:
            outputs = ex.run(todo, lambda job, n, total: bar.update(n, job=job.key))
        except KeyboardInterrupt:
            interrupted = True
    by_stage: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for (ci, si, _), o in zip(work, outputs):
        by_stage.setdefault((ci, si), []).append(o)
    runs = []
    for ci, ctx in enumerate(ctxs):
        results = []
        for si, st in enumerate(chosen[ci]):
            s0 = time.monotonic()
            if st.plan is not None and (st.module is None or _available(st.module)):
                res = _interrupted(st, time.monotonic() - t0) if interrupted else _assemble(st, ctx, by_stage[(ci, si)])
            elif interrupted:
                break
            else:
                try:
                    res = run_stage(st, ctx, si + 1, len(chosen[ci]))
                except KeyboardInterrupt:
                    res = _interrupted(st, time.monotonic() - s0)
                    interrupted = True
            results.append(res)
            if on_stage is not None:
                on_stage(ctx.variant, res)
        runs.append(VariantRun(ctx.variant, ctx.model.description, results))
    return Campaign(budget, runs, time.monotonic() - t0, started, out, interrupted)
