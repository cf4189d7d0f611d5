"""poolcheck verify: the campaign (the README's main job)."""

from __future__ import annotations

import argparse
import time

from model.harness import build
from model.params import Params
from model.schedulers import RandomScheduler
from model.tracefile import from_kernel
from model.variants import spec_of
from poolcheck import artifacts
from poolcheck.common import OK, VIOLATION, add_common, emit_json, variant_from
from poolcheck.progress import Progress
from properties.checks import check_execution

NAME = "verify"
HELP = "run the verification campaign on a variant and write reports/summary.md"

# (target, scenario, params): the sampled configurations of the smoke stage.
SMOKE = [
    ("dequeue", "push push pop | tail tail", Params(size=2)),
    ("dequeue", "push push push pop | tail tail | tail", Params(size=2, dequeue_bits=32, start_index=2**32 - 2)),
    ("dequeue", "push push:nil push pop | tail tail", Params(size=2, dequeue_bits=3, start_index=6)),
    ("chain", "push push push push pop | tail tail | tail tail", Params(init_size=1, dequeue_limit=4)),
    ("chain", "push push push | tail tail", Params(init_size=1)),
    ("pool", "put get | put get | gc", Params(gomaxprocs=2)),
    ("pool", "put put get | get put | gc procs=1", Params(gomaxprocs=2)),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p)
    p.add_argument("--budget", choices=("ci", "thorough"), default="ci", help="campaign budget (default ci)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled schedules (default 0)")


def run(args: argparse.Namespace) -> int:
    model = variant_from(args)
    runs = 300 if args.budget == "ci" else 5000
    t0 = time.monotonic()
    found: dict[str, str] = {}
    rows = []
    with Progress("verify", total=len(SMOKE) * runs) as bar:
        for ci, (target, scenario, params) in enumerate(SMOKE):
            bad = 0
            for i in range(runs):
                w = build(target, scenario, params, model)
                k = w.kernel()
                k.run(RandomScheduler(args.seed * 1_000_003 + ci * 10_007 + i))
                vs = check_execution(w, k)
                bar.update(ci * runs + i + 1)
                if vs and vs[0].prop not in found:
                    cx = from_kernel(k, target=target, scenario=scenario, params=params, variant=spec_of(model),
                                     prop=vs[0].prop, message=vs[0].message, engine="sample",
                                     violating_step=vs[0].step)
                    found[vs[0].prop] = str(artifacts.save(cx, args.out))
                if vs:
                    bad += 1
            rows.append({"target": target, "scenario": scenario, "runs": runs, "violating_runs": bad})
    secs = time.monotonic() - t0
    if args.json:
        emit_json({"variant": spec_of(model), "budget": args.budget, "verdict": "fail" if found else "pass",
                   "stages": rows, "violations": found, "seconds": round(secs, 2)})
    else:
        for r in rows:
            print(f"{r['target']:<8} {r['scenario']:<48} {r['runs']:>5} runs  {r['violating_runs']:>5} violating")
        for prop, path in sorted(found.items()):
            print(f"FAIL {prop}: {path}")
        print(f"{'FAIL' if found else 'PASS'} {spec_of(model)}: {len(SMOKE)} configurations, "
              f"{len(SMOKE) * runs} sampled executions, {secs:.1f}s")
    return VIOLATION if found else OK
