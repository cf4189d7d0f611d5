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
             (poolcheck.shrink) before it is saved. Always available.
``explore``  proofs.explore.explore on the budget's configurations: every
             interleaving, shortest counterexamples.
``fuzz``     properties.fuzz.fuzz: Hypothesis scenarios and schedules.
``prove``    proofs.prove.run_all: Z3 lemmas, BMC and induction, CrossHair.
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

    @property
    def variant(self) -> str:
        return spec_of(self.model)

    @property
    def is_reference(self) -> bool:
        return self.model is Model


StageFn = Callable[[Context, Progress], StageResult]


@dataclass(frozen=True)
class Stage:
    name: str
    engine: str             # column of the matrix
    title: str              # one line for the summary
    module: str | None      # the engine's module; None: always available
    fn: StageFn
    reference_only: bool = False


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
def checked_by_execution(target: str) -> list[str]:
    """The property ids a checked execution (poolcheck.replay.check_all) can report for ``target``."""
    return checked_properties(target)


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


@stage("sample", "sample", "seeded random and PCT schedules of small scenarios, every run fully checked",
       module="poolcheck.engine.sample")
def sample_stage(ctx: Context, bar: Progress) -> StageResult:
    """The sample engine (poolcheck.engine.sample) on SAMPLE_CONFIGS; each first violation shrunk."""
    cfgs = [one_config(t, sc, p, _config_name(t, sc, p)) for t, sc, p in SAMPLE_CONFIGS]
    res = engine.run("sample", ctx.variant, {"configs": cfgs, "seed": ctx.seed, "shrink": True},
                     Budget(ctx.budget, runs=SAMPLE_RUNS[ctx.budget]), bar)
    total = res.coverage["executions"]
    return stage_result("sample", res, ctx, f"{total:,} executions of {len(cfgs)} scenarios")


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
    """The budget's explorer configurations: ours plus proofs.bench_configs.BENCH_CONFIGS (E1..E6).

    ci takes the benchmark configurations whose stated time target is at most
    10 s; thorough takes all of them and EXPLORE_CONFIGS["thorough"].
    """
    from proofs.bench_configs import BENCH_CONFIGS

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


@stage("explore", "explore", "every interleaving of each configuration (proofs.explore), shortest counterexamples",
       module="proofs.explore")
def explore_stage(ctx: Context, bar: Progress) -> StageResult:
    """The explore engine on the budget's configurations, each within EXPLORE_MAX_STATES."""
    chosen = explore_configs(ctx.budget)
    cfgs = [one_config(t, sc, p, f"{key}: {_config_name(t, sc, p)}") for key, t, sc, p in chosen]
    max_states = EXPLORE_MAX_STATES[ctx.budget]
    res = engine.run("explore", ctx.variant, {"configs": cfgs}, Budget(ctx.budget, max_states=max_states), bar)
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


@stage("fuzz", "fuzz", "Hypothesis-drawn scenarios and schedules, shrunk (properties.fuzz)", module="properties.fuzz")
def fuzz_stage(ctx: Context, bar: Progress) -> StageResult:
    """The fuzz engine on every target, FUZZ_EXAMPLES per search."""
    res = engine.run("fuzz", ctx.variant, {"targets": ["dequeue", "chain", "pool"], "seed": ctx.seed},
                     Budget(ctx.budget, examples=FUZZ_EXAMPLES[ctx.budget]), bar)
    text = f"{res.coverage['examples']:,} examples over {', '.join(res.coverage['targets'])}"
    return stage_result("fuzz", res, ctx, text)


# -- stage: prove ----------------------------------------------------------------------------------------
@stage("prove", "prove", "Z3 lemmas, bounded model checking and induction, CrossHair contracts (proofs.prove)",
       module="proofs.prove")
def prove_stage(ctx: Context, bar: Progress) -> StageResult:
    """The prove engine: every proof row applicable to the variant."""
    res = engine.run("prove", ctx.variant, {}, Budget(ctx.budget), bar)
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
    km = killmatrix.kill_matrix(engines=engines, budget=ctx.budget, out=ctx.out, progress=bar)
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


def run(models: Sequence[type[Model]], budget: str = "ci", out: Path = Path("reports"), seed: int = 0,
        only: Sequence[str] | None = None, progress: bool | None = None,
        on_stage: Callable[[str, StageResult], None] | None = None) -> Campaign:
    """Run the campaign's stages (or those named in ``only``) on every model in ``models``.

    Ctrl-C ends the campaign early: the stage that was running is ``incomplete``
    (never a pass), the result has ``interrupted`` set, and the caller decides
    (``poolcheck verify`` writes the summary, then exits 130).
    """
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}: use one of {', '.join(BUDGETS)}")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic()
    runs = []
    interrupted = False
    for model in models:
        ctx = Context(model, budget, out, seed, progress)
        chosen = [s for s in STAGES if (only is None or s.name in only) and (not s.reference_only or ctx.is_reference)]
        results = []
        for i, st in enumerate(chosen, 1):
            s0 = time.monotonic()
            try:
                res = run_stage(st, ctx, i, len(chosen))
            except KeyboardInterrupt:
                res = StageResult(st.name, st.engine, INCOMPLETE_S, seconds=time.monotonic() - s0,
                                  note="interrupted (Ctrl-C) before the stage finished")
                interrupted = True
            results.append(res)
            if on_stage is not None:
                on_stage(ctx.variant, res)
            if interrupted:
                break
        runs.append(VariantRun(ctx.variant, model.description, results))
        if interrupted:
            break
    return Campaign(budget, runs, time.monotonic() - t0, started, out, interrupted)
