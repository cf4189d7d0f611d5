"""An inductive invariant of poolDequeue, proved with Z3 for T = 1, 2, 3 thieves.

The invariant (``invariant``) is a conjunction of named clauses over one
state of the transition system of proofs/smt/dequeue_smt.py (head and tail are
the unpacked headTail, count = head - tail mod 2^32, "in range" means one of
the indices tail, ..., head-1 maps to the slot):

Shape
  I1  count <= len(vals)                                            (D1)
  I2  every pc is one of its thread's program counters; dead locals are 0
Ring
  I3  a slot in range holds an ordinary value: typ = T, val != 0, val has
      been pushed and not returned                                  (D2)
  I4  a slot out of range that no operation owns is (nil, nil)      (D2, D6)
  I5  the non-nil val words, and the values thieves hold after clearing
      val, are pairwise distinct                                    (D4)
Thieves (j = 1..T); a thief owns slot(tail(ptrs)) from its successful
CompareAndSwap to its typ = nil store
  I6  at T_CAS, the headTail it loaded was not empty
  I7  an owned slot is out of range, holds typ = T, and no two operations
      own the same slot
  I8  at T_READ the slot holds a live value (pushed, not returned); at
      T_VALNIL the thief read that value; at T_TYPNIL it holds the value
      and the slot's val is already nil
Owner
  I9  in pushHead after the Load and in popHead's CompareAndSwap, the head
      it loaded is the current head (only the owner moves head); in
      pushHead after the full test, count < len(vals)
  I10 the value being pushed is fresh (not 0, never pushed, never
      returned); at P_WRITE no thief owns the head slot; at P_ADD the head
      slot holds (T, arg) and no thief owns it
  I11 in popHead after its successful CompareAndSwap, head = the loaded
      head - 1, count < len(vals), the slot holds a live value no thief
      owns; at H_ZERO the owner read it
Ghost
  I12 0 was never pushed; pushed - returned = count + the slots held by
      operations between their claim and their release            (D3)
  I13 nlive = count: the abstract deque (values whose Add took effect and
      that no pop's CAS has claimed) has as many values as [tail, head)
                                                                    (D5-empty, D5-full)

The proof: Init => Inv (an empty dequeue at any head = tail, no operation
started); Inv /\\ step => Inv' for every thread's step from every state; and
Inv => D1, D2, D3, D5-empty, D5-full with Inv /\\ step => D4, D5-value, D8 at
every returning step. Non-vacuity: every transition kind of every thread
(:func:`transition_kinds`: a popTail's CAS succeeds, pushHead publishes,
popHead takes a value, ...) is taken from some state satisfying Inv, so an
encoding or an invariant that disables a transition is reported ``vacuous``,
never ``proved``.
Consecution is one query per thread and program counter (far faster than
one query for all steps), over 32-bit indices and a 64-bit headTail, for a
fixed ring size (2 and 4 in the gate; 8 with the thorough budget) and T
thieves.

The first attempt (``FIRST_ATTEMPT``: I1, I3, I4, I12, I13, i.e. the properties
plus the accounting) is not inductive: Z3 returns an owner at P_WRITE whose
loaded head is not the current head, so its write lands on a slot in range
and overwrites a live value (I3 breaks). ``python -m proofs.smt.induction``
replays the strengthening: it adds I9, I10, I11, I7, I8, I6, I5 one at a
time and prints the counterexample to induction each time until the
invariant is inductive (docs/proofs.md shows the output). I2 is not needed
for the proof (dropping it still proves); it keeps dead locals at 0 so that
states are canonical. Every other clause is necessary: without it the check
fails (tests/test_induction.py drops I6, I9, I12 and I13).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

from proofs.smt import dequeue_smt as E
from proofs.smt.dequeue_smt import Config, Expr
from proofs.smt.rlimit import Resources

__all__ = ["invariant", "clauses", "InductionResult", "prove_inductive", "FIRST_ATTEMPT", "CLAUSE_TEXT",
           "initial_any_empty", "STRENGTHENING", "strengthening", "transition_kinds", "DEFAULT_RLIMIT", "CLAIM"]

DEFAULT_RLIMIT = 300_000_000   # Z3 resource units per ring size (see proofs/smt/prove.py for the rows' budgets)

CLAUSE_TEXT: dict[str, str] = {
    "I1": "count <= len(vals)",
    "I2": "pcs are valid and dead locals are 0",
    "I3": "a slot in range holds a live ordinary value",
    "I4": "an unowned slot out of range is (nil, nil)",
    "I5": "live values are pairwise distinct",
    "I6": "a thief at T_CAS loaded a non-empty headTail",
    "I7": "an owned slot is out of range, has typ = T, and has one owner",
    "I8": "a thief between claim and release holds a live value",
    "I9": "the owner's loaded head is the current head; after the full test count < len(vals)",
    "I10": "the value being pushed is fresh; the head slot is the owner's alone",
    "I11": "after popHead's CAS the owner holds a live value in the slot at head",
    "I12": "0 is never pushed; pushed - returned = count + held",
    "I13": "the abstract deque (pushed, not claimed) holds count values",
}
FIRST_ATTEMPT = ("I1", "I3", "I4", "I12", "I13")
STRENGTHENING = ("I9", "I10", "I11", "I7", "I8", "I6", "I5", "I2")

_OWNER_PUSH = (E.P_LOAD, E.P_TYP, E.P_WRITE, E.P_ADD)


def _live(s: Mapping[str, Any], v: Expr) -> Expr:
    """v is a value that has been pushed and not returned."""
    return z3.And(v != 0, s["P"].contains(v), z3.Not(s["R"].contains(v)))


def _in(pc: Expr, *pcs: int) -> Expr:
    return z3.Or(*[pc == p for p in pcs])


def clauses(cfg: Config, s: Mapping[str, Any]) -> list[tuple[str, Expr]]:
    """The invariant as (clause id, formula) pairs; several formulas may share an id."""
    if cfg.owners != 1:
        raise ValueError("the invariant is stated for one owner")
    n, b = cfg.size, cfg.bits
    ht = s["ht"]
    h = E.head(cfg, ht)
    cnt = E.count(cfg, ht)
    nv = z3.BitVecVal(n, b)
    inr = [E.in_range(cfg, ht, i) for i in range(n)]
    typ = [s[f"typ{i}"] for i in range(n)]
    val = [s[f"val{i}"] for i in range(n)]
    out: list[tuple[str, Expr]] = [("I1", z3.ULE(cnt, nv))]

    # I2: valid pcs, dead locals 0
    pc0, ptrs0, arg0 = s["pc0"], s["ptrs0"], s["arg0"]
    out.append(("I2", z3.ULE(pc0, E.O_DONE)))
    out.append(("I2", z3.Implies(z3.Not(E.live_ptrs(cfg, 0, pc0)), ptrs0 == 0)))
    out.append(("I2", z3.Implies(z3.Not(_in(pc0, *_OWNER_PUSH)), arg0 == 0)))
    out.append(("I2", z3.Implies(pc0 != E.H_ZERO, z3.And(s["rtyp0"] == 0, s["rval0"] == 0))))
    thieves = range(1, cfg.nthreads)
    for j in thieves:
        pc = s[f"pc{j}"]
        out.append(("I2", z3.ULE(pc, E.T_DONE)))
        out.append(("I2", z3.Implies(z3.Not(E.live_ptrs(cfg, j, pc)), s[f"ptrs{j}"] == 0)))
        out.append(("I2", z3.Implies(z3.Not(_in(pc, E.T_VALNIL, E.T_TYPNIL)), z3.And(s[f"rtyp{j}"] == 0, s[f"rval{j}"] == 0))))

    # ownership
    owns = {j: E.owns_slot(cfg, s, j) for j in range(cfg.nthreads)}
    owner_own, owner_slot = owns[0]

    def owned(i: int) -> Expr:
        return z3.Or(*[z3.And(o, sl == i) for o, sl in owns.values()])

    def thief_owns(sl: Expr) -> Expr:
        return z3.Or(*([z3.And(owns[j][0], owns[j][1] == sl) for j in thieves] or [z3.BoolVal(False)]))

    # I3, I4: the ring
    for i in range(n):
        out.append(("I3", z3.Implies(inr[i], z3.And(typ[i] == E.TYP_VAL, _live(s, val[i])))))
        out.append(("I4", z3.Implies(z3.And(z3.Not(inr[i]), z3.Not(owned(i))), z3.And(typ[i] == 0, val[i] == 0))))

    # I5: distinct live values
    held = [(z3.And(s[f"pc{j}"] == E.T_TYPNIL), s[f"rval{j}"]) for j in thieves]
    for i in range(n):
        for k in range(i):
            out.append(("I5", z3.Implies(val[i] != 0, val[i] != val[k])))
        for g, v in held:
            out.append(("I5", z3.Implies(z3.And(g, val[i] != 0), val[i] != v)))
    for a in range(len(held)):
        for c in range(a):
            out.append(("I5", z3.Implies(z3.And(held[a][0], held[c][0]), held[a][1] != held[c][1])))

    # thieves
    for j in thieves:
        pc, ptrs = s[f"pc{j}"], s[f"ptrs{j}"]
        own, sl = owns[j]
        styp, sval = E.read_slot(cfg, s, sl)
        out.append(("I6", z3.Implies(pc == E.T_CAS, E.head(cfg, ptrs) != E.tail(cfg, ptrs))))
        not_in_range = z3.And(*[z3.Implies(sl == i, z3.Not(inr[i])) for i in range(n)])
        out.append(("I7", z3.Implies(own, z3.And(not_in_range, styp == E.TYP_VAL))))
        for k in range(1, j):
            out.append(("I7", z3.Implies(z3.And(own, owns[k][0]), sl != owns[k][1])))
        out.append(("I7", z3.Implies(z3.And(own, owner_own), sl != owner_slot)))
        rt, rv = s[f"rtyp{j}"], s[f"rval{j}"]
        out.append(("I8", z3.Implies(pc == E.T_READ, _live(s, sval))))
        out.append(("I8", z3.Implies(pc == E.T_VALNIL, z3.And(rt == E.TYP_VAL, rv == sval, _live(s, rv)))))
        out.append(("I8", z3.Implies(pc == E.T_TYPNIL, z3.And(rt == E.TYP_VAL, sval == 0, _live(s, rv)))))

    # owner
    hp = E.head(cfg, ptrs0)
    push_slot = E.slot_of(cfg, hp)
    pop_slot = E.slot_of(cfg, hp - 1)
    out.append(("I9", z3.Implies(_in(pc0, E.P_TYP, E.P_WRITE, E.P_ADD, E.H_CAS), hp == h)))
    out.append(("I9", z3.Implies(_in(pc0, E.P_TYP, E.P_WRITE, E.P_ADD), z3.ULT(cnt, nv))))
    out.append(("I9", z3.Implies(pc0 == E.H_CAS, E.tail(cfg, ptrs0) != hp)))
    out.append(("I10", z3.Implies(_in(pc0, *_OWNER_PUSH),
                                   z3.And(arg0 != 0, z3.Not(s["P"].contains(arg0)), z3.Not(s["R"].contains(arg0))))))
    out.append(("I10", z3.Implies(_in(pc0, E.P_WRITE, E.P_ADD), z3.Not(thief_owns(push_slot)))))
    ptyp, pval = E.read_slot(cfg, s, push_slot)
    out.append(("I10", z3.Implies(pc0 == E.P_ADD, z3.And(ptyp == E.TYP_VAL, pval == arg0))))
    otyp, oval = E.read_slot(cfg, s, pop_slot)
    out.append(("I11", z3.Implies(_in(pc0, E.H_READ, E.H_ZERO),
                                   z3.And(hp - 1 == h, z3.ULT(cnt, nv), otyp == E.TYP_VAL, _live(s, oval),
                                          z3.Not(thief_owns(pop_slot))))))
    out.append(("I11", z3.Implies(pc0 == E.H_ZERO, z3.And(s["rtyp0"] == E.TYP_VAL, s["rval0"] == oval))))

    # I12: ghost accounting
    held_n = z3.BitVecVal(0, 32)
    for j in range(cfg.nthreads):
        held_n = held_n + z3.If(owns[j][0] if j else _in(pc0, E.H_READ, E.H_ZERO), z3.BitVecVal(1, 32),
                                z3.BitVecVal(0, 32))
    cnt32 = z3.ZeroExt(32 - b, cnt) if b < 32 else cnt
    out.append(("I12", z3.Not(s["P"].contains(z3.BitVecVal(0, cfg.vbits)))))
    out.append(("I12", s["npush"] - s["nret"] == cnt32 + held_n))
    # I13: the abstract deque (pushed, not claimed by a pop's CAS) has count values (D5-empty, D5-full)
    out.append(("I13", s["nlive"] == cnt32))
    return out


def invariant(cfg: Config, s: Mapping[str, Any], only: tuple[str, ...] | None = None) -> Expr:
    """The conjunction of the clauses (``only``: of those clause ids)."""
    return z3.And(*[e for name, e in clauses(cfg, s) if only is None or name in only])


def initial_any_empty(cfg: Config, s: Mapping[str, Any]) -> Expr:
    """Init: an empty dequeue at any head = tail, nothing pushed or returned, no operation started."""
    h = E.head(cfg, s["ht"])
    cs = [E.tail(cfg, s["ht"]) == h]
    for i in range(cfg.size):
        cs += [s[f"typ{i}"] == 0, s[f"val{i}"] == 0]
    for j in range(cfg.nthreads):
        cs += [s[f"ptrs{j}"] == 0, s[f"rtyp{j}"] == 0, s[f"rval{j}"] == 0]
        if cfg.is_owner(j):
            pc, arg = s[f"pc{j}"], s[f"arg{j}"]
            cs.append(z3.Or(z3.And(pc == E.P_LOAD, arg != 0), z3.And(pc == E.H_LOAD, arg == 0)))
        else:
            cs.append(s[f"pc{j}"] == E.T_LOAD)
    cs += [s[k] == 0 for k in E.ghost_counters(cfg)]
    return z3.And(*cs)


CLAIM = ("implies D1, D2, D3, D5-empty, D5-full in every state and D4, D5-value, D8 at every returning step; "
         "every transition kind is taken from some invariant state (non-vacuous)")


@dataclass
class InductionResult:
    cfg: Config
    status: str                    # proved | vacuous | unknown (not inductive, or the solver gave up)
    seconds: float
    checks: dict[str, str] = field(default_factory=dict)   # initiation / consecution / safety / non-vacuity -> result
    failed: list[str] = field(default_factory=list)         # clauses broken by the counterexample to induction
    cti: str = ""                                            # the counterexample to induction, as values
    message: str = ""
    vacuous: list[str] = field(default_factory=list)        # transition kinds no invariant state can take
    budget: Resources | None = None


def _solver() -> Any:
    tac = z3.Then(z3.With("simplify", mul2concat=True), "propagate-values", "solve-eqs", "elim-uncnstr",
                  z3.With("ackermannize_bv", div0_ackermann_limit=10**8), "max-bv-sharing", "bit-blast", "sat")
    return tac.solver()


def transition_kinds(cfg: Config, j: int, s: Mapping[str, Any], succ: Mapping[str, Any],
                     ev: E.Event) -> list[tuple[str, int, Expr]]:
    """(name, pc, condition) of every kind of step thread j can take; each must be satisfiable from Inv.

    The kinds are told apart by what the step does in the encoding (its event
    and its successor), not by the pc alone: a CAS that can never succeed, or
    an Add that never publishes, leaves its kind unsatisfiable.
    """
    fails = z3.And(ev.ended, z3.Not(ev.result_ok))
    goes_on = z3.Not(ev.ended)
    moved_ht = succ["ht"] != s["ht"]
    if cfg.is_owner(j):
        return [("pushHead finds the ring full", E.P_LOAD, fails),
                ("pushHead's Load passes the full test", E.P_LOAD, goes_on),
                ("pushHead finds the head slot busy", E.P_TYP, fails),
                ("pushHead finds the head slot free", E.P_TYP, goes_on),
                ("pushHead writes the slot", E.P_WRITE, z3.BoolVal(True)),
                ("pushHead publishes (headTail.Add)", E.P_ADD, z3.And(ev.pushed, moved_ht)),
                ("popHead finds the deque empty", E.H_LOAD, fails),
                ("popHead's Load finds a value", E.H_LOAD, goes_on),
                ("popHead's CAS succeeds", E.H_CAS, z3.And(ev.claimed, moved_ht)),
                ("popHead's CAS fails", E.H_CAS, z3.Not(ev.claimed)),
                ("popHead reads the slot", E.H_READ, z3.BoolVal(True)),
                ("popHead takes a value (returns it)", E.H_ZERO, ev.returned)]
    return [("popTail finds the deque empty", E.T_LOAD, fails),
            ("popTail's Load finds a value", E.T_LOAD, goes_on),
            ("popTail's CAS succeeds", E.T_CAS, z3.And(ev.claimed, moved_ht)),
            ("popTail's CAS fails", E.T_CAS, z3.Not(ev.claimed)),
            ("popTail reads the slot", E.T_READ, z3.BoolVal(True)),
            ("popTail clears slot.val", E.T_VALNIL, z3.BoolVal(True)),
            ("popTail releases the slot and returns a value", E.T_TYPNIL, ev.returned)]


def prove_inductive(cfg: Config, only: tuple[str, ...] | None = None, rlimit: int = DEFAULT_RLIMIT,
                    progress: Callable[[str], None] | None = None, vacuity: bool = True) -> InductionResult:
    """Initiation, consecution, safety and non-vacuity of the invariant (or of the clauses ``only``) for ``cfg``.

    Every query draws from one deterministic budget of ``rlimit`` Z3 resource
    units (proofs/smt/rlimit.py); ``vacuity=False`` skips the non-vacuity checks.
    """
    t0 = time.monotonic()
    res = InductionResult(cfg, "unknown", 0.0)
    budget = Resources(rlimit, f"induction T={cfg.thieves} ring {cfg.size}")
    res.budget = budget
    s = E.fresh_state(cfg, "s", sets="function")
    inv = invariant(cfg, s, only)

    def gave_up(what: str, sol: Any) -> str:
        return f"{what}: " + (budget.describe() if budget.exhausted else f"solver gave up ({sol.reason_unknown()})")

    # initiation: the ghost sets start empty
    sol = _solver()
    init_e = E.fresh_state(cfg, "i", sets="empty")
    sol.add(initial_any_empty(cfg, init_e), z3.Not(invariant(cfg, init_e, only)))
    r = budget.check(sol, "initiation")
    res.checks["initiation"] = str(r)
    if progress:
        progress("initiation")
    if r != z3.unsat:
        res.message = "an initial state violates the invariant" if r == z3.sat else gave_up("initiation", sol)
        if r == z3.sat:
            res.cti = E.describe_state(cfg, E.evaluate(sol.model(), init_e))
        res.seconds = time.monotonic() - t0
        return res

    # consecution and step safety, one query per (thread, pc): far faster than one query for all
    nxt = z3.BitVec("nxt", 2)
    narg = z3.BitVec("narg", cfg.vbits)
    cbits = max(1, (cfg.nthreads - 1).bit_length())
    kinds: list[tuple[str, Expr]] = []
    for j in range(cfg.nthreads):
        ch = z3.BitVecVal(j, cbits)
        succ, ev, guard = E.step(cfg, s, ch, nxt, narg)
        named = [(name, e) for name, e in clauses(cfg, succ) if only is None or name in only]
        step_ok = E.return_ok(cfg, s, ev)
        post = z3.And(*[e for _, e in named], *step_ok.values())
        pcs = E.OWNER_PCS if cfg.is_owner(j) else E.THIEF_PCS
        kinds += [(f"thread {j}: {name}", z3.And(inv, guard, s[f"pc{j}"] == p, cond))
                  for name, p, cond in transition_kinds(cfg, j, s, succ, ev)]
        for p in range(len(pcs)):
            sol = _solver()
            sol.add(inv, guard, s[f"pc{j}"] == p, z3.Not(post))
            key = f"consecution thread {j} at {pcs[p]}"
            r = budget.check(sol, key)
            res.checks[key] = str(r)
            if progress:
                progress(key)
            if r == z3.unsat:
                continue
            if r == z3.sat:
                m = sol.model()
                res.failed = sorted({name for name, e in named if z3.is_false(m.eval(e, model_completion=True))} |
                                    {q for q, e in step_ok.items() if z3.is_false(m.eval(e, model_completion=True))})
                after = {k: m.eval(succ[k], model_completion=True).as_long()
                         for k in E.state_keys(cfg, False) + E.ghost_counters(cfg)}
                res.cti = (f"from {E.describe_state(cfg, E.evaluate(m, s))}\n  thread {j} performs {pcs[p]} and "
                           f"reaches {E.describe_state(cfg, after)}")
                res.message = f"not inductive: thread {j}'s step at {pcs[p]} breaks {', '.join(res.failed)}"
            else:
                res.message = gave_up(key, sol)
            res.seconds = time.monotonic() - t0
            return res

    # safety: Inv => D1, D2, D3, D5-empty, D5-full
    sol = _solver()
    props = E.state_props(cfg, s)
    sol.add(inv, z3.Not(z3.And(*props.values())))
    r = budget.check(sol, "safety")
    res.checks["safety"] = str(r)
    if progress:
        progress("safety")
    if r == z3.unsat:
        if vacuity and not _non_vacuity(res, kinds, budget, progress):
            res.seconds = time.monotonic() - t0
            return res
        res.status = "proved"
        res.message = (f"inductive for ring size {cfg.size} and {cfg.thieves} thieves; {CLAIM if vacuity else CLAIM.split(';')[0]}"
                       f" ({budget.used:,} Z3 resource units)")
    elif r == z3.sat:
        m = sol.model()
        res.failed = [p for p, e in props.items() if z3.is_false(m.eval(e, model_completion=True))]
        res.message = f"the invariant does not imply {', '.join(res.failed)}"
        res.cti = E.describe_state(cfg, E.evaluate(m, s))
    else:
        res.message = gave_up("safety", sol)
    res.seconds = time.monotonic() - t0
    return res


def _non_vacuity(res: InductionResult, kinds: list[tuple[str, Expr]], budget: Resources,
                 progress: Callable[[str], None] | None) -> bool:
    """Each transition kind is satisfiable from an invariant state; records ``vacuous`` kinds. False: not shown."""
    for name, q in kinds:
        sol = _solver()
        sol.add(q)
        key = f"non-vacuity {name}"
        r = budget.check(sol, key)
        res.checks[key] = str(r)
        if progress:
            progress(key)
        if r == z3.unsat:
            res.vacuous.append(name)
        elif r != z3.sat:
            res.message = f"{key}: " + (budget.describe() if budget.exhausted else f"solver gave up ({sol.reason_unknown()})")
            return False
    if res.vacuous:
        res.status = "vacuous"
        res.message = (f"vacuous: no state satisfying the invariant can take {len(res.vacuous)} transition kind(s): "
                       f"{'; '.join(res.vacuous)} (a disabled transition or an over-strong invariant; not a proof)")
        return False
    return True


def strengthening(cfg: Config, order: tuple[str, ...] = STRENGTHENING) -> list[tuple[tuple[str, ...], InductionResult]]:
    """From FIRST_ATTEMPT, add the clauses of ``order`` one at a time until the invariant is inductive."""
    cur = list(FIRST_ATTEMPT)
    out = []
    rest = list(order)
    while True:
        r = prove_inductive(cfg, only=tuple(cur))
        out.append((tuple(cur), r))
        if r.status == "proved" or not rest:
            return out
        cur.append(rest.pop(0))


def _main() -> None:
    import sys
    t = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    for clauses_, r in strengthening(Config(size=2, thieves=t)):
        print(f"{' '.join(clauses_)}: {r.status} ({r.seconds:.1f}s) {r.message}")
        if r.cti:
            print(f"  {r.cti}")


if __name__ == "__main__":
    _main()
