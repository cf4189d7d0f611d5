"""poolcheck fuzz: the Hypothesis engine outside pytest (properties/fuzz.py).

For each target, three searches of --examples examples each: the layer's
state machine against its sequential specification, concurrent scenarios
under burst schedules, and concurrent scenarios under PCT schedules. A
failure is shrunk (Hypothesis, then a deletion pass over the explicit
schedule) and written to --out as a counterexample folder that
``poolcheck replay`` re-executes.

Exit status: 0 no violation, 1 a violation (reports written), 2 bad input,
3 a linearizability check ran out of budget (incomplete, never a pass).
"""

from __future__ import annotations

import argparse
from typing import Any

from model.variants import spec_of
from poolcheck.common import INCOMPLETE, OK, VIOLATION, UsageError, add_common, emit_json, variant_from
from poolcheck.progress import Progress
from properties.fuzz import SEARCHES, TARGETS, FuzzResult, fuzz

NAME = "fuzz"
HELP = "run the Hypothesis state machines and concurrent scenario searches (bursts and PCT), shrink failures"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p)
    p.add_argument("--target", action="append", choices=TARGETS + ("all",), default=None,
                   help="layer to fuzz: dequeue, chain, pool or all (repeatable; default all)")
    p.add_argument("--examples", type=int, default=200,
                   help="examples per search; each target runs three searches (default 200)")
    p.add_argument("--seed", default="0",
                   help="seed of every search, an integer, or 'random' for fresh randomness (default 0: "
                        "the same run every time)")


def _targets(args: argparse.Namespace) -> tuple[str, ...]:
    chosen = args.target or ["all"]
    if "all" in chosen:
        return TARGETS
    return tuple(dict.fromkeys(chosen))


def _seed(text: str) -> int | None:
    if text == "random":
        return None
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"--seed {text!r} is not an integer; give an integer or 'random'") from None


def run(args: argparse.Namespace) -> int:
    if args.examples < 1:
        raise UsageError(f"--examples {args.examples}: give at least 1")
    targets = _targets(args)
    seed = _seed(args.seed)
    model = variant_from(args)
    total = args.examples * len(SEARCHES) * len(targets)
    with Progress("fuzz", total=total) as bar:
        def progress(d: dict[str, Any]) -> None:
            bar.update(min(d["examples"], total), target=d["target"], search=d["search"],
                       violations=d["violations"])
        res = fuzz(targets, args.examples, model, seed, args.out, progress)
    variant = spec_of(model)
    if args.json:
        emit_json({"variant": variant, "targets": list(targets), "examples_per_search": args.examples,
                   "seed": seed, **res.to_json()})
    else:
        _print(res, variant, targets)
    if res.violations:
        return VIOLATION
    return INCOMPLETE if res.verdict == "incomplete" else OK


def _print(res: FuzzResult, variant: str, targets: tuple[str, ...]) -> None:
    for t in targets:
        row = res.per_target[t]
        for s in SEARCHES:
            r = row[s]
            what = f"FAIL {r['property']}" if r["verdict"] == "fail" else "pass"
            print(f"{t:<8} {s:<8} {r['examples']:>6} examples  {r['seconds']:>7.1f}s  {what}")
    for v in res.violations:
        print(f"\nFAIL {v.prop} ({v.target}, {v.search}): {v.message}")
        print(f"  shrunk to {v.threads} thread(s), {v.length} operation(s): {v.example.splitlines()[0]}")
        if v.trace_path is not None:
            print(f"  report: {v.trace_path.parent}")
            print(f"  replay: poolcheck replay {v.trace_path}")
    ttf = f", first violation after {res.time_to_first_violation:.1f}s" if res.time_to_first_violation else ""
    verdict = {"pass": "PASS", "fail": "FAIL", "incomplete": "INCOMPLETE"}[res.verdict]
    print(f"{verdict} {variant}: {res.examples_run:,} examples on {', '.join(targets)} in {res.seconds:.1f}s{ttf}")
