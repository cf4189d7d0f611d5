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

import importlib
import importlib.util
import random
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from model.harness import build
from model.kernel import Kernel, Scheduler
from model.params import Params
from model.schedulers import RandomScheduler
from model.tracefile import Counterexample, from_kernel
from model.variants import Model, spec_of
from poolcheck import artifacts
from poolcheck.common import INCOMPLETE, OK, VIOLATION
from poolcheck.progress import Progress
from poolcheck.replay import StateWatch, check_all
from poolcheck.shrink import shrink
from properties import catalog

__all__ = ["Context", "Finding", "ConfigRun", "StageResult", "Stage", "VariantRun", "Campaign", "STAGES",
           "register", "stage", "stage_names", "run", "run_stage", "checked_by_execution", "SAMPLE_CONFIGS",
           "EXPLORE_CONFIGS", "BUDGETS"]

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
class ConfigRun:
    """One configuration of a stage: a scenario, a proof, a fuzzed target."""

    name: str
    verdict: str                         # pass | fail | incomplete | error | n/a
    seconds: float
    coverage: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "verdict": self.verdict, "seconds": round(self.seconds, 3),
                "coverage": self.coverage, "detail": self.detail}


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
    def exit_status(self) -> int:
        if self.failed:
            return VIOLATION
        return INCOMPLETE if self.incomplete else OK

    @property
    def verdict(self) -> str:
        return {VIOLATION: "fail", INCOMPLETE: "incomplete", OK: "pass"}[self.exit_status]

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
                "out": str(self.out),
                "variants": [{"variant": r.variant, "description": r.description,
                              "stages": [s.to_json() for s in r.stages]} for r in self.runs],
                "violations": [dict(f.to_json(), variant=r.variant) for r in self.runs for f in r.findings]}


# -- which properties an execution check covers ------------------------------------------------------
def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def checked_by_execution(target: str) -> list[str]:
    """The property ids a checked execution (poolcheck.replay.check_all) can report for ``target``."""
    lin = _has("properties.linearizability")
    if target == "dequeue":
        ids = ["D1", "D2", "D3", "D4", "D6", "D7", "D8", "D9", "G1"] + (["D5"] if lin else [])
    elif target == "chain":
        ids = ["C1", "C2", "C3", "C5", "C6", "C7", "D1", "D2", "D6", "D9", "G1"] + (["C4"] if lin else [])
    else:
        ids = ["P1", "P2", "P3", "P5", "P6", "P7", "P8", "P9", "P11", "G1"]
    return sorted(set(ids), key=_order)


def _order(pid: str) -> int:
    ids = [p.id for p in catalog.CATALOG]
    return ids.index(pid) if pid in ids else len(ids)


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
    return dict(sorted(cells.items(), key=lambda kv: _order(kv[0])))


class _Feed:
    """Turns the engines' progress callbacks (a dict, or done/total/what) into a Progress bar."""

    _SKIP = ("done", "force", "seconds", "elapsed", "states_per_second")  # the bar shows its own time

    def __init__(self, bar: Progress, prefix: str = "") -> None:
        self.bar, self.prefix = bar, prefix

    def __call__(self, *args: Any, **kw: Any) -> None:
        fields: dict[str, Any] = {"at": self.prefix} if self.prefix else {}
        if len(args) == 1 and isinstance(args[0], dict):
            for k, v in args[0].items():
                if isinstance(v, bool) or not isinstance(v, (int, float, str)) or k in self._SKIP:
                    continue
                fields[str(k)] = round(v, 1) if isinstance(v, float) else v
            self.bar.update(None, False, **fields)
        elif len(args) >= 2 and all(isinstance(a, int) for a in args[:2]):
            self.bar.total = args[1] or None
            if len(args) > 2:
                fields["at"] = f"{self.prefix} {args[2]}".strip()
            self.bar.update(args[0], False, **fields)
        else:
            self.bar.update(None, False, **{k: v for k, v in kw.items() if k not in ("done", "force")})

    def update(self, *args: Any, **kw: Any) -> None:
        self.bar.update(*args, **kw)


