"""poolcheck fuzz: the Hypothesis engine outside pytest (the fuzz engine over properties/fuzz.py).

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
from pathlib import Path
from typing import Any

from poolcheck import artifacts, engine
from poolcheck.common import UsageError, add_common, finish, variant_from
from poolcheck.engine.merge import merge
from poolcheck.jobs import Job, add_jobs_argument, executor
from poolcheck.progress import Progress
from properties.fuzz import SEARCHES, TARGETS

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
    p.add_argument("--seeds", type=int, default=1,
                   help="run every search under this many seeds, --seed, --seed+1, ... (default 1); with --jobs the "
                        "target x seed jobs run in parallel")
    p.add_argument("--database", type=Path, default=None, metavar="DIR",
                   help="a Hypothesis example database shared by every job (a directory; on a cluster one that every "
                        "worker mounts): a failure one job saves is replayed first by the jobs that start after it")
    add_jobs_argument(p)


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
    if args.seeds < 1:
        raise UsageError(f"--seeds {args.seeds}: give at least 1")
    targets = _targets(args)
    seed = _seed(args.seed)
    if seed is None and args.seeds > 1:
        raise UsageError("--seeds needs an integer --seed (with 'random' every job draws its own randomness anyway)")
    variant_from(args)
    database = str(args.database.resolve()) if args.database is not None else None
    seeds = [seed] if seed is None else [seed + k for k in range(args.seeds)]
    # One job per (target, seed), merged in this order: the output does not depend on --jobs.
    todo = [Job(f"fuzz {t} seed {s}", "poolcheck.engine:run_job",
                {"engine": "fuzz", "variant": args.variant,
                 "config": {"targets": [t], "seed": s, "database": database},
                 "budget": engine.Budget("ci", examples=args.examples).to_json()},
                {"dequeue": 1.0, "chain": 2.0, "pool": 3.0}[t])
            for s in seeds for t in targets]
    ex = executor(args.jobs)
    try:
        with Progress(f"fuzz ({ex.name})") as bar:
            bar.stage(f"{len(todo)} jobs", len(todo))
            parts = ex.run(todo, lambda job, n, total: bar.update(n, job=job.key))
    finally:
        ex.close()
    res = merge([engine.EngineResult.from_json(p) for p in parts])
    traces = [artifacts.save(v.counterexample, args.out) / "trace.json" if v.counterexample is not None else None
              for v in res.violations]
    per_target = res.data["per_target"]
    ttf = res.data["time_to_first_violation"]
    payload: dict[str, Any] = {
        "variant": res.variant, "targets": list(targets), "examples_per_search": args.examples, "seed": seed,
        "examples_run": res.coverage["examples"], "seconds": round(res.seconds, 3),
        "time_to_first_violation": None if ttf is None else round(ttf, 3), "per_target": per_target,
        "violations": [{"property": v.prop, "message": v.message, "target": v.detail["target"],
                        "search": v.detail["search"], "operations": v.detail["operations"],
                        "threads": v.detail["threads"], "example": v.detail["example"],
                        "examples_to_find": v.detail["examples_to_find"], "steps": v.steps,
                        "trace": str(t) if t else None} for v, t in zip(res.violations, traces)]}
    lines = []
    for t in targets:
        row = per_target[t]
        for s in SEARCHES:
            r = row[s]
            what = f"FAIL {r['property']}" if r["verdict"] == "fail" else "pass"
            lines.append(f"{t:<8} {s:<8} {r['examples']:>6} examples  {r['seconds']:>7.1f}s  {what}")
    for v, tp in zip(res.violations, traces):
        d = v.detail
        lines.append(f"\nFAIL {v.prop} ({d['target']}, {d['search']}): {v.message}")
        lines.append(f"  shrunk to {d['threads']} thread(s), {d['operations']} operation(s), {v.steps} steps: "
                     f"{str(d['example']).splitlines()[0]}")
        if tp is not None:
            lines.append(f"  report: {tp.parent}")
            lines.append(f"  replay: poolcheck replay {tp}")
    ttf_text = f", first violation after {ttf:.1f}s" if ttf else ""
    lines.append(f"{res.verdict.value.upper()} {res.variant}: {res.coverage['examples']:,} examples on "
                 f"{', '.join(targets)} in {res.seconds:.1f}s{ttf_text}")
    return finish(args, NAME, res.verdict, payload, lines)
