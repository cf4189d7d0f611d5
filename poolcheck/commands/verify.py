"""poolcheck verify: the campaign (the README's main job).

Runs every stage of poolcheck.campaign on the variant(s), with a progress line
per stage, and writes the run's own dated folder ``--out``/runs/<date>/
(summary.md, index.html, junit.xml, campaign.json and the counterexample
folders), then points ``--out``/latest at it (poolcheck.runs). Exit status: 0 every
property holds, 1 a property is violated (or a mutant survived), 2 bad
usage, 3 a stage ran out of budget (or its engine failed) before its stated
coverage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.variants import Model
from poolcheck import campaign, runs, summary
from poolcheck.common import finish, load_variant
from poolcheck.jobs import add_jobs_argument, executor

NAME = "verify"
HELP = "run the verification campaign (every engine) on a variant; write reports/summary.md and index.html"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--variant", action="append", default=None, metavar="V",
                   help="variant to check: a registered name, path/to/file.py:Class or package.module:Class; "
                        "repeat it to check several (default: reference)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of text")
    p.add_argument("--out", default="reports", type=Path, help="directory for reports (default: reports/)")
    p.add_argument("--budget", choices=campaign.BUDGETS, default="ci",
                   help="ci (minutes, the default) or thorough (larger bounds, more examples)")
    p.add_argument("--stage", action="append", choices=campaign.stage_names(), default=None, metavar="STAGE",
                   help=f"run only this stage (repeatable): {', '.join(campaign.stage_names())}")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled schedules (default 0)")
    add_jobs_argument(p)


def _line(variant: str, res: campaign.StageResult) -> str:
    word = {"pass": "PASS", "fail": "FAIL", "incomplete": "INCOMPLETE", "error": "ERROR",
            "unavailable": "SKIP"}.get(res.status, res.status.upper())
    on = "" if variant == "reference" else f" [{variant}]"
    text = res.coverage_text or res.note
    extra = f" ({res.note})" if res.note and res.coverage_text else ""
    return f"{word:<10} {res.stage:<8}{on} {text}{extra}  {res.seconds:.1f}s"


def run(args: argparse.Namespace) -> int:
    models: list[type[Model]] = [load_variant(v) for v in (args.variant or ["reference"])]
    quiet = bool(args.json)

    def on_stage(variant: str, res: campaign.StageResult) -> None:
        if not quiet:
            print(_line(variant, res), flush=True)

    ex = executor(args.jobs)  # a bad --jobs, or no Dask scheduler there: exit 2 before any work
    try:
        run_dir = runs.new_run_dir(args.out)
        c = campaign.run(models, budget=args.budget, out=run_dir, seed=args.seed, only=args.stage,
                         on_stage=on_stage, jobs=ex)
    finally:
        ex.close()
    paths = summary.write_all(c)
    latest = runs.point_latest(args.out, run_dir)
    if c.interrupted:
        raise KeyboardInterrupt  # the summary says which stage was cut short; the command ends with 130
    obj = c.to_json()
    obj["files"] = {k: str(v) for k, v in paths.items()}
    obj["run_folder"], obj["latest"] = str(run_dir), str(latest)
    lines = []
    for f in c.findings:
        where = f" -> {f.folder / 'report.html'}" if f.folder else ""
        lines.append(f"  {f.prop} ({f.engine}): {f.message}{where}")
    for s in c.incomplete:
        print(f"  {s.stage}: {s.status}: {s.note}", file=sys.stderr)
    failed = [r.variant for r in c.runs if any(s.status == "fail" for s in r.stages)]
    named = ", ".join(failed) if failed else ", ".join(r.variant for r in c.runs)
    lines.append(f"{c.verdict.upper()} {named}: {len(c.findings)} violation(s), budget {c.budget}, "
                 f"{c.seconds:.1f}s; summary {paths['summary']}, index {paths['index']}, junit {paths['junit']} "
                 f"({latest} points at this run)")
    return finish(args, NAME, c.result, obj, lines)
