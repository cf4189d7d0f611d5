"""poolcheck bench: the explorer's benchmark configurations E1..E6 (proofs/bench_configs.py)."""

from __future__ import annotations

import argparse
import sys

from poolcheck.common import OK, VIOLATION, UsageError, emit_json, variant_from
from poolcheck.progress import Progress
from proofs.bench_configs import BENCH_CONFIGS, BenchRow, bench, by_name

NAME = "bench"
HELP = "run the explorer's benchmark configurations E1..E6 and print states, transitions, seconds, states/s"

_HEAD = f"{'config':<7}{'reduction':<10}{'states':>11}{'transitions':>13}{'depth':>7}{'seconds':>9}{'cpu s':>8}" \
        f"{'states/s':>10}  {'verdict':<11}{'target':>7}"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", default=None, help="comma-separated configurations to run (default: E1..E6)")
    p.add_argument("--without-reduction", default="E1,E2",
                   help="configurations also run with --no-reduction (default: E1,E2; 'none' for none)")
    p.add_argument("--variant", default="reference", help="variant to benchmark (default: reference)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of the table")


def _line(r: BenchRow) -> str:
    target = "" if r.target_seconds is None else f"{'ok' if r.within_target else 'OVER'} {r.target_seconds:g}s"
    return (f"{r.config:<7}{'on' if r.reduction else 'off':<10}{r.states:>11,}{r.transitions:>13,}{r.max_depth:>7}"
            f"{r.seconds:>9.1f}{r.cpu_seconds:>8.1f}{r.states_per_second:>10,.0f}  {r.verdict:<11}{target:>7}")


def run(args: argparse.Namespace) -> int:
    try:
        configs = [by_name(n.strip()) for n in args.only.split(",")] if args.only else list(BENCH_CONFIGS)
        off = [] if args.without_reduction == "none" else [by_name(n.strip()).name
                                                          for n in args.without_reduction.split(",") if n.strip()]
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    model = variant_from(args)
    if not args.json:
        print(_HEAD)
    with Progress("bench") as bar:
        def show(row: BenchRow) -> None:
            if not args.json:
                bar.close()
                print(_line(row))
                sys.stdout.flush()

        rows = bench(configs, model=model, without_reduction=off, on_row=show,
                     progress=lambda i: bar.update(states=i["states"], depth=i["depth"]))
    if args.json:
        emit_json({"variant": args.variant, "rows": [r.to_json() for r in rows]})
    ok = all(r.verdict == "pass" for r in rows)
    return OK if ok else VIOLATION
