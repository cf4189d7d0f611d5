"""poolcheck explore TARGET "SCENARIO": check every interleaving of a scenario (the explore engine)."""

from __future__ import annotations

import argparse
from typing import Any

from model.scenario import TARGETS, parse
from poolcheck import artifacts, engine
from poolcheck.common import UsageError, add_common, add_params, finish, params_from, variant_from
from poolcheck.engine.explore import DEFAULT_MAX_MEMORY_MB
from poolcheck.progress import Progress
from proofs import native
from proofs.explore.goals import goal_names
from proofs.explore.parallel import default_jobs

NAME = "explore"
HELP = "check every interleaving of a scenario against the property catalog (exhaustive within its bounds)"

DEFAULT_MAX_STATES = 5_000_000


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", help=f"what to check: {', '.join(TARGETS)}")
    p.add_argument("scenario", help='threads separated by "|", operations by spaces, e.g. "push push pop | tail tail"')
    add_params(p)
    p.add_argument("--max-states", type=int, default=DEFAULT_MAX_STATES,
                   help=f"stop after this many states (default {DEFAULT_MAX_STATES:,}; 0: no limit); the verdict is "
                        "then 'incomplete' (exit 3), never a pass")
    p.add_argument("--max-memory", type=int, default=DEFAULT_MAX_MEMORY_MB, metavar="MB",
                   help=f"stop when the process grows past this many MB (default {DEFAULT_MAX_MEMORY_MB:,}; 0: no "
                        "limit); the verdict is then 'incomplete' (exit 3)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes of the breadth-first search (default: all cores; 1: one process); the "
                        "same verdict, counts and counterexample lengths (proofs/explore/parallel.py)")
    p.add_argument("--core", choices=native.CORES, default="auto",
                   help="the search loop: native (compiled, proofs/native), python, or auto (native when built, one "
                        "process; else python with a warning); the same verdict, counts and counterexample lengths")
    p.add_argument("--compact", choices=("fingerprint",), default=None,
                   help="hash compaction: store a 64-bit fingerprint per state (native core, one process); the "
                        "verdict is then never 'pass' ('incomplete' with the omission probability, or 'fail')")
    p.add_argument("--goal", action="append", default=[], metavar="NAME",
                   help="a reachability goal the scenario must reach (repeatable; proofs/explore/goals.py); one that "
                        "no schedule of the reference reaches makes the verdict 'incomplete' (exit 3)")
    p.add_argument("--no-reduction", action="store_true",
                   help="explore without thread symmetry and live-variable merging (slower; the same verdict)")
    add_common(p)


def run(args: argparse.Namespace) -> int:
    if args.target not in TARGETS:
        raise UsageError(f"unknown target {args.target!r}: use one of {', '.join(TARGETS)}")
    if args.max_states < 0:
        raise UsageError(f"--max-states {args.max_states}: give a number of states, or 0 for no limit")
    if args.max_memory < 0:
        raise UsageError(f"--max-memory {args.max_memory}: give megabytes, or 0 for no limit")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give at least 1 worker process")
    try:
        core = native.select(args.core, args.compact is not None)
    except ValueError as e:
        raise UsageError(f"--core {args.core}: {e}") from None
    if core == "native" and args.jobs is not None and args.jobs > 1:
        if args.core == "native" or args.compact:
            raise UsageError(f"--jobs {args.jobs}: the compiled core (and --compact) runs in one process; use "
                             f"--jobs 1 or --core python")
        core = "python"
    jobs = 1 if core == "native" else args.jobs or default_jobs()
    params = params_from(args, target=args.target)
    parse(args.target, args.scenario)
    model = variant_from(args)
    variant = getattr(args, "variant", "reference") or "reference"
    cfg = engine.one_config(args.target, args.scenario, params, reduction=not args.no_reduction)
    unknown = [g for g in args.goal if g not in goal_names(args.target)]
    if unknown:
        raise UsageError(f"--goal {unknown[0]}: not a {args.target} goal; use one of {', '.join(goal_names(args.target))}")
    cfg["require_goals"] = list(args.goal)
    with Progress("explore") as bar:
        res = engine.run("explore", variant, {"configs": [cfg], "max_memory_mb": args.max_memory,
                                               "jobs": jobs, "core": core,
                                               "compact": args.compact is not None},
                         engine.Budget("ci", max_states=args.max_states), bar)
    traces = {v.prop: str(artifacts.save(v.counterexample, args.out) / "trace.json")
              for v in res.violations if v.counterexample is not None}
    run0 = res.configs[0]
    cov = run0.coverage
    payload: dict[str, Any] = {
        "target": args.target, "scenario": cov.get("scenario", args.scenario), "variant": res.variant,
        "params": cov.get("params", params.to_json()),
        "violations": [{"property": v.prop, "message": v.message, "length": v.steps, "replayable": v.replayable,
                        "trace": traces.get(v.prop)} for v in res.violations],
        "states": cov.get("states", 0), "transitions": cov.get("transitions", 0),
        "max_depth": cov.get("depth", 0), "seconds": round(run0.seconds, 3),
        "states_per_second": cov.get("states_per_second", 0), "complete": bool(cov.get("complete")),
        "reduction": not args.no_reduction, "terminal_states": cov.get("terminal_states", 0),
        "goals": cov.get("goals", {}), "unreached_goals": [g for g, ok in cov.get("goals", {}).items() if not ok],
        **{k: cov.get(k, []) for k in ("lost_goals", "unreachable_goals", "not_exercised")},
        "goal_witnesses": cov.get("goal_witnesses", {}),
        "notes": res.notes, "cpu_seconds": cov.get("cpu_seconds", 0.0),
        "time_to_first_violation": cov.get("time_to_first_violation"),
        "max_states": args.max_states, "max_memory_mb": args.max_memory,
    }
    del model
    return finish(args, NAME, res.verdict, payload, _text(res, traces))


def _text(res: engine.EngineResult, traces: dict[str, str]) -> list[str]:
    lines = []
    for v in res.violations:
        note = "" if v.replayable else " (not reproduced by replay: see the trace's extra.not_replayable_because)"
        lines.append(f"{v.prop}: {v.message}")
        at = v.counterexample.violating_step if v.counterexample is not None else None
        where = f", the violation at step {at} (as in report.md and trace.json)" if at is not None else ""
        lines.append(f"    shortest counterexample: {v.steps} scheduling points{where}; poolcheck replay "
                     f"{traces[v.prop]}{note}")
    cov = res.configs[0].coverage
    for g, ok in cov.get("goals", {}).items():
        if not ok:
            lines.append(f"goal not reached: {g}: {cov.get('goal_descriptions', {}).get(g, '')}")
    for g in cov.get("unreachable_goals", []):
        lines.append(f"goal unreachable in this scenario (no schedule of the reference reaches it): {g}")
    if cov.get("not_exercised"):
        lines.append(f"goals this scenario does not exercise: {', '.join(cov['not_exercised'])}")
    lines += [f"note: {n}" for n in res.notes if "state limit" not in n]
    lines.append(cov.get("summary") or f"{res.verdict.value.upper()} {res.configs[0].name}: {res.configs[0].detail}")
    return lines
