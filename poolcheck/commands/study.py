"""poolcheck study: the text's quantitative claims, measured with the model (docs/study.md).

A study measures; it checks no property of a variant, so it takes no
``--variant`` (it always runs the reference and the tier variants it needs).
"""

from __future__ import annotations

import argparse

from poolcheck import engine
from poolcheck.common import UsageError, add_common, finish
from poolcheck.progress import Progress
from poolcheck.study import STUDIES

NAME = "study"
HELP = "measure the text's claims: victim tiers, padding (P10), poolCleanup cost and retention (P11)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("which", nargs="?", default="all", metavar="STUDY",
                   help=f"one of {', '.join(STUDIES)}, or all (default: all)")
    add_common(p, variant=False)
    p.add_argument("--quick", action="store_true",
                   help="smaller sweeps (shorter runs, fewer GC intervals, up to 1,000 pools and 10,000 items)")


def run(args: argparse.Namespace) -> int:
    if args.which not in STUDIES + ("all",):
        raise UsageError(f"unknown study {args.which!r}: use one of {', '.join(STUDIES)}, or all")
    with Progress("study") as bar:
        res = engine.run("study", "reference", {"which": args.which, "out": str(args.out), "quick": args.quick},
                         engine.Budget(), bar)
    files = [f"{args.out}/study/{args.which}.md", f"{args.out}/study/{args.which}.json"]
    files += [f"{args.out}/{p}" for p in res.data["plots"]]
    return finish(args, NAME, res.verdict, {**res.data["result"], "files": files},
                  [str(res.data["text"]).rstrip("\n"), "wrote " + ", ".join(files)])
