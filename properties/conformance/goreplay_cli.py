"""The command-line halves of schedule replay: ``poolcheck conform --schedules`` and ``poolcheck replay --on go``.

Kept here, next to the logic, so that the command modules in poolcheck/commands
only parse arguments and call these.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from model.tracefile import Counterexample
from model.variants.base import Model

__all__ = ["schedules_command", "replay_on_go", "GoReplayReport", "go_replay"]

OK, VIOLATION, USAGE = 0, 1, 2


def _emit(obj: dict[str, Any]) -> None:
    """The one JSON object on stdout (the CLI moves prints to stderr under --json)."""
    from poolcheck.common import emit_json
    emit_json(obj)


def schedules_command(samples: int, hypothesis: int, seed: int, model: type[Model], as_json: bool,
                      regressions: Path | None, exhaustive: str = "E1,E2") -> int:
    """Run every schedule source on the model and on Go's code; print counts and the first differences.

    ``exhaustive``: the E1-E5 configurations replayed on every transition; the others are sampled.
    """
    from poolcheck.progress import Progress
    from properties.conformance.goschedules import FULL, SAMPLED, run_schedules

    names = FULL + SAMPLED
    full = tuple(n.strip() for n in exhaustive.split(",") if n.strip())
    bad = [n for n in full if n not in names]
    if bad:
        sys.stderr.write(f"poolcheck: error: --exhaustive {exhaustive!r}: use a comma-separated list of "
                         f"{', '.join(names)}\n")
        return USAGE
    sampled = tuple(n for n in names if n not in full)
    with Progress("conform --schedules", total=None) as bar:
        res = run_schedules(samples=samples, hypothesis=hypothesis, seed=seed, model=model, regressions=regressions,
                            full=full, sampled=sampled, progress=lambda n, src: bar.update(n, source=src))
    if as_json:
        _emit({**res.to_json(), "verdict": "agree" if res.ok else "mismatch"})
        return OK if res.ok else VIOLATION
    for src, row in res.per_source.items():
        print(f"{src:<72} {row['schedules']:>7} schedules {row['steps']:>9} steps {row['mismatches']:>3} mismatch(es)")
    for why in res.skipped:
        print(f"skipped: {why}")
    for src, m in res.mismatches:
        print(f"MISMATCH ({src}) {m}")
    verdict = "PASS" if res.ok else "FAIL"
    print(f"{verdict} model vs real Go ({res.go_version}) on the same schedules: {res.schedules:,} schedules, "
          f"{res.steps:,} hooked steps compared, {sum(r['mismatches'] for r in res.per_source.values())} "
          f"mismatch(es), {res.seconds:.1f}s")
    return OK if res.ok else VIOLATION


class GoReplayReport:
    """A counterexample replayed on the real (mutated) Go code: the steps, results and whether the item is lost
    or duplicated there too."""

    def __init__(self, cx: Counterexample, mutant: str | None, data: dict[str, Any]) -> None:
        self.cx = cx
        self.mutant = mutant
        self.data = data

    @property
    def reproduced(self) -> bool:
        return bool(self.data.get("reproduced"))


def _multiset_effect(results: list[list[Any]], threads: tuple[tuple[str, ...], ...]) -> tuple[list[Any], list[Any]]:
    """(duplicated values, returned values) from Go's per-thread results."""
    returned: list[Any] = []
    for tid, ops in enumerate(threads):
        for j, w in enumerate(ops):
            if j < len(results[tid]) and w in ("pop", "tail"):
                r = results[tid][j]
                if isinstance(r, list) and len(r) == 2 and r[1] is True and r[0] is not None:
                    returned.append(r[0])
    dups = sorted({v for v in returned if returned.count(v) > 1})
    return dups, returned


def go_replay(cx: Counterexample) -> GoReplayReport:
    """Replay ``cx``'s schedule on the Go code of its variant (the reference or a Go mutant of poolqueue.go)."""
    from model.harness import build
    from model.variants import resolve
    from properties.conformance.gomutants import GO_MUTANTS
    from properties.conformance.goreplay import GoReplayer, NotReplayable, replay_both, replayable

    why = replayable(cx.target, cx.params)
    if why:
        raise NotReplayable(why)
    model = resolve(cx.variant)
    mutant = cx.variant if cx.variant in GO_MUTANTS else None
    if mutant is None and model.name != "reference":
        raise NotReplayable(f"variant {cx.variant!r} has no Go counterpart in properties/conformance/gomutants.py")
    with GoReplayer(mutant) as g:
        c = replay_both(g, cx.target, cx.scenario, cx.params, cx.schedule, model)
    world = build(cx.target, cx.scenario, cx.params, model)
    pushed = [v for (t, j), v in sorted(world.tokens.items()) if v is not None]
    dups, returned = _multiset_effect(c.go_results, world.scenario.threads)
    # Go's final contents are the model's when every step agreed, so the model's execution of the same
    # schedule decides which property the Go run violates.
    if c.mismatch is None:
        from properties.checks import check_execution
        assert c.kernel is not None
        k2 = world.kernel()
        k2.run_schedule(list(c.kernel.schedule), complete=True)
        props = sorted({v.prop for v in check_execution(world, k2)})
    else:
        props = []
    missing = [v for v in pushed if v not in returned]
    reproduced = c.mismatch is None and cx.prop in props
    # The model's violating step (an index into its whole trace) as an index into the hooked steps Go reports.
    go_step = None
    if cx.violating_step is not None and c.kernel is not None:
        from properties.conformance.goreplay import HOOKS
        hooked = {h.label for h in HOOKS}
        go_step = sum(1 for st in c.kernel.trace[:cx.violating_step + 1] if st.label in hooked) - 1
    go_steps = [{"index": i, "thread": t, "go": label, "value": v} for i, (t, label, v) in enumerate(c.go_steps)]
    data = {"scenario": cx.scenario, "property": cx.prop, "variant": cx.variant, "go_code": mutant or "reference",
            "reproduced": reproduced, "same_steps_and_results": c.mismatch is None,
            "first_difference": c.mismatch.to_json() if c.mismatch else None, "steps": len(c.go_steps),
            "go_results": c.go_results, "duplicated": dups, "not_returned": missing,
            "model_properties_violated": props, "go_steps": go_steps,
            "violating_go_step": go_step if go_step is not None and go_step >= 0 else None}
    return GoReplayReport(cx, mutant, data)


