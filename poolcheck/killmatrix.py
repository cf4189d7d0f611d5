"""The kill matrix: every mutant through every engine (issue 7, DESIGN.md section 3).

A mutant is *killed* by an engine when the engine reports a property
violation on it; the matrix has one row per mutant and one column per
engine, each cell ``killed`` (the property, the time to kill measured from
the start of that engine's run on that mutant, and the counterexample's
length in scheduling steps), ``survived`` or ``n/a``. The mutation score is
killed / non-equivalent. The reference runs through the same engines on the
same inputs and must be flagged by none: a property that fires on the
reference is a broken property, not a killed mutant.

Engines (each optional: a missing module gives ``n/a`` cells and a note):

``sample``    seeded schedules on the mutant's witness, half uniformly random
              (model.schedulers.RandomScheduler), half PCT (properties.pct) of
              depth 2..4, each run checked by properties.checks.check_execution.
              Always available; the cheap baseline.
``explore``   proofs.explore.explore on the witness: every interleaving, the
              shortest counterexample first.
``fuzz``      properties.fuzz.fuzz on the witness's target: Hypothesis-drawn
              scenarios and schedules.
``prove``     proofs.smt.prove.run_all with the mutant as the model: a proof that
              finds a counterexample where the reference is proved kills it.
``go-tests``  properties.conformance.gomutants.run_go_tests: the mutant
              realised in Go under Go's own tests (slow; only when asked for).

``kill_matrix(...)`` returns a KillMatrix; ``.to_json()`` is what
``reports/mutants.json`` holds (the campaign's index.html includes it) and
``.to_markdown()`` is ``reports/mutants.md``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.params import Params
from model.scenario import ScenarioError
from model.tracefile import Counterexample, write_json_atomic, write_text_atomic
from model.variants import Model, registry, resolve, spec_of
from poolcheck import engine as _engine
from poolcheck.engine import Budget as EngineBudget
from poolcheck.engine import EngineResult, Verdict, Violation
from poolcheck.engine.explore import one_config
from poolcheck.jobs import Executor, Inline, Job
from poolcheck.progress import NullProgress, ProgressSink

__all__ = ["ENGINES", "DEFAULT_ENGINES", "BUDGETS", "Budget", "Cell", "Row", "KillMatrix", "kill_matrix", "mutants",
           "engine_available", "sample", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1

ENGINES = ("sample", "explore", "fuzz", "prove", "go-tests")
DEFAULT_ENGINES = ("explore", "fuzz", "prove")

@dataclass(frozen=True)
class Budget:
    """What one engine may spend on one mutant (and on the reference, per witness)."""

    sample_runs: int
    sample_seconds: float
    reference_runs: int
    explore_states: int | None
    fuzz_examples: int


BUDGETS: dict[str, Budget] = {
    "ci": Budget(sample_runs=3000, sample_seconds=20.0, reference_runs=600, explore_states=300_000,
                 fuzz_examples=100),
    "thorough": Budget(sample_runs=50_000, sample_seconds=300.0, reference_runs=20_000, explore_states=None,
                       fuzz_examples=3000),
}


@dataclass
class Cell:
    """One engine's verdict on one variant.

    status      "killed", "survived", "incomplete" (the engine's budget ran out first), "n/a" or "error"
    prop        the property the cell reports (an expected one when the engine found one)
    seconds     time to kill, from the start of this engine's run on this variant
    length      counterexample length in scheduling steps (the explorer's is the shortest)
    properties  every property the engine saw violated, with its own time and length
    counterexample  path of the saved trace.json (replay it with ``poolcheck replay``)
    note        why n/a, the error, or what an incomplete run covered
    """

    engine: str
    status: str
    prop: str | None = None
    seconds: float | None = None
    length: int | None = None
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    counterexample: str | None = None
    note: str = ""
    runtime: float = 0.0
    # The kill's counterexample before the driver saves it (a worker returns it as data; never serialised).
    trace: Counterexample | None = field(default=None, repr=False, compare=False)

    @property
    def killed(self) -> bool:
        return self.status == "killed"

    @staticmethod
    def from_json(d: dict[str, Any]) -> Cell:
        return Cell(d["engine"], d["status"], d.get("property"), d.get("seconds"), d.get("length"),
                    dict(d.get("properties") or {}), d.get("counterexample"), d.get("note", ""),
                    float(d.get("runtime", 0.0)))

    def text(self) -> str:
        """The cell as the markdown table shows it."""
        if self.status == "killed":
            t = f"{self.seconds:.3f} s" if self.seconds is not None else "?"
            n = f", {self.length} steps" if self.length is not None else ""
            return _md(f"killed {self.prop or ''} ({t}{n})".replace("  ", " "))
        if self.status == "survived" and self.note:
            return _md(f"survived ({self.note})")
        return self.status

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "status": self.status, "property": self.prop,
                "seconds": None if self.seconds is None else round(self.seconds, 4), "length": self.length,
                "properties": self.properties, "counterexample": self.counterexample, "note": self.note,
                "runtime": round(self.runtime, 3)}


@dataclass
class Row:
    """One mutant (or the reference) and its cells, by engine."""

    variant: type[Model]
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def killed(self) -> bool:
        return any(c.killed for c in self.cells.values())

    @property
    def killed_by_expected(self) -> bool:
        exp = set(self.variant.expected)
        return any(c.killed and exp & set(c.properties) for c in self.cells.values())

    @property
    def time_to_kill(self) -> float | None:
        """The fastest kill across engines."""
        ts = [c.seconds for c in self.cells.values() if c.killed and c.seconds is not None]
        return min(ts) if ts else None

    @property
    def verdict(self) -> str:
        if self.variant.kind != "mutant":
            if not self.cells or all(c.status == "n/a" for c in self.cells.values()):
                return "not run"
            return "flagged" if self.killed else "clean"
        if self.variant.equivalent:
            return "equivalent-refuted" if self.killed else "equivalent"
        if not self.killed:
            return "incomplete" if any(c.status == "incomplete" for c in self.cells.values()) else "survived"
        if self.killed_by_expected:
            return "killed"
        # Go's tests report test names, not property ids: their kills say nothing about `expected`.
        by_props = [c for e, c in self.cells.items() if c.killed and e != "go-tests"]
        return "killed-unexpected" if by_props else "killed"

    def to_json(self) -> dict[str, Any]:
        v = self.variant
        w = v.witness
        return {"name": v.name, "spec": spec_of(v), "layer": v.layer, "kind": v.kind, "description": v.description,
                "expected": list(v.expected), "equivalent": v.equivalent,
                "witness": None if w is None else {"target": w[0], "scenario": w[1], "params": w[2].to_json()},
                "verdict": self.verdict, "killed": self.killed, "killed_by_expected": self.killed_by_expected,
                "time_to_kill": None if self.time_to_kill is None else round(self.time_to_kill, 4),
                "cells": {e: c.to_json() for e, c in self.cells.items()}}


@dataclass
class KillMatrix:
    """Rows of mutants, the reference's row, and the figures derived from them."""

    engines: tuple[str, ...]
    budget: str
    rows: list[Row]
    reference: Row
    availability: dict[str, str]       # engine -> "" if available, else why not
    seconds: float = 0.0

    # -- figures -----------------------------------------------------------
    @property
    def non_equivalent(self) -> list[Row]:
        return [r for r in self.rows if not r.variant.equivalent]

    @property
    def score(self) -> float:
        ne = self.non_equivalent
        return sum(r.killed for r in ne) / len(ne) if ne else 1.0

    @property
    def median_time_to_kill(self) -> float | None:
        ts = [r.time_to_kill for r in self.non_equivalent if r.time_to_kill is not None]
        return statistics.median(ts) if ts else None

    def engine_median(self, engine: str) -> float | None:
        ts = [c.seconds for r in self.non_equivalent for e, c in r.cells.items()
              if e == engine and c.killed and c.seconds is not None]
        return statistics.median(ts) if ts else None

    def problems(self) -> list[str]:
        """Everything that makes ``poolcheck mutants`` exit 1, one sentence each."""
        out = []
        for r in self.rows:
            if r.verdict == "survived":
                out.append(f"{r.name} survived every engine ({', '.join(self.engines)}): a missing property, or "
                           f"an equivalent mutant to argue in its description")
            elif r.verdict == "equivalent-refuted":
                killers = ", ".join(f"{e} ({c.prop})" for e, c in r.cells.items() if c.killed)
                out.append(f"{r.name} is declared equivalent but {killers} killed it: its argument is wrong")
        for e, c in self.reference.cells.items():
            if c.killed:
                out.append(f"the reference is flagged by {e}: {c.prop} {c.note}".rstrip())
        return out

    def warnings(self) -> list[str]:
        """Things worth a look that do not fail the run."""
        out = []
        for r in self.rows:
            if r.verdict == "killed-unexpected":
                seen = sorted({p for c in r.cells.values() for p in c.properties})
                out.append(f"{r.name} was killed, but not by its expected {', '.join(r.variant.expected)} "
                           f"(seen: {', '.join(seen)})")
            for e, c in r.cells.items():
                if c.status == "error":
                    out.append(f"{e} failed on {r.name}: {c.note}")
        for e, why in self.availability.items():
            if why:
                out.append(f"engine {e} is not available: {why}")
        return out

    @property
    def ok(self) -> bool:
        return not self.problems()

    # -- output ------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        ne = self.non_equivalent
        med = self.median_time_to_kill
        return {
            "schema_version": SCHEMA_VERSION,
            "budget": self.budget,
            "engines": list(self.engines),
            "availability": {e: (why or "available") for e, why in self.availability.items()},
            "mutants": [r.to_json() for r in self.rows],
            "reference": r_json(self.reference),
            "score": {"killed": sum(r.killed for r in ne), "non_equivalent": len(ne),
                      "killed_by_expected": sum(r.killed_by_expected for r in ne),
                      "equivalent": len(self.rows) - len(ne), "score": round(self.score, 4)},
            "median_time_to_kill": None if med is None else round(med, 4),
            "engine_median_time_to_kill": {e: _r4(self.engine_median(e)) for e in self.engines},
            "ok": self.ok,
            "problems": self.problems(),
            "warnings": self.warnings(),
            "seconds": round(self.seconds, 2),
        }

    def to_markdown(self, command: str | None = None) -> str:
        ne = self.non_equivalent
        killed = sum(r.killed for r in ne)
        med = self.median_time_to_kill
        lines = ["# Kill matrix", ""]
        if command:
            lines += [f"Measured with `{command}` (budget `{self.budget}`, {self.seconds:.0f} s).", ""]
        lines += [f"**Mutation score: {killed}/{len(ne)} = {100 * self.score:.0f}%** of the non-equivalent mutants "
                  f"killed ({sum(r.killed_by_expected for r in ne)} by an expected property); "
                  f"{len(self.rows) - len(ne)} equivalent mutant(s). Median time to kill (fastest engine per "
                  f"mutant): {'n/a' if med is None else f'{med:.3f} s'}.", ""]
        lines += ["Each cell: the property that killed the mutant, the time to kill from the start of that engine's "
                  "run, and the counterexample's length in scheduling steps (the explorer's is the shortest).", ""]
        head = ["mutant", "layer", "expected"] + list(self.engines) + ["verdict"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for r in self.rows + [self.reference]:
            exp = ", ".join(r.variant.expected) or ("(equivalent)" if r.variant.equivalent else "")
            cells = [r.cells[e].text() if e in r.cells else "n/a" for e in self.engines]
            lines.append("| " + " | ".join([f"`{r.name}`", r.variant.layer, exp] + cells + [r.verdict]) + " |")
        lines.append("")
        meds = [f"{e} {self.engine_median(e):.3f} s" for e in self.engines if self.engine_median(e) is not None]
        if meds:
            lines += ["Median time to kill per engine: " + ", ".join(meds) + ".", ""]
        eq = [r for r in self.rows if r.variant.equivalent]
        if eq:
            lines += ["## Equivalent mutants", ""]
            for r in eq:
                lines += [f"- `{r.name}`: {r.variant.description}", ""]
        lines += ["## Witnesses", "", "| mutant | target | scenario | params |", "|---|---|---|---|"]
        for r in self.rows:
            w = r.variant.witness
            if w is not None:
                lines.append(f"| `{r.name}` | {w[0]} | `{_md(w[1])}` | {_params_text(w[2])} |")
        lines.append("")
        probs, warns = self.problems(), self.warnings()
        if probs or warns:
            lines += ["## Problems", ""] + [f"- FAIL: {p}" for p in probs] + [f"- note: {w}" for w in warns] + [""]
        return "\n".join(lines)

    def write(self, out: Path, command: str | None = None) -> tuple[Path, Path]:
        """Write ``out/mutants.md`` and ``out/mutants.json``; return their paths."""
        md, js = out / "mutants.md", out / "mutants.json"
        write_text_atomic(md, self.to_markdown(command))
        write_json_atomic(js, self.to_json())
        return md, js


def r_json(row: Row) -> dict[str, Any]:
    return {"name": row.name, "verdict": row.verdict, "flagged": row.killed,
            "cells": {e: c.to_json() for e, c in row.cells.items()}}


def _md(s: str) -> str:
    """Text safe inside a markdown table cell."""
    return s.replace("|", "\\|")


def _r4(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _params_text(p: Params) -> str:
    d = Params()
    diff = {k: v for k, v in p.to_json().items() if getattr(d, k) != v}
    return ", ".join(f"{k}={v}" for k, v in diff.items()) or "defaults"


# -- which variants --------------------------------------------------------
def mutants(names: Iterable[str] | None = None) -> list[type[Model]]:
    """The registered mutants (kind == "mutant"), in registry order, or those named.

    A name may also be a variant spec (``path/to/file.py:Class`` or
    ``package.module:Class``): a user's own mutant, loaded with the same
    checks as ``--variant`` (poolcheck.engine.load_variant).
    """
    reg = registry()
    muts = [cls for cls in reg.values() if cls.kind == "mutant"]
    if names is None:
        return muts
    wanted = list(names)
    unknown = [n for n in wanted if ":" not in n and (n not in reg or reg[n].kind != "mutant")]
    if unknown:
        raise ValueError(f"unknown mutant(s) {', '.join(unknown)}: use one of {', '.join(c.name for c in muts)}, "
                         f"or path/to/file.py:Class")
    out = [_engine.load_variant(n) if ":" in n else reg[n] for n in wanted]
    blind = [spec_of(m) for m in out if m.witness is None]
    if blind:
        raise ValueError(f"{', '.join(blind)} has no witness: give the class a witness = (target, scenario, Params(...)) "
                         f"on which the engines run it")
    return out


def engine_available(engine: str) -> str:
    """"" if ``engine`` can run, else the reason it cannot."""
    return _engine.available(engine)


# -- cells: every engine through poolcheck.engine --------------------------
def _save(cx: Counterexample, out: Path) -> str | None:
    """Save a counterexample folder; None if that fails (a kill stays a kill without its report)."""
    from poolcheck import artifacts
    try:
        return str(artifacts.save(cx, out) / "trace.json")
    except OSError:
        try:
            path = out / artifacts.folder_name(cx) / "trace.json"
            write_json_atomic(path, cx.to_json())
            return str(path)
        except OSError:
            return None


def _props(vs: Sequence[Violation]) -> dict[str, dict[str, Any]]:
    """Every property seen, with its earliest time and shortest length."""
    out: dict[str, dict[str, Any]] = {}
    for v in vs:
        cur = out.get(v.prop)
        if cur is None or (v.steps is not None and (cur["length"] is None or v.steps < cur["length"])):
            out[v.prop] = {"seconds": _r4(v.seconds), "length": v.steps,
                           **({"proof": v.detail["proof"]} if "proof" in v.detail else {})}
    return out


def cell_of(res: EngineResult, expected: Sequence[str], out: Path | None, note: str = "") -> Cell:
    """A kill-matrix cell from an engine's result: killed (by an expected property first), incomplete,
    survived or n/a."""
    if res.violations:
        first = res.first_of(expected) if res.engine != "prove" else None
        v = first if first is not None else next((x for x in res.violations if x.prop in expected),
                                                   res.violations[0])
        path = _save(v.counterexample, out) if v.counterexample is not None and out is not None else None
        prop = v.prop
        return Cell(res.engine, "killed", prop=prop, seconds=v.seconds if v.seconds is not None else res.seconds,
                    length=v.steps, properties=_props(res.violations), counterexample=path,
                    note=note or str(v.detail.get("proof", "")), runtime=res.seconds,
                    trace=v.counterexample if path is None else None)
    if res.verdict is Verdict.INCOMPLETE:
        return Cell(res.engine, "incomplete", note="; ".join([note] + res.notes).strip("; "), runtime=res.seconds)
    return Cell(res.engine, "survived", note=note, runtime=res.seconds)


def _stats(res: EngineResult) -> str:
    c = res.coverage
    return f"{c.get('states', 0):,} states, {c.get('transitions', 0):,} transitions, {c.get('max_depth', 0):,} depth"


def sample(variant: type[Model], witness: tuple[str, str, Params], *, runs: int, seconds: float,
           expected: Sequence[str] = (), out: Path | None = None, progress: ProgressSink | None = None) -> Cell:
    """The sample engine on one witness: seeded runs until every ``expected`` property is seen.

    With no ``expected`` (the reference, or an equivalent mutant) it stops at
    the first violation. ``seconds`` caps the CPU time. Run i uses seed i.
    """
    target, scenario, params = witness
    try:
        res = _engine.run("sample", spec_of(variant),
                          {"configs": [one_config(target, scenario, params)], "stop": "expected",
                           "expected": list(expected)},
                          EngineBudget("ci", runs=runs, cpu_seconds=seconds), progress)
    except ScenarioError as e:
        return Cell("sample", "n/a", note=f"the witness is not a valid scenario for {variant.name}: {e}")
    c = res.configs[0].coverage
    note = f"{c['executions']} runs" + (f", {c['undecided']} undecided" if c["undecided"] else "")
    return cell_of(res, expected, out, note)


def _run_cell(engine: str, variant: type[Model], budget_name: str, out: Path | None,
              witness: tuple[str, str, Params] | None = None, progress: ProgressSink | None = None) -> Cell:
    b = BUDGETS[budget_name]
    w = witness if witness is not None else variant.witness
    expected = variant.expected
    spec = spec_of(variant)
    if engine in ("sample", "explore", "fuzz") and w is None:
        return Cell(engine, "n/a", note="the variant has no witness")
    try:
        if engine == "sample":
            assert w is not None
            runs = b.sample_runs if variant.kind == "mutant" else b.reference_runs
            return sample(variant, w, runs=runs, seconds=b.sample_seconds, expected=expected, out=out,
                          progress=progress)
        if engine == "explore":
            assert w is not None
            try:
                res = _engine.run("explore", spec, {"configs": [one_config(*w)]},
                                  EngineBudget(budget_name, max_states=b.explore_states or 0), progress)
            except ScenarioError as e:
                return Cell("explore", "n/a", note=f"the witness is not a valid scenario for {variant.name}: {e}")
            return cell_of(res, expected, out, _stats(res))
        if engine == "fuzz":
            assert w is not None
            res = _engine.run("fuzz", spec, {"targets": [w[0]], "seed": 0},
                              EngineBudget(budget_name, examples=b.fuzz_examples), progress)
            return cell_of(res, expected, out)
        if engine == "prove":
            res = _engine.run("prove", spec, {}, EngineBudget(budget_name), progress)
            if not res.coverage.get("applicable"):
                return Cell("prove", "n/a", note="no proof encodes this variant", runtime=res.seconds)
            if not res.violations and res.verdict is not Verdict.INCOMPLETE:
                return Cell("prove", "survived", note=f"{res.coverage['applicable']} proofs hold", runtime=res.seconds)
            return cell_of(res, expected, out)
        if engine == "go-tests":
            res = _engine.run("go-tests", spec, {}, EngineBudget(budget_name), progress)
            if not res.data.get("applicable"):
                return Cell("go-tests", "n/a", note="no Go counterpart", runtime=res.seconds)
            if res.violations:
                v = res.violations[0]
                return Cell("go-tests", "killed", prop=v.prop, seconds=res.data.get("seconds"),
                            note=str(res.data.get("status", "")), runtime=res.seconds)
            return Cell("go-tests", "survived", note="Go's tests pass", runtime=res.seconds)
    except _engine.VariantError:
        raise
    except Exception as e:  # an engine's failure is reported in its cell, never as a kill
        return Cell(engine, "error", note=f"{type(e).__name__}: {e}")
    raise ValueError(f"unknown engine {engine!r}")


def _merge_reference(cells: list[Cell], engine: str) -> Cell:
    """The reference's cell for one engine from its runs on every witness: flagged if any run was."""
    flagged = [c for c in cells if c.killed]
    runtime = sum(c.runtime for c in cells)
    if flagged:
        c = flagged[0]
        c.runtime = runtime
        return c
    errors = [c for c in cells if c.status == "error"]
    if errors:
        return Cell(engine, "error", note=errors[0].note, runtime=runtime)
    if cells and all(c.status == "n/a" for c in cells):
        return Cell(engine, "n/a", note=cells[0].note, runtime=runtime)
    if len(cells) == 1:
        return Cell(engine, cells[0].status, note=cells[0].note, runtime=runtime)
    ran = sum(c.status == "survived" for c in cells)
    inc = sum(c.status == "incomplete" for c in cells)
    note = f"clean on {ran} witness(es)" + (f", {inc} incomplete" if inc else "")
    return Cell(engine, "incomplete" if inc else "survived", note=note, runtime=runtime)


def cell_job(engine_name: str, variant: str, budget: str, witness: list[Any] | None) -> dict[str, Any]:
    """One cell on plain data (what poolcheck.jobs ships to a worker): the cell and its unsaved trace."""
    w = None if witness is None else (str(witness[0]), str(witness[1]), Params.from_json(witness[2]))
    try:
        c = _run_cell(engine_name, resolve(variant), budget, None, w)
    except _engine.VariantError as e:
        return {"variant_error": str(e)}
    return {"cell": c.to_json(), "trace": c.trace.to_json() if c.trace is not None else None}


def _cell_back(o: dict[str, Any], out: Path | None) -> Cell:
    """A worker's cell, its counterexample saved here (only the driver writes reports)."""
    if "variant_error" in o:
        raise _engine.VariantError(o["variant_error"])
    c = Cell.from_json(o["cell"])
    if o.get("trace") is not None and out is not None:
        c.counterexample = _save(Counterexample.from_json(o["trace"]), out)
    return c


def kill_matrix(engines: Sequence[str] = DEFAULT_ENGINES, budget: str = "ci", out: Path | None = Path("reports"),
                progress: ProgressSink | None = None, only: Iterable[str] | None = None,
                reference: bool = True, executor: Executor | None = None) -> KillMatrix:
    """Run every mutant (or those in ``only``) through every engine; write nothing but counterexamples.

    Counterexamples go to ``out/mutants/`` (None: not saved). The reference
    runs through each engine on every mutant's witness (the prover once; the
    fuzzer once per target). Call ``.write(out)`` for mutants.md and mutants.json.
    Every cell is a job (``cell_job``) handed to ``executor`` (poolcheck.jobs;
    None: inline); cells come back in plan order, so the matrix does not
    depend on where they ran.
    """
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}: use one of {', '.join(BUDGETS)}")
    engines = tuple(engines)
    bad = [e for e in engines if e not in ENGINES]
    if bad:
        raise ValueError(f"unknown engine(s) {', '.join(bad)}: use {', '.join(ENGINES)}")
    t0 = time.monotonic()
    muts = mutants(only)
    avail = {e: engine_available(e) for e in engines}
    cx_out = None if out is None else out / "mutants"
    witnesses = [m.witness for m in muts if m.witness is not None]
    bar: ProgressSink = progress if progress is not None else NullProgress()
    plan: list[tuple[str, str, type[Model], tuple[str, str, Params] | None]] = []   # (what, engine, variant, witness)
    for m in muts:
        plan += [(f"{e} {m.name}", e, m, None) for e in engines if not avail[e]]
    if reference:
        for e in engines:
            if avail[e]:
                continue
            if e in ("sample", "explore"):
                plan += [(f"{e} reference on {w[0]} {w[1]!r}", e, Model, w) for w in witnesses]
            elif e == "fuzz":
                plan += [(f"fuzz reference on {t}", e, Model, (t, "", Params())) for t in sorted({w[0] for w in witnesses})]
            else:
                plan.append((f"{e} reference", e, Model, None))
    todo = [Job(what, "poolcheck.killmatrix:cell_job",
                {"engine_name": e, "variant": spec_of(v), "budget": budget,
                 "witness": None if w is None else [w[0], w[1], w[2].to_json()]},
                {"prove": 4.0, "fuzz": 3.0, "explore": 2.0}.get(e, 1.0))
            for what, e, v, w in plan]
    bar.stage(f"{len(todo)} cells", len(todo))
    ex = executor if executor is not None else Inline()
    outputs = ex.run(todo, lambda job, n, total: bar.update(n, cell=job.key))
    got = {what: _cell_back(o, cx_out) for (what, _, _, _), o in zip(plan, outputs)}
    rows = []
    for m in muts:
        row = Row(m)
        for e in engines:
            row.cells[e] = Cell(e, "n/a", note=avail[e]) if avail[e] else got[f"{e} {m.name}"]
        rows.append(row)
    ref = Row(Model)
    if reference:
        for e in engines:
            if avail[e]:
                ref.cells[e] = Cell(e, "n/a", note=avail[e])
                continue
            ref.cells[e] = _merge_reference([got[what] for what, pe, v, _ in plan if pe == e and v is Model], e)
    return KillMatrix(engines, budget, rows, ref, avail, time.monotonic() - t0)
