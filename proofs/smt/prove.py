"""The prover's runner: every lemma, bounded check, induction, cross-check and CrossHair run, as rows.

``run_all(only, model, budget, progress)`` returns one ProofResult per row.
For the reference it runs everything; for another variant it runs what can
differ between variants (L5 with the variant's dequeueLimit, L7, the bounded
checks and the induction on the variant's encoding, the cross-check against
the variant's Python model), and says ``n/a`` where the variant has no
encoding. A ``counterexample`` row where ``expected`` is ``proved`` is a
violation (for a mutant: a kill); an ``unknown`` row where a proof was
expected means the budget did not reach the stated coverage (never a pass).

Budgets (the figures in docs/proofs.md were measured with them). Every Z3
row is budgeted in Z3 resource units (``rlimit``, proofs/smt/rlimit.py), which do
not depend on the machine's load; the cross-check in drawn states; only
CrossHair keeps seconds.

========  ==========================================================  ===========================================
budget    bounded model checking (ring size 2)                          induction / cross-check / CrossHair
========  ==========================================================  ===========================================
ci        empty start: T=1 to 16 steps, T=2 to 14, T=3 to 14;          sizes 2 and 4; 150 drawn steps (rings 1-8,
          invariant start: 3 steps; units per row: BUDGETS              1-3 thieves); 2 s per condition
thorough  empty start: T=1 to 30, T=2 to 30, T=3 to 24, then deeper     sizes 2, 4 and 8; 2000 drawn steps;
          while units are left; invariant start: to 6                    10 s per condition
========  ==========================================================  ===========================================
"""

from __future__ import annotations

import fnmatch
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.poolqueue import PoolDequeue as _RefDequeue
from model.tracefile import Counterexample
from model.variants.base import Model
from proofs.smt import bmc as B
from proofs.smt import crosscheck as X
from proofs.smt import dequeue_smt as E
from proofs.smt import induction as I
from proofs.smt import lemmas as L

__all__ = ["ProofResult", "run_all", "BUDGETS", "Budget", "row_names", "encoding_of", "coverage", "Coverage"]


@dataclass
class ProofResult:
    name: str
    kind: str              # lemma | bmc | induction | crosshair | crosscheck
    result: str            # proved | counterexample | unknown | n/a
    expected: str          # proved | counterexample
    seconds: float
    detail: str
    bound: int | None = None                       # BMC: the depth reached
    counterexample: Counterexample | None = None   # a replayable kernel execution, when there is one
    prop: str = ""         # the property id the row bears on (for a counterexample: the one violated)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def violation(self) -> bool:
        """A counterexample where a proof was expected."""
        return self.result == "counterexample" and self.expected == "proved"

    @property
    def incomplete(self) -> bool:
        return self.result == "unknown" and self.expected == "proved"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "result": self.result, "expected": self.expected,
                "seconds": round(self.seconds, 3), "detail": self.detail, "bound": self.bound, "prop": self.prop,
                "counterexample": self.counterexample.to_json() if self.counterexample else None,
                "extra": self.extra}


@dataclass(frozen=True)
class Budget:
    """A budget: what each row must cover and the Z3 resource units (rlimit, deterministic) it may spend.

    No Z3 row has a wall-clock budget: a loaded machine makes a row slower,
    never ``unknown``. CrossHair (not Z3) keeps its own per-condition seconds.
    """

    name: str
    bmc_empty: dict[int, int]          # thieves -> required depth from an empty start
    bmc_invariant: int                 # required depth from an invariant state
    bmc_rlimit: dict[int, int]         # thieves -> Z3 resource units per bmc row (L7 has its own, bmc.L7_RLIMIT)
    bmc_deeper: bool                   # keep deepening past the requirement while units are left
    induction_sizes: tuple[int, ...]
    induction_rlimit: dict[int, int]   # ring size -> Z3 resource units per induction (any T)
    crosscheck_draws: int
    crosshair_timeout: float           # per condition (CrossHair, not Z3: CPU seconds, CrossHair's definition)
    crosshair_seconds: float           # CPU seconds for the whole crosshair run (RLIMIT_CPU, never wall time)
    crosscheck_configs: tuple[tuple[int, int], ...] = ((8, 3),)   # (ring, thieves) drawn besides the small ones


