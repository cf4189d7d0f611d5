"""Bounded model checking of poolDequeue with Z3 (DESIGN.md section 5).

The transition system is proofs/smt/dequeue_smt.py: one owner (pushHead /
popHead, chosen freely at each operation boundary) and T thieves (popTail,
forever), one kernel step per transition, headTail as a 64-bit vector, the
ring as n (typ, val) slots, ghost state for what was pushed and returned.

Properties, at every state of every execution of up to k steps: D1, D2,
D3 (at quiescence), D5-empty and D5-full (a thread whose next step returns
empty or false has a justifying state in its operation's interval); at
every step that returns (value, true): D4 (not returned before) and
provenance (D5-value: its push took effect; D8: it is not a nil, none being
pushed). The budget is Z3 resource units (proofs/smt/rlimit.py), not seconds.

Starting points:

``empty``
    An empty dequeue at head = tail = x, every thread about to start an
    operation. By lemma L7 (proofs/smt/lemmas.py, proved here again for the
    variant and ring size at hand before it is used) the transition relation
    commutes with moving every index by any c and rotating the ring to match,
    and every property is invariant under that move; so the executions from
    any 32-bit x are the moved executions from one x, and checking one x
    checks them all. The x used, 2^32 - 2, makes head and tail cross
    2^32 - 1 within the bound. ``start_index=None`` leaves x a free 32-bit
    variable instead (slower; the same verdicts).
``invariant``
    Any state satisfying the inductive invariant of proofs/smt/induction.py, its
    tail at 2^32 - 2 (L7 proves the invariant invariant under moving indices
    too); ``start_index=None`` leaves the tail free.

Encoding, chosen by measurement (docs/proofs.md has the figures): for each
bound K a fresh formula "some property fails at some depth <= K" over K
unrolled transitions, solved by bit-blasting to Z3's SAT solver
(simplify, solve-eqs, elim-uncnstr, bit-blast, sat). Per-depth incremental
checks with push/pop or assumptions go through Z3's SMT core and were 5-10x
slower at depth 14 and worse beyond; the bounds grow one by one to 10, then by
two, so the largest bound reached is within 2 of the true limit and a
counterexample is always found at its shortest length (the depths below the
failing bound are re-checked one by one).

Reductions (each keeps every reachable state and every returning step
within the bound; the schedule of a counterexample is a real kernel
schedule):

- no idle attempts (dequeue_smt.idle): an empty or full return, a busy head
  slot, or a failed CompareAndSwap ends an attempt that wrote nothing
  shared; removing that attempt (with its Load) from an execution leaves a
  shorter execution reaching the same states.
- fused Loads (dequeue_smt.fused_first): a Load followed by a successful
  CAS of the loaded word can move right to the CAS; so a Load is followed
  at once by its thread's next step.
- peephole partial-order reduction (Wang et al., "Peephole partial order
  reduction", TACAS 2008): two adjacent steps of threads a > b whose
  footprints do not conflict (dequeue_smt.footprint) are only taken in the
  order b, a.
- symmetric thieves (start ``empty`` only): thief j+1 does not start
  before thief j.
- fresh tokens are the step number + 1 (values are only copied and
  compared, so which fresh token is pushed does not matter).

An execution may stop before K (a "halt" choice), so dead ends left by the
reductions are still checked at their own depth.

No vacuous passes: the reachability goals (:data:`GOALS`) are checked within
the bound reached; a goal not reached makes the result ``unknown``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

from proofs.smt import dequeue_smt as E
from proofs.smt.dequeue_smt import Config, Expr
from proofs.smt.rlimit import Resources

__all__ = ["BmcResult", "Goal", "GOALS", "Trace", "bmc", "initial_empty", "DEFAULT_START", "translation_lemma",
           "bounds"]

DEFAULT_START = (1 << 32) - 2
DEFAULT_RLIMIT = 400_000_000     # Z3 resource units per bounded check (see proofs/smt/prove.py for the rows' budgets)
L7_RLIMIT = 40_000_000           # per configuration for the translation lemma (T = 3 uses 10.1M)


@dataclass
class Trace:
    """A counterexample read back from a Z3 model."""

    states: list[dict[str, int]]
    choices: list[int]            # thread per step (original numbering)
    nxts: list[int]
    nargs: list[int]
    start_index: int | None       # head = tail at the start (None: not an empty start)
    ops: list[list[str]]          # per kept thread, the operations that took at least one step
    args: list[list[int]]         # per kept thread, the token each of those operations pushes (0 for pops)
    schedule: list[int]           # thread per step, threads renumbered after dropping idle thieves
    threads: list[int]            # original id of each kept thread

    def scenario(self) -> str:
        return " | ".join(" ".join(ops) for ops in self.ops)

    def tokens(self) -> dict[int, int]:
        """Z3 token -> the token model/harness.py gives the same push (1, 2, ... in scenario order)."""
        out: dict[int, int] = {0: 0}
        nxt = 1
        for ops, args in zip(self.ops, self.args):
            for op, a in zip(ops, args):
                if op == "push":
                    out[a] = nxt
                    nxt += 1
        return out


@dataclass
class BmcResult:
    cfg: Config
    start: str
    status: str                   # proved | counterexample | unknown
    depth: int                    # largest k such that every execution of <= k steps was checked
    target: int                   # the depth the budget asks for
    seconds: float
    prop: str | None = None
    props: list[str] = field(default_factory=list)   # every property failing in the counterexample
    message: str = ""
    trace: Trace | None = None
    goals: dict[str, int | None] = field(default_factory=dict)
    bounds_seconds: list[tuple[int, float]] = field(default_factory=list)
    start_index: int | None = DEFAULT_START
    lemma_seconds: float = 0.0
    budget: Resources = field(default_factory=lambda: Resources(0, "unset"))

    def describe_trace(self) -> str:
        """The counterexample, one line per state, with the thread that moves."""
        if self.trace is None:
            return ""
        lines = [f"  state 0: {E.describe_state(self.cfg, self.trace.states[0])}"]
        for i, st in enumerate(self.trace.states[1:], 1):
            j = self.trace.choices[i - 1]
            pcs = E.OWNER_PCS if self.cfg.is_owner(j) else E.THIEF_PCS
            pc = self.trace.states[i - 1][f"pc{j}"]
            lines.append(f"  step {i}: thread {j} performs {pcs[pc] if pc < len(pcs) else pc}")
            lines.append(f"  state {i}: {E.describe_state(self.cfg, st)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Goal:
    name: str
    text: str
    pred: Callable[[Config, dict[str, Expr]], Expr]


def _goal_typ_busy(cfg: Config, s: dict[str, Expr]) -> Expr:
    t, _ = E.read_slot(cfg, s, E.slot_of(cfg, E.head(cfg, s["ptrs0"])))
    return z3.And(s["pc0"] == E.P_TYP, t != E.TYP_EMPTY)


def _goal_wrap(cfg: Config, s: dict[str, Expr]) -> Expr:
    return z3.And(s["pc0"] == E.P_ADD, E.head(cfg, s["ht"]) == (1 << cfg.bits) - 1)


def _goal_full(cfg: Config, s: dict[str, Expr]) -> Expr:
    return z3.And(E.count(cfg, s["ht"]) == cfg.size, s["pc0"] == E.P_LOAD)


def _goal_pop_and_steal(cfg: Config, s: dict[str, Expr]) -> Expr:
    """popHead holds the slot it took back while a popTail holds the slot it claimed."""
    return z3.And(z3.Or(s["pc0"] == E.H_READ, s["pc0"] == E.H_ZERO),
                  z3.Or(*[z3.Or(s[f"pc{j}"] == E.T_READ, s[f"pc{j}"] == E.T_VALNIL, s[f"pc{j}"] == E.T_TYPNIL)
                          for j in range(cfg.owners, cfg.nthreads)]))


def _goal_thief_owns(cfg: Config, s: dict[str, Expr]) -> Expr:
    """Two thieves hold claimed slots at once."""
    own = [z3.Or(s[f"pc{j}"] == E.T_READ, s[f"pc{j}"] == E.T_VALNIL, s[f"pc{j}"] == E.T_TYPNIL)
           for j in range(cfg.owners, cfg.nthreads)]
    return z3.Or(*[z3.And(own[a], own[b]) for a in range(len(own)) for b in range(a)])


GOALS: tuple[Goal, ...] = (
    Goal("typ-busy", "pushHead loads slot.typ != nil (a popTail still owns the head slot)", _goal_typ_busy),
    Goal("head-wraps", "headTail.Add carries head from 2^32 - 1 to 0", _goal_wrap),
    Goal("full", "pushHead is about to find the ring full", _goal_full),
    Goal("pop-and-steal", "popHead and a popTail each hold a slot they took", _goal_pop_and_steal),
    Goal("two-claims", "two popTails own claimed slots at the same time", _goal_thief_owns),
)


def _goals_for(cfg: Config, start: str) -> list[Goal]:
    out = []
    for g in GOALS:
        if g.name == "pop-and-steal" and cfg.thieves < 1:
            continue
        if g.name == "two-claims" and cfg.thieves < 2:
            continue
        if g.name == "head-wraps" and start != "empty":
            continue
        out.append(g)
    return out


def initial_empty(cfg: Config, s: dict[str, Expr], start: Expr) -> Expr:
    """An empty dequeue at head = tail = ``start``; no operation started; nothing pushed or returned."""
    cs = [s["ht"] == E.pack(start, start)]
    for i in range(cfg.size):
        cs += [s[f"typ{i}"] == E.TYP_EMPTY, s[f"val{i}"] == 0]
    for j in range(cfg.nthreads):
        cs += [s[f"ptrs{j}"] == 0, s[f"rtyp{j}"] == 0, s[f"rval{j}"] == 0]
        if cfg.is_owner(j):
            pc, arg = s[f"pc{j}"], s[f"arg{j}"]
            cs.append(z3.Or(z3.And(pc == E.P_LOAD, arg == 1 + j), z3.And(pc == E.H_LOAD, arg == 0)))
        else:
            cs.append(s[f"pc{j}"] == E.T_LOAD)
    cs += [s[k] == 0 for k in E.ghost_counters(cfg)]
    return z3.And(*cs)


@functools.lru_cache(maxsize=64)
def translation_lemma(cfg: Config, rlimit: int = L7_RLIMIT) -> tuple[str, float, str]:
    """L7 for ``cfg``: one step commutes with moving every index by c (ring rotated), properties are invariant.

    One query per (thread, pc) and one for the properties and the empty start.
    Returns (proved | counterexample | unknown, seconds, detail); cached per
    configuration.
    """
    t0 = time.monotonic()
    s = E.fresh_state(cfg, "s", sets="function")
    c = z3.BitVec("c", cfg.bits)
    nxt = z3.BitVec("nxt", 2)
    narg = z3.BitVec("narg", cfg.vbits)
    moved = E.shift(cfg, s, c)
    v = z3.BitVec("v", cfg.vbits)
    queries: list[tuple[str, Any]] = []
    for j in range(cfg.nthreads):
        ch = z3.BitVecVal(j, _cbits(cfg))
        a, ev_a, g_a = E.step(cfg, s, ch, nxt, narg)
        b, ev_b, g_b = E.step(cfg, moved, ch, nxt, narg)
        a_moved = E.shift(cfg, a, c)
        same = [g_a == g_b, ev_a.pushed == ev_b.pushed, ev_a.returned == ev_b.returned, ev_a.value == ev_b.value,
                ev_a.ended == ev_b.ended]
        same += [a_moved[k] == b[k] for k in E.state_keys(cfg, ghost=False) + E.ghost_counters(cfg)]
        same += [a_moved[k].contains(v) == b[k].contains(v) for k in ("P", "R")]
        pcs = E.OWNER_PCS if cfg.is_owner(j) else E.THIEF_PCS
        for p in range(len(pcs)):
            queries.append((f"thread {j} at {pcs[p]}", z3.And(s[f"pc{j}"] == p, z3.Not(z3.And(*same)))))
    pa, pb = E.state_props(cfg, s), E.state_props(cfg, moved)
    x = z3.BitVec("x", cfg.bits)
    init = E.fresh_state(cfg, "i", sets="function")
    rest = [pa[p] == pb[p] for p in pa]
    rest.append(z3.Implies(initial_empty(cfg, init, x), initial_empty(cfg, E.shift(cfg, init, c), x + c)))
    queries.append(("properties and the empty start", z3.Not(z3.And(*rest))))
    if cfg.owners == 1:
        from proofs.smt.induction import invariant
        queries.append(("the invariant", invariant(cfg, s) != invariant(cfg, moved)))
    budget = Resources(rlimit, f"L7 T={cfg.thieves} ring {cfg.size}")
    for name, q in queries:
        solver = _sat_solver()
        solver.add(q)
        r = budget.check(solver, name)
        if r == z3.sat:
            return "counterexample", time.monotonic() - t0, f"not translation-invariant ({name}): c = {solver.model().eval(c)}"
        if r != z3.unsat:
            why = budget.describe() if budget.exhausted else f"solver gave up ({solver.reason_unknown()})"
            return "unknown", time.monotonic() - t0, f"{name}: {why}"
    return ("proved", time.monotonic() - t0,
            f"for ring size {cfg.size} and {cfg.thieves} thieves: every step, its guard and events, D1-D3, the empty "
            f"start{' and the invariant' if cfg.owners == 1 else ''} commute with moving every index by any 32-bit c "
            f"(the ring rotated by c mod {cfg.size})")


def _cbits(cfg: Config) -> int:
    return max(1, cfg.nthreads.bit_length())   # thread ids plus one "halt" value


def _sat_solver() -> Any:
    """Bit-blasting to Z3's SAT solver; the caller bounds it with an rlimit (proofs/smt/rlimit.py), never a timeout."""
    tac = z3.Then(z3.With("simplify", mul2concat=True), "propagate-values", "solve-eqs", "elim-uncnstr",
                  z3.With("ackermannize_bv", div0_ackermann_limit=10**8), "max-bv-sharing", "bit-blast", "sat")
    return tac.solver()


