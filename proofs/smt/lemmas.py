"""Z3 lemmas over Go's real widths: 32-bit indices, 64-bit headTail (DESIGN.md section 5).

Each lemma is a named query. A query asks for a counterexample (the negation
of the statement); ``unsat`` means ``proved``, ``sat`` means
``counterexample`` (the model is printed as values) and anything else is
``unknown``. Some lemmas are expected to fail: they show what goes wrong
outside the conditions Go relies on (a ring of 2^B slots, a ring whose size
is not a power of two, the int32 doubling at dequeueLimit).

L1 pack/unpack     unpack(pack(h, t)) == (h, t) for all 32-bit h, t;
                   pack(unpack(x)) == x for all 64-bit x.
L2 head increment  headTail + 1<<32 increments head mod 2^32 and keeps tail,
                   for every headTail, including head = 2^32 - 1.
L3 full and empty  for n = 2^k, k <= B-1, and every head, tail with
                   c = (head - tail) mod 2^B <= n: Go's full test holds iff
                   c == n, its empty test iff c == 0, and the c items sit in
                   c distinct slots. B = 32 and B = 3 (the explorer's
                   width). Counterexamples at n = 2^B (full == empty) and
                   n = 6 (two items in one slot under the mask).
L4 slot index      (i mod 2^B) & (n-1) == i mod n for every 64-bit i and
                   every n = 2^k dividing 2^B; distinct indices in
                   [tail, head) give distinct slots across the wrap.
L5 dequeueLimit    the variant's dequeueLimit fits in an int32 and is at most
                   2^(B-1); poolChain's growth (double, capped at the limit)
                   keeps sizes powers of two in [initSize, limit] with 64-bit
                   int. With 32-bit int the doubling from the limit itself
                   overflows (expected counterexample; unreachable, see its
                   detail).
L6 padding         for every size s < 2^16: s + (128 - s % 128) is a multiple
                   of 128 and the pad is in [1, 128]; a size that is already
                   a multiple of 128 gets a full 128-byte pad. With
                   model/layout.py's sizes this proves P10 on every GOARCH.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3  # type: ignore[import-untyped]

from model.bits import is_pow2
from model.layout import ARCHES, pad, sizeof_pool_local, sizeof_pool_local_internal
from model.params import Params
from model.variants.base import Model
from proofs.smt.rlimit import Resources

__all__ = ["LemmaResult", "LEMMAS", "run_lemmas", "lemma_names"]


@dataclass
class LemmaResult:
    name: str
    result: str        # proved | counterexample | unknown
    expected: str      # proved | counterexample
    seconds: float
    detail: str
    prop: str


LEMMA_RLIMIT = 10_000_000   # Z3 resource units per query (deterministic; the largest lemma query uses 74,088)


def _check(claim: Any, names: dict[str, Any], rlimit: int = LEMMA_RLIMIT) -> tuple[str, str]:
    """Prove ``claim`` (a Bool over the constants in ``names``): (result, model text or reason)."""
    s = z3.SolverFor("QF_BV")
    budget = Resources(rlimit, "one lemma query")
    s.add(z3.Not(claim))
    r = budget.check(s, "the lemma's query")
    if budget.exhausted:
        return "unknown", budget.describe()
    if r == z3.unsat:
        return "proved", ""
    if r == z3.sat:
        m = s.model()
        vals = ", ".join(f"{k} = {m.eval(v, model_completion=True)}" for k, v in names.items())
        return "counterexample", vals
    return "unknown", str(s.reason_unknown())


# -- Go's helpers, written as Go writes them -------------------------------------
def go_pack(h: Any, t: Any, bits: int = 32) -> Any:
    """``(uint64(head) << dequeueBits) | uint64(tail&mask)``."""
    m = (1 << bits) - 1
    return (z3.ZeroExt(64 - bits, h) << bits) | z3.ZeroExt(64 - bits, t & m)


def go_unpack(ptrs: Any, bits: int = 32) -> tuple[Any, Any]:
    """``head = uint32((ptrs >> dequeueBits) & mask); tail = uint32(ptrs & mask)``."""
    m = z3.BitVecVal((1 << bits) - 1, 64)
    return z3.Extract(bits - 1, 0, z3.LShR(ptrs, bits) & m), z3.Extract(bits - 1, 0, ptrs & m)


def l1() -> list[LemmaResult]:
    t0 = time.monotonic()
    h, t = z3.BitVecs("head tail", 32)
    uh, ut = go_unpack(go_pack(h, t))
    r1, m1 = _check(z3.And(uh == h, ut == t), {"head": h, "tail": t})
    x = z3.BitVec("ptrs", 64)
    xh, xt = go_unpack(x)
    r2, m2 = _check(go_pack(xh, xt) == x, {"ptrs": x})
    res = "proved" if r1 == r2 == "proved" else ("counterexample" if "counterexample" in (r1, r2) else "unknown")
    detail = ("unpack(pack(h, t)) == (h, t) for all 2^64 pairs; pack(unpack(x)) == x for all 2^64 words"
              if res == "proved" else f"{r1} {m1}; {r2} {m2}")
    return [LemmaResult("L1-pack-unpack", res, "proved", time.monotonic() - t0, detail, "D1")]


def l2() -> list[LemmaResult]:
    t0 = time.monotonic()
    x = z3.BitVec("headTail", 64)
    h, t = go_unpack(x)
    h2, t2 = go_unpack(x + (1 << 32))
    r, m = _check(z3.And(h2 == h + 1, t2 == t), {"headTail": x})
    # the wrap itself: head = 2^32 - 1 becomes 0, tail kept, the carry leaves the word
    tt = z3.BitVec("tail", 32)
    w = go_pack(z3.BitVecVal(0xFFFF_FFFF, 32), tt)
    wh, wt = go_unpack(w + (1 << 32))
    r2, m2 = _check(z3.And(wh == 0, wt == tt), {"tail": tt})
    ok = r == r2 == "proved"
    detail = ("Add(1<<32) gives (head+1 mod 2^32, tail) for all 2^64 words; at head = 2^32-1 head becomes 0 and "
              "the carry out of bit 63 is dropped" if ok else f"{r} {m}; {r2} {m2}")
    return [LemmaResult("L2-head-increment", "proved" if ok else ("counterexample" if "counterexample" in (r, r2)
                        else "unknown"), "proved", time.monotonic() - t0, detail, "D1")]


def _l3_one(n: int, bits: int) -> tuple[str, str]:
    """Check L3 for one size without a quantifier: the distinct-slot part uses two free offsets."""
    h, t = z3.BitVecs("head tail", bits)
    a, b = z3.BitVecs("i j", bits + 1)
    c = z3.ZeroExt(1, h - t)
    nn = z3.BitVecVal(n, bits + 1)
    nb = z3.BitVecVal(n % (1 << bits), bits)
    full = (t + nb) == h
    empty = t == h
    mask = z3.BitVecVal((n - 1) % (1 << bits), bits)

    def slot(i: Any) -> Any:
        return (t + z3.Extract(bits - 1, 0, i)) & mask

    coll = z3.And(z3.ULT(a, c), z3.ULT(b, c), a != b, slot(a) == slot(b))
    claim = z3.Implies(z3.ULE(c, nn), z3.And(full == (c == nn), empty == (c == 0), z3.Not(coll)))
    names = {"head": h, "tail": t, "count": c}
    r, m = _check(claim, names)
    if r == "counterexample":
        sm = z3.Solver()
        sm.add(z3.Not(claim))
        sm.check()
        mo = sm.model()
        cv = mo.eval(c, model_completion=True).as_long()
        fv, ev = z3.is_true(mo.eval(full, model_completion=True)), z3.is_true(mo.eval(empty, model_completion=True))
        col = z3.is_true(mo.eval(coll, model_completion=True))
        why = []
        if fv != (cv == n):
            why.append(f"the full test says {fv} with {cv} of {n} items")
        if ev != (cv == 0):
            why.append(f"the empty test says {ev} with {cv} items")
        if col and not why:
            why.append(f"items at tail+{mo.eval(a).as_long()} and tail+{mo.eval(b).as_long()} share slot "
                       f"{mo.eval(slot(a)).as_long()} (mask {(n - 1) % (1 << bits)})")
        hv, tv = mo.eval(h).as_long(), mo.eval(t).as_long()
        m = f"head = {hv}, tail = {tv}, count = {cv}: {'; '.join(why)}"
    return r, m


def l3() -> list[LemmaResult]:
    out = []
    for bits in (32, 3):
        t0 = time.monotonic()
        bad = []
        for k in range(bits):
            r, m = _l3_one(1 << k, bits)
            if r != "proved":
                bad.append(f"k={k}: {r} {m}")
        res = "proved" if not bad else ("counterexample" if any("counterexample" in x for x in bad) else "unknown")
        detail = (f"n = 2^k for every k in 0..{bits - 1}: full iff n items, empty iff 0, items in distinct slots "
                  f"({bits} queries)" if not bad else "; ".join(bad))
        out.append(LemmaResult(f"L3-full-empty-B{bits}", res, "proved", time.monotonic() - t0, detail, "D1"))
    for bits, n, label in ((32, 1 << 32, "n=2^32"), (3, 8, "n=2^3-B3"), (32, 6, "n=6")):
        t0 = time.monotonic()
        r, m = _l3_one(n, bits)
        out.append(LemmaResult(f"L3-{label}", r, "counterexample", time.monotonic() - t0,
                               m or "no counterexample found", "D1" if n == 1 << bits else "D2"))
    return out


def l4() -> list[LemmaResult]:
    t0 = time.monotonic()
    bad = []
    bits = 32
    for k in range(bits + 1):
        n = 1 << k
        i = z3.BitVec("i", 64)
        lhs = z3.ZeroExt(32, z3.Extract(bits - 1, 0, i) & z3.BitVecVal((n - 1) & 0xFFFF_FFFF, 32))
        rhs = z3.URem(i, z3.BitVecVal(n, 64))
        r, m = _check(lhs == rhs, {"i": i})
        if r != "proved":
            bad.append(f"mod identity k={k}: {r} {m}")
        if k < bits:
            t = z3.BitVec("tail", 32)
            a, b = z3.BitVecs("i j", 32)
            msk = z3.BitVecVal(n - 1, 32)
            claim = z3.Implies(z3.And(z3.ULT(a, n), z3.ULT(b, n), a != b), ((t + a) & msk) != ((t + b) & msk))
            r, m = _check(claim, {"tail": t, "i": a, "j": b})
            if r != "proved":
                bad.append(f"distinct slots k={k}: {r} {m}")
    res = "proved" if not bad else ("counterexample" if any("counterexample" in x for x in bad) else "unknown")
    detail = ("(i mod 2^32) & (n-1) == i mod n for all 64-bit i and n = 2^0..2^32; n consecutive 32-bit indices "
              "from any tail (across 2^32) take n distinct slots" if not bad else "; ".join(bad))
    return [LemmaResult("L4-slot-index", res, "proved", time.monotonic() - t0, detail, "D2")]


def _pow2(x: Any) -> Any:
    return z3.And(x != 0, (x & (x - 1)) == 0)


def l5(model: type[Model] = Model) -> list[LemmaResult]:
    out = []
    t0 = time.monotonic()
    bits = 32
    limit = model.dequeue_limit(Params())
    init = Params().init_size
    lim_ok = limit <= (1 << 31) - 1 and limit <= 1 << (bits - 1) and is_pow2(limit)
    s = z3.BitVec("size", 64)
    L = z3.BitVecVal(limit % (1 << 64), 64)
    ns = s * 2
    grown = z3.If(z3.UGE(ns, L), L, ns)          # newSize := len*2; if newSize >= dequeueLimit { newSize = dequeueLimit }
    pre = z3.And(_pow2(s), z3.UGE(s, init), z3.ULE(s, L))
    claim = z3.Implies(pre, z3.And(_pow2(grown), z3.UGE(grown, init), z3.ULE(grown, L), z3.UGE(grown, s)))
    r, m = _check(claim, {"len(d.vals)": s})
    if not lim_ok:
        res = "counterexample"
        detail = (f"dequeueLimit = {limit}: " + ("does not fit in an int32; " if limit > (1 << 31) - 1 else "") +
                  ("exceeds 2^31 = (1<<dequeueBits)/2, so full and empty collide (L3 at n = 2^32); "
                   if limit > 1 << 31 else "") + ("is not a power of two" if not is_pow2(limit) else "") +
                  (f"; growth: {r} {m}" if r != "proved" else ""))
    else:
        res = r
        detail = (f"dequeueLimit = {limit} = 2^{limit.bit_length() - 1} <= 2^31 - 1 and <= 2^31; with 64-bit int every "
                  f"power-of-two size in [{init}, {limit}] grows to a power of two in [{init}, {limit}]"
                  if r == "proved" else f"growth {r}: {m}")
    out.append(LemmaResult("L5-limit-growth", res, "proved", time.monotonic() - t0, detail, "C5"))

    # int = int32 (GOARCH 386, arm, mips): doubling the limit itself overflows
    t0 = time.monotonic()
    s32 = z3.BitVec("size", 32)
    L32 = z3.BitVecVal(limit % (1 << 32), 32)
    ns32 = s32 * 2
    grown32 = z3.If(ns32 >= L32, L32, ns32)       # signed comparison, as Go's int
    pre32 = z3.And(_pow2(s32), s32 >= init, s32 <= L32)
    claim32 = z3.Implies(pre32, z3.And(_pow2(grown32), grown32 >= init, grown32 <= L32))
    r32, m32 = _check(claim32, {"len(d.vals)": s32, "newSize": grown32})
    if r32 == "counterexample":
        sm = z3.Solver()
        sm.add(z3.Not(claim32))
        sm.check()
        mo = sm.model()
        m32 = (f"len(d.vals) = {mo.eval(s32).as_signed_long()}, newSize = "
               f"{mo.eval(grown32, model_completion=True).as_signed_long()}")
    detail32 = (f"{m32}: with 32-bit int, len(d.vals)*2 overflows to a negative newSize and make panics; "
                f"unreachable, because a full dequeue of 2^30 slots needs 8 GiB on a 32-bit platform"
                if r32 == "counterexample" else f"{r32} {m32}")
    out.append(LemmaResult("L5-int32-at-limit", r32, "counterexample", time.monotonic() - t0, detail32, "C5"))
    return out


def l6() -> list[LemmaResult]:
    t0 = time.monotonic()
    s = z3.BitVec("sizeof", 64)
    p = 128 - z3.URem(s, 128)                     # 128 - unsafe.Sizeof(poolLocalInternal{})%128
    claim = z3.Implies(z3.ULT(s, 1 << 16), z3.And(z3.URem(s + p, 128) == 0, z3.UGE(p, 1), z3.ULE(p, 128)))
    r, m = _check(claim, {"sizeof": s})
    r2, m2 = _check(z3.Implies(z3.And(z3.ULT(s, 1 << 16), z3.URem(s, 128) == 0), p == 128), {"sizeof": s})
    archs = []
    ok_arch = True
    for a in ARCHES:
        si = sizeof_pool_local_internal(a)
        total = sizeof_pool_local(a)
        ok_arch = ok_arch and si < 1 << 16 and total % 128 == 0 and pad(a) == 128 - si % 128
        archs.append(f"{a.goarch} {si}+{pad(a)}={total}")
    ok = r == r2 == "proved" and ok_arch
    detail = ("for every s < 2^16 the padded size is a multiple of 128 with a pad in [1, 128], and a multiple of 128 "
              "gets a full 128-byte pad; so P10 holds on every GOARCH: " + ", ".join(archs)
              if ok else f"{r} {m}; {r2} {m2}; arches ok: {ok_arch}")
    return [LemmaResult("L6-padding", "proved" if ok else ("counterexample" if "counterexample" in (r, r2) or not ok_arch
                        else "unknown"), "proved", time.monotonic() - t0, detail, "P10")]


LEMMAS: dict[str, Callable[[], list[LemmaResult]]] = {"L1": l1, "L2": l2, "L3": l3, "L4": l4, "L6": l6}


def lemma_names() -> list[str]:
    return ["L1-pack-unpack", "L2-head-increment", "L3-full-empty-B32", "L3-full-empty-B3", "L3-n=2^32",
            "L3-n=2^3-B3", "L3-n=6", "L4-slot-index", "L5-limit-growth", "L5-int32-at-limit", "L6-padding"]


def run_lemmas(model: type[Model] = Model, only: Callable[[str], bool] | None = None) -> list[LemmaResult]:
    """Every lemma (L5 with ``model``'s dequeueLimit), in order."""
    out: list[LemmaResult] = []
    for key, fn in (("L1", l1), ("L2", l2), ("L3", l3), ("L4", l4), ("L5", lambda: l5(model)), ("L6", l6)):
        if only is not None and not any(only(n) for n in lemma_names() if n.startswith(key + "-")):
            continue
        out += [r for r in fn() if only is None or only(r.name)]
    return out