# Units measured for the reference (docs/proofs.md, "Budgets"): bmc empty start T=1/2/3 27.0M/21.3M/33.0M, invariant
# start 11.2M/16.7M/21.8M; induction ring 2 T=1/2/3 5.2M/13.5M/32.9M, ring 4 14.1M/37.8M/89.8M. The ci budgets are
# 3-4.7x those. The thorough bmc units let a row deepen past its requirement (about 300 s on an idle machine at the
# measured 4-5M units/s); ring 8 is thorough only and was not measured with the D5-empty/D5-full encoding.
BUDGETS: dict[str, Budget] = {
    "ci": Budget("ci", {1: 16, 2: 14, 3: 14}, 3, {1: 100_000_000, 2: 100_000_000, 3: 120_000_000}, False, (2, 4),
                 {2: 100_000_000, 4: 300_000_000}, 150, 2.0, 60.0),
    "thorough": Budget("thorough", {1: 30, 2: 30, 3: 24}, 6,
                       {1: 1_500_000_000, 2: 2_500_000_000, 3: 2_500_000_000}, True, (2, 4, 8),
                       {2: 100_000_000, 4: 300_000_000, 8: 3_000_000_000}, 2000, 10.0, 600.0),
}
THIEVES = (1, 2, 3)
BMC_SIZE = 2
BMC_VBITS = 8     # tokens only need to be told apart (values are copied and compared, never computed on)


def encoding_of(model: type[Model]) -> tuple[str | None, str]:
    """(the ENCODED name for ``model``'s dequeue or None, why)."""
    if model is Model:
        return "reference", "the reference"
    name = getattr(model, "name", "")
    if name in E.ENCODED:
        return name, f"encoded as {name!r}: {E.ENCODED[name]}"
    if model.PoolDequeue is _RefDequeue and not getattr(model, "multi_producer", False):
        return None, "the variant does not change poolDequeue (its dequeue is the reference, proved in the reference run)"
    return None, f"no SMT encoding for variant {name!r} (encoded: {', '.join(E.ENCODED)})"


def row_names(model: type[Model] = Model) -> list[str]:
    """Every row run_all would produce for ``model``, in order."""
    names = [n for n in L.lemma_names() if model is Model or n.startswith("L5")]
    names += [f"L7-translation-T{t}" for t in THIEVES]
    names += [f"bmc-T{t}-empty" for t in THIEVES]
    names += [f"bmc-T{t}-invariant" for t in THIEVES]
    names += [f"induction-T{t}" for t in THIEVES]
    names += ["crosscheck"]
    if model is Model:
        names += ["crosshair-contracts"]
    return names


def _matcher(only: str | None) -> Callable[[str], bool]:
    if not only:
        return lambda name: True
    pats = [p.strip() for p in only.split(",") if p.strip()]

    def match(name: str) -> bool:
        return any(name == p or name.startswith(p) or fnmatch.fnmatchcase(name, p) for p in pats)
    return match


def run_all(only: str | None = None, model: type[Model] = Model, budget: str = "ci",
            progress: Callable[[dict[str, Any]], None] | None = None) -> list[ProofResult]:
    """Run every row (or those matching ``only``: names, prefixes or globs, comma-separated) for ``model``.

    ``progress`` is called with {"row", "done", "total", "result", "seconds"} after each row.
    """
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}: use {' or '.join(BUDGETS)}")
    bud = BUDGETS[budget]
    match = _matcher(only)
    names = [n for n in row_names(model) if match(n)]
    if not names:
        raise ValueError(f"--only {only!r} matches no proof; the names are: {', '.join(row_names(model))}")
    out: list[ProofResult] = []

    def emit(r: ProofResult) -> None:
        out.append(r)
        if progress is not None:
            progress({"row": r.name, "done": len(out), "total": len(names), "result": r.result,
                      "seconds": round(r.seconds, 3)})

    enc, why = encoding_of(model)
    ref = model is Model
    # a mutant's kill comes from the bounded check from an empty start: run it first (rows come back in the
    # order they ran, so that cumulative seconds are a time to kill)
    order = sorted(names, key=lambda n: (0 if n.startswith("bmc-") and "empty" in n and not ref else 1,
                                         row_names(model).index(n)))
    lemma_rows: dict[str, L.LemmaResult] = {}
    for name in order:
        if name.startswith(("L1", "L2", "L3", "L4", "L5", "L6")):
            if not lemma_rows:
                lemma_rows = {r.name: r for r in L.run_lemmas(model, only=lambda n: n in names)}
            lr = lemma_rows[name]
            emit(ProofResult(lr.name, "lemma", lr.result, lr.expected, lr.seconds, lr.detail, prop=lr.prop))
        elif name.startswith("L7"):
            emit(_l7(name, enc, why))
        elif name.startswith("bmc-"):
            emit(_bmc_row(name, model, enc, why, bud))
        elif name.startswith("induction-"):
            emit(_induction_row(name, model, enc, why, bud))
        elif name == "crosscheck":
            emit(_crosscheck_row(model, enc, why, bud))
        elif name == "crosshair-contracts":
            emit(_crosshair_row(bud))
    return out


