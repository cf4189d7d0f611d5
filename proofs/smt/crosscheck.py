"""Cross-check: one step of the Z3 transition relation against one step of the Python model.

A drawn state (any headTail, any ring contents, every thread at any program
counter with any locals, reachable or not) is built in the kernel by driving
each thread's generator (model/poolqueue.py, or a variant's) with made-up
effect results up to the drawn point. Then one thread takes one kernel step
(model/kernel.py, model/memory.py: THE semantics), and the Z3 relation of
proofs/smt/dequeue_smt.py must admit exactly the resulting state: the Python
successor satisfies it, and no other state does for that thread and that
next operation. The operation's result must agree too.

``check_step`` is the oracle; tests/test_crosscheck.py drives it with
Hypothesis, ``run`` with a seeded random source (the ``crosscheck`` rows of
``poolcheck prove``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

from model import effects as K
from model.harness import build
from model.kernel import Kernel, Op, OpRecord
from model.params import Params
from model.poolqueue import TYP_NIL, TYP_VAL
from model.variants.base import Model
from proofs.smt import dequeue_smt as E
from proofs.smt.dequeue_smt import Config

__all__ = ["Drawn", "ThreadDraw", "Source", "RandomSource", "draw_state", "check_step", "run", "CrossCheckError"]

_TYP_CODE = {None: E.TYP_EMPTY, TYP_VAL: E.TYP_VAL, TYP_NIL: E.TYP_NIL}
_TYP_WORD = {E.TYP_EMPTY: None, E.TYP_VAL: TYP_VAL, E.TYP_NIL: TYP_NIL}
M32 = (1 << 32) - 1


class CrossCheckError(Exception):
    """A drawn state the Python model cannot be put into (the caller draws again)."""


@dataclass
class ThreadDraw:
    pc: int
    ptrs: int = 0
    arg: Any = None              # the value the current push pushes (owner), None for Go nil
    op: str = "tail"             # push | push:nil | pop | tail
    read: tuple[Any, Any] = (None, None)  # (typ word, val) a pop read from its slot
    next_op: str | None = None   # the thread's next operation, None: no more
    next_arg: Any = None


@dataclass
class Drawn:
    cfg: Config
    head: int
    tail: int
    ring: list[tuple[Any, Any]]
    threads: list[ThreadDraw]
    mover: int

    def describe(self) -> str:
        ts = "; ".join(f"t{j}:{(E.OWNER_PCS if self.cfg.is_owner(j) else E.THIEF_PCS)[t.pc]} op={t.op} "
                       f"ptrs=({t.ptrs >> 32},{t.ptrs & M32}) arg={t.arg} read={t.read} next={t.next_op}"
                       for j, t in enumerate(self.threads))
        return f"size {self.cfg.size} head {self.head} tail {self.tail} ring {self.ring} | {ts} | thread {self.mover} moves"


class Source:
    """Where random choices come from (random.Random here, Hypothesis's data.draw in the tests)."""

    def integer(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[self.integer(0, len(seq) - 1)]


class RandomSource(Source):
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.r.randint(lo, hi)


def _index(src: Source) -> int:
    return int(src.choice([0, 1, 2, M32, M32 - 1, M32 - 2, 1 << 31, src.integer(0, M32)]))


def draw_state(cfg: Config, src: Source) -> Drawn:
    """Any state of the system for ``cfg``: indices near 0, near 2^32 or anywhere; any ring; any pcs."""
    tail = _index(src)
    head = (tail + src.integer(0, cfg.size)) & M32 if src.integer(0, 3) else _index(src)
    toks = [None, 1, 2, 3, 7]
    ring = [src.choice([(None, None), (TYP_VAL, src.choice(toks[1:])), (TYP_NIL, None), (TYP_VAL, None),
                        (None, src.choice(toks[1:])), (TYP_NIL, src.choice(toks[1:]))])
            for _ in range(cfg.size)]
    ht = (head << 32) | tail
    threads = []
    for j in range(cfg.nthreads):
        owner = cfg.is_owner(j)
        pcs = E.OWNER_PCS if owner else E.THIEF_PCS
        pc = src.integer(0, len(pcs) - 1)
        # ptrs: usually the current headTail (so a CAS can succeed), else anything
        if src.integer(0, 2):
            ptrs = ht
        else:
            ptrs = (_index(src) << 32) | _index(src)
        t = ThreadDraw(pc, ptrs)
        if owner:
            if pc in (E.P_LOAD, E.P_TYP, E.P_WRITE, E.P_ADD):
                t.op = src.choice(["push", "push:nil"])
                t.arg = None if t.op == "push:nil" else src.choice([1, 2, 5, 9])
            else:
                t.op = "pop"
            nxt = src.choice(["push", "push:nil", "pop", None])
            t.next_op = nxt
            t.next_arg = src.choice([4, 6, 8]) if nxt == "push" else None
        else:
            t.op = "tail"
            t.next_op = src.choice(["tail", None])
        t.read = src.choice([(TYP_VAL, src.choice([1, 3, 7])), (TYP_NIL, None), (None, None)])
        threads.append(t)
    movable = [j for j in range(cfg.nthreads)
               if threads[j].pc != (E.O_DONE if cfg.is_owner(j) else E.T_DONE)]
    if not movable:
        raise CrossCheckError("no thread can move")
    return Drawn(cfg, head, tail, ring, threads, src.choice(movable))


# -- the Python side -------------------------------------------------------------------
def _scenario(cfg: Config) -> str:
    parts = ["push pop" if cfg.is_owner(j) else "tail" for j in range(cfg.nthreads)]
    return " | ".join(parts)


def _pc_of(cfg: Config, j: int, op: str, eff: K.Effect, d: int, ring: int, n: int) -> int:
    """The Z3 pc that names pending effect ``eff`` of thread j's operation ``op``."""
    on_ht = eff.addr == d
    in_ring = ring <= eff.addr < ring + 2 * n
    is_val = in_ring and (eff.addr - ring) % 2 == 1
    k = eff.kind
    if op.startswith("push"):
        if k == K.LOAD and on_ht:
            return E.P_LOAD
        if k == K.LOAD and in_ring:
            return E.P_TYP
        if k in (K.WRITE, K.STORE) and in_ring:
            return E.P_WRITE
        if k == K.ADD and on_ht:
            return E.P_ADD
    elif op == "pop":
        if k == K.LOAD and on_ht:
            return E.H_LOAD
        if k in (K.CAS, K.STORE, K.WRITE) and on_ht:
            return E.H_CAS
        if k == K.READ and in_ring:
            return E.H_READ
        if k in (K.WRITE, K.STORE) and in_ring:
            return E.H_ZERO
    else:
        if k == K.LOAD and on_ht:
            return E.T_LOAD
        if k == K.CAS and on_ht:
            return E.T_CAS
        if k == K.READ and in_ring:
            return E.T_READ
        if k in (K.WRITE, K.STORE) and is_val:
            return E.T_VALNIL
        if k in (K.WRITE, K.STORE) and in_ring:
            return E.T_TYPNIL
    raise CrossCheckError(f"no pc for {K.KIND_NAMES[k]} at {eff.addr} ({eff.label}) in {op}")


def _frame_locals(gen: Any) -> dict[str, Any]:
    """Locals of the innermost generator frame that holds the operation's state."""
    best: dict[str, Any] = {}
    g = gen
    while g is not None:
        fr = getattr(g, "gi_frame", None)
        if fr is not None and ("ptrs" in fr.f_locals or not best):
            best = dict(fr.f_locals)
        g = getattr(g, "gi_yieldfrom", None)
    return best


def _val(v: Any) -> int:
    return 0 if v is None else int(v)


def abstract_kernel(cfg: Config, k: Kernel, d: int, threads: Sequence[int] | None = None) -> dict[str, int]:
    """The Z3 state (no ghost) of a kernel running a dequeue at ``d``; ``threads``: the Z3 id of each kernel thread."""
    ring = k.mem[d + 1][0]
    st = _abstract(cfg, k, d, ring, threads)
    return st


def _abstract(cfg: Config, k: Kernel, d: int, ring: int, ids: Sequence[int] | None = None) -> dict[str, int]:
    """The Z3 state (no ghost) that names the kernel's state."""
    n, mem = cfg.size, k.mem
    out: dict[str, int] = {"ht": int(mem[d])}
    for i in range(n):
        out[f"typ{i}"] = _TYP_CODE[mem[ring + 2 * i]]
        out[f"val{i}"] = _val(mem[ring + 2 * i + 1])
    for kj, th in enumerate(k.threads):
        j = ids[kj] if ids is not None else kj
        owner = cfg.is_owner(j)
        out.update({f"ptrs{j}": 0, f"rtyp{j}": 0, f"rval{j}": 0})
        if owner:
            out[f"arg{j}"] = 0
        if th.done or th.pending is None:
            out[f"pc{j}"] = E.O_DONE if owner else E.T_DONE
            continue
        op = th.ops[th.op_index]
        pc = _pc_of(cfg, j, op.name, th.pending, d, ring, n)
        out[f"pc{j}"] = pc
        loc = _frame_locals(th.gen)
        if owner and pc in (E.P_LOAD, E.P_TYP, E.P_WRITE, E.P_ADD):
            out[f"arg{j}"] = _val(op.arg)
        if E.live_ptrs_int(cfg, j, pc):
            out[f"ptrs{j}"] = int(loc["ptrs"])
        if (pc == E.H_ZERO) if owner else pc in (E.T_VALNIL, E.T_TYPNIL):
            out[f"rtyp{j}"] = _TYP_CODE[loc.get("typ")]
            out[f"rval{j}"] = _val(loc.get("val"))
    return out


def _drive(gen: Any, target: int, cfg: Config, j: int, op: str, t: ThreadDraw, mem: list[Any], d: int,
           ring: int) -> K.Effect:
    """Advance ``gen`` with made-up results until its pending effect is the one named ``target``."""
    from model.memory import apply
    eff: K.Effect = next(gen)
    for _ in range(50):
        if not eff.silent:
            pc = _pc_of(cfg, j, op, eff, d, ring, cfg.size)
            if pc == target:
                return eff
        k = eff.kind
        if eff.silent:
            res = apply(list(mem), eff, -1)
        elif k == K.LOAD and eff.addr == d:
            res = t.ptrs
        elif k == K.LOAD:
            res = None                       # the head slot is free
        elif k == K.CAS:
            res = True
        elif k == K.READ:
            res = t.read
        elif k == K.ADD:
            res = 0
        else:
            res = None
        try:
            eff = gen.send(res)
        except StopIteration:
            raise CrossCheckError(f"thread {j}'s {op} returns before it reaches "
                                  f"{(E.OWNER_PCS if cfg.is_owner(j) else E.THIEF_PCS)[target]}") from None
    raise CrossCheckError("the generator did not reach the drawn pc")


def python_step(d0: Drawn, model: type[Model]) -> tuple[dict[str, int], dict[str, int], Any, bool]:
    """(state before, state after, the moving thread's op result, whether its op returned) in the kernel."""
    cfg = d0.cfg
    w = build("dequeue", _scenario(cfg), Params(size=cfg.size, dequeue_bits=cfg.bits), model)
    mem = list(w.mem0)
    dq = w.root
    ring = mem[dq + 1][0]
    mem[dq] = (d0.head << 32) | d0.tail
    for i, (ty, v) in enumerate(d0.ring):
        mem[ring + 2 * i], mem[ring + 2 * i + 1] = ty, v
    k = Kernel(mem, track_races=False, record_trace=False)
    obj = w.cfg.dequeue(dq)
    for j, t in enumerate(d0.threads):
        done_pc = E.O_DONE if cfg.is_owner(j) else E.T_DONE
        if t.pc == done_pc:
            k.spawn([])
            continue
        ops = [_make_op(obj, t.op, t.arg)]
        if t.next_op is not None:
            ops.append(_make_op(obj, t.next_op, t.next_arg))
        tid = k.spawn(ops)
        th = k.threads[tid]
        th.gen = ops[0].start()
        th.pending = _drive(th.gen, t.pc, cfg, j, t.op, t, mem, dq, ring)
        th.record = OpRecord(tid, 0, t.op, ops[0].arg, call=-1)
        k.history.append(th.record)
    before = _abstract(cfg, k, dq, ring)
    mover = k.threads[d0.mover]
    rec = mover.record
    k.step(d0.mover)
    after = _abstract(cfg, k, dq, ring)
    assert rec is not None
    return before, after, rec.result, rec.ret is not None


def _make_op(obj: Any, word: str, arg: Any) -> Op:
    if word.startswith("push"):
        return Op(word, arg, lambda: obj.push_head(arg))
    if word == "pop":
        return Op(word, None, obj.pop_head)
    return Op(word, None, obj.pop_tail)


# -- the oracle ------------------------------------------------------------------------
@dataclass
class StepCheck:
    ok: bool
    problems: list[str] = field(default_factory=list)


def check_step(d0: Drawn, model: type[Model]) -> StepCheck:
    """Run one Python step from ``d0`` and ask Z3 whether its relation admits exactly that successor."""
    cfg = d0.cfg
    before, after, result, returned = python_step(d0, model)
    problems: list[str] = []
    s = E.const_state(cfg, before)
    t = d0.threads[d0.mover]
    owner = cfg.is_owner(d0.mover)
    if owner:
        pn = {"push": E.NXT_PUSH, "push:nil": E.NXT_PUSH, "pop": E.NXT_POP, None: E.NXT_DONE}[t.next_op]
    else:
        pn = E.NXT_TAIL if t.next_op else E.NXT_TDONE
    pa = _val(t.next_arg) if t.next_op == "push" else 0
    cbits = max(1, (cfg.nthreads - 1).bit_length())
    nxt, narg = z3.BitVec("nxt", 2), z3.BitVec("narg", cfg.vbits)
    succ, ev, guard = E.step(cfg, s, z3.BitVecVal(d0.mover, cbits), nxt, narg, ghost=False)
    post = E.fresh_state(cfg, "post", ghost=False)
    sol = z3.SolverFor("QF_BV")
    sol.add(guard, z3.Or(z3.And(nxt == E.NXT_NONE, narg == 0), z3.And(nxt == pn, narg == pa)))
    sol.add(*[post[k] == succ[k] for k in post])
    same = z3.And(*[post[k] == after[k] for k in post])
    sol.push()
    sol.add(same)
    if sol.check() != z3.sat:
        problems.append("the Z3 relation does not admit the Python successor: " + _diff(cfg, before, after, succ, d0.mover,
                                                                                        pn, pa))
    sol.pop()
    sol.add(z3.Not(same))
    if sol.check() == z3.sat:
        m = sol.model()
        other = {k: m.eval(post[k], model_completion=True).as_long() for k in post}
        diffs = [f"{k}: python {after[k]} z3 {other[k]}" for k in post if other[k] != after[k]]
        problems.append("the Z3 relation admits another successor: " + ", ".join(diffs))
    # the operation's result
    sub = [(nxt, z3.BitVecVal(pn if returned else E.NXT_NONE, 2)), (narg, z3.BitVecVal(pa if returned else 0, cfg.vbits))]
    ended = z3.is_true(z3.simplify(z3.substitute(ev.ended, *sub)))
    if ended != returned:
        problems.append(f"python's operation {'returned' if returned else 'did not return'} but z3 says ended={ended}")
    elif returned:
        ok = z3.is_true(z3.simplify(z3.substitute(ev.result_ok, *sub)))
        py_ok = bool(result[1]) if isinstance(result, tuple) else bool(result)
        if ok != py_ok:
            problems.append(f"result: python {result!r}, z3 ok={ok}")
        if isinstance(result, tuple) and result[1]:
            v = z3.simplify(z3.substitute(ev.value, *sub)).as_long()
            if v != _val(result[0]):
                problems.append(f"returned value: python {result[0]!r}, z3 {v}")
    return StepCheck(not problems, problems)


def _diff(cfg: Config, before: dict[str, int], after: dict[str, int], succ: dict[str, Any], j: int, pn: int,
          pa: int) -> str:
    out = []
    for k in after:
        z = z3.simplify(z3.substitute(succ[k], (z3.BitVec("nxt", 2), z3.BitVecVal(pn, 2)),
                                      (z3.BitVec("narg", cfg.vbits), z3.BitVecVal(pa, cfg.vbits))))
        if z3.is_bv_value(z) and z.as_long() != after[k]:
            out.append(f"{k}: python {after[k]} z3 {z.as_long()}")
    return ", ".join(out) or "(the guard rejects the step)"


def run(cfg_of: Callable[[Source], Config], model: type[Model], n: int = 200, seed: int = 0,
        seen: dict[str, int] | None = None) -> tuple[int, int, list[str]]:
    """``n`` seeded random draws (a budget in work, never in seconds): (checked, rejected draws, first problems).

    ``seen`` (if given) counts the checked draws per "ring N, T thieves".
    """
    src = RandomSource(seed)
    checked = rejected = 0
    for _ in range(n):
        cfg = cfg_of(src)
        try:
            d0 = draw_state(cfg, src)
            res = check_step(d0, model)
        except CrossCheckError:
            rejected += 1
            continue
        checked += 1
        if seen is not None:
            key = f"ring {cfg.size}, T={cfg.thieves}"
            seen[key] = seen.get(key, 0) + 1
        if not res.ok:
            return checked, rejected, [d0.describe()] + res.problems
    return checked, rejected, []
