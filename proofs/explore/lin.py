"""Linearizability (D5, C4) by linearization points, with the abstract deque as ghost state.

A history is linearizable (Herlihy & Wing 1990) when every operation can be
given one instant within its call at which it takes effect on the sequential
specification, with the result it returned. Instead of searching for such
instants after the fact (properties/linearizability.py, Wing & Gong with
Lowe's memoisation), the explorer fixes them: each operation's *linearization
point* is a known step of the Go code, and the abstract (sequential) deque is
carried through the search as ghost state, updated at those steps. Every path
of the exhaustive search is then checked against the specification as it
unfolds; a result that differs from the ghost's is a violation at the
returning step.

Linearization points (poolqueue.go; the same steps for the chain's inner
dequeues):

- pushHead succeeds at ``d.headTail.Add(1 << dequeueBits)``: the value enters
  the abstract deque at the head (a chain's pushHead at the Add of the dequeue
  it finally pushes to).
- popHead and popTail succeed at their successful
  ``d.headTail.CompareAndSwap``: the value leaves the abstract deque at the
  head (back) or tail (front); the ghost records what the operation must
  return, and the return step compares.
- Every failing return (pushHead false, popHead/popTail (nil, false), a chain
  popTail that found nothing) is judged at its last step, which is the step
  that decided it (the headTail load that saw full or empty, the typ load
  that saw non-nil, the prev/next load that saw nil):

  * dequeue pushHead false is allowed when the abstract deque holds n values
    (full) or while the popTail that took the head's slot (absolute index
    head - n) has linearized and not yet returned, i.e. not yet stored
    ``typ = nil``: D5's relaxation, the same as properties/specs.BoundedDeque;
  * popHead/popTail (nil, false) on a dequeue is allowed when the abstract
    deque is empty;
  * a chain popTail (nil, false) is allowed when every value that was in the
    chain when the call began has left it. This is equivalent, for one
    operation, to properties/specs.UnboundedDeque's snapshot/conclusion
    relaxation: if a value present at the call is still present at the
    return, it is present at every instant in between, so no snapshot can
    be taken; conversely a snapshot at the call works when all are gone.
    It holds on Go's code because the final ``d.next`` load saw nil (every
    value then was in d) and the failed pop of d saw it empty.

Since the abstract deque's length always equals the concrete head - tail,
the checks that matter are the values returned and the failing pushes; a
mutant that hands out the wrong slot, loses a value or refuses a push while
there is room is caught at the return that shows it.

Ghost state: the abstract deque as ``(ordinal, value)`` pairs, tail first,
and the number of pushes linearized so far (the search interns them with
the history, proofs/explore/search.py). Ordinals date the chain's values for
its relaxation (for a standalone dequeue they are all 0: nothing needs them,
and fewer distinct ghosts mean fewer states). Per thread a *pending* record
(what the linearized operation must return), interned to a small id; both
are part of the search state. A chain popTail's record keeps the smallest
ordinal that counts as pushed during its call: one more than the newest
value present when it began (0 if the chain was empty then), the least
value that classifies every value the same way, so that calls which begin
in equivalent situations do not make distinct states.
"""

from __future__ import annotations

from typing import Any

from model.bits import unpack
from model.effects import CAS, STORE, Effect

__all__ = ["LinMonitor", "LP_NONE", "LP_PUSH", "LP_POP_HEAD", "LP_POP_TAIL", "Items", "lp_kind"]

LP_NONE, LP_PUSH, LP_POP_HEAD, LP_POP_TAIL = 0, 1, 2, 3

Items = tuple[tuple[int, Any], ...]
Pending = tuple[Any, ...]

_NONE: Pending = ()

MAX_PENDING = 1 << 16
"""Pending records fit the search's 16-bit field."""


def lp_kind(eff: Effect) -> int:
    """Which linearization point ``eff`` can be (by the Go statement it models)."""
    lab = eff.label
    if lab.startswith("poolqueue.go:pushHead: d.headTail.Add"):
        return LP_PUSH
    # A successful CompareAndSwap (or a mutant's plain Store) of headTail.
    if eff.kind in (CAS, STORE):
        if lab.startswith("poolqueue.go:popHead: d.headTail."):
            return LP_POP_HEAD
        if lab.startswith("poolqueue.go:popTail: d.headTail."):
            return LP_POP_TAIL
    return LP_NONE


def _show(items: tuple[tuple[int, Any], ...]) -> str:
    return "[" + ", ".join("nil" if v is None else str(v) for _, v in items) + "] (tail first)"


def _res(v: Any, ok: bool) -> str:
    return f"({'nil' if v is None else v}, {str(ok).lower()})"