class _Unrolling:
    """The transitions of the reduced system, built lazily one depth at a time."""

    def __init__(self, cfg: Config, start: str, start_index: int | None, reduce: bool = True,
                 props: tuple[str, ...] | None = None) -> None:
        self.props = props
        self.cfg = cfg
        self.start = start
        self.reduce = reduce
        self.base: list[Expr] = []
        s0 = E.fresh_state(cfg, "s0", sets="empty" if start == "empty" else "function")
        self.x = z3.BitVec("start", cfg.bits)
        halt = cfg.nthreads
        self.halt = halt
        if start == "empty":
            self.base.append(initial_empty(cfg, s0, self.x))
            if start_index is not None:
                self.base.append(self.x == start_index)
        elif start == "invariant":
            from proofs.smt.induction import invariant
            self.base.append(invariant(cfg, s0))
            if start_index is not None:
                self.base.append(E.tail(cfg, s0["ht"]) == start_index)
        else:
            raise ValueError(f"unknown start {start!r}: use 'empty' or 'invariant'")
        self.states: list[dict[str, Expr]] = [s0]
        self.inputs: list[tuple[Expr, Expr, Expr]] = []
        self.trans: list[list[Expr]] = []          # constraints of transition d (s_d -> s_d+1)
        self.bad: list[dict[str, Expr]] = [self._state_bad(s0)]
        self.prints: list[tuple[Expr, ...]] = []   # footprint of the step chosen at each depth

    def _state_bad(self, s: dict[str, Expr]) -> dict[str, Expr]:
        return {p: z3.Not(e) for p, e in E.state_props(self.cfg, s).items() if self._wanted(p)}

    def _wanted(self, p: str) -> bool:
        return self.props is None or p in self.props or E.catalog_id(p) in self.props

    def extend(self, depth: int) -> None:
        cfg = self.cfg
        while len(self.states) <= depth:
            d = len(self.states) - 1
            s = self.states[d]
            c = z3.BitVec(f"c{d}", _cbits(cfg))
            nxt = z3.BitVec(f"nxt{d}", 2)
            narg = z3.BitVec(f"narg{d}", cfg.vbits)
            succ, ev, guard = E.step(cfg, s, c, nxt, narg)
            halted = c == self.halt
            cs: list[Expr] = [z3.ULE(c, self.halt)]
            if d > 0:
                cs.append(z3.Implies(self.inputs[-1][0] == self.halt, halted))
            cs.append(z3.Implies(halted, z3.And(nxt == E.NXT_NONE, narg == 0)))
            cs.append(z3.Or(halted, guard))
            nxt_state = E.fresh_state(cfg, f"s{d + 1}", ghost=False)
            for k in E.state_keys(cfg, ghost=False):
                cs.append(nxt_state[k] == z3.If(halted, s[k], succ[k]))
            for k in E.ghost_counters(cfg):
                nxt_state[k] = z3.Const(f"s{d + 1}.{k}", s[k].sort())
                cs.append(nxt_state[k] == z3.If(halted, s[k], succ[k]))
            nxt_state["P"], nxt_state["R"] = succ["P"], succ["R"]
            # fresh tokens: owners + step number + 1 (never pushed, returned or held before)
            token = cfg.owners + d + 1
            cs.append(z3.Implies(narg != 0, narg == token))
            if self.start != "empty":
                s0 = self.states[0]
                cs.append(z3.And(z3.Not(s0["P"].contains(token)), z3.Not(s0["R"].contains(token)),
                                 *[s0[f"arg{j}"] != token for j in range(cfg.owners)]))
            # reductions
            prints = []
            for j in range(cfg.nthreads):
                _, evj = E.thread_step(cfg, s, j, nxt, narg)
                prints.append(E.footprint(cfg, s, j, evj))
                if self.reduce:
                    cs.append(z3.Implies(c == j, z3.Not(E.idle(cfg, s, j))))
            if d > 0 and self.reduce:
                cp = self.inputs[-1][0]
                sp = self.states[d - 1]
                for j in range(cfg.nthreads):
                    first = E.fused_first(cfg, j)
                    if first:
                        cs.append(z3.Implies(z3.And(cp == j, z3.Or(*[sp[f"pc{j}"] == p for p in first])),
                                             z3.Or(c == j, halted)))
                prev_prints = self.prints[-1]
                for a in range(cfg.nthreads):
                    for b in range(a):
                        cs.append(z3.Not(z3.And(cp == a, c == b, z3.Not(E.conflict(prev_prints[a], prints[b])))))
            if self.start == "empty" and self.reduce:
                for j in range(cfg.owners + 1, cfg.nthreads):
                    # thief j starts only after thief j-1 has moved at least once
                    earlier = [ci == j - 1 for ci, _, _ in self.inputs]
                    cs.append(z3.Implies(c == j, z3.Or(*(earlier or [z3.BoolVal(False)]))))
            self.prints.append(tuple(prints))
            step_bad = {p: z3.And(z3.Not(halted), z3.Not(e)) for p, e in E.return_ok(cfg, s, ev).items()
                        if self._wanted(p)}
            bad = self._state_bad(nxt_state)
            bad.update(step_bad)
            self.trans.append(cs)
            self.inputs.append((c, nxt, narg))
            self.states.append(nxt_state)
            self.bad.append(bad)

    def query(self, k: int, exact: bool = False) -> list[Expr]:
        """Constraints for "some property fails at depth <= k" (``exact``: at depth k, none before)."""
        self.extend(k)
        cs = list(self.base)
        for d in range(k):
            cs += self.trans[d]
        if exact:
            for d in range(k):
                cs.append(z3.Not(_any(self.bad[d].values())))
            cs.append(_any(self.bad[k].values()))
        else:
            cs.append(_any([_any(b.values()) for b in self.bad[: k + 1]]))
        return cs

    def goal_query(self, k: int, g: Goal) -> list[Expr]:
        self.extend(k)
        cs = list(self.base)
        for d in range(k):
            cs += self.trans[d]
        cs.append(z3.Or(*[g.pred(self.cfg, s) for s in self.states[: k + 1]]))
        return cs


