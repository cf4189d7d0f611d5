"""poolcheck mutants: the kill matrix (every mutant through every engine)."""

from __future__ import annotations

import argparse
import sys

from poolcheck.common import OK, VIOLATION, UsageError, add_common, emit_json
from poolcheck.killmatrix import BUDGETS, ENGINES, engine_available, kill_matrix, mutants
from poolcheck.progress import Progress

NAME = "mutants"
HELP = "run every mutant through every engine and write the kill matrix (reports/mutants.md, mutants.json)"

CLI_ENGINES = "explore,fuzz,prove,sample"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p, variant=False)
    p.add_argument("--engines", default=CLI_ENGINES,
                   help=f"comma-separated engines among {', '.join(ENGINES)} (default {CLI_ENGINES}; go-tests is "
                        f"slow and only runs when named)")
    p.add_argument("--budget", choices=tuple(BUDGETS), default="ci", help="budget per engine and mutant (default ci)")
    p.add_argument("--only", default=None, help="comma-separated mutant names (default: every registered mutant)")
    p.add_argument("--no-reference", action="store_true",
                   help="skip running the reference through the engines (faster; the run can then not show that "
                        "no property fires on the reference)")


def _split(s: str) -> list[str]:
    return [x.strip() for x in s.split(",") if x.strip()]


def run(args: argparse.Namespace) -> int:
    engines = _split(args.engines)
    bad = [e for e in engines if e not in ENGINES]
    if not engines or bad:
        raise UsageError(f"--engines {args.engines!r}: use a comma-separated list of {', '.join(ENGINES)}")
    only = _split(args.only) if args.only else None
    try:
        mutants(only)
    except ValueError as err:
        raise UsageError(str(err)) from None
    for eng in engines:
        why = engine_available(eng)
        if why:
            sys.stderr.write(f"poolcheck mutants: engine {eng} is not available ({why}); its cells are n/a\n")
    cmd = "poolcheck mutants --engines " + ",".join(engines) + f" --budget {args.budget}"
    if only:
        cmd += " --only " + ",".join(only)
    with Progress("mutants") as bar:
        def progress(done: int, total: int, what: str) -> None:
            bar.total = total
            bar.update(done, unit=what)
        km = kill_matrix(engines, args.budget, args.out, progress, only=only, reference=not args.no_reference)
    md, js = km.write(args.out, cmd)
    if args.json:
        emit_json(km.to_json())
    else:
        print(km.to_markdown(cmd))
        print(f"wrote {md} and {js}")
    for p in km.problems():
        sys.stderr.write(f"poolcheck mutants: FAIL {p}\n")
    return OK if km.ok else VIOLATION
