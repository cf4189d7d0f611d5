"""poolDequeue as a Z3 transition system, step for step with model/poolqueue.py.

This is the one SMT encoding of the dequeue: proofs/smt/bmc.py unrolls it,
proofs/smt/induction.py checks one step of it against the inductive invariant,
and proofs/smt/crosscheck.py compares one step of it with one step of the Python
model, so the two encodings of the algorithm cannot drift apart.

Granularity. One transition is one step of the kernel (model/kernel.py): one
non-silent effect of one thread, plus the silent ``d.vals`` read that follows
it. The program counters name the effect a thread performs next:

  owner (pushHead / popHead)               thief (popTail)
  P_LOAD   ptrs := d.headTail.Load()       T_LOAD    ptrs := d.headTail.Load()
  P_TYP    typ := LoadPointer(&slot.typ)   T_CAS     d.headTail.CompareAndSwap(ptrs, ptrs2)
  P_WRITE  *slot = val                     T_READ    val := *slot
  P_ADD    d.headTail.Add(1 << 32)         T_VALNIL  slot.val = nil
  H_LOAD   ptrs := d.headTail.Load()       T_TYPNIL  StorePointer(&slot.typ, nil)
  H_CAS    d.headTail.CompareAndSwap(...)  T_DONE    (program exhausted)
  H_READ   val := *slot
  H_ZERO   *slot = eface{}
  O_DONE   (program exhausted)

State. ``headTail`` is a 2B-bit vector (B = dequeueBits = 32 by default, so
64 bits, exactly Go's word); the ring is n slots, each a 2-bit typ word
(0 = nil, 1 = an ordinary value's type, 2 = dequeueNil's type, as
model.poolqueue.TYP_VAL / TYP_NIL) and a V-bit val word (0 = Go nil, else a
token). Each thread has its pc and the locals the Go code keeps across a
scheduling point: ``ptrs`` (the headTail it loaded; the slot is computed
from it exactly as Go does), the owner's ``arg`` (the value being pushed) and
``rtyp``/``rval`` (what a pop read from its slot, ``rval`` already decoded:
0 for dequeueNil). Locals that are dead at a pc are 0, so the state of a
Python thread maps to exactly one Z3 state.

Operations. When an operation returns, the thread starts its next one; which
one is an input of the step (``nxt``: for the owner 0 = push ``narg``,
1 = pop, 2 = no more operations; for a thief 0 = popTail, 1 = no more). The
bounded model checker leaves it free (the most general client); the
cross-check fixes it to the Python program's next operation.

Ghost state (not in Go, not in the Python model): ``P`` and ``R``, arrays
from values to Bool, the values pushed (at the headTail.Add that publishes
them) and returned; ``npush`` and ``nret``, counters of successful pushes and
pops (mod 2^32). A push's value is a fresh token: the owner only chooses
``narg`` with ``narg != 0``, ``not P[narg]`` and ``not R[narg]`` (a guard on
the environment, :func:`fresh_guard`).

Variants. The encoding takes a variant name (:data:`ENCODED`). Each one
changes the transition relation the way its Python twin changes the Go code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

__all__ = [
    "Expr", "Config", "Event", "GhostSet", "ENCODED", "encoding_for", "OWNER_PCS", "THIEF_PCS",
    "P_LOAD", "P_TYP", "P_WRITE", "P_ADD", "H_LOAD", "H_CAS", "H_READ", "H_ZERO", "O_DONE",
    "T_LOAD", "T_CAS", "T_READ", "T_VALNIL", "T_TYPNIL", "T_DONE",
    "TYP_EMPTY", "TYP_VAL", "TYP_NIL", "NXT_PUSH", "NXT_POP", "NXT_DONE", "NXT_TAIL", "NXT_TDONE", "NXT_NONE",
    "fresh_state", "const_state", "thread_step", "step", "fresh_guard", "enabled", "owns_slot",
    "head", "tail", "count", "in_range", "slot_of", "read_slot", "state_keys", "evaluate", "describe_state",
]

Expr = Any  # a z3 expression (z3 ships no type stubs)

# -- program counters (4 bits) -------------------------------------------------
P_LOAD, P_TYP, P_WRITE, P_ADD, H_LOAD, H_CAS, H_READ, H_ZERO, O_DONE = range(9)
T_LOAD, T_CAS, T_READ, T_VALNIL, T_TYPNIL, T_DONE = range(6)
OWNER_PCS = ("P_LOAD", "P_TYP", "P_WRITE", "P_ADD", "H_LOAD", "H_CAS", "H_READ", "H_ZERO", "O_DONE")
THIEF_PCS = ("T_LOAD", "T_CAS", "T_READ", "T_VALNIL", "T_TYPNIL", "T_DONE")
PC_BITS = 4

# -- slot type words (2 bits) ----------------------------------------------------
TYP_EMPTY, TYP_VAL, TYP_NIL = 0, 1, 2

# -- the next-operation input ----------------------------------------------------
NXT_PUSH, NXT_POP, NXT_DONE = 0, 1, 2     # owner
NXT_TAIL, NXT_TDONE = 0, 1                # thief
NXT_NONE = 3                              # the step does not end an operation

# Variants with an encoding, by model/variants name.
ENCODED: dict[str, str] = {
    "reference": "Go's poolDequeue as it is",
    "push-no-typ-check": "pushHead goes from the full test straight to the slot write (no typ load)",
    "push-publish-first": "pushHead does headTail.Add before writing the slot",
    "poptail-typ-before-val": "popTail stores typ = nil before it writes val = nil",
    "poptail-no-zero": "popTail returns right after reading the slot, leaving it as it is",
    "pophead-plain-store": "popHead replaces its CompareAndSwap with a plain store of pack(head-1, tail)",
    "full-check-off-by-one": "pushHead's full test is (tail + len(vals) + 1) == head",
    "two-producers": "a second thread runs pushHead/popHead concurrently with the owner",
}

# Deliberate one-step alterations, used only to show that the cross-check
# notices a wrong encoding (tests/test_crosscheck.py). Never used by a proof.
ALTERATIONS: dict[str, str] = {
    "cas-tail-plus-two": "popTail's CompareAndSwap moves tail by 2",
    "push-skips-val": "pushHead's slot write stores the type word but not the value",
    "pophead-keeps-head": "popHead's CompareAndSwap writes back the old head",
    "poptail-reads-head-slot": "popTail reads the slot of head instead of tail",
    "full-at-zero": "pushHead also finds the ring full when head is 0 (not translation-invariant)",
    "poptail-empty-when-one": "popTail's empty test is head - tail <= 1: it returns empty while one value is there",
    "full-one-early": "pushHead's full test is (tail + len(vals) - 1) == head: it fails with one slot free",
    "tail-cas-never-succeeds": "popTail's CompareAndSwap never succeeds (a disabled transition: the induction "
                               "would prove it; the non-vacuity check must not)",
}


@dataclass(frozen=True)
class Config:
    """One instance of the encoding.

    size     ring length n (a power of two, at most 2^(bits-1))
    thieves  number T of popTail threads
    bits     dequeueBits (32: Go's; headTail is 2*bits wide)
    vbits    width of a value token (0 is Go nil)
    variant  a key of ENCODED
    alter    a key of ALTERATIONS (tests only)
    """

    size: int = 2
    thieves: int = 1
    bits: int = 32
    vbits: int = 32
    variant: str = "reference"
    alter: str | None = None

    def __post_init__(self) -> None:
        n = self.size
        if n < 1 or n & (n - 1) or n > 1 << (self.bits - 1):
            raise ValueError(f"ring size {n} must be a power of two no larger than 2^{self.bits - 1}")
        if self.variant not in ENCODED:
            raise ValueError(f"variant {self.variant!r} has no SMT encoding (encoded: {', '.join(ENCODED)})")
        if self.alter is not None and self.alter not in ALTERATIONS:
            raise ValueError(f"unknown alteration {self.alter!r}")
        if self.thieves < 0:
            raise ValueError("thieves must be >= 0")

    @property
    def owners(self) -> int:
        """Threads that run pushHead/popHead (2 only for the two-producers variant)."""
        return 2 if self.variant == "two-producers" else 1

    @property
    def nthreads(self) -> int:
        return self.owners + self.thieves

    def is_owner(self, j: int) -> bool:
        return j < self.owners

    @property
    def slot_bits(self) -> int:
        return max(1, (self.size - 1).bit_length())


@dataclass
class Event:
    """What a step did that the ghost state and the properties care about."""

    pushed: Expr = field(default_factory=lambda: z3.BoolVal(False))   # a headTail.Add published ``value``
    returned: Expr = field(default_factory=lambda: z3.BoolVal(False))  # a pop returned (value, true)
    value: Expr | None = None
    ended: Expr = field(default_factory=lambda: z3.BoolVal(False))     # the operation returned (any result)
    result_ok: Expr = field(default_factory=lambda: z3.BoolVal(False))  # its bool result (push: true; pop: ok)
    claimed: Expr = field(default_factory=lambda: z3.BoolVal(False))   # a pop's CAS (or store) took a value


class GhostSet:
    """A ghost set of values: a base membership predicate plus guarded insertions.

    ``base`` is an array or uninterpreted function (any set: induction, and
    bounded checks from an invariant state) or None (the empty set: bounded
    checks from an empty dequeue). Insertions are kept as a list of
    (condition, value) pairs, so that membership is a plain formula with no
    array theory: the bounded model checker bit-blasts it.
    """

    def __init__(self, base: Any = None, adds: tuple[tuple[Expr, Expr], ...] = ()) -> None:
        self.base = base
        self.adds = adds

    def contains(self, v: Expr) -> Expr:
        terms = [z3.And(c, x == v) for c, x in self.adds]
        if self.base is not None:
            terms.append(self.base[v] if z3.is_array(self.base) else self.base(v))
        return z3.Or(*terms) if terms else z3.BoolVal(False)

    def add(self, cond: Expr, v: Expr) -> GhostSet:
        return GhostSet(self.base, self.adds + ((cond, v),))


def encoding_for(variant_name: str) -> str | None:
    """The ENCODED key for a model/variants name, or None (the prover then says "n/a")."""
    return variant_name if variant_name in ENCODED else None


# -- helpers on headTail -----------------------------------------------------------
def _bv(v: int, w: int) -> Expr:
    return z3.BitVecVal(v, w)


def head(cfg: Config, ht: Expr) -> Expr:
    """unpack's head: the high ``bits`` of headTail."""
    return z3.Extract(2 * cfg.bits - 1, cfg.bits, ht)


def tail(cfg: Config, ht: Expr) -> Expr:
    """unpack's tail: the low ``bits`` of headTail."""
    return z3.Extract(cfg.bits - 1, 0, ht)


def pack(h: Expr, t: Expr) -> Expr:
    return z3.Concat(h, t)


def count(cfg: Config, ht: Expr) -> Expr:
    """(head - tail) mod 2^bits: the number of slots in [tail, head)."""
    return head(cfg, ht) - tail(cfg, ht)


def slot_of(cfg: Config, idx: Expr) -> Expr:
    """``idx & uint32(len(d.vals)-1)`` as a slot number (slot_bits wide)."""
    if cfg.size == 1:
        return _bv(0, cfg.slot_bits)
    return z3.Extract(cfg.slot_bits - 1, 0, idx)


def in_range(cfg: Config, ht: Expr, i: int) -> Expr:
    """Slot i holds one of the indices in [tail, head)."""
    off = (_bv(i, cfg.bits) - tail(cfg, ht)) & _bv(cfg.size - 1, cfg.bits)
    return z3.ULT(off, count(cfg, ht))


def _sel(cfg: Config, words: Sequence[Expr], sl: Expr) -> Expr:
    out = words[0]
    for i in range(1, cfg.size):
        out = z3.If(sl == i, words[i], out)
    return out


def read_slot(cfg: Config, s: Mapping[str, Expr], sl: Expr) -> tuple[Expr, Expr]:
    """(typ, val) of slot number ``sl``."""
    return (_sel(cfg, [s[f"typ{i}"] for i in range(cfg.size)], sl),
            _sel(cfg, [s[f"val{i}"] for i in range(cfg.size)], sl))


def _write(cfg: Config, s: Mapping[str, Expr], sl: Expr, typ: Expr | None, val: Expr | None) -> dict[str, Expr]:
    out: dict[str, Expr] = {}
    for i in range(cfg.size):
        hit = sl == i
        if typ is not None:
            out[f"typ{i}"] = z3.If(hit, typ, s[f"typ{i}"])
        if val is not None:
            out[f"val{i}"] = z3.If(hit, val, s[f"val{i}"])
    return out


def _decode(cfg: Config, typ: Expr, val: Expr) -> Expr:
    """``if val == dequeueNil(nil) { val = nil }``."""
    return z3.If(typ == TYP_NIL, _bv(0, cfg.vbits), val)


# -- state ---------------------------------------------------------------------------
def state_keys(cfg: Config, ghost: bool = True) -> list[str]:
    keys = ["ht"] + [f"{w}{i}" for i in range(cfg.size) for w in ("typ", "val")]
    for j in range(cfg.nthreads):
        keys += [f"pc{j}", f"ptrs{j}", f"rtyp{j}", f"rval{j}"]
        if cfg.is_owner(j):
            keys.append(f"arg{j}")
    if ghost:
        keys += ["P", "R", "npush", "nret", "nlive"] + [f"{w}{j}" for j in range(cfg.nthreads) for w in ("beg", "jus")]
    return keys


def ghost_counters(cfg: Config) -> list[str]:
    """The ghost components that are bit-vectors (all but the sets P and R)."""
    return [k for k in state_keys(cfg) if k not in state_keys(cfg, ghost=False) and k not in ("P", "R")]


def _sort(cfg: Config, key: str) -> Any:
    k = key.rstrip("0123456789")
    return {
        "ht": z3.BitVecSort(2 * cfg.bits), "typ": z3.BitVecSort(2), "val": z3.BitVecSort(cfg.vbits),
        "pc": z3.BitVecSort(PC_BITS), "ptrs": z3.BitVecSort(2 * cfg.bits), "rtyp": z3.BitVecSort(2),
        "rval": z3.BitVecSort(cfg.vbits), "arg": z3.BitVecSort(cfg.vbits),
        "P": z3.ArraySort(z3.BitVecSort(cfg.vbits), z3.BoolSort()),
        "R": z3.ArraySort(z3.BitVecSort(cfg.vbits), z3.BoolSort()),
        "npush": z3.BitVecSort(32), "nret": z3.BitVecSort(32), "nlive": z3.BitVecSort(32),
        "beg": z3.BitVecSort(1), "jus": z3.BitVecSort(1),
    }[k]


def fresh_state(cfg: Config, prefix: str, ghost: bool = True, sets: str = "array") -> dict[str, Expr]:
    """A state of fresh constants named ``<prefix>.<key>``.

    ``sets`` says how the ghost sets P and R start: ``array`` (arbitrary sets,
    Z3 arrays), ``function`` (arbitrary sets, uninterpreted functions, which
    bit-blasting handles after Ackermann reduction) or ``empty``.
    """
    out = {k: z3.Const(f"{prefix}.{k}", _sort(cfg, k)) for k in state_keys(cfg, ghost) if k not in ("P", "R")}
    if ghost:
        for k in ("P", "R"):
            if sets == "array":
                out[k] = GhostSet(z3.Const(f"{prefix}.{k}", _sort(cfg, k)))
            elif sets == "function":
                out[k] = GhostSet(z3.Function(f"{prefix}.{k}", z3.BitVecSort(cfg.vbits), z3.BoolSort()))
            else:
                out[k] = GhostSet()
    return out


def const_state(cfg: Config, values: Mapping[str, int]) -> dict[str, Expr]:
    """A concrete state from integer values (missing keys are 0); no ghost."""
    return {k: z3.BitVecVal(int(values.get(k, 0)), _sort(cfg, k).size()) for k in state_keys(cfg, ghost=False)}


def enabled(cfg: Config, s: Mapping[str, Expr], j: int) -> Expr:
    return s[f"pc{j}"] != (O_DONE if cfg.is_owner(j) else T_DONE)


# -- one step of one thread --------------------------------------------------------
class _Cases:
    """Mutually exclusive guarded updates, merged into one next state."""

    def __init__(self, s: Mapping[str, Expr]) -> None:
        self.s = s
        self.cases: list[tuple[Expr, dict[str, Expr]]] = []

    def add(self, guard: Expr, updates: Mapping[str, Expr]) -> None:
        self.cases.append((guard, dict(updates)))

    def merged(self) -> dict[str, Expr]:
        out = dict(self.s)
        keys = {k for _, u in self.cases for k in u}
        for k in keys:
            v = self.s[k]
            for g, u in reversed(self.cases):
                if k in u:
                    v = z3.If(g, u[k], v)
            out[k] = v
        return out

    def any(self, pick: str) -> Expr:
        """Disjunction of the guards of the cases whose updates contain ``pick``."""
        gs = [g for g, u in self.cases if pick in u]
        return z3.Or(*gs) if gs else z3.BoolVal(False)

    def value_of(self, pick: str, default: Expr) -> Expr:
        v = default
        for g, u in reversed(self.cases):
            if pick in u:
                v = z3.If(g, u[pick], v)
        return v


def full_test(cfg: Config, h: Expr, t: Expr) -> Expr:
    """pushHead's full test: ``(tail+uint32(len(d.vals)))&(1<<dequeueBits-1) == head`` (as the variant has it)."""
    extra = {"full-check-off-by-one": 1}.get(cfg.variant, 0) - (1 if cfg.alter == "full-one-early" else 0)
    full = (t + _bv(cfg.size + extra, cfg.bits)) == h
    if cfg.alter == "full-at-zero":
        full = z3.Or(full, h == 0)
    return full


def tail_empty_test(cfg: Config, h: Expr, t: Expr) -> Expr:
    """popTail's empty test: ``tail == head`` (as the variant has it)."""
    if cfg.alter == "poptail-empty-when-one":
        return z3.ULE(h - t, 1)
    return t == h


def owns_slot(cfg: Config, s: Mapping[str, Expr], j: int) -> tuple[Expr, Expr]:
    """(thread j owns a slot outside [tail, head), which slot), per the variant's order of effects.

    A thief owns its slot from its successful CompareAndSwap until its typ = nil
    store; the owner owns its head slot from the slot write until headTail.Add
    (a push) and from its successful CompareAndSwap until the zeroing write (a pop).
    """
    pc, ptrs = s[f"pc{j}"], s[f"ptrs{j}"]
    if cfg.is_owner(j):
        push_owned = [P_ADD] if cfg.variant != "push-publish-first" else []
        own = z3.Or(*[pc == p for p in push_owned + [H_READ, H_ZERO]])
        sl = z3.If(z3.Or(pc == H_READ, pc == H_ZERO), slot_of(cfg, head(cfg, ptrs) - 1), slot_of(cfg, head(cfg, ptrs)))
        return own, sl
    held = [T_READ, T_VALNIL, T_TYPNIL]
    if cfg.variant == "poptail-no-zero":
        held = [T_READ]
    return z3.Or(*[pc == p for p in held]), slot_of(cfg, tail(cfg, ptrs))


def thread_step(cfg: Config, s: Mapping[str, Expr], j: int, nxt: Expr, narg: Expr) -> tuple[dict[str, Expr], Event]:
    """The successor of ``s`` when thread ``j`` moves (no ghost update), and the step's event."""
    if cfg.is_owner(j):
        return _owner_step(cfg, s, j, nxt, narg)
    return _thief_step(cfg, s, j, nxt)


def _owner_finish(cfg: Config, j: int, nxt: Expr, narg: Expr) -> dict[str, Expr]:
    """An operation returns: start the next one chosen by ``nxt``; dead locals become 0."""
    zero_v = _bv(0, cfg.vbits)
    return {
        f"pc{j}": z3.If(nxt == NXT_PUSH, _bv(P_LOAD, PC_BITS), z3.If(nxt == NXT_POP, _bv(H_LOAD, PC_BITS), _bv(O_DONE, PC_BITS))),
        f"arg{j}": z3.If(nxt == NXT_PUSH, narg, zero_v),
        f"ptrs{j}": _bv(0, 2 * cfg.bits), f"rtyp{j}": _bv(0, 2), f"rval{j}": zero_v,
    }


def _pc(v: int) -> Expr:
    return _bv(v, PC_BITS)


def _owner_step(cfg: Config, s: Mapping[str, Expr], j: int, nxt: Expr, narg: Expr) -> tuple[dict[str, Expr], Event]:
    b, var = cfg.bits, cfg.variant
    ht, pc, ptrs, arg = s["ht"], s[f"pc{j}"], s[f"ptrs{j}"], s[f"arg{j}"]
    h, t = head(cfg, ht), tail(cfg, ht)
    fin = _owner_finish(cfg, j, nxt, narg)
    c = _Cases(s)
    ev = Event()
    pushed: list[Expr] = []
    pop_ok: list[Expr] = []
    ended: list[Expr] = []

    # P_LOAD: ptrs := d.headTail.Load(); the full test.
    g = pc == P_LOAD
    full = full_test(cfg, h, t)
    c.add(z3.And(g, full), fin)
    ended.append(z3.And(g, full))
    after_load = P_WRITE if var == "push-no-typ-check" else P_TYP
    c.add(z3.And(g, z3.Not(full)), {f"pc{j}": _pc(after_load), f"ptrs{j}": ht})

    # P_TYP: typ := atomic.LoadPointer(&slot.typ); typ != nil means still full.
    g = pc == P_TYP
    sl = slot_of(cfg, head(cfg, ptrs))
    typ, _ = read_slot(cfg, s, sl)
    busy = typ != TYP_EMPTY
    c.add(z3.And(g, busy), fin)
    ended.append(z3.And(g, busy))
    c.add(z3.And(g, z3.Not(busy)), {f"pc{j}": _pc(P_ADD if var == "push-publish-first" else P_WRITE)})

    # P_WRITE: *(*any)(unsafe.Pointer(slot)) = val (dequeueNil's type for a nil val).
    g = pc == P_WRITE
    wtyp = z3.If(arg == 0, _bv(TYP_NIL, 2), _bv(TYP_VAL, 2))
    wval = arg
    if cfg.alter == "push-skips-val":
        wval = _bv(0, cfg.vbits)
    upd = _write(cfg, s, sl, wtyp, wval)
    if var == "push-publish-first":
        upd.update(fin)
        ended.append(g)
    else:
        upd[f"pc{j}"] = _pc(P_ADD)
    c.add(g, upd)

    # P_ADD: d.headTail.Add(1 << dequeueBits).
    g = pc == P_ADD
    upd = {"ht": ht + _bv(1 << b, 2 * b)}
    if var == "push-publish-first":
        upd[f"pc{j}"] = _pc(P_WRITE)
    else:
        upd.update(fin)
        ended.append(g)
    c.add(g, upd)
    pushed.append(g)
    push_value = arg

    # H_LOAD: ptrs := d.headTail.Load(); the empty test.
    g = pc == H_LOAD
    empty = t == h
    c.add(z3.And(g, empty), fin)
    ended.append(z3.And(g, empty))
    c.add(z3.And(g, z3.Not(empty)), {f"pc{j}": _pc(H_CAS), f"ptrs{j}": ht})

    # H_CAS: head--; d.headTail.CompareAndSwap(ptrs, pack(head, tail)).
    g = pc == H_CAS
    hp, tp = head(cfg, ptrs), tail(cfg, ptrs)
    ptrs2 = pack(hp if cfg.alter == "pophead-keeps-head" else hp - 1, tp)
    if var == "pophead-plain-store":
        c.add(g, {"ht": ptrs2, f"pc{j}": _pc(H_READ)})
        claimed = g
    else:
        ok = ht == ptrs
        c.add(z3.And(g, ok), {"ht": ptrs2, f"pc{j}": _pc(H_READ)})
        claimed = z3.And(g, ok)
        c.add(z3.And(g, z3.Not(ok)), {f"pc{j}": _pc(H_LOAD), f"ptrs{j}": _bv(0, 2 * b)})

    # H_READ: val := *(*any)(unsafe.Pointer(slot)), slot = head-1.
    g = pc == H_READ
    slh = slot_of(cfg, hp - 1)
    rt, rv = read_slot(cfg, s, slh)
    c.add(g, {f"pc{j}": _pc(H_ZERO), f"rtyp{j}": rt, f"rval{j}": _decode(cfg, rt, rv)})

    # H_ZERO: *slot = eface{}; return val, true.
    g = pc == H_ZERO
    upd = _write(cfg, s, slh, _bv(TYP_EMPTY, 2), _bv(0, cfg.vbits))
    upd.update(fin)
    c.add(g, upd)
    ended.append(g)
    pop_ok.append(g)

    out = c.merged()
    ev.pushed = z3.Or(*pushed)
    ev.returned = z3.Or(*pop_ok)
    ev.value = z3.If(ev.pushed, push_value, z3.If(ev.returned, s[f"rval{j}"], _bv(0, cfg.vbits)))
    ev.ended = z3.Or(*ended)
    ev.claimed = claimed
    # pushHead returns true only at its last step; a pop is ok only at its zeroing write.
    ev.result_ok = z3.Or(ev.returned, z3.And(ev.ended, z3.Or(pc == P_ADD, pc == P_WRITE)))
    return out, ev


def _thief_step(cfg: Config, s: Mapping[str, Expr], j: int, nxt: Expr) -> tuple[dict[str, Expr], Event]:
    b, var = cfg.bits, cfg.variant
    ht, pc, ptrs = s["ht"], s[f"pc{j}"], s[f"ptrs{j}"]
    h, t = head(cfg, ht), tail(cfg, ht)
    zero_v = _bv(0, cfg.vbits)
    fin = {f"pc{j}": z3.If(nxt == NXT_TAIL, _pc(T_LOAD), _pc(T_DONE)), f"ptrs{j}": _bv(0, 2 * b),
           f"rtyp{j}": _bv(0, 2), f"rval{j}": zero_v}
    c = _Cases(s)
    ended: list[Expr] = []
    ok_end: list[Expr] = []

    # T_LOAD: ptrs := d.headTail.Load(); the empty test.
    g = pc == T_LOAD
    empty = tail_empty_test(cfg, h, t)
    c.add(z3.And(g, empty), fin)
    ended.append(z3.And(g, empty))
    c.add(z3.And(g, z3.Not(empty)), {f"pc{j}": _pc(T_CAS), f"ptrs{j}": ht})

    # T_CAS: d.headTail.CompareAndSwap(ptrs, pack(head, tail+1)).
    g = pc == T_CAS
    hp, tp = head(cfg, ptrs), tail(cfg, ptrs)
    ptrs2 = pack(hp, tp + (2 if cfg.alter == "cas-tail-plus-two" else 1))
    ok = ht == ptrs
    if cfg.alter == "tail-cas-never-succeeds":
        ok = z3.BoolVal(False)
    c.add(z3.And(g, ok), {"ht": ptrs2, f"pc{j}": _pc(T_READ)})
    claimed = z3.And(g, ok)
    c.add(z3.And(g, z3.Not(ok)), {f"pc{j}": _pc(T_LOAD), f"ptrs{j}": _bv(0, 2 * b)})

    # T_READ: val := *(*any)(unsafe.Pointer(slot)), slot = tail.
    g = pc == T_READ
    sl = slot_of(cfg, hp if cfg.alter == "poptail-reads-head-slot" else tp)
    rt, rv = read_slot(cfg, s, sl)
    upd = {f"rtyp{j}": rt, f"rval{j}": _decode(cfg, rt, rv)}
    if var == "poptail-no-zero":
        upd.update(fin)
        ended.append(g)
        ok_end.append(g)
    else:
        upd[f"pc{j}"] = _pc(T_TYPNIL if var == "poptail-typ-before-val" else T_VALNIL)
    c.add(g, upd)

    sl = slot_of(cfg, tp)
    # T_VALNIL: slot.val = nil.
    g = pc == T_VALNIL
    upd = _write(cfg, s, sl, None, zero_v)
    if var == "poptail-typ-before-val":
        upd.update(fin)
        ended.append(g)
        ok_end.append(g)
    else:
        upd[f"pc{j}"] = _pc(T_TYPNIL)
    c.add(g, upd)

    # T_TYPNIL: atomic.StorePointer(&slot.typ, nil); return val, true.
    g = pc == T_TYPNIL
    upd = _write(cfg, s, sl, _bv(TYP_EMPTY, 2), None)
    if var == "poptail-typ-before-val":
        upd[f"pc{j}"] = _pc(T_VALNIL)
    else:
        upd.update(fin)
        ended.append(g)
        ok_end.append(g)
    c.add(g, upd)

    out = c.merged()
    ev = Event()
    ev.returned = z3.Or(*ok_end)
    ev.ended = z3.Or(*ended)
    ev.result_ok = ev.returned
    ev.claimed = claimed
    # The value a poolTail returns is what it read (rval); poptail-no-zero returns at the read itself.
    ev.value = z3.If(ev.returned, _decode(cfg, rt, rv) if var == "poptail-no-zero" else s[f"rval{j}"],
                     _bv(0, cfg.vbits))
    return out, ev


# -- one step of the system --------------------------------------------------------
def fresh_guard(cfg: Config, s: Mapping[str, Expr], j: int, nxt: Expr, narg: Expr, ghost: bool = True) -> Expr:
    """The environment's promise about thread ``j``'s next operation, when its current one ends.

    With ghost state (the proofs' most general client) the owner never stops
    and pushes fresh tokens: not 0, never pushed, never returned. Without it
    (the cross-check) any next operation is allowed. ``narg`` is 0 unless the
    next operation is a push.
    """
    if cfg.is_owner(j):
        valid = z3.And(z3.ULE(nxt, NXT_POP if ghost else NXT_DONE), z3.Implies(nxt != NXT_PUSH, narg == 0))
        if ghost:
            valid = z3.And(valid, z3.Implies(nxt == NXT_PUSH, z3.And(narg != 0, z3.Not(s["P"].contains(narg)),
                                                                      z3.Not(s["R"].contains(narg)))))
        return valid
    return z3.And(nxt == NXT_TAIL if ghost else z3.ULE(nxt, NXT_TDONE), narg == 0)


def step(cfg: Config, s: Mapping[str, Expr], choice: Expr, nxt: Expr, narg: Expr,
         ghost: bool = True) -> tuple[dict[str, Expr], Event, Expr]:
    """The system's successor when thread ``choice`` moves; also its event and its guard.

    The guard says that the chosen thread is enabled, that the next-operation
    inputs respect :func:`fresh_guard` when its operation ends and are 0
    otherwise (so a model names exactly one schedule). With ``ghost`` the
    successor also updates P, R, npush and nret.
    """
    succs = [thread_step(cfg, s, j, nxt, narg) for j in range(cfg.nthreads)]
    out: dict[str, Expr] = {}
    for k in state_keys(cfg, ghost=False):
        v = succs[-1][0][k]
        for j in range(cfg.nthreads - 2, -1, -1):
            sj = succs[j][0][k]
            if not sj.eq(v):
                v = z3.If(choice == j, sj, v)
        out[k] = v
    pick = [choice == j for j in range(cfg.nthreads)]

    def sel(f: Any, default: Expr) -> Expr:
        v = default
        for j in range(cfg.nthreads - 1, -1, -1):
            v = z3.If(pick[j], f(succs[j][1]), v)
        return v

    no = z3.BoolVal(False)
    ev = Event(pushed=sel(lambda e: e.pushed, no), returned=sel(lambda e: e.returned, no),
               value=sel(lambda e: e.value if e.value is not None else _bv(0, cfg.vbits), _bv(0, cfg.vbits)),
               ended=sel(lambda e: e.ended, no), result_ok=sel(lambda e: e.result_ok, no),
               claimed=sel(lambda e: e.claimed, no))
    if ghost:
        one = _bv(1, 32)
        out["P"] = s["P"].add(ev.pushed, ev.value)
        out["R"] = s["R"].add(ev.returned, ev.value)
        out["npush"] = z3.If(ev.pushed, s["npush"] + one, s["npush"])
        out["nret"] = z3.If(ev.returned, s["nret"] + one, s["nret"])
        # the abstract deque's size: +1 at a push's Add, -1 at a pop's claiming CAS
        out["nlive"] = z3.If(ev.pushed, s["nlive"] + one, z3.If(ev.claimed, s["nlive"] - one, s["nlive"]))
        _interval_ghost(cfg, s, out, pick, [e.ended for _, e in succs])
    per_thread = []
    for j in range(cfg.nthreads):
        ends = succs[j][1].ended
        # the next value must be fresh after this step's own push or return
        inputs = z3.If(ends, fresh_guard(cfg, out, j, nxt, narg, ghost), z3.And(nxt == NXT_NONE, narg == 0))
        per_thread.append(z3.And(pick[j], enabled(cfg, s, j), inputs))
    guard = z3.Or(*per_thread)
    return out, ev, guard


def justified(cfg: Config, s: Mapping[str, Expr], j: int) -> Expr:
    """Whether state ``s`` justifies a failed return of thread j's current operation (D5-empty, D5-full).

    The abstract deque holds the values whose push took effect (headTail.Add)
    and that no pop has claimed yet (a popTail's or popHead's successful
    CompareAndSwap): ``nlive`` of them. A pop may return empty at a
    state where the abstract deque is empty; a push may return false where it
    is full (len(vals) values) or where a popTail holds the head slot (the
    relaxation Go documents: "pushHead ... may fail if ... a popTail still
    owns the slot").
    """
    live = s["nlive"]
    pop_ok = live == 0
    if not cfg.is_owner(j):
        return pop_ok
    h = head(cfg, s["ht"])
    held = [z3.And(o, sl == slot_of(cfg, h)) for o, sl in (owns_slot(cfg, s, k) for k in range(cfg.owners, cfg.nthreads))]
    push_ok = z3.Or(z3.UGE(live, _bv(cfg.size, 32)), *held)
    return z3.If(z3.ULE(s[f"pc{j}"], P_ADD), push_ok, pop_ok)


def _interval_ghost(cfg: Config, s: Mapping[str, Expr], out: dict[str, Expr], pick: Sequence[Expr],
                    ended: Sequence[Expr]) -> None:
    """Per thread: ``beg`` (its current operation has taken a step) and ``jus`` (a state since that step's pre-state
    justified a failed return, :func:`justified`). An operation's interval is from the pre-state of its first step to
    the post-state of its last: the linearization of an empty or failed return may be any state in it."""
    one, zero = _bv(1, 1), _bv(0, 1)
    for j in range(cfg.nthreads):
        beg, jus = s[f"beg{j}"], s[f"jus{j}"]
        seen = z3.Or(jus == 1, justified(cfg, out, j))
        mover = z3.Or(seen, justified(cfg, s, j))
        out[f"beg{j}"] = z3.If(pick[j], z3.If(ended[j], zero, one), beg)
        out[f"jus{j}"] = z3.If(pick[j], z3.If(z3.And(z3.Not(ended[j]), mover), one, zero),
                               z3.If(z3.And(beg == 1, seen), one, jus))


def failed_returns(cfg: Config, s: Mapping[str, Expr]) -> dict[str, Expr]:
    """D5-empty and D5-full at state ``s``: a thread whose next step would return empty (a pop) or false (a push)
    has a justifying state in its operation's interval, ``s`` included.

    A state predicate, not a step check, so that the bounded model checker's
    "no idle attempts" reduction (which never takes such a step) still checks
    every failed return: the step writes nothing shared, so taking it and
    stopping is the same as asking, in ``s``, whether it would be justified.
    """
    pops, pushes = [], []
    for j in range(cfg.nthreads):
        ok = z3.Implies(failing_return(cfg, s, j), z3.Or(s[f"jus{j}"] == 1, justified(cfg, s, j)))
        if cfg.is_owner(j):
            pushes.append(z3.Implies(z3.ULE(s[f"pc{j}"], P_ADD), ok))
            pops.append(z3.Implies(z3.Not(z3.ULE(s[f"pc{j}"], P_ADD)), ok))
        else:
            pops.append(ok)
    return {"D5-empty": z3.And(*pops), "D5-full": z3.And(*pushes)}


def catalog_id(prop: str) -> str:
    """The properties/catalog.py id of an SMT property name (D5-empty -> D5)."""
    return prop.split("-", 1)[0]


# -- models back to values --------------------------------------------------------------
def evaluate(model: Any, s: Mapping[str, Expr], keys: Sequence[str] | None = None) -> dict[str, int]:
    """Integer values of a state's bit-vector components in ``model``."""
    out: dict[str, int] = {}
    for k in keys or [k for k in s if k not in ("P", "R")]:
        v = model.eval(s[k], model_completion=True)
        out[k] = v.as_long()
    return out


def describe_state(cfg: Config, v: Mapping[str, int]) -> str:
    """One line per component group: headTail as (head, tail), the ring, each thread."""
    b = cfg.bits
    ht = v["ht"]
    h, t = ht >> b, ht & ((1 << b) - 1)
    tn = {TYP_EMPTY: "nil", TYP_VAL: "T", TYP_NIL: "dequeueNil"}
    ring = ", ".join(f"[{i}]=({tn.get(v[f'typ{i}'], '?')}, {v[f'val{i}'] or 'nil'})" for i in range(cfg.size))
    parts = [f"headTail=(head {h}, tail {t}, count {(h - t) % (1 << b)})", f"ring {ring}"]
    for j in range(cfg.nthreads):
        pcs = OWNER_PCS if cfg.is_owner(j) else THIEF_PCS
        pcv = v[f"pc{j}"]
        name = pcs[pcv] if pcv < len(pcs) else f"pc{pcv}"
        p = v[f"ptrs{j}"]
        loc = f"ptrs=(head {p >> b}, tail {p & ((1 << b) - 1)})" if p else ""
        if cfg.is_owner(j) and v.get(f"arg{j}"):
            loc += f" arg={v[f'arg{j}']}"
        if v.get(f"rtyp{j}"):
            loc += f" read=({tn.get(v[f'rtyp{j}'], '?')}, {v[f'rval{j}'] or 'nil'})"
        parts.append(f"thread {j} ({'owner' if cfg.is_owner(j) else 'thief'}) at {name} {loc}".rstrip())
    if "npush" in v:
        parts.append(f"ghost: {v['npush']} pushed, {v['nret']} returned" +
                     (f", {v['nlive']} in the abstract deque" if "nlive" in v else ""))
    return "; ".join(parts)


# -- the properties, as predicates on a state ------------------------------------------
def quiescent(cfg: Config, s: Mapping[str, Expr]) -> Expr:
    """No operation is half-way: every owner is about to start (or retry) a Load, every thief too."""
    cs = []
    for j in range(cfg.nthreads):
        pc = s[f"pc{j}"]
        cs.append(z3.Or(pc == P_LOAD, pc == H_LOAD, pc == O_DONE) if cfg.is_owner(j) else z3.Or(pc == T_LOAD, pc == T_DONE))
    return z3.And(*cs)


def owners_of(cfg: Config, s: Mapping[str, Expr], i: int) -> Expr:
    """How many in-flight operations own slot i (a 4-bit count)."""
    total = _bv(0, 4)
    for j in range(cfg.nthreads):
        own, sl = owns_slot(cfg, s, j)
        total = total + z3.If(z3.And(own, sl == i), _bv(1, 4), _bv(0, 4))
    return total


def d1(cfg: Config, s: Mapping[str, Expr]) -> Expr:
    """D1: 0 <= (head - tail) mod 2^bits <= len(vals)."""
    return z3.ULE(count(cfg, s["ht"]), _bv(cfg.size, cfg.bits))


def d2(cfg: Config, s: Mapping[str, Expr]) -> Expr:
    """D2: slots in [tail, head) hold a value; a non-empty slot outside is owned by exactly one operation."""
    cs = []
    for i in range(cfg.size):
        inr = in_range(cfg, s["ht"], i)
        nonempty = z3.Or(s[f"typ{i}"] != TYP_EMPTY, s[f"val{i}"] != 0)
        cs.append(z3.Implies(inr, s[f"typ{i}"] != TYP_EMPTY))
        cs.append(z3.Implies(z3.And(z3.Not(inr), nonempty), owners_of(cfg, s, i) == 1))
    return z3.And(*cs)


def contents_count(cfg: Config, s: Mapping[str, Expr]) -> Expr:
    """Non-empty slots in [tail, head), as a 32-bit count."""
    total = _bv(0, 32)
    for i in range(cfg.size):
        total = total + z3.If(z3.And(in_range(cfg, s["ht"], i), s[f"typ{i}"] != TYP_EMPTY), _bv(1, 32), _bv(0, 32))
    return total


def d3(cfg: Config, s: Mapping[str, Expr]) -> Expr:
    """D3 at quiescence, by counting: pushed - returned == the values in [tail, head).

    With D4 and the provenance check (every returned value was pushed and not
    yet returned) this is the multiset equality of D3.
    """
    return z3.Implies(quiescent(cfg, s), s["npush"] - s["nret"] == contents_count(cfg, s))


def return_ok(cfg: Config, s: Mapping[str, Expr], ev: Event) -> dict[str, Expr]:
    """The checks on a step that returns (value, true): D4, and D8/D5-value provenance."""
    v = ev.value
    return {
        "D4": z3.Implies(ev.returned, z3.Not(s["R"].contains(v))),
        "D8": z3.Implies(z3.And(ev.returned, v == 0), s["P"].contains(v)),
        "D5-value": z3.Implies(z3.And(ev.returned, v != 0), s["P"].contains(v)),
    }


PROPERTY_TEXT = {
    "D1": "0 <= (head - tail) mod 2^32 <= len(vals)",
    "D2": "every slot in [tail, head) holds a value and every non-empty slot outside it is owned by exactly one "
          "in-flight operation",
    "D3": "at quiescence, pushed - returned == the values in [tail, head)",
    "D4": "a pop returns a value that was not returned before",
    "D5-value": "(part of D5) a pop returns a value whose push has taken effect (headTail.Add)",
    "D5-empty": "(part of D5) a pop returns empty only if, at some state between its first step and its return, no "
                "value was in the deque (every value whose headTail.Add took effect was claimed by a pop's CAS)",
    "D5-full": "(part of D5) pushHead returns false only if, at some state between its first step and its return, "
               "len(vals) values were in the deque or a popTail held the head slot (Go's documented relaxation)",
    "D8": "a pop returns nil only if nil was pushed (the model's pushes are all non-nil tokens)",
}
STATE_PROPS = ("D1", "D2", "D3", "D5-empty", "D5-full")
STEP_PROPS = ("D4", "D5-value", "D8")
ALL_PROPS = ("D1", "D2", "D3", "D4", "D5-value", "D5-empty", "D5-full", "D8")
NOT_ENCODED = ("the order of values (popHead returns the newest value, popTail the oldest) is not encoded: D5 is "
               "proved in three parts (a returned value was pushed, an empty pop and a failed push are justified), "
               "not as full linearizability")


def state_props(cfg: Config, s: Mapping[str, Expr]) -> dict[str, Expr]:
    out = {"D1": d1(cfg, s), "D2": d2(cfg, s), "D3": d3(cfg, s)}
    if "jus0" in s:
        out.update(failed_returns(cfg, s))
    return out


# -- reductions used by the bounded model checker (each argued sound in proofs/smt/bmc.py) ----
def idle(cfg: Config, s: Mapping[str, Expr], j: int) -> Expr:
    """Thread j's next step is the end of a read-only attempt: an empty or full return, a busy slot, a failed CAS.

    Such a step, with the Load (and typ load) before it, writes nothing shared
    and leaves the thread where it started (dead locals are 0), or where a
    different choice of next operation would have put it.
    """
    pc, ptrs, ht = s[f"pc{j}"], s[f"ptrs{j}"], s["ht"]
    fails = failing_return(cfg, s, j)          # an empty, full or busy return
    if cfg.is_owner(j):
        cs = [fails]
        if cfg.variant != "pophead-plain-store":
            cs.append(z3.And(pc == H_CAS, ht != ptrs))
        return z3.Or(*cs)
    cas_fails = z3.BoolVal(True) if cfg.alter == "tail-cas-never-succeeds" else ht != ptrs
    return z3.Or(fails, z3.And(pc == T_CAS, cas_fails))


def failing_return(cfg: Config, s: Mapping[str, Expr], j: int) -> Expr:
    """Thread j's next step returns empty (a pop) or false (a push): the guards of those steps in thread_step.

    tests/test_induction.py checks it against thread_step's event (ended and not ok) for every encoding.
    """
    pc, ptrs, ht = s[f"pc{j}"], s[f"ptrs{j}"], s["ht"]
    h, t = head(cfg, ht), tail(cfg, ht)
    if not cfg.is_owner(j):
        return z3.And(pc == T_LOAD, tail_empty_test(cfg, h, t))
    typ, _ = read_slot(cfg, s, slot_of(cfg, head(cfg, ptrs)))
    return z3.Or(z3.And(pc == P_LOAD, full_test(cfg, h, t)), z3.And(pc == P_TYP, typ != TYP_EMPTY),
                 z3.And(pc == H_LOAD, t == h))


def fused_first(cfg: Config, j: int) -> tuple[int, ...]:
    """The pcs whose step is immediately followed by the same thread's next step in a reduced execution.

    A headTail Load followed by a successful CompareAndSwap of the value it
    loaded can be moved right, next to the CAS: the CAS succeeding means
    headTail still holds what the Load returned. pushHead's Load can be moved
    next to its typ load when the owner is the only thread that increases head
    (the full test can only become more false meanwhile, and the slot comes
    from head).
    """
    if not cfg.is_owner(j):
        return (T_LOAD,)
    out: list[int] = []
    if cfg.variant != "pophead-plain-store":
        out.append(H_LOAD)
    if cfg.owners == 1:
        out.append(P_LOAD)
    return tuple(out)


def footprint(cfg: Config, s: Mapping[str, Expr], j: int, ev: Event) -> tuple[Expr, Expr, Expr, Expr, Expr, Expr]:
    """(reads headTail, writes headTail, accesses a slot, that slot, writes it, touches the ghost) of j's next step.

    Both steps of a fused pair (fused_first) report the pair's union, so that
    two adjacent steps of different threads are compared block to block.
    """
    pc, ptrs, ht = s[f"pc{j}"], s[f"ptrs{j}"], s["ht"]
    fused = fused_first(cfg, j)

    def at(*pcs: int) -> Expr:
        return z3.Or(*[pc == p for p in pcs]) if pcs else z3.BoolVal(False)

    if cfg.is_owner(j):
        push_slot = slot_of(cfg, head(cfg, ptrs))
        pop_slot = slot_of(cfg, head(cfg, ptrs) - 1)
        r_ht = at(P_LOAD, P_ADD, H_LOAD, H_CAS)
        w_ht = at(P_ADD, H_CAS)
        if H_LOAD in fused:
            w_ht = z3.Or(w_ht, pc == H_LOAD)          # the Load is fused with its CAS
        acc = at(P_TYP, P_WRITE, H_READ, H_ZERO)
        sl = z3.If(at(H_READ, H_ZERO), pop_slot, push_slot)
        w_sl = at(P_WRITE, H_ZERO)
        if P_LOAD in fused:
            nxt = P_WRITE if cfg.variant == "push-no-typ-check" else P_TYP
            # the Load and the step after it: both read headTail and touch the head slot
            acc = z3.Or(acc, pc == P_LOAD)
            sl = z3.If(pc == P_LOAD, slot_of(cfg, head(cfg, ht)), sl)
            r_ht = z3.Or(r_ht, pc == nxt)
            if nxt == P_WRITE:
                w_sl = z3.Or(w_sl, pc == P_LOAD)
    else:
        r_ht = at(T_LOAD, T_CAS)
        w_ht = at(T_LOAD, T_CAS)
        acc = at(T_READ, T_VALNIL, T_TYPNIL)
        sl = slot_of(cfg, tail(cfg, ptrs))
        w_sl = at(T_VALNIL, T_TYPNIL)
    gh = z3.Or(ev.ended, ev.pushed, ev.returned)
    return r_ht, w_ht, acc, sl, w_sl, gh


def conflict(a: tuple[Expr, ...], b: tuple[Expr, ...]) -> Expr:
    """Two footprints conflict: they access headTail or the same slot and one writes, or both touch the ghost."""
    ra, wa, xa, la, wsa, ga = a
    rb, wb, xb, lb, wsb, gb = b
    return z3.Or(z3.And(wa, z3.Or(rb, wb)), z3.And(ra, wb), z3.And(xa, xb, la == lb, z3.Or(wsa, wsb)), z3.And(ga, gb))


def live_ptrs(cfg: Config, j: int, pc: Expr) -> Expr:
    """Whether thread j's ``ptrs`` local holds a loaded headTail at ``pc`` (else it is dead, 0)."""
    if cfg.is_owner(j):
        return z3.Not(z3.Or(pc == P_LOAD, pc == H_LOAD, pc == O_DONE))
    return z3.Not(z3.Or(pc == T_LOAD, pc == T_DONE))


def shift(cfg: Config, s: Mapping[str, Expr], c: Expr) -> dict[str, Expr]:
    """``s`` with every index moved by c (mod 2^bits): head, tail, every live ``ptrs``; the ring rotated to match."""
    out = dict(s)

    def mv(w: Expr) -> Expr:
        return pack(head(cfg, w) + c, tail(cfg, w) + c)

    out["ht"] = mv(s["ht"])
    rot = slot_of(cfg, c)
    for i in range(cfg.size):
        src = _bv(i, cfg.slot_bits) - rot
        out[f"typ{i}"] = _sel(cfg, [s[f"typ{k}"] for k in range(cfg.size)], src)
        out[f"val{i}"] = _sel(cfg, [s[f"val{k}"] for k in range(cfg.size)], src)
    for j in range(cfg.nthreads):
        out[f"ptrs{j}"] = z3.If(live_ptrs(cfg, j, s[f"pc{j}"]), mv(s[f"ptrs{j}"]), s[f"ptrs{j}"])
    return out


def live_ptrs_int(cfg: Config, j: int, pc: int) -> bool:
    """:func:`live_ptrs` for a concrete pc."""
    if cfg.is_owner(j):
        return pc not in (P_LOAD, H_LOAD, O_DONE)
    return pc not in (T_LOAD, T_DONE)
