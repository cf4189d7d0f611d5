"""poolcheck explore TARGET "SCENARIO": check every interleaving of a scenario (proofs/explore.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from model.scenario import TARGETS
from poolcheck import artifacts
from poolcheck.common import INCOMPLETE, OK, VIOLATION, UsageError, add_common, add_params, emit_json, params_from, variant_from
from poolcheck.progress import Progress
from proofs.explore import ExploreResult, explore
from proofs.explore_search import SearchTooLarge

NAME = "explore"
HELP = "check every interleaving of a scenario against the property catalog (exhaustive within its bounds)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", help=f"what to check: {', '.join(TARGETS)}")
    p.add_argument("scenario", help='threads separated by "|", operations by spaces, e.g. "push push pop | tail tail"')
    add_params(p)
    p.add_argument("--max-states", type=int, default=None,
                   help="stop after this many states; the verdict is then 'incomplete' (exit 3), never a pass")
    p.add_argument("--no-reduction", action="store_true",
                   help="explore without thread symmetry and live-variable merging (slower; the same verdict)")
    add_common(p)


def _bar(bar: Progress) -> Any:
    def update(info: dict[str, Any]) -> None:
        if info["seconds"] < 1.0:
            return  # short runs finish before a bar would be worth drawing
        fields: dict[str, Any] = {"states": info["states"], "states/s": int(info["states_per_second"]),
                                  "frontier": info["frontier"], "depth": info["depth"]}
        bar.update(None, False, **fields)
    return update


def run(args: argparse.Namespace) -> int:
    if args.target not in TARGETS:
        raise UsageError(f"unknown target {args.target!r}: use one of {', '.join(TARGETS)}")
    if args.max_states is not None and args.max_states < 1:
        raise UsageError(f"--max-states {args.max_states} must be at least 1")
    params = params_from(args, target=args.target)
    model = variant_from(args)
    with Progress("explore") as bar:
        try:
            res = explore(args.target, args.scenario, params, model, reduction=not args.no_reduction,
                          max_states=args.max_states, progress=_bar(bar))
        except SearchTooLarge as e:
            raise UsageError(str(e)) from None
    traces = _save(res, args.out)
    if args.json:
        emit_json(res.to_json(traces))
    else:
        _print(res, traces)
    if res.verdict == "pass":
        return OK
    if res.verdict == "incomplete":
        return INCOMPLETE
    return VIOLATION


def _save(res: ExploreResult, out: Path) -> dict[str, str]:
    traces: dict[str, str] = {}
    for v in res.violations:
        folder = artifacts.save(v.counterexample, out)
        traces[v.prop] = str(folder / "trace.json")
    return traces


def _print(res: ExploreResult, traces: dict[str, str]) -> None:
    for v in res.violations:
        note = "" if v.replayable else " (not reproduced by replay: see the trace's extra.not_replayable_because)"
        print(f"{v.prop}: {v.message}")
        print(f"    shortest counterexample: {v.length} steps; poolcheck replay {traces[v.prop]}{note}")
    for g, ok in res.goals.items():
        if not ok:
            print(f"goal not reached: {g}: {res.goal_descriptions.get(g, '')}")
    print(res.summary())
