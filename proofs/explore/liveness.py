"""Dead-variable reduction: a suspended model generator keyed by what its future depends on.

A thread's local state could be keyed by every result sent into its current
operation (proofs/explore/local.py does that with the reduction off). Most
of those results are dead once used: after popTail's CompareAndSwap succeeds
only ``slot`` matters, not the head index it loaded. Two local states whose
*live* variables agree behave identically for ever, so they can share one
lid; threads then combine into far fewer global states. This is the live
variable reduction of Bozga, Fernandez and Ghirvu ("State space reduction
based on live variables analysis", SAS 1999), also done by SPIN's dead
variable elimination, here applied to CPython bytecode:

- for each code object, a backward liveness analysis over its control-flow
  graph (``dis``: jumps, FOR_ITER and SEND exits, exception-table edges)
  gives the local variables live after each ``YIELD_VALUE``;
- a forward stack-depth analysis (``dis.stack_effect``) tells whether the
  frame holds values on its evaluation stack at that yield besides the
  yielded value (and the subgenerator of a ``yield from``): a ``for`` loop's
  iterator, say. Those are invisible from Python, so such a state is not
  keyed by liveness: the caller falls back to the full results;
- the key of a suspended generator is, for every frame of its ``yield
  from`` chain, (code, instruction offset, live locals by value), plus the
  pending effect (which may depend on variables dead after the yield).

Locals are keyed by value: numbers, strings, tuples, frozen dataclasses as
themselves; lists and dicts (the world's payload map) by their contents;
model handles (PoolDequeue, PoolChain, Pool, Runtime: plain objects holding
addresses, and Pool's ``_pid``) by their type and attribute values. A live
local of any other kind makes the state unkeyable (results key). What the
key leaves out is, by construction, what the generator can no longer read,
so two states with one key have the same futures for every sequence of
results. tests/test_explore_reduction.py checks it empirically too: with
and without the reduction, the sets of reachable (memory, ghost) pairs are
identical.
"""

from __future__ import annotations

import dis
from types import CodeType, GeneratorType
from typing import Any

__all__ = ["frame_key", "CodeFacts"]

