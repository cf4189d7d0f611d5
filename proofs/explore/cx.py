"""From a search hit to a replayable counterexample (DESIGN.md section 7).

The search finds a shortest path of canonical moves to the state (or step)
where a property fails. Here it becomes a concrete schedule (the symmetry
undone), is re-executed by the kernel (model.kernel, the same steps: one
scheduling point per non-silent effect), finished round-robin as
``poolcheck replay`` finishes it, and checked with
properties.checks.check_execution, so the counterexample is confirmed by an
engine independent of the search before it is reported.

Replay checks what one execution shows at its end: faults, races (by the
happens-before tracker), the terminal predicates, D9, P5 and linearizability
of the history. Some violations the explorer sees exist only mid-run (a D2
state that a later step repairs); for those the schedule is extended, in
breadth-first order, to a completion whose end state shows the property too.
When none does within a small budget, the counterexample is still written,
marked ``"replayable": false`` in its extra data with the reason.

D5 and C4 are different: the explorer's linearization-point check
(proofs/explore/lin.py) is a sufficient condition for linearizability, exact
for code whose linearization points are Go's statements, but a variant with
other linearization points can fail it on a history that is linearizable.
So a D5/C4 hit counts only when properties.linearizability's search (Wing &
Gong with Lowe's memoisation, run by check_execution) rejects the history of
the counterexample or of one of its completions (``decide_lp`` tries the
first few hits in breadth-first order). When none is confirmed, the
linearization-point check has not decided the flagged executions, so the
search alone cannot pass the property: ``decide_lp`` then decides it the
slow way, running the history checker on the history of every execution of
the scenario (a depth-first enumeration of kernel schedules, identical
histories checked once), and reports the first rejected one; if the
enumeration exceeds its budget or the checker its own, the property is
undecided and the verdict ``incomplete``, never a pass.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from model.harness import World
from model.kernel import Kernel, OpRecord, RoundRobin
from model.memory import enabled
from model.tracefile import Counterexample, from_kernel
from proofs.explore.search import LMASK, Hit, Search
from properties.checks import check_execution
from properties.invariants import Violation
from properties.linearizability import Undecided, check_kernel_history

__all__ = ["Built", "build_counterexample", "LpOutcome", "decide_lp", "every_history", "DECIDE_EXECUTIONS"]

COMPLETION_BUDGET = 3000
"""Search states tried when looking for a completion whose end state shows the property."""

KERNEL_TRIES = 40
"""Completions re-executed by the kernel at most, per counterexample."""

_HISTORY_PROPS = ("D5", "C4")

DECIDE_EXECUTIONS = 50_000
"""Executions whose histories ``decide_lp`` checks at most before it calls D5/C4 undecided."""


@dataclass
class Built:
    counterexample: Counterexample
    replayable: bool
    schedule_length: int


def _run(world: World, schedule: list[int], complete: list[int] | None) -> tuple[Kernel, int]:
    """Run ``schedule`` (then ``complete``, then round-robin) on a fresh kernel; return it and the violating step."""
    k = world.kernel()
    for t in schedule:
        k.step(t)
    violating = max(len(k.trace) - 1, 0)
    for t in complete or []:
        if t in k.enabled():
            k.step(t)
    k.run(RoundRobin())
    return k, violating


def _shows(world: World, k: Kernel, prop: str) -> bool:
    try:
        vs: list[Violation] = check_execution(world, k)
    except Exception as e:  # the history checker's budget (Undecided): not a confirmation
        if type(e).__name__ != "Undecided":
            raise
        vs = check_execution(world, k, linearizability=False)
    return any(v.prop == prop for v in vs)


def _completions(search: Search, schedule: list[int], prop: str) -> Iterator[list[int]]:
    """Completions of ``schedule`` to a final state, breadth-first, that may show ``prop`` at the end.

    For a terminal property the final state must violate it (checked here,
    cheaply); for D5/C4 every completion is a candidate (only the kernel's
    history checker can tell).
    """
    m, g, fields = search.initial()
    mem = search.mems[m]
    for t in schedule:
        mem, g, fields, ok = search._concrete_step(mem, g, fields, t)
        if not ok:
            return
    todo: deque[tuple[tuple[Any, ...], int, list[int], list[int]]] = deque([(mem, g, fields, [])])
    seen: set[tuple[Any, ...]] = set()
    table = search.table
    while todo and len(seen) < COMPLETION_BUDGET:
        mem, g, fields, suffix = todo.popleft()
        key = (mem, g, tuple(fields))
        if key in seen:
            continue
        seen.add(key)
        lids = [f & LMASK for f in fields]
        live = [t for t, lid in enumerate(lids) if table.eff[lid] is not None]
        if not live:
            if prop in _HISTORY_PROPS or any(v.prop == prop for v in search.checks.terminal(mem, search.ghosts[g][2])):
                yield suffix
            continue
        for t in live:
            eff = table.eff[lids[t]]
            assert eff is not None
            if enabled(mem, eff, t):
                mem2, g2, f2, ok = search._concrete_step(mem, g, fields, t)
                if ok:
                    todo.append((mem2, g2, f2, suffix + [t]))


def build_counterexample(search: Search, hit: Hit, world: World, variant: str, scenario: str,
                         extra: dict[str, Any]) -> Built:
    """The confirmed counterexample for ``hit`` (see the module docstring)."""
    moves = search.path(hit.idx)
    first: tuple[Kernel, int, list[int]] | None = None
    for i, ext in enumerate((hit.extra,) + hit.alternatives):
        schedule, perm = search.concrete_schedule(moves, ext)
        if i == 0:
            hit = replace(hit, message=_rename(hit.message, perm))
        k, violating = _run(world, schedule, None)
        if first is None:
            first = (k, violating, schedule)
        if _shows(world, k, hit.prop):
            return Built(_cx(k, world, variant, scenario, hit, violating, extra, True, ""), True, len(schedule))
    assert first is not None
    k, violating, schedule = first
    for tries, suffix in enumerate(_completions(search, schedule, hit.prop)):
        if tries >= KERNEL_TRIES:
            break
        k2, violating2 = _run(world, schedule, suffix)
        if _shows(world, k2, hit.prop):
            return Built(_cx(k2, world, variant, scenario, hit, violating2, extra, True, ""), True, len(schedule))
    why = (f"{hit.prop} holds again at the end of every completion tried (the explorer saw it at step "
           f"{violating}; replay checks end-of-run properties only)")
    return Built(_cx(k, world, variant, scenario, hit, violating, extra, False, why), False, len(schedule))


def _rename(message: str, perm: list[int]) -> str:
    """Thread names ``T<c>`` in a search message (canonical positions) as the concrete schedule's threads."""
    return re.sub(r"\bT(\d+)\b", lambda mt: f"T{perm[int(mt.group(1))]}" if int(mt.group(1)) < len(perm)
                  else mt.group(0), message)