def replay_on_go(cx: Counterexample, path: str, as_json: bool) -> int:
    """``poolcheck replay FILE --on go``: 1 when the violation reproduces on the real Go code, 0 when it does not."""
    from properties.conformance.goreplay import NotReplayable
    from properties.conformance.gosource import GoNotFound

    try:
        rep = go_replay(cx)
    except (NotReplayable, GoNotFound) as e:
        sys.stderr.write(f"poolcheck: error: {path}: cannot replay on Go: {e}\n")
        return USAGE
    d = rep.data
    if as_json:
        _emit({"trace": path, **d})
        return VIOLATION if rep.reproduced else OK
    print(f"{cx.prop} on {cx.variant}, replayed on the real Go code ({d['go_code']}) under the model's schedule:")
    at = d["violating_go_step"]
    for s in d["go_steps"]:
        mark = ">>" if s["index"] == at else "  "
        print(f"{mark}{s['index']:>3}  T{s['thread']}  {s['go']:<66} {json.dumps(s['value'])}")
    if at is not None:
        print(f"  the violation shows at Go step {at} (>>), the model's step {cx.violating_step}")
    else:
        print("  the violation shows in the final state (after the last step)")
    print(f"  results per thread: {json.dumps(d['go_results'])}")
    if d["duplicated"]:
        print(f"  duplicated on Go: {d['duplicated']}")
    if d["not_returned"]:
        print(f"  pushed but never returned on Go: {d['not_returned']}")
    if d["first_difference"]:
        print(f"  the model and Go differ: {d['first_difference']}")
    print(f"reproduced on the real Go code: {'yes' if rep.reproduced else 'no'}"
          + (" (every step, value and result identical to the model's)" if d["same_steps_and_results"] else ""))
    return VIOLATION if rep.reproduced else OK


def mutant_table() -> list[dict[str, Any]]:
    """Each built-in dequeue and chain mutant: its shortest counterexample on the witness (the explorer's) replayed on
    the real mutated Go code. The rows of docs/conformance.md's table."""
    from model.variants import registry
    from proofs.explore import explore
    from properties.conformance.gomutants import GO_MUTANTS
    from properties.conformance.goreplay import NotReplayable

    rows: list[dict[str, Any]] = []
    for name, v in sorted(registry().items()):
        if v.layer not in ("dequeue", "chain") or name == "reference":
            continue
        row: dict[str, Any] = {"mutant": name, "layer": v.layer, "go_mutant": name in GO_MUTANTS}
        w = v.witness
        if w is None or name not in GO_MUTANTS:
            row["result"] = "no Go counterpart" if name not in GO_MUTANTS else "no witness"
            rows.append(row)
            continue
        target, scenario, params = w
        res = explore(target, scenario, params, v)
        if not res.violations:
            row["result"] = "no counterexample on the witness (equivalent)"
            rows.append(row)
            continue
        viol = res.violations[0]
        cx = viol.counterexample
        row.update({"scenario": scenario, "params": params.to_json(), "property": cx.prop, "length": viol.length})
        try:
            rep = go_replay(cx)
        except NotReplayable as e:
            row["result"] = f"not replayable: {e}"
            rows.append(row)
            continue
        d = rep.data
        row.update({"reproduced": rep.reproduced, "go_steps": d["steps"], "duplicated": d["duplicated"],
                    "not_returned": d["not_returned"], "same": d["same_steps_and_results"],
                    "result": "yes" if rep.reproduced else "no"})
        rows.append(row)
    return rows


def pool_stress_command(ops: int, procs: tuple[int, ...], as_json: bool, mutant: str | None = None) -> int:
    """``poolcheck conform --pool-stress``: the real sync.Pool at each GOMAXPROCS, P1/P2 checked from the outside."""
    from properties.conformance.gopool_stress import stress

    rows = [stress(n, ops, mutant) for n in procs]
    ok = all(r.ok for r in rows)
    if as_json:
        _emit({"pool_stress": [r.data for r in rows], "mutant": mutant, "verdict": "pass" if ok else "fail"})
        return OK if ok else VIOLATION
    for r in rows:
        d = r.data
        print(f"GOMAXPROCS={d['procs']:<2} {d['goroutines']:>3} goroutines {d['ops']:>8} ops: {d['gets']} Get "
              f"({d['reused']} reused, {d['news']} New), {d['puts']} Put, {d['gcs']} GC; P1 duplicates "
              f"{d['p1_duplicates']}, P2 not Put or New {d['p2_not_put_or_new']}, nil with New {d['p2_nil_with_new']}")
    print(f"{'PASS' if ok else 'FAIL'} real sync.Pool{' (' + mutant + ')' if mutant else ''} under stress: P1 and P2 "
          f"{'hold' if ok else 'violated'}")
    return OK if ok else VIOLATION
