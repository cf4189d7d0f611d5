"""poolcheck conform: the model against the real Go implementation (and Go's tests against the mutants)."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from model.variants import Model, spec_of
from poolcheck.common import UsageError, add_common, finish, variant_from
from poolcheck.engine import Verdict
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
                   help="instead: run the model and the real poolqueue.go and pool.go (instrumented) on the same "
                        "schedules: every transition of the --exhaustive configurations, --samples of the others, "
                        "--examples Hypothesis/PCT cases per target and kind, tests/regressions; exit 1 on the first "
                        "differing step, value or result")
    p.add_argument("--pool-stress", action="store_true",
                   help="instead: run the real sync.Pool with GOMAXPROCS 2, 4, 8 under stress (--stress-ops each) and "
                        "check P1/P2 from the outside")
    p.add_argument("--stress-ops", type=int, default=100_000, help="with --pool-stress: operations per setting")
    p.add_argument("--exhaustive", default="E1,E2,E6,G2",
                   help="with --schedules: configurations replayed on every transition (default E1,E2,E6,G2; E2 is "
                        "118,406 schedules, the Pool configurations E6 and G2 5,816 and 12,389); the rest of E1-E5 and "
                        "E6+P are sampled")
    p.add_argument("--samples", type=int, default=1000,
                   help="with --schedules: random schedules per sampled configuration (default 1000)")


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
        if args.stress_ops < 1:
            raise UsageError(f"--stress-ops must be at least 1, not {args.stress_ops}")
        return _pool_stress(args)
    if args.schedules:
        return _schedules(args, model)
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
    payload: dict[str, Any] = {"variant": spec_of(model), **res.to_json(),
                               "mismatch_files": [str(p) for p in saved]}
    lines = [f"{t:<8} {c['sequences']:>7} sequences {c['operations']:>9} operations" for t, c in res.per_target.items()]
    for m, path in zip(res.mismatches, saved):
        lines += ["MISMATCH " + str(m), f"  written to {path}"]
    for r in go_rows:
        if "no_go_counterpart" in r:
            lines.append(f"go-tests {r['name']:<24} n/a: {r['no_go_counterpart']}")
            continue
        cells = "  ".join(f"{k}: {v['cell']}" for k, v in r.items() if isinstance(v, dict))
        lines.append(f"go-tests {r['name']:<24} {cells}")
    if args.go_tests:
        payload["go_tests"] = go_rows
        payload["go_tests_score"] = _go_score(go_rows)
        lines.append("go-tests score (killed / non-equivalent mutants with a Go counterpart): "
                     + ", ".join(f"{k} {v}" for k, v in payload["go_tests_score"].items()))
    lines.append(f"{'FAIL' if res.mismatches else 'PASS'} {spec_of(model)} vs {res.go_version}: {res.sequences} "
                 f"sequences, {res.operations} operations compared, {len(res.mismatches)} mismatch(es), "
                 f"{res.seconds:.1f}s")
    if ref_failed:
        lines.append("FAIL Go's own pool tests fail on the unmodified source: "
                     + json.dumps([r for r in go_rows if r["name"] == "reference"]))
    return finish(args, NAME, Verdict.FAIL if res.mismatches or ref_failed else Verdict.PASS, payload, lines)


def _go_failure(e: Exception) -> UsageError:
    """Go missing or its driver failing: bad input (exit 2), one line."""
    return UsageError(str(e).splitlines()[0])


def _schedules(args: argparse.Namespace, model: type[Model]) -> int:
    """--schedules: every schedule source on the model and on Go's instrumented code; counts and first differences."""
    import properties.conformance as conf
    from properties.conformance.goschedules import FULL, SAMPLED, run_schedules

    names = FULL + SAMPLED
    full = tuple(n.strip() for n in args.exhaustive.split(",") if n.strip())
    if not full or any(n not in names for n in full):
        raise UsageError(f"--exhaustive {args.exhaustive!r}: use a comma-separated list of {', '.join(names)}")
    sampled = tuple(n for n in names if n not in full)
    try:
        with Progress("conform --schedules", total=None) as bar:
            res = run_schedules(samples=args.samples, hypothesis=args.examples, seed=args.seed, model=model,
                                regressions=Path("tests/regressions"), full=full, sampled=sampled,
                                progress=lambda n, src: bar.update(n, source=src))
    except (conf.GoNotFound, conf.DriverError) as e:
        raise _go_failure(e) from None
    lines = [f"{src:<72} {row['schedules']:>7} schedules {row['steps']:>9} steps {row['mismatches']:>3} mismatch(es)"
             for src, row in res.per_source.items()]
    lines += [f"skipped: {why}" for why in res.skipped]
    lines += [f"MISMATCH ({src}) {m}" for src, m in res.mismatches]
    lines.append(f"{'PASS' if res.ok else 'FAIL'} model vs real Go ({res.go_version}) on the same schedules: "
                 f"{res.schedules:,} schedules, {res.steps:,} hooked steps compared, "
                 f"{sum(r['mismatches'] for r in res.per_source.values())} mismatch(es), {res.seconds:.1f}s")
    return finish(args, NAME, Verdict.PASS if res.ok else Verdict.FAIL, res.to_json(), lines)


def _pool_stress(args: argparse.Namespace) -> int:
    """--pool-stress: the real sync.Pool at GOMAXPROCS 2, 4, 8, P1/P2 checked from the outside."""
    import properties.conformance as conf
    from properties.conformance.gopool_stress import stress

    try:
        rows = [stress(n, args.stress_ops) for n in (2, 4, 8)]
    except (conf.GoNotFound, conf.DriverError) as e:
        raise _go_failure(e) from None
    ok = all(r.ok for r in rows)
    lines = []
    for r in rows:
        d = r.data
        lines.append(f"GOMAXPROCS={d['procs']:<2} {d['goroutines']:>3} goroutines {d['ops']:>8} ops: {d['gets']} Get "
                     f"({d['reused']} reused, {d['news']} New), {d['puts']} Put, {d['gcs']} GC; P1 duplicates "
                     f"{d['p1_duplicates']}, P2 not Put or New {d['p2_not_put_or_new']}, nil with New "
                     f"{d['p2_nil_with_new']}")
    lines.append(f"{'PASS' if ok else 'FAIL'} real sync.Pool under stress: P1 and P2 {'hold' if ok else 'violated'}")
    return finish(args, NAME, Verdict.PASS if ok else Verdict.FAIL, {"pool_stress": [r.data for r in rows]}, lines)