_CLASSES = (("L1-L6", "lemmas at Go's widths"), ("L7", "translation lemma"), ("bmc-*-empty", "bounded check, empty start"),
            ("bmc-*-invariant", "bounded check, invariant start"), ("induction", "inductive invariant"),
            ("crosscheck", "Z3 step vs Python step"), ("crosshair", "CrossHair contracts"))


def _class_of(name: str) -> str:
    if name.startswith("L7"):
        return "L7"
    if name.startswith("L"):
        return "L1-L6"
    if name.startswith("bmc-"):
        return "bmc-*-empty" if name.endswith("empty") else "bmc-*-invariant"
    return "crosshair" if name.startswith("crosshair") else name.split("-", 1)[0]


@dataclass
class Coverage:
    """What a run checked and what it did not, per row class, and its verdict.

    verdict: ``fail`` (a counterexample where a proof was expected), ``incomplete`` (a row unknown, an expected
    counterexample not found, or nothing applicable ran), ``partial`` (everything that ran passed, but some rows are
    n/a for this variant), ``pass`` (every row that ran passed and none is n/a).
    """

    verdict: str
    lines: list[str]
    ran: int
    not_applicable: int

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "ran": self.ran, "not_applicable": self.not_applicable, "lines": self.lines}


def coverage(results: list[ProofResult], model: type[Model] = Model, only: str | None = None) -> Coverage:
    """One line per row class: how many rows ran and their results, how many were n/a and why; the verdict."""
    lines: list[str] = []
    run_names = {r.name for r in results}
    for key, text in _CLASSES:
        rows = [r for r in results if _class_of(r.name) == key]
        skipped = [n for n in row_names(Model) if _class_of(n) == key and n not in run_names]
        ran = [r for r in rows if r.result != "n/a"]
        na = [r for r in rows if r.result == "n/a"]
        if not rows and not skipped:
            continue
        parts = []
        if ran:
            counts: dict[str, int] = {}
            for r in ran:
                word = r.result + (" (expected)" if r.result == r.expected == "counterexample" else "")
                counts[word] = counts.get(word, 0) + 1
            parts.append(f"checked {len(ran)} ({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))})")
        if na:
            parts.append(f"n/a {len(na)}: {na[0].detail}")
        if skipped:
            why = "not selected by --only" if only else "not run for a variant (the reference run covers it)"
            parts.append(f"not run {len(skipped)}: {why}")
        lines.append(f"{key} ({text}): " + "; ".join(parts))
    violations = [r for r in results if r.violation]
    bad = [r for r in results if r.incomplete or (r.result == "proved" and r.expected == "counterexample")]
    ran_n = sum(1 for r in results if r.result != "n/a")
    na_n = sum(1 for r in results if r.result == "n/a")
    if violations:
        verdict = "fail"
    elif bad or ran_n == 0:
        verdict = "incomplete"
        if ran_n == 0:
            lines.append(f"nothing applicable ran for {getattr(model, 'name', '') or 'this variant'}: no row checked it")
    elif na_n:
        verdict = "partial"
    else:
        verdict = "pass"
    return Coverage(verdict, lines, ran_n, na_n)


def _na(name: str, kind: str, why: str, prop: str) -> ProofResult:
    return ProofResult(name, kind, "n/a", "proved", 0.0, why, prop=prop)


def _cfg(enc: str, thieves: int, size: int = BMC_SIZE, vbits: int = 32) -> E.Config:
    return E.Config(size=size, thieves=thieves, vbits=vbits, variant=enc)


def _l7(name: str, enc: str | None, why: str) -> ProofResult:
    t = int(name.rsplit("T", 1)[1])
    if enc is None:
        return _na(name, "lemma", why, "D1")
    st, secs, detail = B.translation_lemma(_cfg(enc, t, vbits=BMC_VBITS))
    return ProofResult(name, "lemma", st, "proved", secs, detail, prop="D1")


_PROPS = E.ALL_PROPS
_PRIMARY = "D2"   # a row that proves several properties names slot ownership; extra["props"] lists them all