def _any(xs: Any) -> Expr:
    xs = list(xs)
    return z3.Or(*xs) if xs else z3.BoolVal(False)


def bounds(max_depth: int, also: int | None = None) -> list[int]:
    """The bounds tried in order: 0..10, then every second depth, up to ``max_depth`` (and ``also``)."""
    out = list(range(0, min(10, max_depth) + 1))
    k = 12
    while k <= max_depth:
        out.append(k)
        k += 2
    if out[-1] != max_depth:
        out.append(max_depth)
    if also is not None and 0 <= also <= max_depth and also not in out:
        out = sorted(out + [also])
    return out


def bmc(cfg: Config, start: str = "empty", max_depth: int = 30, rlimit: int = DEFAULT_RLIMIT,
        min_depth: int | None = None, prefer: tuple[str, ...] = (), goals: bool = True,
        start_index: int | None = DEFAULT_START, reduce: bool = True, props: tuple[str, ...] | None = None,
        progress: Callable[[int, float], None] | None = None) -> BmcResult:
    """Check every execution of up to ``max_depth`` steps, within ``rlimit`` Z3 resource units.

    ``proved``: no property fails within the bound reached, that bound is at
    least ``min_depth`` (default ``max_depth``) and every goal is reachable;
    ``counterexample``: the shortest failing execution; otherwise ``unknown``.
    ``prefer`` (catalog ids) orders the properties named when several fail at once.
    ``reduce=False`` switches the reductions off (slower; the same verdicts
    and the same shortest counterexample length). ``props`` restricts the
    properties checked (names of :data:`E.ALL_PROPS` or catalog ids; default all).
    The budget is deterministic (proofs/smt/rlimit.py): every bound and the goals
    draw from it (L7 has its own budget, L7_RLIMIT, and is cached).
    """
    t0 = time.monotonic()
    need = max_depth if min_depth is None else min_depth
    res = BmcResult(cfg, start, "unknown", -1, max_depth, 0.0, start_index=start_index)
    res.budget = Resources(rlimit, f"bmc {start} T={cfg.thieves} ring {cfg.size}")
    if start_index is not None:
        st, secs, detail = translation_lemma(cfg, rlimit=L7_RLIMIT)
        res.lemma_seconds = secs
        if st != "proved":
            res.message = f"L7 (translation) not proved for this variant: {detail}; use start_index=None"
            res.seconds = time.monotonic() - t0
            return res
    u = _Unrolling(cfg, start, start_index, reduce, props)
    prev = -1
    goals_at: int | None = None
    for k in bounds(max_depth, need):
        if res.budget.exhausted or (res.depth >= need and res.budget.left <= 0):
            break
        solver = _sat_solver()
        solver.add(*u.query(k))
        r = res.budget.check(solver, f"the query for bound {k}")
        if r == z3.unsat:
            res.depth = k
            prev = k
            res.bounds_seconds.append((k, time.monotonic() - t0))
            if progress is not None:
                progress(k, time.monotonic() - t0)
            if goals and k == need and k < max_depth:
                # the goals are checked at the required bound, before deepening further uses up the budget
                res.goals = _goals(u, k, res.budget, start)
                goals_at = k
            continue
        if r == z3.sat:
            _shortest(u, res, prev, k, solver, prefer)
        break
    if res.status != "counterexample" and goals and res.depth >= 0 and goals_at is None:
        res.goals = _goals(u, res.depth, res.budget, start)
    res.seconds = time.monotonic() - t0
    if res.status != "counterexample":
        missing = [g for g, d in res.goals.items() if d is None] if goals else []
        if res.depth >= need and not missing:
            res.status = "proved"
            res.message = (f"no violation of {', '.join(_checked(props))} in any execution of up to {res.depth} "
                           f"steps ({res.budget.used:,} Z3 resource units)")
        else:
            why = (f"bound {res.depth} of {need} reached" if res.depth < need
                   else f"goals not reached within {res.depth} steps: {', '.join(missing)}")
            spent = res.budget.describe() if res.budget.exhausted else f"{res.budget.used:,} Z3 resource units"
            res.message = f"incomplete: {why} in {res.seconds:.1f}s; {spent}"
    return res


