"""poolcheck replay FILE: re-execute a counterexample's schedule."""

from __future__ import annotations

import argparse

from model.tracefile import load
from model.variants import resolve
from poolcheck.common import OK, VIOLATION, add_common, emit_json
from poolcheck.replay import replay

NAME = "replay"
HELP = "re-execute a trace.json; exit 1 while its property is still violated, 0 when it holds"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", help="path to a trace.json written by any engine")
    add_common(p)
    p.set_defaults(variant=None)


def run(args: argparse.Namespace) -> int:
    cx = load(args.trace)
    other = resolve(args.variant) if args.variant else None
    res = replay(cx, other)
    variant = args.variant or cx.variant
    if args.json:
        emit_json({"trace": args.trace, "property": cx.prop, "variant": variant, "reproduced": res.reproduced,
                   "diverged_at": res.diverged_at, "mismatches": res.mismatches,
                   "violations": [{"property": v.prop, "message": v.message} for v in res.violations],
                   "steps": len(res.kernel.trace)})
    else:
        if res.reproduced:
            msg = next(v.message for v in res.violations if v.prop == cx.prop)
            print(f"REPRODUCED {cx.prop} on {variant} in {len(res.kernel.trace)} steps: {msg}")
        else:
            extra = f" (schedule diverged at entry {res.diverged_at})" if res.diverged_at is not None else ""
            print(f"HOLDS {cx.prop} on {variant}{extra}")
        for m in res.mismatches:
            print(f"warning: {m}")
    return VIOLATION if res.reproduced else OK
