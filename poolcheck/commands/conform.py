"""poolcheck conform: the model against the real Go implementation (and Go's tests against the mutants)."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from model.variants import spec_of
from poolcheck.common import OK, VIOLATION, UsageError, add_common, emit_json, variant_from
from poolcheck.progress import Progress

NAME = "conform"
HELP = ("compare the model with Go's poolqueue.go and sync.Pool step by step on generated sequences "
        "(and run Go's own pool tests against the mutants with --go-tests)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p)
    p.add_argument("--examples", type=int, default=200,
                   help="generated sequences per target (dequeue, chain, pool; default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated sequences (default 0)")
    p.add_argument("--targets", default="dequeue,chain,pool",
                   help="comma-separated targets to compare (default dequeue,chain,pool)")
    p.add_argument("--go-tests", action="store_true",
                   help="also run Go's own pool tests (go test -short -run Pool sync) against every mutant with a "
                        "Go counterpart")
    p.add_argument("--race", action="store_true", help="with --go-tests: also run them with -race")
    p.add_argument("--full", action="store_true", help="with --go-tests: run Go's tests without -short")
    p.add_argument("--schedules", action="store_true",
                   help="instead: run the model and the real poolqueue.go (instrumented) on the same schedules: every "
                        "transition of E1-E2, --samples of E3-E5, --examples Hypothesis/PCT cases per target and kind, "
                        "tests/regressions; exit 1 on the first differing step, value or result")
    p.add_argument("--pool-stress", action="store_true",
                   help="instead: run the real sync.Pool with GOMAXPROCS 2, 4, 8 under stress (--stress-ops each) and "
                        "check P1/P2 from the outside")
    p.add_argument("--stress-ops", type=int, default=100_000, help="with --pool-stress: operations per setting")
    p.add_argument("--exhaustive", default="E1,E2",
                   help="with --schedules: configurations replayed on every transition (default E1,E2; E2 is 118,406 "
                        "schedules); the rest of E1-E5 are sampled")
    p.add_argument("--samples", type=int, default=1000, help="with --schedules: random schedules per E3-E5 (default 1000)")


def _go_tests(args: argparse.Namespace, quiet: bool) -> list[dict[str, Any]]:
    from properties.conformance.gomutants import GO_MUTANTS, NO_GO_COUNTERPART, run_go_tests

    modes = [False] + ([True] if args.race else [])
    names = ["reference"] + sorted(GO_MUTANTS)
    rows: list[dict[str, Any]] = []
    with Progress("go test", total=len(names) * len(modes)) as bar:
        done = 0
        for name in names:
            row: dict[str, Any] = {"name": name}
            for race in modes:
                r = run_go_tests(name, race=race, short=not args.full)
                assert r is not None
                row["race" if race else "short" if not args.full else "full"] = {
                    "killed": r.killed, "status": r.status, "test": r.test, "seconds": r.seconds,
                    "tests_run": r.tests_run, "cell": r.cell()}
                done += 1
                bar.update(done, mutant=name)
            rows.append(row)
    for name, why in sorted(NO_GO_COUNTERPART.items()):
        rows.append({"name": name, "no_go_counterpart": why})
    return rows


def _go_score(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Killed / non-equivalent mutants with a Go counterpart, per mode."""
    from model.variants import registry

    reg = registry()
    scored = [r for r in rows if r["name"] != "reference" and "no_go_counterpart" not in r
              and not (r["name"] in reg and reg[r["name"]].equivalent)]
    modes = sorted({k for r in scored for k, v in r.items() if isinstance(v, dict)})
    return {m: f"{sum(1 for r in scored if r[m]['killed'])}/{len(scored)}" for m in modes}


def _save_mismatch(m: Any, variant: str, name: str, out: Path) -> Path:
    """Write a mismatch to OUT/conform/<target>-<variant>-<hash>.json (the sequence, the step, both sides)."""
    from model.tracefile import write_json_atomic

    data = {"kind": "conformance-mismatch", "variant": variant, **m.to_json()}
    h = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:8]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40]
    path = out / "conform" / f"{m.target}-{safe}-{h}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, data)
    return path


def run(args: argparse.Namespace) -> int:
    import properties.conformance as conf

    if args.examples < 1:
        raise UsageError(f"--examples must be at least 1, not {args.examples}")
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    bad = [t for t in targets if t not in conf.TARGETS]
    if bad or not targets:
        raise UsageError(f"--targets {args.targets!r}: use a comma-separated list of {', '.join(conf.TARGETS)}")
    model = variant_from(args)
    if args.pool_stress:
        from properties.conformance.goreplay_cli import pool_stress_command
        if args.stress_ops < 1:
            raise UsageError(f"--stress-ops must be at least 1, not {args.stress_ops}")
        try:
            return pool_stress_command(args.stress_ops, (2, 4, 8), args.json)
        except (conf.GoNotFound, conf.DriverError) as e:
            raise UsageError(str(e).splitlines()[0]) from None
    if args.schedules:
        from properties.conformance.goreplay_cli import schedules_command
        try:
            return schedules_command(args.samples, args.examples, args.seed, model, args.json, Path("tests/regressions"),
                                     args.exhaustive)
        except (conf.GoNotFound, conf.DriverError) as e:
            raise UsageError(str(e).splitlines()[0]) from None
    try:
        with Progress("conform", total=args.examples * len(targets)) as bar:
            res = conf.run(examples=args.examples, seed=args.seed, progress=bar, model=model, targets=targets)
        go_rows = _go_tests(args, args.json) if args.go_tests else []
    except conf.GoNotFound as e:
        raise UsageError(str(e)) from None
    except conf.DriverError as e:
        raise UsageError(str(e).splitlines()[0]) from None
    saved = [_save_mismatch(m, spec_of(model), model.name, args.out) for m in res.mismatches]
    ref_failed = any(r["name"] == "reference" and any(isinstance(v, dict) and v.get("killed") for v in r.values())
                     for r in go_rows)
    if args.json:
        out = {"variant": spec_of(model), **res.to_json(), "verdict": "mismatch" if res.mismatches else "agree",
               "mismatch_files": [str(p) for p in saved]}
        if args.go_tests:
            out["go_tests"] = go_rows
            out["go_tests_score"] = _go_score(go_rows)
        emit_json(out)
    else:
        for t, c in res.per_target.items():
            print(f"{t:<8} {c['sequences']:>7} sequences {c['operations']:>9} operations")
        for m, path in zip(res.mismatches, saved):
            print("MISMATCH " + str(m))
            print(f"  written to {path}")
        for r in go_rows:
            if "no_go_counterpart" in r:
                print(f"go-tests {r['name']:<24} n/a: {r['no_go_counterpart']}")
                continue
            cells = "  ".join(f"{k}: {v['cell']}" for k, v in r.items() if isinstance(v, dict))
            print(f"go-tests {r['name']:<24} {cells}")
        if go_rows:
            print("go-tests score (killed / non-equivalent mutants with a Go counterpart): "
                  + ", ".join(f"{k} {v}" for k, v in _go_score(go_rows).items()))
        verdict = "FAIL" if res.mismatches else "PASS"
        print(f"{verdict} {spec_of(model)} vs {res.go_version}: {res.sequences} sequences, {res.operations} operations "
              f"compared, {len(res.mismatches)} mismatch(es), {res.seconds:.1f}s")
        if ref_failed:
            print("FAIL Go's own pool tests fail on the unmodified source: "
                  + json.dumps([r for r in go_rows if r["name"] == "reference"]))
    return VIOLATION if res.mismatches or ref_failed else OK