def _checked(props: tuple[str, ...] | None) -> list[str]:
    return [p for p in E.ALL_PROPS if props is None or p in props or E.catalog_id(p) in props]


def _shortest(u: _Unrolling, res: BmcResult, lo: int, hi: int, solver: Any, prefer: tuple[str, ...]) -> None:
    """A violation exists within ``hi`` steps and none within ``lo``: find its shortest length and read it back.

    The depths in between are re-checked with what is left of the budget plus
    as much again as the budget (a counterexample is already in hand; only its
    length is at stake).
    """
    model = solver.model()
    depth = hi
    extra = Resources(res.budget.left + res.budget.total, "the shortest-counterexample search")
    for k in range(lo + 1, hi):
        s2 = _sat_solver()
        s2.add(*u.query(k))
        if extra.check(s2, f"bound {k}") == z3.sat:
            model, depth = s2.model(), k
            break
    # the first depth at which this model fails
    first = depth
    for d in range(depth + 1):
        if any(z3.is_true(model.eval(e, model_completion=True)) for e in u.bad[d].values()):
            first = d
            break
    bad = [p for p, e in u.bad[first].items() if z3.is_true(model.eval(e, model_completion=True))]
    pref = [p for p in bad if E.catalog_id(p) in prefer or p in prefer]
    order = sorted(pref, key=lambda p: prefer.index(p if p in prefer else E.catalog_id(p))) + \
        [p for p in bad if p not in pref]
    res.status = "counterexample"
    res.depth = first - 1
    res.props = order
    res.prop = order[0] if order else None
    res.trace = _read_trace(u.cfg, model, u.states[: first + 1], u.inputs[:first],
                            u.x if u.start == "empty" else None, u.halt)
    res.message = f"{res.prop} fails after {first} steps: {E.PROPERTY_TEXT.get(res.prop or '', '')}"
    if res.prop in ("D5-empty", "D5-full"):
        st = u.states[first]
        who = [j for j in range(u.cfg.nthreads)
               if z3.is_true(model.eval(z3.And(E.failing_return(u.cfg, st, j), st[f"jus{j}"] == 0,
                                               z3.Not(E.justified(u.cfg, st, j))), model_completion=True))]
        what = "return empty" if res.prop == "D5-empty" else "return false"
        res.message += (f"; in the last state, thread {', '.join(map(str, who))}'s next step would {what} although "
                        f"no state since its operation began justifies it")