def _save(cx: Counterexample, ctx: Context) -> Path:
    return artifacts.save(cx, ctx.out)


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
SAMPLE_RUNS = {"ci": 300, "thorough": 3000}


def _scheduler(seed: int, nthreads: int, steps: int) -> Scheduler:
    """Even runs uniformly random; odd runs PCT (Burckhardt et al., ASPLOS 2010) of depth 2..4 when available."""
    if seed % 2 == 0 or not _has("properties.pct"):
        return RandomScheduler(seed)
    pct = importlib.import_module("properties.pct")
    plan = pct.PCTPlan.random(nthreads, steps, 2 + (seed // 2) % 3, random.Random(seed))
    sched: Scheduler = pct.PCT(plan)
    return sched


@stage("sample", "sample", "seeded random and PCT schedules of small scenarios, every run fully checked")
def sample_stage(ctx: Context, bar: Progress) -> StageResult:
    t0 = time.monotonic()
    runs = SAMPLE_RUNS[ctx.budget]
    bar.total = len(SAMPLE_CONFIGS) * runs
    found: dict[str, Finding] = {}
    configs: list[ConfigRun] = []
    checked: set[str] = set()
    undecided_total = 0
    done = 0
    for ci, (target, scenario, params) in enumerate(SAMPLE_CONFIGS):
        c0 = time.monotonic()
        name = _config_name(target, scenario, params)
        checked |= set(checked_by_execution(target))
        bad = undecided = 0
        steps = 0
        for i in range(runs):
            seed = ctx.seed * 1_000_003 + ci * 10_007 + i
            w = build(target, scenario, params, ctx.model)
            k: Kernel = w.kernel()
            watch = StateWatch(w)
            sched = _scheduler(seed, len(w.programs), steps or 40)
            while en := k.enabled():
                k.step(sched.choose(en, k))
                watch.observe(k)
            steps = steps or len(k.schedule)
            vs, why = check_all(w, k, watch)
            if why:
                undecided += 1
            done += 1
            bar.update(done, config=f"{ci + 1}/{len(SAMPLE_CONFIGS)}", violations=len(found))
            if vs:
                bad += 1
            for v in vs:
                if v.prop in found:
                    continue
                found[v.prop] = _shrunk_finding(ctx, target, w.scenario, params, k, v.prop, v.message, v.step,
                                                name, seed)
        undecided_total += undecided
        configs.append(ConfigRun(name, FAIL if bad else PASS, time.monotonic() - c0,
                                 {"executions": runs, "violating": bad, "undecided": undecided}))
    findings = sorted(found.values(), key=lambda f: _order(f.prop))
    status = FAIL if findings else PASS
    total = runs * len(SAMPLE_CONFIGS)
    text = f"{total:,} executions of {len(SAMPLE_CONFIGS)} scenarios"
    note = (f"linearizability undecided (search budget) in {undecided_total} execution(s)" if undecided_total
            else "")
    return StageResult("sample", "sample", status, _cells(checked, findings), findings, configs,
                       {"executions": total, "configurations": len(SAMPLE_CONFIGS), "undecided": undecided_total},
                       text, time.monotonic() - t0, note)


def _shrunk_finding(ctx: Context, target: str, scenario: Any, params: Params, k: Kernel, prop: str, message: str,
                    step: int | None, config: str, seed: int) -> Finding:
    """Shrink a sampled violation and save it; the unshrunk run is saved if shrinking cannot keep it."""
    sh = shrink(target, scenario, params, ctx.model, k.schedule, prop, seed=seed)
    if sh is not None:
        cx = from_kernel(sh.kernel, target=target, scenario=str(sh.scenario), params=sh.params,
                         variant=ctx.variant, prop=prop, message=sh.violation.message, engine="sample",
                         violating_step=sh.violation.step,
                         extra={"found_in": config, "seed": seed, "shrunk_from_steps": sh.steps_before,
                                "shrink_runs": sh.runs})
        kern = sh.kernel
    else:
        cx = from_kernel(k, target=target, scenario=str(scenario), params=params, variant=ctx.variant, prop=prop,
                         message=message, engine="sample", violating_step=step, extra={"found_in": config,
                                                                                        "seed": seed})
        kern = k
    return Finding(prop, "sample", config, cx.message, _save(cx, ctx), len(kern.schedule), cx)


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
EXPLORE_MAX_STATES = {"ci": 400_000, "thorough": 5_000_000}


def explore_configs(budget: str) -> list[tuple[str, str, str, Params]]:
    """The budget's explorer configurations: ours plus proofs.explore.BENCH_CONFIGS (E1..E6).

    ci takes the benchmark configurations whose stated time target is at most
    10 s; thorough takes all of them and EXPLORE_CONFIGS["thorough"].
    """
    out = list(EXPLORE_CONFIGS["ci"])
    if budget == "thorough":
        out += list(EXPLORE_CONFIGS.get("thorough", []))
    try:
        bench = getattr(importlib.import_module("proofs.explore"), "BENCH_CONFIGS", None)
    except ImportError:
        bench = None
    limits = {"ci": 10.0, "thorough": float("inf")}
    for item, seconds in _bench_items(bench):
        if seconds <= limits[budget]:
            out.append(item)
    seen: set[tuple[str, str, Params]] = set()
    unique = []
    for key, t, sc, p in out:
        if (t, sc, p) not in seen:
            seen.add((t, sc, p))
            unique.append((key, t, sc, p))
    return unique


def _bench_items(bench: Any) -> list[tuple[tuple[str, str, str, Params], float]]:
    """BENCH_CONFIGS as ((name, target, scenario, params), time target): objects or tuples, in a list or dict."""
    if not bench:
        return []
    items = list(bench.items()) if isinstance(bench, dict) else [(None, b) for b in bench]
    out = []
    for key, b in items:
        if isinstance(b, (tuple, list)):
            parts = list(b)
            if parts and isinstance(parts[0], str) and parts[0] not in ("dequeue", "chain", "pool"):
                key, parts = parts[0], parts[1:]
            if len(parts) >= 3 and isinstance(parts[2], Params):
                out.append(((str(key), parts[0], parts[1], parts[2]), 0.0))
        else:
            t, sc, p = getattr(b, "target", None), getattr(b, "scenario", None), getattr(b, "params", None)
            if isinstance(t, str) and isinstance(sc, str) and isinstance(p, Params):
                secs = getattr(b, "target_seconds", 0.0)
                out.append(((str(key or getattr(b, "name", "E")), t, sc, p),
                            float(secs) if isinstance(secs, (int, float)) else 0.0))
    return out


@stage("explore", "explore", "every interleaving of each configuration (proofs.explore), shortest counterexamples",
       module="proofs.explore")
def explore_stage(ctx: Context, bar: Progress) -> StageResult:
    ex = importlib.import_module("proofs.explore")
    t0 = time.monotonic()
    cfgs = explore_configs(ctx.budget)
    max_states = EXPLORE_MAX_STATES[ctx.budget]
    best: dict[str, tuple[int, Any, str]] = {}
    checked: set[str] = set()
    incomplete: set[str] = set()
    configs: list[ConfigRun] = []
    states = transitions = depth = 0
    vacuous: list[str] = []
    bar.total = len(cfgs)
    for i, (key, target, scenario, params) in enumerate(cfgs):
        bar.update(i, config=key)
        name = f"{key}: {_config_name(target, scenario, params)}"
        res = ex.explore(target, scenario, params, ctx.model, max_states=max_states, progress=_Feed(bar, key))
        props = checked_by_execution(target)
        checked |= set(props)
        if res.verdict == "incomplete":
            incomplete |= set(props)
        states += res.states
        transitions += res.transitions
        depth = max(depth, res.max_depth)
        unreached = [g for g, ok in res.goals.items() if not ok]
        detail = "" if not unreached else f"goal(s) never reached: {', '.join(unreached)}"
        if res.verdict == "fail" and not res.violations:
            vacuous.append(f"{key} ({', '.join(unreached)})")
        for v in res.violations:
            if v.prop not in best or v.length < best[v.prop][0]:
                best[v.prop] = (v.length, v, name)
        configs.append(ConfigRun(name, res.verdict, res.seconds,
                                 {"states": res.states, "transitions": res.transitions, "depth": res.max_depth,
                                  "complete": res.complete, "violations": [v.prop for v in res.violations]},
                                 detail))
    bar.update(len(cfgs))
    findings = []
    for prop, (length, v, name) in sorted(best.items(), key=lambda kv: _order(kv[0])):
        findings.append(Finding(prop, "explore", name, v.message, _save(v.counterexample, ctx), length,
                                v.counterexample))
    status = FAIL if findings or vacuous else INCOMPLETE_S if incomplete else PASS
    note = f"vacuous configuration(s), bounds too small: {'; '.join(vacuous)}" if vacuous else ""
    if incomplete and not note:
        note = f"max_states {max_states:,} reached before some configurations were complete"
    text = (f"{states:,} states, {transitions:,} transitions, max depth {depth}, {len(cfgs)} configurations "
            f"(max {max_states:,} states each)")
    return StageResult("explore", "explore", status, _cells(checked, findings, incomplete - {f.prop for f in findings}),
                       findings, configs, {"states": states, "transitions": transitions, "max_depth": depth,
                                           "configurations": len(cfgs)}, text, time.monotonic() - t0, note)


# -- stage: fuzz -----------------------------------------------------------------------------------------
FUZZ_EXAMPLES = {"ci": 200, "thorough": 2000}


@stage("fuzz", "fuzz", "Hypothesis-drawn scenarios and schedules, shrunk (properties.fuzz)", module="properties.fuzz")
def fuzz_stage(ctx: Context, bar: Progress) -> StageResult:
    fz = importlib.import_module("properties.fuzz")
    t0 = time.monotonic()
    targets = ("dequeue", "chain", "pool")
    res = fz.fuzz(targets=targets, examples=FUZZ_EXAMPLES[ctx.budget], model=ctx.model, seed=ctx.seed, out=None,
                  progress=_Feed(bar))
    checked = {p for t in targets for p in checked_by_execution(t)}
    findings = []
    seen: set[str] = set()
    for v in sorted(res.violations, key=lambda v: (_order(v.prop), getattr(v, "length", 0) or 0)):
        if v.prop in seen:
            continue
        seen.add(v.prop)
        cx = getattr(v, "counterexample", None)
        folder = _save(cx, ctx) if isinstance(cx, Counterexample) else \
            (Path(v.trace_path).parent if getattr(v, "trace_path", None) else None)
        findings.append(Finding(v.prop, "fuzz", getattr(cx, "scenario", "") if cx else "", v.message, folder,
                                getattr(v, "length", None), cx if isinstance(cx, Counterexample) else None))
    verdict = str(getattr(res, "verdict", FAIL if findings else PASS))
    if "pool" in targets:
        checked.add("P4")  # the pool state machine checks Get's exact lookup order against the specification
    incomplete = checked if verdict == "incomplete" else set()
    configs = []
    per_target = getattr(res, "per_target", None) or {}
    for t, info in (per_target.items() if isinstance(per_target, dict) else []):
        cov: dict[str, Any] = {}
        secs = 0.0
        if isinstance(info, dict):
            for k, x in info.items():
                if isinstance(x, dict):  # one search: machine, choices, pct
                    cov[str(k)] = f"{x.get('verdict', '?')} ({x.get('examples', '?')} examples)"
                    secs += float(x.get("seconds", 0.0) or 0.0)
                elif k == "examples":
                    cov["examples"] = x
        configs.append(ConfigRun(str(t), str(info.get("verdict", PASS)) if isinstance(info, dict) else PASS, secs,
                                 cov))
    status = FAIL if findings or verdict == FAIL else INCOMPLETE_S if verdict == "incomplete" else PASS
    examples = int(getattr(res, "examples_run", 0) or 0)
    return StageResult("fuzz", "fuzz", status, _cells(checked, findings, incomplete), findings, configs,
                       {"examples": examples}, f"{examples:,} examples over {', '.join(targets)}",
                       time.monotonic() - t0)


# -- stage: prove ----------------------------------------------------------------------------------------
@stage("prove", "prove", "Z3 lemmas, bounded model checking and induction, CrossHair contracts (proofs.prove)",
       module="proofs.prove")
def prove_stage(ctx: Context, bar: Progress) -> StageResult:
    pv = importlib.import_module("proofs.prove")
    t0 = time.monotonic()
    results = pv.run_all(model=ctx.model, budget=ctx.budget, progress=_Feed(bar))
    cells: dict[str, str] = {}
    findings: list[Finding] = []
    configs: list[ConfigRun] = []
    depth = 0
    unexpected: list[str] = []

    def worst(pid: str, st: str) -> None:
        rank = {PASS: 0, INCOMPLETE_S: 1, FAIL: 2}
        if rank.get(st, 0) >= rank.get(cells.get(pid, PASS), 0):
            cells[pid] = st
    for r in results:
        pid = getattr(r, "prop", None)
        bound = getattr(r, "bound", None)
        if isinstance(bound, int):
            depth = max(depth, bound)
        result, expected = str(r.result), str(getattr(r, "expected", "proved") or "proved")
        if result == "n/a":
            verdict = NA
        elif result == expected:
            verdict = PASS
        elif result == "unknown":
            verdict = INCOMPLETE_S
        else:
            verdict = FAIL
            unexpected.append(f"{r.name}: {result} (expected {expected})")
        configs.append(ConfigRun(str(r.name), verdict, float(getattr(r, "seconds", 0.0) or 0.0),
                                 {"kind": getattr(r, "kind", ""), "result": result, "expected": expected,
                                  "bound": bound}, str(getattr(r, "detail", "") or "")))
        if not pid or verdict == NA:
            continue
        worst(str(pid), verdict)
        cx = getattr(r, "counterexample", None)
        if verdict == FAIL and result == "counterexample":
            folder = _save(cx, ctx) if isinstance(cx, Counterexample) else None
            msg = str(getattr(r, "detail", "") or f"{r.name} found a counterexample")
            findings.append(Finding(str(pid), "prove", str(r.name), msg, folder,
                                    len(cx.schedule) if isinstance(cx, Counterexample) else None,
                                    cx if isinstance(cx, Counterexample) else None))
    status = FAIL if unexpected else INCOMPLETE_S if INCOMPLETE_S in cells.values() else PASS
    note = "; ".join(unexpected)
    text = f"{len(results)} proofs and checks" + (f", bounded depth up to {depth}" if depth else "")
    return StageResult("prove", "prove", status, dict(sorted(cells.items(), key=lambda kv: _order(kv[0]))), findings,
                       configs, {"proofs": len(results), "proof_depth": depth}, text, time.monotonic() - t0, note)


# -- stage: mutants ----------------------------------------------------------------------------------------
# The engines each mutant goes through. ci: the two that kill every mutant in seconds (the fuzz stage
# still runs on the variant itself); thorough: every engine, so the matrix shows which engine finds what.
MUTANT_ENGINES = {"ci": ("sample", "explore", "prove"), "thorough": ("sample", "explore", "fuzz", "prove")}

@stage("mutants", "mutants", "every mutant through the engines (poolcheck.killmatrix): each must be killed",
       module="poolcheck.killmatrix", reference_only=True)
def mutants_stage(ctx: Context, bar: Progress) -> StageResult:
    km_mod = importlib.import_module("poolcheck.killmatrix")
    t0 = time.monotonic()
    engines = tuple(e for e in MUTANT_ENGINES[ctx.budget] if not km_mod.engine_available(e))
    km = km_mod.kill_matrix(engines=engines, budget=ctx.budget, out=ctx.out, progress=_Feed(bar))
    md, js = km.write(ctx.out, f"poolcheck verify --budget {ctx.budget}")
    data = km.to_json()
    score = data.get("score", {})
    configs = [ConfigRun(r["name"], r["verdict"], float(r.get("time_to_kill") or 0.0),
                         {"expected": r.get("expected"), "cells": {e: c.get("status") for e, c in
                                                                   r.get("cells", {}).items()}})
               for r in data.get("mutants", []) + ([data["reference"]] if data.get("reference") else [])]
    status = PASS if km.ok else FAIL
    text = (f"{score.get('killed', '?')}/{score.get('non_equivalent', '?')} non-equivalent mutants killed "
            f"by {', '.join(engines)}")
    return StageResult("mutants", "mutants", status, {}, [], configs, {"score": score}, text,
                       time.monotonic() - t0, "; ".join(km.problems()), {"mutants.md": md.name, "mutants.json": js.name})


@stage("study", "study", "the seed text's design claims, measured (poolcheck.study): victim tiers, padding, cleanup",
       module="poolcheck.study", reference_only=True)
def study_stage(ctx: Context, bar: Progress) -> StageResult:
    """Runs only on the thorough budget: it measures claims, it does not check a property of a variant."""
    t0 = time.monotonic()
    if ctx.budget != "thorough":
        return StageResult("study", "study", PASS, {}, [], [], {}, "skipped on the ci budget (run with --budget "
                           "thorough, or poolcheck study)", time.monotonic() - t0)
    study = importlib.import_module("poolcheck.study")
    res = study.run_study("all", ctx.out)
    links = {"study.md": "study/all.md"} if (ctx.out / "study" / "all.md").exists() else {}
    links.update({Path(p).stem: p for p in res.plots})   # PNGs: summary.py embeds them as images
    return StageResult("study", "study", PASS, {}, [], [], {"plots": len(res.plots)},
                       f"{len(res.plots)} plots, tables in study/", time.monotonic() - t0, "", links)


# -- running -------------------------------------------------------------------------------------------------
def run_stage(st: Stage, ctx: Context, index: int = 1, count: int = 1) -> StageResult:
    """One stage on one variant, with its own progress bar; an engine that raises gives status ``error``."""
    if st.module is not None and not _has(st.module):
        return StageResult(st.name, st.engine, "unavailable", note=f"module {st.module} is not installed yet")
    title = f"verify {index}/{count} {st.name}" + ("" if ctx.is_reference else f" [{ctx.variant}]")
    t0 = time.monotonic()
    with Progress(title, enabled=ctx.progress) as bar:
        try:
            res = st.fn(ctx, bar)
        except Exception as e:  # an engine bug must not hide the other stages' results
            tb = traceback.extract_tb(e.__traceback__)
            where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
            return StageResult(st.name, st.engine, "error", seconds=time.monotonic() - t0,
                               note=f"{type(e).__name__}: {e}{where}")
    return res


def run(models: Sequence[type[Model]], budget: str = "ci", out: Path = Path("reports"), seed: int = 0,
        only: Sequence[str] | None = None, progress: bool | None = None,
        on_stage: Callable[[str, StageResult], None] | None = None) -> Campaign:
    """Run the campaign's stages (or those named in ``only``) on every model in ``models``."""
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}: use one of {', '.join(BUDGETS)}")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic()
    runs = []
    for model in models:
        ctx = Context(model, budget, out, seed, progress)
        chosen = [s for s in STAGES if (only is None or s.name in only) and (not s.reference_only or ctx.is_reference)]
        results = []
        for i, st in enumerate(chosen, 1):
            res = run_stage(st, ctx, i, len(chosen))
            results.append(res)
            if on_stage is not None:
                on_stage(ctx.variant, res)
        runs.append(VariantRun(ctx.variant, model.description, results))
    return Campaign(budget, runs, time.monotonic() - t0, started, out)
