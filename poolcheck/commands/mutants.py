"""poolcheck mutants: the kill matrix (every mutant through every engine)."""

from __future__ import annotations

import argparse
import sys

from model.variants import VariantError
from poolcheck.common import UsageError, add_common, finish
from poolcheck.engine import Verdict
from poolcheck.jobs import add_jobs_argument, executor
from poolcheck.killmatrix import BUDGETS, ENGINES, engine_available, kill_matrix, mutants
from poolcheck.progress import Progress

NAME = "mutants"
HELP = "run every mutant through every engine and write the kill matrix (reports/mutants.md, mutants.json)"

CLI_ENGINES = "explore,fuzz,prove,sample"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p, variant=False)
    p.add_argument("--variant", action="append", default=None, metavar="FILE:Class",
                   help="also put this variant in the matrix, as a mutant that must be killed: a registered name, "
                        "path/to/file.py:Class or package.module:Class (repeatable)")
    p.add_argument("--engines", default=CLI_ENGINES,
                   help=f"comma-separated engines among {', '.join(ENGINES)} (default {CLI_ENGINES}; go-tests is "
                        f"slow and only runs when named)")
    p.add_argument("--budget", choices=tuple(BUDGETS), default="ci", help="budget per engine and mutant (default ci)")
    p.add_argument("--only", default=None,
                   help="comma-separated mutants: registered names or path/to/file.py:Class (default: every "
                        "registered mutant)")
    p.add_argument("--no-reference", action="store_true",
                   help="skip running the reference through the engines (faster; the run can then not show that "
                        "no property fires on the reference)")
    add_jobs_argument(p)


def _split(s: str) -> list[str]:
    return [x.strip() for x in s.split(",") if x.strip()]


def run(args: argparse.Namespace) -> int:
    engines = _split(args.engines)
    bad = [e for e in engines if e not in ENGINES]
    if not engines or bad:
        raise UsageError(f"--engines {args.engines!r}: use a comma-separated list of {', '.join(ENGINES)}")
    only = _split(args.only) if args.only is not None else None
    if only is not None and not only:
        raise UsageError(f"--only {args.only!r}: name at least one mutant")
    if args.variant:
        only = (only if only is not None else [m.name for m in mutants()]) + list(args.variant)
    try:
        mutants(only)
    except VariantError:
        raise
    except ValueError as err:
        raise UsageError(str(err)) from None
    for eng in engines:
        why = engine_available(eng)
        if why:
            sys.stderr.write(f"poolcheck mutants: engine {eng} is not available ({why}); its cells are n/a\n")
    cmd = "poolcheck mutants --engines " + ",".join(engines) + f" --budget {args.budget}"
    if args.only:
        cmd += " --only " + ",".join(_split(args.only))
    for v in args.variant or []:
        cmd += f" --variant {v}"
    ex = executor(args.jobs)
    try:
        with Progress(f"mutants ({ex.name})") as bar:
            km = kill_matrix(engines, args.budget, args.out, bar, only=only, reference=not args.no_reference,
                             executor=ex)
    finally:
        ex.close()
    md, js = km.write(args.out, cmd)
    for p in km.problems():
        sys.stderr.write(f"poolcheck mutants: FAIL {p}\n")
    unfinished = any(r.verdict == "incomplete" for r in km.rows)
    verdict = Verdict.FAIL if not km.ok else Verdict.INCOMPLETE if unfinished else Verdict.PASS
    return finish(args, NAME, verdict, {**km.to_json(), "files": {"markdown": str(md), "json": str(js)}},
                  [km.to_markdown(cmd), f"wrote {md} and {js}"])
