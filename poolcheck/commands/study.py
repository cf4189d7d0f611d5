"""poolcheck study: the text's quantitative claims, measured with the model (docs/study.md)."""

from __future__ import annotations

import argparse

from poolcheck.common import OK, add_common, emit_json
from poolcheck.progress import Progress
from poolcheck.study import STUDIES, run_study

NAME = "study"
HELP = "measure the text's claims: victim tiers, padding (P10), poolCleanup cost and retention (P11)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("which", nargs="?", default="all", metavar="STUDY",
                   help=f"one of {', '.join(STUDIES)}, or all (default: all)")
    add_common(p, variant=False)
    p.add_argument("--quick", action="store_true",
                   help="smaller sweeps (shorter runs, fewer GC intervals, up to 1,000 pools and 10,000 items)")


def run(args: argparse.Namespace) -> int:
    with Progress("study") as bar:
        res = run_study(args.which, args.out, bar, quick=args.quick)
    if args.json:
        emit_json(res.to_json())
        return OK
    print(res.text(), end="")
    files = [f"{args.out}/study/{args.which}.md", f"{args.out}/study/{args.which}.json"]
    files += [f"{args.out}/{p}" for p in res.plots]
    print("wrote " + ", ".join(files))
    return OK