_NO_NEXT = {"RETURN_VALUE", "RAISE_VARARGS", "RERAISE"}
_UNCOND = {"JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "JUMP_NO_INTERRUPT", "JUMP"}
_LOCAL_USE = {"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR"}
_LOCAL_DEF = {"STORE_FAST", "DELETE_FAST"}


def _is_jump(name: str) -> bool:
    return "JUMP" in name or name in ("FOR_ITER", "SEND")


class CodeFacts:
    """Liveness and hidden-stack facts about the yields of one code object."""

    def __init__(self, code: CodeType) -> None:
        ins = list(dis.get_instructions(code))
        self.ok = True
        at = {i.offset: k for k, i in enumerate(ins)}
        n = len(ins)
        # Normal control flow: (successor, taken as a jump); exception edges apart.
        flow: list[list[tuple[int, bool]]] = [[] for _ in range(n)]
        exc: list[list[int]] = [[] for _ in range(n)]
        for k, i in enumerate(ins):
            name = i.opname
            if name not in _NO_NEXT and name not in _UNCOND and k + 1 < n:
                flow[k].append((k + 1, False))
            if _is_jump(name):
                tgt = at.get(i.argval) if isinstance(i.argval, int) else None
                if tgt is None:
                    self.ok = False  # a jump we cannot resolve: do not trust the analysis
                else:
                    flow[k].append((tgt, True))
        try:
            table = dis._parse_exception_table(code)  # type: ignore[attr-defined]
        except Exception:  # pragma: no cover - other CPython versions
            table = []
            self.ok = False
        for entry in table:
            tgt = at.get(entry.target)
            if tgt is None:
                self.ok = False
                continue
            for k, i in enumerate(ins):
                if entry.start <= i.offset < entry.end:
                    exc[k].append(tgt)
        # Backward liveness. Cell and free variables may be read through closures at any time.
        always = frozenset(code.co_cellvars) | frozenset(code.co_freevars)
        use = [frozenset({i.argval}) if i.opname in _LOCAL_USE else frozenset() for i in ins]
        defs = [frozenset({i.argval}) if i.opname in _LOCAL_DEF else frozenset() for i in ins]
        succ = [[s for s, _ in flow[k]] + exc[k] for k in range(n)]
        live_in: list[frozenset[str]] = [frozenset()] * n
        changed = True
        while changed:
            changed = False
            for k in range(n - 1, -1, -1):
                out: frozenset[str] = frozenset().union(*(live_in[s] for s in succ[k]))
                new = use[k] | (out - defs[k])
                if new != live_in[k]:
                    live_in[k] = new
                    changed = True
        # Forward stack depths along normal control flow. Handlers are not followed (no model
        # generator yields inside one); a yield whose depth is unknown counts as hidden.
        depth: list[int | None] = [None] * n
        depth[0] = 0
        work = [0]
        while work:
            k = work.pop()
            d = depth[k]
            assert d is not None
            i = ins[k]
            for s, jumped in flow[k]:
                try:
                    eff = dis.stack_effect(i.opcode, i.arg if i.opcode >= dis.HAVE_ARGUMENT else None, jump=jumped)
                except ValueError:
                    self.ok = False
                    continue
                if i.opname == "RETURN_GENERATOR":
                    eff = 1  # dis says 0, but the resumed generator finds the first sent value there
                if depth[s] is None:
                    depth[s] = d + eff
                    work.append(s)
                elif depth[s] != d + eff:
                    self.ok = False  # inconsistent depths: do not trust the analysis
        # Facts per yield: live locals after it, and whether the stack holds anything hidden
        # (beyond the yielded value, and the subgenerator of a yield from).
        self.live: dict[int, tuple[str, ...]] = {}
        self.hidden: dict[int, bool] = {}
        for k, i in enumerate(ins):
            if i.opname != "YIELD_VALUE":
                continue
            after = live_in[k + 1] if k + 1 < n else frozenset()
            self.live[i.offset] = tuple(sorted(after | always))
            d = depth[k]
            base = 2 if k > 0 and ins[k - 1].opname == "SEND" else 1
            self.hidden[i.offset] = d is None or d != base


_FACTS: dict[CodeType, CodeFacts] = {}


def _facts(code: CodeType) -> CodeFacts:
    f = _FACTS.get(code)
    if f is None:
        f = _FACTS[code] = CodeFacts(code)
    return f


_SCALARS = (int, str, bytes, float, bool, type(None))


class _Unkeyable(Exception):
    """A live local whose value cannot be keyed by value (the caller falls back to the results key)."""


def _value_key(v: Any, depth: int = 0) -> Any:
    """A hashable key for a local's value, by value wherever the value can change between states.

    Objects without a value key (generators, closures, ...) raise _Unkeyable:
    keying them by identity would be unsafe, since CPython reuses the id of
    a collected object.
    """
    if isinstance(v, _SCALARS):
        return v
    if depth > 8:
        raise _Unkeyable
    if isinstance(v, tuple):
        return tuple(_value_key(x, depth + 1) for x in v)
    if isinstance(v, list):
        return ("list", tuple(_value_key(x, depth + 1) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted(((_value_key(k, depth + 1), _value_key(x, depth + 1)) for k, x in v.items()),
                                     key=repr)))
    if isinstance(v, type):
        return v  # classes live as long as their module
    params = getattr(type(v), "__dataclass_params__", None)
    if params is not None and params.frozen:
        return v
    d = getattr(v, "__dict__", None)
    if isinstance(d, dict) and not callable(v):
        return (type(v), tuple((k, _value_key(x, depth + 1)) for k, x in sorted(d.items())))
    raise _Unkeyable


def frame_key(gen: GeneratorType[Any, Any, Any]) -> tuple[Any, ...] | None:
    """The live state of a suspended generator chain, or None if it cannot be keyed safely."""
    out: list[Any] = []
    g: Any = gen
    while g is not None:
        if not isinstance(g, GeneratorType):
            return None
        fr = g.gi_frame
        if fr is None:
            return None
        facts = _facts(fr.f_code)
        lasti = fr.f_lasti
        if not facts.ok or lasti not in facts.live or facts.hidden[lasti]:
            return None
        loc = fr.f_locals
        try:
            out.append((fr.f_code, lasti, tuple((name, _value_key(loc[name])) for name in facts.live[lasti]
                                                if name in loc)))
        except _Unkeyable:
            return None
        g = g.gi_yieldfrom
    return tuple(out)