def _goals(u: _Unrolling, depth: int, budget: Resources, start: str) -> dict[str, int | None]:
    """The smallest depth within the bound at which each goal holds in some execution (None: never)."""
    out: dict[str, int | None] = {}
    for g in _goals_for(u.cfg, start):
        out[g.name] = None
        if budget.exhausted:
            continue
        solver = _sat_solver()
        solver.add(*u.goal_query(depth, g))
        if budget.check(solver, f"goal {g.name} at bound {depth}") == z3.sat:
            m = solver.model()
            hit = [i for i, s in enumerate(u.states[: depth + 1])
                   if z3.is_true(m.eval(g.pred(u.cfg, s), model_completion=True))]
            out[g.name] = min(hit) if hit else depth
    return out


def _read_trace(cfg: Config, m: Any, states: list[dict[str, Expr]], inputs: list[tuple[Expr, Expr, Expr]],
                x: Expr | None, halt: int) -> Trace:
    vals = [E.evaluate(m, s) for s in states]
    choices = [m.eval(c, model_completion=True).as_long() for c, _, _ in inputs]
    nxts = [m.eval(n, model_completion=True).as_long() for _, n, _ in inputs]
    nargs = [m.eval(a, model_completion=True).as_long() for _, _, a in inputs]
    if halt in choices:  # the violation is at the halting depth: drop the halted tail
        cut = choices.index(halt)
        choices, nxts, nargs, vals = choices[:cut], nxts[:cut], nargs[:cut], vals[: cut + 1]
    start = m.eval(x, model_completion=True).as_long() if x is not None else None
    ops: list[list[str]] = [[] for _ in range(cfg.nthreads)]
    args: list[list[int]] = [[] for _ in range(cfg.nthreads)]
    begun = [False] * cfg.nthreads
    current: list[str] = []
    for j in range(cfg.nthreads):
        if cfg.is_owner(j):
            current.append("push" if vals[0][f"pc{j}"] in (E.P_LOAD, E.P_TYP, E.P_WRITE, E.P_ADD) else "pop")
        else:
            current.append("tail")
    for i, j in enumerate(choices):
        if not begun[j]:
            ops[j].append(current[j])
            args[j].append(vals[i].get(f"arg{j}", 0))
            begun[j] = True
        if _op_ended(cfg, j, vals[i][f"pc{j}"], vals[i + 1][f"pc{j}"]):
            begun[j] = False
            if cfg.is_owner(j):
                current[j] = "push" if nxts[i] == E.NXT_PUSH else "pop"
    keep = [j for j in range(cfg.nthreads) if ops[j] or j == 0]
    renum = {j: k for k, j in enumerate(keep)}
    return Trace(vals, choices, nxts, nargs, start, [ops[j] for j in keep], [args[j] for j in keep],
                 [renum[j] for j in choices], keep)