class LinMonitor:
    """The linearization-point checks of one world (``target`` dequeue or chain).

    Methods take and return the ghost deque as plain tuples (``items``,
    ``npushed``) and pending records as interned ids (0: none).
    """

    def __init__(self, target: str, size: int, bits: int, root: int) -> None:
        self.target = target
        self.prop = "D5" if target == "dequeue" else "C4"
        self.bounded = target == "dequeue"
        self.n = size
        self.bits = bits
        self.root = root
        self.pends: list[Pending] = [_NONE]
        self._pindex: dict[Pending, int] = {_NONE: 0}

    def pend_id(self, p: Pending) -> int:
        i = self._pindex.get(p)
        if i is None:
            i = len(self.pends)
            if i >= MAX_PENDING:
                raise OverflowError(f"more than {MAX_PENDING:,} distinct linearization records")
            self._pindex[p] = i
            self.pends.append(p)
        return i

    # -- events ----------------------------------------------------------
    def on_start(self, items: Items) -> int:
        """A chain popTail begins: the values present now must all be gone if it returns empty."""
        return self.pend_id(("start", items[-1][0] + 1 if items else 0))

    def on_lp(self, kind: int, eff: Effect, result: Any, mem: Any, arg_value: Any, items: Items, npushed: int,
              pend: int) -> tuple[Items, int, int, str | None]:
        """A linearization-point candidate was performed (``mem`` after it).

        Returns the new (items, npushed, pending id, error or None).
        """
        if kind != LP_PUSH and eff.kind == CAS and not result:
            return items, npushed, pend, None  # a failed CompareAndSwap changes nothing
        if kind == LP_PUSH:
            err = None
            if self.bounded and len(items) >= self.n:
                err = (f"pushHead({_v(arg_value)}) took effect on a full deque {_show(items)}: it holds "
                       f"{len(items)} of {self.n}")
            if self.bounded:
                return items + ((0, arg_value),), 0, self.pend_id(("push",)), err
            return items + ((npushed, arg_value),), npushed + 1, self.pend_id(("push",)), err
        if not items:
            which = "popHead" if kind == LP_POP_HEAD else "popTail"
            return items, npushed, self.pend_id(("bad", f"{which} took a value although the deque was empty")), None
        if kind == LP_POP_HEAD:
            return items[:-1], npushed, self.pend_id(("val", items[-1][1], -1)), None
        # The slot this popTail owns until it stores typ = nil: the tail it moved past (standalone
        # dequeue only: a chain's pushHead never fails, so nothing asks).
        slot = -1
        if self.bounded:
            vals = mem[eff.addr + 1]
            if vals is not None:
                base, n = vals
                _, tail = unpack(eff.a, self.bits)
                slot = base + 2 * (tail & (n - 1))
        return items[1:], npushed, self.pend_id(("val", items[0][1], slot)), None

    def on_return(self, tid: int, name: str, arg_value: Any, value: Any, mem: Any, items: Items, pend: int,
                  others: list[int]) -> str | None:
        """Operation ``name`` of thread ``tid`` returned ``value``; None if the ghost agrees, else why not.

        ``others`` are the other threads' pending ids (a failing pushHead may
        be excused by a popTail that still owns the head slot).
        """
        p = self.pends[pend]
        who = f"T{tid} {name}"
        if p and p[0] == "bad":
            return f"{who}: {p[1]}"
        if name.startswith("push"):
            if self.bounded:
                if value is True:
                    return None if p == ("push",) else f"{who}({_v(arg_value)}) returned true but never published it"
                if value is False:
                    if p == ("push",):
                        return f"{who}({_v(arg_value)}) returned false after publishing its value"
                    if len(items) >= self.n or self._head_slot_owned(mem, others):
                        return None
                    return (f"{who}({_v(arg_value)}) -> false: the deque holds {_show(items)}, not full, and no "
                            f"popTail still owns the head slot")
                return f"{who}({_v(arg_value)}) returned {value!r}, not a bool"
            if p == ("push",):
                return None
            return f"{who}({_v(arg_value)}) returned without its value entering the chain"
        if not (isinstance(value, tuple) and len(value) == 2):
            return f"{who} returned {value!r}, not a (value, ok) pair"
        v, ok = value
        if ok:
            if not (p and p[0] == "val"):
                return f"{who} -> {_res(v, True)} without taking a value (no successful CompareAndSwap)"
            if p[1] != v:
                where = "head" if name == "pop" else "tail"
                return f"{who} -> {_res(v, True)}, but the value it took at the {where} was {_v(p[1])}"
            return None
        if p and p[0] == "val":
            return f"{who} -> (nil, false) after taking {_v(p[1])}"
        if not items:
            return None
        if name == "tail" and not self.bounded:
            start = int(p[1]) if p and p[0] == "start" else 0
            old = [v2 for o, v2 in items if o < start]
            if not old:
                return None  # everything in the chain was pushed during the call (the relaxation)
            return (f"{who} -> (nil, false), but {_v(old[0])} was in the chain when it was called and still is: "
                    f"the chain holds {_show(items)}")
        which = "popHead" if name == "pop" else "popTail"
        want = items[0 if name == "tail" else -1][1]
        return f"{who} -> (nil, false): the deque holds {_show(items)}, so {which} returns {_res(want, True)}"

    def _head_slot_owned(self, mem: Any, others: list[int]) -> bool:
        """Whether an in-flight popTail still owns the slot at the concrete head (standalone dequeue)."""
        d = self.root
        vals = mem[d + 1]
        if vals is None:
            return False
        base, n = vals
        head, _ = unpack(mem[d], self.bits)
        slot = base + 2 * (head & (n - 1))
        for o in others:
            p = self.pends[o]
            if p and p[0] == "val" and p[2] == slot:
                return True
        return False


def _v(v: Any) -> str:
    return "nil" if v is None else str(v)
