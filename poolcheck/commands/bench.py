"""poolcheck bench: the explorer's benchmark configurations E1..E6, the ladder and SPIN side by side (proofs/explore/bench_configs.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from model.variants import Model
from poolcheck.common import UsageError, finish, variant_from
from poolcheck.engine import Verdict
from poolcheck.jobs import Job, executor
from poolcheck.manifest import count_mismatch
from poolcheck.progress import Progress
from proofs.explore.bench_configs import BENCH_CONFIGS, LADDER, BenchConfig, BenchRow, LadderRow, bench, by_name, ladder
from proofs.explore.parallel import default_jobs

NAME = "bench"
HELP = "run the explorer's benchmark configurations E1..E6 and print states, transitions, seconds, states/s"

_HEAD = f"{'config':<7}{'reduction':<10}{'states':>11}{'transitions':>13}{'depth':>7}{'seconds':>9}{'cpu s':>8}" \
        f"{'states/s':>10}  {'verdict':<11}{'target':>7}"
_LHEAD = f"{'config':<7}{'jobs':>5}  {'core':<7}{'states':>11}{'transitions':>13}{'depth':>7}{'seconds':>9}" \
         f"{'cpu s':>9}{'peak MB':>9}{'states/cpu s':>14}  {'verdict':<11}{'target':>8}"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", default=None,
                   help="comma-separated configurations to run (default: E1..E6, and the ladder's rungs with "
                        f"--ladder: {', '.join(c.name for c in LADDER)})")
    p.add_argument("--without-reduction", default="E1,E2",
                   help="configurations also run with --no-reduction (default: E1,E2; 'none' for none)")
    p.add_argument("--variant", default="reference", help="variant to benchmark (default: reference)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes per search (default: all cores, or one process on the compiled core when "
                        "it is built, as poolcheck explore); with --ladder every run is made at --jobs 1 and at N "
                        "(--jobs 1: only at 1)")
    p.add_argument("--config-jobs", default="inline", metavar="J",
                   help="run the configurations themselves side by side (poolcheck.jobs: inline, N processes, auto, "
                        "dask:ADDRESS; default inline). CPU seconds stay per configuration; wall times then "
                        "include the neighbours' load")
    p.add_argument("--core", choices=("auto", "native", "python"), default="auto",
                   help="the search loop of one-process runs: native (compiled, proofs/native), python, or auto "
                        "(native when built); to compare the two cores")
    p.add_argument("--ladder", action="store_true",
                   help="E1..E6 and the larger rungs, each at --jobs 1 and --jobs N in a fresh process: states, "
                        "transitions, CPU seconds of every process, peak memory, states per CPU second")
    p.add_argument("--against-spin", action="store_true",
                   help="also run SPIN on generated Promela models of the dequeue and chain configurations (same "
                        "granularity; needs spin and gcc) and print poolcheck's CPU time over SPIN's")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of the table")


def _line(r: BenchRow) -> str:
    target = "" if r.target_seconds is None else f"{'ok' if r.within_target else 'OVER'} {r.target_seconds:g}s"
    return (f"{r.config:<7}{'on' if r.reduction else 'off':<10}{r.states:>11,}{r.transitions:>13,}{r.max_depth:>7}"
            f"{r.seconds:>9.1f}{r.cpu_seconds:>8.1f}{r.states_per_second:>10,.0f}  {r.verdict:<11}{target:>7}")


def _lline(r: LadderRow) -> str:
    target = "" if r.target_seconds is None else \
        f"{'ok' if r.seconds <= r.target_seconds else 'OVER'} {r.target_seconds:g}s"
    return (f"{r.config:<7}{r.jobs:>5}  {r.core:<7}{r.states:>11,}{r.transitions:>13,}{r.max_depth:>7}"
            f"{r.seconds:>9.1f}{r.cpu_seconds:>9.1f}{r.peak_mb:>9.0f}{r.states_per_second:>14,.0f}  "
            f"{r.verdict:<11}{target:>8}")


def _configs(args: argparse.Namespace) -> list[BenchConfig]:
    if args.only:
        return [by_name(n.strip()) for n in args.only.split(",") if n.strip()]
    return list(BENCH_CONFIGS) + (list(LADDER) if args.ladder else [])


def run(args: argparse.Namespace) -> int:
    try:
        configs = _configs(args)
        off = [] if args.without_reduction == "none" else [by_name(n.strip()).name
                                                          for n in args.without_reduction.split(",") if n.strip()]
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give at least 1 worker process")
    if args.against_spin:
        from proofs.spin import spin_missing
        missing = spin_missing()
        if missing:
            raise UsageError(f"--against-spin: {missing}")
    model = variant_from(args)
    out: dict[str, Any] = {"variant": args.variant}

    def say(line: str) -> None:
        if not args.json:
            print(line)
            sys.stdout.flush()

    drift: list[str] = []
    if args.ladder:
        n = args.jobs or default_jobs()
        say(_LHEAD)
        lrows = ladder(configs, (1,) if args.jobs == 1 else (1, n if n > 1 else 2), model=model,
                       on_row=lambda r: say(_lline(r)))
        out["ladder"] = [r.to_json() for r in lrows]
        ok = all(r.verdict == "pass" for r in lrows)
    else:
        from proofs.native import available, select
        try:
            core = select(args.core)
        except ValueError as e:
            raise UsageError(f"--core {args.core}: {e}") from None
        jobs = args.jobs or (1 if available() and args.core != "python" else default_jobs())
        say(_HEAD)
        with Progress("bench") as bar:
            def show(row: BenchRow) -> None:
                if not args.json:
                    bar.close()
                say(_line(row))

            if args.config_jobs == "inline":
                rows = bench(configs, model=model, without_reduction=off, on_row=show, jobs=jobs, core=core,
                             progress=lambda i: bar.update(states=i["states"], depth=i["depth"]))
            else:  # one job per configuration (poolcheck.jobs), rows back in the configurations' order
                todo = [Job(f"bench {c.name}", "proofs.explore.bench_configs:bench_job",
                            {"name": c.name, "variant": args.variant, "without_reduction": c.name in off,
                             "jobs": jobs, "core": core}, float(c.target_seconds or 1.0)) for c in configs]
                ex = executor(args.config_jobs)
                try:
                    parts = ex.run(todo, lambda job, n, total: bar.update(n, config=job.key))
                finally:
                    ex.close()
                rows = [BenchRow.from_json(d) for part in parts for d in part]
                for row in rows:
                    show(row)
        out["rows"] = [r.to_json() for r in rows]
        ok = all(r.verdict == "pass" for r in rows)
        if model is Model:  # the manifest's exact counts (poolcheck/manifest.json): a lost scheduling point fails
            by = {c.name: c for c in configs}
            drift += [d for r in rows if r.complete and r.config in by
                     for d in [count_mismatch(by[r.config].target, by[r.config].scenario, by[r.config].params,
                                              r.reduction, r.states, r.transitions)] if d]
            out["manifest_mismatches"] = drift
            for d in drift:
                say(f"MANIFEST {d}")
    if args.against_spin:
        from proofs.spin import HEAD as SPIN_HEAD
        from proofs.spin import against_spin
        say("")
        say(SPIN_HEAD)
        failures: list[str] = []  # configurations SPIN or poolcheck could not finish (out of memory, killed)
        srows = against_spin([c for c in configs if c.target != "pool"], model=model, on_line=say,
                             failures=failures)
        out["spin"] = [r.to_json() for r in srows]
        out["spin_failures"] = failures
        spin_ok = all(r.ok for r in srows)
        ok = ok and not failures
    else:
        spin_ok = True
    found = {str(r["verdict"]) for r in out.get("ladder", []) + out.get("rows", [])}
    verdict = Verdict.FAIL if "fail" in found or not spin_ok or drift else Verdict.PASS if ok else Verdict.INCOMPLETE
    return finish(args, NAME, verdict, out, [])