def _op_ended(cfg: Config, j: int, before: int, after: int) -> bool:
    """Whether thread j's step from pc ``before`` to ``after`` returned from its operation."""
    if cfg.is_owner(j):
        if after not in (E.P_LOAD, E.H_LOAD, E.O_DONE):
            return False
        return not (before == E.H_CAS and after == E.H_LOAD)  # a failed CAS loops
    if after not in (E.T_LOAD, E.T_DONE):
        return False
    return before != E.T_CAS


def to_counterexample(res: BmcResult, model: type[Any]) -> tuple[Any, str]:
    """Replay a counterexample from an empty start in the kernel; (model.tracefile.Counterexample or None, note).

    The scenario is the operations each thread started, the parameters put
    head = tail at the start index the BMC used, and the schedule is the
    thread of each step. The kernel must follow the schedule step for step
    and reach the state Z3 reached; the finished execution is then checked
    with properties.checks.check_execution, whose violation names the
    counterexample (so ``poolcheck replay`` reproduces it).
    """
    from model.harness import build
    from model.kernel import RoundRobin, ScheduleError
    from model.params import Params
    from model.tracefile import from_kernel
    from model.variants import spec_of
    from proofs.smt.crosscheck import abstract_kernel
    from properties import invariants as inv
    from properties.checks import check_execution

    tr = res.trace
    if tr is None or tr.start_index is None:
        return None, "not replayable: the execution does not start from an empty dequeue"
    cfg = res.cfg
    params = Params(size=cfg.size, dequeue_bits=cfg.bits, start_index=tr.start_index)
    scenario = tr.scenario()
    try:
        world = build("dequeue", scenario, params, model)
    except ValueError as e:
        return None, f"not replayable: {e}"
    k = world.kernel()
    try:
        k.run_schedule(tr.schedule, complete=False)
    except ScheduleError as e:
        return None, f"the kernel cannot follow the BMC schedule: {e}"
    notes = []
    got = abstract_kernel(cfg, k, world.root, tr.threads)
    tok = tr.tokens()
    want = {key: (tok.get(v, -1) if key.startswith(("val", "rval", "arg")) else v) for key, v in tr.states[-1].items()}
    for j in tr.threads:   # a thread the scenario has no more operations for stops where Z3's starts its next one
        done = E.O_DONE if cfg.is_owner(j) else E.T_DONE
        start = (E.P_LOAD, E.H_LOAD) if cfg.is_owner(j) else (E.T_LOAD,)
        if got.get(f"pc{j}") == done and want.get(f"pc{j}") in start:
            for key in (f"pc{j}", f"arg{j}"):
                got.pop(key, None)
    diff = [key for key in got if key in want and got[key] != want[key]]
    if diff:
        notes.append(f"kernel state differs from the Z3 state in {', '.join(diff)}")
    inflight = sum(1 for th in k.threads if th.gen is not None)
    mid = inv.d1_packed_index(k.mem, world.root, cfg.bits) + inv.d2_slot_ownership(k.mem, world.root, cfg.bits,
                                                                                     inflight)
    k.run(RoundRobin())
    vs = check_execution(world, k)
    props = [v.prop for v in vs]
    if not vs:
        return None, ("; ".join(notes + [f"mid-run: {v}" for v in mid]) or "") + \
            "; the kernel run completed round-robin ends without a violation check_execution can see"
    expected = tuple(getattr(model, "expected", ()) or ())
    pick = next((p for p in expected if p in props), None) or (res.prop if res.prop in props else props[0])
    msg = next(v.message for v in vs if v.prop == pick)
    cx = from_kernel(k, target="dequeue", scenario=scenario, params=params, variant=spec_of(model), prop=pick,
                     message=msg, engine="bmc", violating_step=len(tr.schedule) - 1,
                     extra={"bmc_property": res.prop, "bmc_steps": len(tr.schedule), "bmc_thieves": cfg.thieves,
                            "kernel_properties": sorted(set(props)),
                            "mid_run": [str(v) for v in mid], "notes": notes})
    return cx, "; ".join(notes) or f"replayed: the kernel shows {', '.join(sorted(set(props)))}"