def _bmc_row(name: str, model: type[Model], enc: str | None, why: str, bud: Budget) -> ProofResult:
    _, tpart, start = name.split("-")
    t = int(tpart[1:])
    if enc is None:
        return _na(name, "bmc", why, _PRIMARY)
    if start == "invariant" and enc != "reference":
        return _na(name, "bmc", "the invariant describes the reference; from such a state a variant's violation "
                                "need not be reachable (the empty start decides)", _PRIMARY)
    cfg = _cfg(enc, t, vbits=BMC_VBITS)
    need = bud.bmc_empty[t] if start == "empty" else bud.bmc_invariant
    max_depth = 200 if bud.bmc_deeper else need
    prefer = tuple(getattr(model, "expected", ()) or ())
    res = B.bmc(cfg, start=start, max_depth=max_depth, min_depth=need, rlimit=bud.bmc_rlimit[t], prefer=prefer)
    extra: dict[str, Any] = {"props": list(_PROPS), "bounds_seconds": [[k, round(s, 2)] for k, s in res.bounds_seconds],
                             "goals": res.goals, "translation_lemma_seconds": round(res.lemma_seconds, 2),
                             "size": cfg.size, "thieves": t, "variant": enc, "not_encoded": E.NOT_ENCODED,
                             "rlimit": res.budget.total, "rlimit_used": res.budget.used,
                             "rlimit_ran_out_in": res.budget.ran_out_in}
    detail = res.message
    cx: Counterexample | None = None
    if res.status == "counterexample":
        assert res.trace is not None
        extra["schedule"] = res.trace.choices
        extra["trace"] = res.describe_trace()
        extra["properties"] = res.props
        sched = " ".join(str(c) for c in res.trace.choices)
        detail = f"{res.message}; schedule (thread per step): {sched}"
        if start == "empty":
            cx, note, res2 = B.replayable(res, model, rlimit=bud.bmc_rlimit[t])
            detail += f"; scenario {res.trace.scenario()!r} from start index {res.trace.start_index}: {note}"
            if res2 is not None and res2.trace is not None:
                extra["outcome_trace"] = res2.describe_trace()
            if cx is not None:
                detail += f" (the report names {cx.prop})"
    elif res.status == "proved" and max_depth > need:
        detail += f" (required {need})"
    prop = E.catalog_id(res.prop) if res.prop else _PRIMARY
    if cx is not None and prop not in prefer and cx.prop in prefer:
        prop = cx.prop
    return ProofResult(name, "bmc", res.status, "proved", res.seconds, detail,
                       bound=res.depth if res.depth >= 0 else None, counterexample=cx, prop=prop, extra=extra)


def _induction_row(name: str, model: type[Model], enc: str | None, why: str, bud: Budget) -> ProofResult:
    t = int(name.rsplit("T", 1)[1])
    if enc is None:
        return _na(name, "induction", why, _PRIMARY)
    if enc == "two-producers":
        return _na(name, "induction", "the invariant is stated for one producer", _PRIMARY)
    t0 = time.monotonic()
    parts = []
    status = "proved"
    sizes = bud.induction_sizes if enc == "reference" else bud.induction_sizes[:1]
    extra: dict[str, Any] = {"sizes": list(sizes), "variant": enc, "props": list(_PROPS)}
    for n in sizes:
        r = I.prove_inductive(_cfg(enc, t, size=n), rlimit=bud.induction_rlimit[n])
        used = r.budget.used if r.budget else 0
        parts.append(f"size {n}: {r.status} in {r.seconds:.1f}s ({used:,} of {bud.induction_rlimit[n]:,} Z3 units)")
        extra[f"size{n}"] = {"status": r.status, "seconds": round(r.seconds, 2), "failed": r.failed,
                             "vacuous": r.vacuous, "rlimit": bud.induction_rlimit[n], "rlimit_used": used}
        if r.status != "proved":
            # On a variant, a counterexample to induction (not a spent budget) says only that the reference's
            # invariant is not this variant's: the row does not apply (n/a, said so), the bounded rows decide.
            # On the reference it stays unknown: the reference's own invariant must be inductive.
            status = "n/a" if enc != "reference" and r.cti else "unknown"
            parts.append(r.message + (f"; counterexample to induction: {r.cti}" if r.cti else ""))
            break
    detail = "; ".join(parts)
    if status == "proved":
        detail = (f"the invariant I1-I13, for one owner and T = {t} thieves at 32-bit indices, is inductive and "
                  f"{I.CLAIM}; {E.NOT_ENCODED}: " + detail)
    elif enc != "reference":
        detail = "the reference invariant is not inductive for this variant (a counterexample to induction need not " \
                 "be reachable: the bounded check decides): " + detail
    return ProofResult(name, "induction", status, "proved", time.monotonic() - t0, detail, prop=_PRIMARY,
                       extra=extra)


