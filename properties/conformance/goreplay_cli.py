"""A counterexample replayed on the real Go code (``poolcheck replay --on go``) and the mutant table of
docs/conformance.md.

The commands (poolcheck/commands/replay.py, conform.py) format the results and
end through poolcheck.common.finish; nothing here prints.
"""

from __future__ import annotations

from typing import Any

from model.tracefile import Counterexample

__all__ = ["GoReplayReport", "go_replay", "why_not_on_go", "mutant_table"]


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


def _multiset_effect(results: list[list[Any]], threads: tuple[tuple[str, ...], ...], contents: list[Any],
                     given: list[Any]) -> tuple[list[Any], list[Any]]:
    """(duplicated, lost) values on Go: from the per-thread results and what the structure still holds.

    Returned: what popHead, popTail or Get handed out (Get: a Put's object; New's are negative). Duplicated: a
    value handed out twice, or handed out and still inside. Lost: pushed or Put, never handed out, no longer inside.
    """
    returned: list[Any] = []
    for tid, ops in enumerate(threads):
        for j, w in enumerate(ops):
            if j >= len(results[tid]):
                continue
            r = results[tid][j]
            if w in ("pop", "tail") and isinstance(r, list) and len(r) == 2 and r[1] is True and r[0] is not None:
                returned.append(r[0])
            elif w == "get" and isinstance(r, int) and r > 0:
                returned.append(r)
    seen = returned + [v for v in contents if v is not None]
    dups = sorted({v for v in seen if seen.count(v) > 1})
    lost = [v for v in given if v not in seen]
    return dups, lost


def why_not_on_go(cx: Counterexample) -> str | None:
    """Why ``cx``'s schedule cannot run on the real Go code (its width, or a variant with no Go counterpart), or
    None if it can: the reference, or a Go mutant of gomutants.py."""
    from model.variants import resolve
    from properties.conformance.gomutants import GO_MUTANTS
    from properties.conformance.goreplay import replayable

    why = replayable(cx.target, cx.params)
    if why:
        return why
    if cx.variant not in GO_MUTANTS and resolve(cx.variant).name != "reference":
        return f"variant {cx.variant!r} has no Go counterpart in properties/conformance/gomutants.py"
    return None


def go_replay(cx: Counterexample) -> GoReplayReport:
    """Replay ``cx``'s schedule on the Go code of its variant (the reference, or a Go mutant of poolqueue.go or
    pool.go)."""
    from model.harness import build
    from model.variants import resolve
    from properties.conformance.gomutants import GO_MUTANTS
    from properties.conformance.goreplay import GoReplayer, NotReplayable, replay_both

    why = why_not_on_go(cx)
    if why:
        raise NotReplayable(why)
    model = resolve(cx.variant)
    mutant = cx.variant if cx.variant in GO_MUTANTS else None
    with GoReplayer(mutant) as g:
        c = replay_both(g, cx.target, cx.scenario, cx.params, cx.schedule, model)
        go_version = g.env.version
    world = build(cx.target, cx.scenario, cx.params, model)
    pushed = [v for (t, j), v in sorted(world.tokens.items()) if v is not None]
    dups, missing = _multiset_effect(c.go_results, world.scenario.threads, c.go_contents, pushed)
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
    reproduced = c.mismatch is None and cx.prop in props
    # The model's violating step (an index into its whole trace) as an index into the hooked steps Go reports.
    go_step = None
    if cx.violating_step is not None and c.kernel is not None:
        from properties.conformance.goreplay_hooks import layer_labels
        hooked = layer_labels(cx.target)
        go_step = sum(1 for st in c.kernel.trace[:cx.violating_step + 1] if st.label in hooked) - 1
    go_steps = [{"index": i, "thread": t, "go": label, "value": v} for i, (t, label, v) in enumerate(c.go_steps)]
    data = {"scenario": cx.scenario, "property": cx.prop, "variant": cx.variant, "go_code": mutant or "reference",
            "go_version": go_version,
            "reproduced": reproduced, "same_steps_and_results": c.mismatch is None,
            "first_difference": c.mismatch.to_json() if c.mismatch else None, "steps": len(c.go_steps),
            "go_results": c.go_results, "go_contents": c.go_contents, "duplicated": dups, "not_returned": missing,
            "model_properties_violated": props, "go_steps": go_steps,
            "violating_go_step": go_step if go_step is not None and go_step >= 0 else None}
    return GoReplayReport(cx, mutant, data)


def mutant_table() -> list[dict[str, Any]]:
    """Each built-in dequeue and chain mutant: its shortest counterexample on the witness (the explorer's) replayed on
    the real mutated Go code. The rows of docs/conformance.md's table."""
    from model.variants import registry
    from proofs.explore import explore
    from properties.conformance.gomutants import GO_MUTANTS
    from properties.conformance.goreplay import NotReplayable

    rows: list[dict[str, Any]] = []
    for name, v in sorted(registry().items()):
        if v.layer not in ("dequeue", "chain", "pool") or name == "reference":
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
