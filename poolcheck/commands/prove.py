"""poolcheck prove: Z3 lemmas, bounded model checking and induction of the dequeue, cross-check, CrossHair."""

from __future__ import annotations

import argparse
import time
from typing import Any

from model.variants import spec_of
from poolcheck import artifacts
from poolcheck.common import OK, UsageError, add_common, finish, variant_from
from poolcheck.engine import Verdict
from poolcheck.progress import Progress
from proofs.smt.prove import BUDGETS, ProofResult, coverage, row_names, run_all

NAME = "prove"
HELP = "prove the dequeue's lemmas and invariants with Z3 (bounded model checking, induction) and CrossHair"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", default=None,
                   help="run only the rows whose name matches: a name, a prefix (L3, bmc-T2, induction) or a glob; "
                        "comma-separated")
    p.add_argument("--budget", choices=tuple(BUDGETS), default="ci",
                   help="ci or thorough: the bounds and Z3 resource units per row in docs/proofs.md (default ci)")
    p.add_argument("--list", action="store_true", help="list the row names and exit")
    add_common(p)


def run(args: argparse.Namespace) -> int:
    model = variant_from(args)
    if args.list:
        for n in row_names(model):
            print(n)
        return OK
    t0 = time.monotonic()
    with Progress("prove") as bar:
        def progress(info: dict[str, Any]) -> None:
            bar.total = info["total"]
            bar.update(info["done"], True, row=info["row"], result=info["result"])
        try:
            results = run_all(only=args.only, model=model, budget=args.budget, progress=progress)
        except ValueError as e:
            raise UsageError(str(e)) from None
    reports: dict[str, str] = {}
    for r in results:
        if r.violation and r.counterexample is not None:
            reports[r.name] = str(artifacts.save(r.counterexample, args.out) / "trace.json")
    violations = [r for r in results if r.violation]
    incomplete = [r for r in results if r.incomplete]
    unexpected = [r for r in results if r.result == "proved" and r.expected == "counterexample"]
    secs = time.monotonic() - t0
    cov = coverage(results, model, args.only)
    if not args.json:
        _print(results, reports)
    # "partial" (every row that ran passed, some are n/a) is a pass of what ran; coverage.verdict keeps the word.
    verdict = {"fail": Verdict.FAIL, "incomplete": Verdict.INCOMPLETE}.get(cov.verdict, Verdict.PASS)
    payload = {"variant": spec_of(model), "budget": args.budget, "seconds": round(secs, 2),
               "results": [r.to_json() for r in results], "reports": reports, "coverage": cov.to_json()}
    return finish(args, NAME, verdict, payload, [
        "\n" + "\n".join(cov.lines),
        f"{cov.verdict.upper()} {spec_of(model)}: {len(results)} rows, {cov.ran} checked, {cov.not_applicable} n/a, "
        f"{len(violations)} violated, {len(incomplete) + len(unexpected)} incomplete, {secs:.1f}s ({args.budget} "
        f"budget)"])


def _mark(r: ProofResult) -> str:
    if r.result == "n/a":
        return "n/a"
    if r.result == r.expected:
        return "ok" if r.result == "proved" else "ok (expected)"
    return "FAIL" if r.violation else "INCOMPLETE"


def _print(results: list[ProofResult], reports: dict[str, str]) -> None:
    w = max(len(r.name) for r in results)
    print(f"{'name':<{w}}  {'result':<15} {'seconds':>8}  {'bound':>5}  status")
    for r in results:
        bound = "" if r.bound is None else str(r.bound)
        print(f"{r.name:<{w}}  {r.result:<15} {r.seconds:>8.2f}  {bound:>5}  {_mark(r)}")
    for r in results:
        if r.result != r.expected and r.result != "n/a":
            print(f"\n{r.name} ({r.prop}): {r.detail}")
            trace = r.extra.get("trace")
            if trace:
                print(trace)
            if r.name in reports:
                print(f"    report: poolcheck replay {reports[r.name]}")