def _crosscheck_row(model: type[Model], enc: str | None, why: str, bud: Budget) -> ProofResult:
    if enc is None:
        return _na("crosscheck", "crosscheck", why, "")
    t0 = time.monotonic()

    sizes = sorted({1, 2, 4} | {n for n, _ in bud.crosscheck_configs})
    thieves = sorted({1, 2} | {k for _, k in bud.crosscheck_configs})

    def cfg_of(src: X.Source) -> E.Config:
        # one draw in four from the large configurations (ring 8, 3 thieves), the rest from the small ones
        if bud.crosscheck_configs and src.integer(0, 3) == 0:
            n, k = src.choice(list(bud.crosscheck_configs))
            return E.Config(size=n, thieves=k, variant=enc)
        return E.Config(size=src.choice([1, 2, 4]), thieves=src.choice([1, 2]), variant=enc)

    seen: dict[str, int] = {}
    checked, rejected, problems = X.run(cfg_of, model, n=bud.crosscheck_draws, seed=0, seen=seen)
    secs = time.monotonic() - t0
    if problems:
        return ProofResult("crosscheck", "crosscheck", "counterexample", "proved", secs,
                           "the Z3 step and the Python step disagree: " + "; ".join(problems), prop="")
    if checked == 0:
        return ProofResult("crosscheck", "crosscheck", "unknown", "proved", secs, "no drawn state could be built")
    per = ", ".join(f"{k}: {v}" for k, v in sorted(seen.items()))
    return ProofResult("crosscheck", "crosscheck", "proved", "proved", secs,
                       f"{checked} drawn states (rings {', '.join(map(str, sizes))}; {thieves[0]}-{thieves[-1]} thieves; "
                       f"any pcs and locals; per ring/thieves: {per}): the Z3 relation admits exactly the Python "
                       f"successor and the same result ({rejected} draws the Python model cannot reach were skipped)",
                       prop="", extra={"checked": checked, "rejected": rejected, "configs": seen})


def _crosshair_row(bud: Budget) -> ProofResult:
    t0 = time.monotonic()
    exe = shutil.which("crosshair") or str(Path(sys.executable).with_name("crosshair"))
    target = str(Path(__file__).with_name("contracts.py"))
    cmd = [exe, "check", target, f"--per_condition_timeout={bud.crosshair_timeout}", "--analysis_kind=PEP316",
           "--report_all"]
    cpu = max(1, int(bud.crosshair_seconds))

    def limit_cpu() -> None:
        # The budget is CPU seconds (RLIMIT_CPU: SIGXCPU past it), so a busy machine cannot make the row unknown;
        # per_condition_timeout is CPU time too (CrossHair's own definition).
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    try:
        # The wall-clock timeout only guards against a hang (20x the CPU budget): it is not the budget.
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20 * cpu, preexec_fn=limit_cpu)
    except FileNotFoundError:
        return ProofResult("crosshair-contracts", "crosshair", "unknown", "proved", 0.0, "crosshair is not installed")
    except subprocess.TimeoutExpired:
        return ProofResult("crosshair-contracts", "crosshair", "unknown", "proved", time.monotonic() - t0,
                           f"crosshair check made no progress for {20 * cpu}s of wall time (a hang: its CPU budget "
                           f"is {cpu}s)")
    secs = time.monotonic() - t0
    if p.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return ProofResult("crosshair-contracts", "crosshair", "unknown", "proved", secs,
                           f"crosshair check used up its CPU budget of {cpu}s (budget crosshair_seconds); "
                           f"raise it with the thorough budget")
    text = (p.stdout + p.stderr).strip()
    confirmed = text.count("Confirmed over all paths")
    open_ = text.count("Not confirmed")
    errors = [ln for ln in text.splitlines() if ": error:" in ln]
    if p.returncode == 0 and not errors:
        return ProofResult("crosshair-contracts", "crosshair", "proved", "proved", secs,
                           f"no counterexample to any PEP 316 contract in proofs/smt/contracts.py: {confirmed} postconditions "
                           f"confirmed over all paths, {open_} not refuted within {bud.crosshair_timeout:g}s each "
                           f"(bounded search; the Z3 lemmas prove the same statements)",
                           extra={"confirmed": confirmed, "not_confirmed": open_})
    if p.returncode == 1 or errors:
        return ProofResult("crosshair-contracts", "crosshair", "counterexample", "proved", secs,
                           "\n".join(errors)[:2000] or text[:2000])
    return ProofResult("crosshair-contracts", "crosshair", "unknown", "proved", secs,
                       f"crosshair exited {p.returncode}: {text[:500]}")