def _cx(k: Kernel, world: World, variant: str, scenario: str, hit: Hit, violating: int, extra: dict[str, Any],
        replayable: bool, why: str) -> Counterexample:
    data = dict(extra)
    data["length"] = hit.length
    data["replayable"] = replayable
    if why:
        data["not_replayable_because"] = why
    return from_kernel(k, target=world.target, scenario=scenario, params=world.params, variant=variant,
                       prop=hit.prop, message=hit.message, engine="explore", violating_step=violating, extra=data)


@dataclass
class LpOutcome:
    """What the linearization-point hits of one property (D5 or C4) come to (see the module docstring).

    ``built`` is the confirmed counterexample (``length`` its scheduling
    points, ``seconds`` when the search found the hit), or None; ``undecided``
    is True when neither a confirmation nor the full history check decided
    the property (the verdict is then incomplete); ``note`` says what happened.
    """

    prop: str
    built: Built | None
    length: int
    seconds: float
    undecided: bool
    note: str


def decide_lp(search: Search, prop: str, cands: list[Hit], world: World, variant: str, scenario: str,
              extra: dict[str, Any], budget: int | None = None, exhaustive: bool = True) -> LpOutcome:
    """Confirm one of ``cands`` (``prop``'s linearization-point hits) or decide ``prop`` on every execution.

    ``budget``: executions at most (default DECIDE_EXECUTIONS, read at the
    call). ``exhaustive`` False skips the check of every execution (the caller
    already has other violations, so the verdict is fail whatever it says).
    """
    for hit in cands:
        built = build_counterexample(search, hit, world, variant, scenario, extra)
        if built.replayable:
            return LpOutcome(prop, built, hit.length, hit.seconds, False, "")
    flagged = (f"{prop}: the linearization-point check flagged {len(cands)}{'+' if len(cands) >= 12 else ''} "
               f"execution(s) (first: {cands[0].message}) that the history checker did not reject (the variant's "
               f"linearization points are not Go's statements)")
    if not search.complete:
        return LpOutcome(prop, None, 0, 0.0, True, f"{flagged}; undecided (the search is incomplete)")
    if not exhaustive:
        return LpOutcome(prop, None, 0, 0.0, True, f"{flagged}; not decided (other properties already fail)")
    executions, found, why = every_history(world, DECIDE_EXECUTIONS if budget is None else budget)
    if found is not None:
        k, v = found
        data = dict(extra, length=len(k.schedule), replayable=True,
                    decided_by=f"history checker on every execution ({executions:,} run)")
        cx = from_kernel(k, target=world.target, scenario=scenario, params=world.params, variant=variant,
                         prop=prop, message=v.message, engine="explore",
                         violating_step=v.step if v.step is not None else max(len(k.trace) - 1, 0), extra=data)
        return LpOutcome(prop, Built(cx, True, len(k.schedule)), len(k.schedule), search.seconds, False,
                         f"{flagged}; the history checker, run on every execution, rejected execution {executions:,}")
    if why:
        return LpOutcome(prop, None, 0, 0.0, True, f"{flagged}; undecided: {why}")
    return LpOutcome(prop, None, 0, 0.0, False,
                     f"{flagged}; decided instead by the history checker on every one of the {executions:,} "
                     f"executions of the scenario: all linearizable")