OUTCOME_PROPS = ("D3", "D4", "D5", "D8")


def replayable(res: BmcResult, model: type[Any], rlimit: int = DEFAULT_RLIMIT) -> tuple[Any, str, BmcResult | None]:
    """A kernel counterexample for a BMC counterexample from an empty start: (Counterexample or None, note, 2nd run).

    When the shortest violation is transient (a state that a finished
    execution no longer shows, e.g. D2 between headTail.Add and the slot
    write), the bounded check runs again for the violations a finished
    execution keeps (D3 lost, D4 duplicated, D5/D8 invented values or unjustified failed returns) and that
    execution is replayed instead.
    """
    cx, note = to_counterexample(res, model)
    if cx is not None or res.trace is None or res.trace.start_index is None:
        return cx, note, None
    res2 = bmc(res.cfg, start=res.start, max_depth=max(res.depth + 1, 20), rlimit=rlimit,
               prefer=tuple(getattr(model, "expected", ()) or ()), goals=False, props=OUTCOME_PROPS,
               start_index=res.start_index)
    if res2.status != "counterexample" or res2.trace is None:
        return None, f"{note}; no outcome violation within {res2.depth} steps", res2
    cx, note2 = to_counterexample(res2, model)
    return cx, (f"{note}; an outcome violation ({res2.prop}) after {len(res2.trace.choices)} steps, scenario "
                f"{res2.trace.scenario()!r}, schedule {' '.join(map(str, res2.trace.choices))}: {note2}"), res2
