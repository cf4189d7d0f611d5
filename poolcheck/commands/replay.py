"""poolcheck replay FILE: re-execute a counterexample's schedule.

Exit status: 1 while the recorded property is still violated (on the
recorded variant, or on ``--variant`` to check a fix), 0 when it holds, 2 when
the file is not a trace this poolcheck can replay (one line saying why).
``--out DIR`` also writes the replayed execution's report folder there.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from model.tracefile import Counterexample, from_kernel
from model.variants import spec_of
from poolcheck import artifacts
from poolcheck.common import UsageError, finish, load_variant
from poolcheck.engine import Verdict
from poolcheck.replay import load_trace, needs_trust, replay

NAME = "replay"
HELP = "re-execute a trace.json; exit 1 while its property is still violated, 0 when it holds"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", help="path to a trace.json written by any engine")
    p.add_argument("--variant", default=None,
                   help="replay on this variant instead of the recorded one (to check a fix): a name, "
                        "path/to/file.py:Class or package.module:Class")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of text")
    p.add_argument("--trust", action="store_true",
                   help="import the variant code the trace names (a file or module): without it, a trace whose "
                        "variant is not built in is replayed only on a --variant you name")
    p.add_argument("--on", choices=("model", "go"), default="model",
                   help="go: replay the schedule on the real Go code (the installed poolqueue.go, or the variant's Go "
                        "mutant, instrumented) and say whether the violation reproduces there")
    p.add_argument("--sarif", default=None, type=Path,
                   help="also write the counterexample as SARIF 2.1.0 to this file (code scanning)")
    p.add_argument("--annotations", action="store_true",
                   help="also print GitHub Actions annotations (::error file=...,line=...) on stdout")
    p.add_argument("--out", default=None, type=Path,
                   help="also write the replayed execution's report folder under this directory")


def run(args: argparse.Namespace) -> int:
    cx = load_trace(args.trace)
    if args.variant is None and not args.trust and needs_trust(cx):
        raise UsageError(f"{args.trace} names the variant {cx.variant!r}, code outside poolcheck; replay imports it "
                         f"only if you say so: --variant {cx.variant} (or --trust)")
    if args.sarif is not None or args.annotations:
        from poolcheck.report.sarif import emit
        emit(cx, args.sarif, args.annotations, args.trace)
    if args.on == "go":
        return _on_go(args, cx)
    other = load_variant(args.variant) if args.variant else None
    res = replay(cx, other)
    variant = spec_of(other) if other is not None else cx.variant
    v = res.violation
    folder = None
    if args.out is not None and v is not None:
        again = from_kernel(res.kernel, target=cx.target, scenario=cx.scenario, params=cx.params, variant=variant,
                            prop=cx.prop, message=v.message, engine=cx.engine, violating_step=v.step,
                            extra=dict(cx.extra, replayed_from=str(args.trace)))
        folder = artifacts.save(again, args.out)
    payload = {"trace": args.trace, "property": cx.prop, "variant": variant, "reproduced": res.reproduced,
               "message": v.message if v else None, "step": v.step if v else None,
               "diverged_at": res.diverged_at, "mismatches": res.mismatches, "note": res.note,
               "violations": [{"property": x.prop, "message": x.message, "step": x.step} for x in res.violations],
               "steps": len(res.kernel.trace), "report": str(folder / "report.html") if folder else None}
    lines = []
    if v is not None:
        step = v.step if v.step is not None else (cx.violating_step if other is None else None)
        at = f", the violation at step {step} (as in the report)" if step is not None else ""
        lines.append(f"REPRODUCED {cx.prop} on {variant}, {len(res.kernel.trace)} steps in all{at}: {v.message}")
    else:
        extra = f"; the schedule diverged at entry {res.diverged_at} and was finished round-robin" \
            if res.diverged_at is not None else ""
        others = sorted({x.prop for x in res.violations})
        also = f"; other properties violated: {', '.join(others)}" if others else ""
        lines.append(f"HOLDS {cx.prop} on {variant}{extra}{also}")
    lines += [f"warning: {m}" for m in res.mismatches]
    lines += [f"note: {res.note}"] if res.note else []
    lines += [f"report: {folder / 'report.html'}"] if folder is not None else []
    return finish(args, NAME, Verdict.FAIL if res.reproduced else Verdict.PASS, payload, lines)


def _update_report(trace: Path, cx: Counterexample, d: dict[str, Any]) -> list[str]:
    """A trace in a report folder (report.md beside it): save Go's run there and render the report again, with
    its "On the real Go code" section."""
    from model.tracefile import write_json_atomic
    from poolcheck.artifacts import display_path
    from poolcheck.report import GO_REPLAY_FILE, render_folder

    folder = trace.parent
    if not (folder / "report.md").is_file():
        return []
    try:
        write_json_atomic(folder / GO_REPLAY_FILE, d)
        render_folder(folder, cx, display_path(trace))
    except OSError as e:
        return [f"  (report not updated: {e})"]
    return [f"report updated: {display_path(folder / 'report.md')} (section: On the real Go code)"]


def _on_go(args: argparse.Namespace, cx: Counterexample) -> int:
    """--on go: the schedule on the real Go code; fail when the violation reproduces there, pass when it does not."""
    from properties.conformance.goreplay import NotReplayable
    from properties.conformance.goreplay_cli import go_replay
    from properties.conformance.gosource import GoNotFound

    try:
        d = go_replay(cx).data
    except (NotReplayable, GoNotFound) as e:
        raise UsageError(f"{args.trace}: cannot replay on Go: {e}") from None
    at = d["violating_go_step"]
    lines = [f"{cx.prop} on {cx.variant}, replayed on the real Go code ({d['go_code']}) under the model's schedule:"]
    lines += [f"{'>>' if s['index'] == at else '  '}{s['index']:>3}  T{s['thread']}  {s['go']:<66} "
              f"{json.dumps(s['value'])}" for s in d["go_steps"]]
    lines.append(f"  the violation shows at Go step {at} (>>), the model's step {cx.violating_step}" if at is not None
                 else "  the violation shows in the final state (after the last step)")
    lines.append(f"  results per thread: {json.dumps(d['go_results'])}; still inside at the end: "
                 f"{json.dumps(d['go_contents'])}")
    lines += [f"  duplicated on Go (handed out twice, or handed out and still inside): {d['duplicated']}"] \
        if d["duplicated"] else []
    lines += [f"  lost on Go (never handed out, no longer inside): {d['not_returned']}"] if d["not_returned"] else []
    lines += [f"  the model and Go differ: {d['first_difference']}"] if d["first_difference"] else []
    lines.append(f"reproduced on the real Go code: {'yes' if d['reproduced'] else 'no'}"
                 + (" (every step, value and result identical to the model's)" if d["same_steps_and_results"] else ""))
    lines += _update_report(Path(args.trace), cx, d)
    return finish(args, NAME, Verdict.FAIL if d["reproduced"] else Verdict.PASS, {"trace": args.trace, **d}, lines)