def every_history(world: World, budget: int) -> tuple[int, tuple[Kernel, Violation] | None, str]:
    """Run every execution of ``world`` (depth-first over kernel schedules) and check each history.

    Returns (executions run, the first rejected one with its violation or
    None, why the property stays undecided or ""). Executions with the same
    history are checked once; one that faults is skipped (the search reports
    the fault itself).
    """
    choices: list[int] = []
    seen: set[tuple[tuple[Any, ...], ...]] = set()
    n = 0
    while True:
        if n >= budget:
            return n, None, f"the scenario has more than {budget:,} executions (shorten it)"
        k = world.kernel(track_races=False, record_trace=False)
        counts: list[int] = []
        while en := k.enabled():
            i = len(counts)
            if i == len(choices):
                choices.append(0)
            counts.append(len(en))
            k.step(en[choices[i]])
        n += 1
        key = tuple(_event(r) for r in k.history)
        if not k.faults and key not in seen:
            seen.add(key)
            try:
                vs = check_kernel_history(world, k.history)
            except Undecided as e:
                return n, None, f"the history checker ran out of budget on execution {n:,} ({e})"
            if vs:
                full = world.kernel()
                full.run_schedule(list(k.schedule))
                return n, (full, vs[0]), ""
        j = len(counts) - 1
        while j >= 0 and choices[j] + 1 >= counts[j]:
            j -= 1
        if j < 0:
            return n, None, ""
        choices = choices[:j] + [choices[j] + 1]


def _event(r: OpRecord) -> tuple[Any, ...]:
    return (r.tid, r.name, repr(r.arg), repr(r.result), r.call, r.ret)
