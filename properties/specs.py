"""Sequential specifications: the bounded deque, the unbounded deque and the Pool.

Each specification is a pure function of an immutable, hashable state, so that
the linearizability checker (properties/linearizability.py) can memoise
(linearized set, state) pairs (Lowe 2017) and the stateful machines
(properties/machines.py) can compare the model with it after every operation.

- ``BoundedDeque(n)``: poolDequeue, D5. pushHead fails when the deque is full
  and, in a concurrent history only, while a popTail that has already taken
  the slot pushHead wants has not yet released it (see ``BoundedDeque``).
- ``UnboundedDeque()``: poolChain, C4. pushHead never fails; a popTail that
  reports empty is judged by its snapshot (see ``UnboundedDeque``).
- ``PoolSpec``: sync.Pool, P3 and P4. Which outcomes a Get may have, given
  each P's private slot and shared chain, the victim cache and the GC history;
  ``PoolSpec.get`` is the exact outcome of a Get that runs alone (P4's order),
  ``PoolSpec.may_return`` the objects a concurrent Get may hand out.

Element identity: every pushed element carries an id (the index of the push
operation in the history, or a counter in the machines) beside its value, so
that several Go ``nil``\\ s stay distinguishable in the state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["Event", "Spec", "DequeState", "BoundedDeque", "UnboundedDeque", "PoolState", "PLocal", "PoolSpec",
           "GetOutcome", "Tier", "tier_name", "NIL", "ANY"]


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()
"""The result of an operation that has not returned: the spec accepts every result."""

NIL: Any = None
"""Go's nil, as the model represents it (a popped ``push:nil`` comes back as None)."""


@dataclass(frozen=True)
class Event:
    """One operation of a history as the checker sees it.

    ``index`` is the operation's position in the history (its id); ``call`` and
    ``ret`` are the kernel step indices of its first and last shared access
    (``ret`` is None while it has not returned, and then ``result`` is ANY).
    """

    index: int
    tid: int
    name: str        # push, push:nil, pop, tail
    arg: Any
    result: Any
    call: int
    ret: int | None

    @property
    def pending(self) -> bool:
        return self.ret is None

    def show(self) -> str:
        arg = f"({self.arg})" if self.name == "push" else ""
        if self.pending:
            return f"T{self.tid} {self.name}{arg} -> (did not return)"
        if self.name.startswith("push") and self.result is None:  # poolChain.pushHead returns nothing
            return f"T{self.tid} {self.name}{arg}"
        return f"T{self.tid} {self.name}{arg} -> {_show_result(self.result)}"


def _show_result(r: Any) -> str:
    if isinstance(r, tuple) and len(r) == 2:
        v, ok = r
        return f"({'nil' if v is None else v}, {str(bool(ok)).lower()})"
    if r is None:
        return "nil"
    return str(r).lower() if isinstance(r, bool) else str(r)


class Spec:
    """What the linearizability checker needs from a sequential specification.

    ``phases(e)`` is the number of atomic steps operation ``e`` takes in the
    specification (1 for almost everything); ``step(state, e, phase, events)``
    returns every state the specification allows after that phase of ``e``
    with its recorded result (an empty list: the result is impossible here).
    ``explain`` says in one sentence why ``e`` cannot be linearized in
    ``state``. ``events`` is the whole history, for conditions on the
    real-time order (BoundedDeque's failed push).
    """

    prop: str = "?"

    def initial(self) -> Any:
        raise NotImplementedError

    def phases(self, e: Event) -> int:
        return 1

    def step(self, state: Any, e: Event, phase: int, events: Sequence[Event]) -> list[Any]:
        raise NotImplementedError

    def explain(self, state: Any, e: Event) -> str:
        return f"{e.show()} is not allowed in state {state}"

    def show_state(self, state: Any) -> str:
        return repr(state)


# -- deques ---------------------------------------------------------------
class DequeState(NamedTuple):
    """A deque, tail first.

    ``items``   (element id, value) pairs, tail (oldest) first.
    ``tail``    absolute index of the tail: the number of popTails linearized so
                far (head is ``tail + len(items)``); unbounded, unlike Go's.
    ``claims``  (absolute index, event index) of linearized popTails, kept for
                the last n indices below ``tail`` (BoundedDeque only).
    ``snaps``   (event index, element ids) of failed popTails that have taken
                their snapshot and not yet concluded (UnboundedDeque only).
    """

    items: tuple[tuple[int, Any], ...] = ()
    tail: int = 0
    claims: tuple[tuple[int, int], ...] = ()
    snaps: tuple[tuple[int, frozenset[int]], ...] = ()

    @property
    def head(self) -> int:
        return self.tail + len(self.items)

    def values(self) -> list[Any]:
        return [v for _, v in self.items]


def _value(e: Event) -> Any:
    return None if e.name == "push:nil" else e.arg


class _Deque(Spec):
    """The operations both deques share: pushHead, popHead, popTail."""

    def initial(self) -> DequeState:
        return DequeState()

    # Sequential API (the machines) ------------------------------------
    def push_head(self, s: DequeState, eid: int, value: Any) -> tuple[bool, DequeState]:
        if self.full(s):
            return False, s
        return True, s._replace(items=s.items + ((eid, value),))

    def pop_head(self, s: DequeState) -> tuple[tuple[Any, bool], DequeState]:
        if not s.items:
            return (None, False), s
        return (s.items[-1][1], True), s._replace(items=s.items[:-1])

    def pop_tail(self, s: DequeState, claim: int = -1) -> tuple[tuple[Any, bool], DequeState]:
        if not s.items:
            return (None, False), s
        return (s.items[0][1], True), self._took_tail(s, claim)

    def full(self, s: DequeState) -> bool:
        return False

    def _took_tail(self, s: DequeState, claim: int) -> DequeState:
        return s._replace(items=s.items[1:], tail=s.tail + 1)

    # Checker API -------------------------------------------------------
    def _push_ok_result(self, e: Event) -> Any:
        return True

    def step(self, state: Any, e: Event, phase: int, events: Sequence[Event]) -> list[Any]:
        s: DequeState = state
        if e.name.startswith("push"):
            out: list[Any] = []
            ok_res = self._push_ok_result(e)
            if e.result is ANY or e.result == ok_res:
                ok, s2 = self.push_head(s, e.index, _value(e))
                if ok:
                    out.append(s2)
            if (e.result is ANY or e.result is False) and self.push_may_fail(s, e, events):
                out.append(s)
            return out
        if e.name == "pop":
            res, s2 = self.pop_head(s)
            return [s2] if _matches(e.result, res) else []
        if e.name == "tail":
            return self.step_tail(s, e, phase, events)
        raise ValueError(f"unknown deque operation {e.name!r}")

    def step_tail(self, s: DequeState, e: Event, phase: int, events: Sequence[Event]) -> list[Any]:
        res, s2 = self.pop_tail(s, e.index)
        return [s2] if _matches(e.result, res) else []

    def push_may_fail(self, s: DequeState, e: Event, events: Sequence[Event]) -> bool:
        return False

    def explain(self, state: Any, e: Event) -> str:
        s: DequeState = state
        now = self.show_state(s)
        if e.name.startswith("push"):
            if e.result is False:
                return f"{e.show()}: the deque holds {now}, not full, and no popTail still owns the head slot"
            return f"{e.show()}: the deque is full ({now})"
        if e.name == "pop":
            want = self.pop_head(s)[0]
            return f"{e.show()}: the deque holds {now}, so popHead returns {_show_result(want)}"
        want = self.pop_tail(s)[0]
        return f"{e.show()}: the deque holds {now}, so popTail returns {_show_result(want)}"

    def show_state(self, state: Any) -> str:
        s: DequeState = state
        return "[" + ", ".join("nil" if v is None else str(v) for v in s.values()) + "] (tail first)"


def _matches(recorded: Any, spec: tuple[Any, bool]) -> bool:
    if recorded is ANY:
        return True
    if not isinstance(recorded, tuple) or len(recorded) != 2:
        return False
    v, ok = recorded
    return bool(ok) == spec[1] and (not ok or v == spec[0])


class BoundedDeque(_Deque):
    """poolDequeue's sequential specification: a deque of capacity ``n`` (D5).

    pushHead(v) appends at the head and returns true, or returns false when the
    deque holds n values; popHead and popTail return (value, true), or
    (nil, false) when it is empty.

    The concurrent relaxation. Go's pushHead also returns false when the head
    slot's ``typ`` is not yet nil: a popTail has moved ``tail`` past that slot
    (its CompareAndSwap, where it linearizes and the value leaves the deque)
    but has not yet stored ``typ = nil``. The deque is then not full (it holds
    n - 1 values or fewer), yet the push fails ("the queue is actually still
    full"). The head slot is ``head mod n``; the popTails that may still own a
    slot took absolute indices ``tail - 1, tail - 2, ...``, and ``tail - j``
    shares the head's slot exactly when ``j = n - len``, i.e. the popTail
    that took absolute index ``head - n``. So a failed push is allowed when

        len == n, or the popTail linearized at absolute index head - n has
        not returned before the push was called (its ret > push.call).

    Soundness (never rejects Go): a failing pushHead either saw ``tail + n ==
    head`` at its headTail load (full then: linearize there) or saw
    ``typ != nil`` at its typ load; the slot cannot be in [tail, head) (it was
    not full at the load and tail only grows), so the word was left by the
    popTail that took index head - n and has not yet done its final store,
    which is its return step: linearize the push at the typ load, after that
    popTail's CAS and before its return. Precision: the condition names one
    specific popTail and requires it to overlap the push, so a push that fails
    while the deque has room and no such popTail is in flight is rejected
    (the ``push-no-typ-check`` mutant's opposite bug). The condition depends on
    the state's ``claims`` and the event, so memoising (linearized set, state)
    stays sound.
    """

    prop = "D5"

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"BoundedDeque needs a capacity >= 1, not {n}")
        self.n = n

    def full(self, s: DequeState) -> bool:
        return len(s.items) >= self.n

    def _took_tail(self, s: DequeState, claim: int) -> DequeState:
        tail = s.tail + 1
        claims = s.claims
        if claim >= 0:
            claims = claims + ((s.tail, claim),)
        # Only an index >= head - n >= tail - n can ever be asked about.
        claims = tuple(c for c in claims if c[0] >= tail - self.n)
        return s._replace(items=s.items[1:], tail=tail, claims=claims)

    def push_may_fail(self, s: DequeState, e: Event, events: Sequence[Event]) -> bool:
        if self.full(s):
            return True
        want = s.head - self.n
        for pos, ev in s.claims:
            if pos == want:
                r = events[ev].ret
                return r is None or r > e.call
        return False


class UnboundedDeque(_Deque):
    """poolChain's sequential specification: an unbounded deque (C4).

    pushHead always succeeds (Go's poolChain.pushHead returns nothing; the
    model records None). popHead and popTail are as in BoundedDeque, except
    for the relaxation below.

    The relaxation (found by this suite; see docs/hypothesis.md). A
    poolChain.popTail that reports empty is not linearizable against a strict
    deque: it loads ``d2 := d.next`` (nil: d is the newest dequeue), then the
    owner fills d and pushes B into a new dequeue, another thief pops d's last
    value A, and our pop of d fails; since d2 was nil it returns (nil, false)
    although the chain held [A], [A, B], [B] at every instant of the call. What
    does hold: everything in the chain at the d.next load was in d (older
    dequeues are permanently empty, C6, and there is no newer one), and all of
    it was gone by the failed pop of d. So a failed popTail is two atomic steps
    of the specification: a *snapshot* (the element ids present) and a
    *conclusion* that requires every snapshot element to have left, both within
    the call, snapshot first. A popTail that fails on a chain empty at some
    instant is the special case snapshot = conclusion. ``strict=True`` checks
    the strict deque instead (used to demonstrate the finding).
    """

    prop = "C4"

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict

    def _push_ok_result(self, e: Event) -> Any:
        return None

    def phases(self, e: Event) -> int:
        if self.strict or e.name != "tail":
            return 1
        if e.result is ANY or (isinstance(e.result, tuple) and not e.result[1]):
            return 2
        return 1

    def step_tail(self, s: DequeState, e: Event, phase: int, events: Sequence[Event]) -> list[Any]:
        if self.phases(e) == 1:
            return super().step_tail(s, e, phase, events)
        out: list[Any] = []
        if phase == 0:
            snap = frozenset(i for i, _ in s.items)
            out.append(s._replace(snaps=s.snaps + ((e.index, snap),)))
            return out
        mine = [sn for sn in s.snaps if sn[0] == e.index]
        assert mine, "phase 1 of a failed popTail before its phase 0"
        rest = tuple(sn for sn in s.snaps if sn[0] != e.index)
        present = {i for i, _ in s.items}
        if not (mine[0][1] & present):  # it concludes (nil, false)
            out.append(s._replace(snaps=rest))
        if e.result is ANY and s.items:  # a pending popTail may also have taken the tail
            _, s2 = self.pop_tail(s._replace(snaps=rest))
            out.append(s2)
        return out

    def explain(self, state: Any, e: Event) -> str:
        s: DequeState = state
        if e.name == "tail" and self.phases(e) == 2:
            return (f"{e.show()}: some value present when it looked at the chain is still there "
                    f"({self.show_state(s)})")
        return super().explain(state, e)


# -- Pool -----------------------------------------------------------------
class PLocal(NamedTuple):
    """One poolLocal, abstractly: the private object and the shared chain (tail first)."""

    private: Any = None
    shared: tuple[Any, ...] = ()


Tier = tuple[tuple[PLocal, ...] | None, int]
"""One victim tier: (the array, or None; its size as getSlow loads it, 0 once marked empty)."""


def tier_name(k: int) -> str:
    """Victim tier k's field (k >= 1): victim, victim2, victim3, ... (model/variants/victim_tiers.py)."""
    return "victim" if k == 1 else f"victim{k}"


class PoolState(NamedTuple):
    """sync.Pool as the specification sees it.

    ``local`` is p.local (None before the first pin and after a GC) with one
    PLocal per P; ``victims`` holds the victim tiers, youngest first: Go's one
    (p.victim, p.victimSize), or N of a design with N tiers. A tier's size
    drops to 0 once getSlow finds it empty, after which it is skipped until a
    GC ages it out. ``gomaxprocs`` is the current number of Ps; ``epoch`` the
    number of completed GCs; ``put_epoch`` maps every object ever Put to the
    epoch of its last Put (P3).
    """

    local: tuple[PLocal, ...] | None = None
    victims: tuple[Tier, ...] = ((None, 0),)
    gomaxprocs: int = 1
    epoch: int = 0
    put_epoch: tuple[tuple[Any, int], ...] = ()

    @property
    def victim(self) -> tuple[PLocal, ...] | None:
        """p.victim (tier 1), or None in a design without a victim cache."""
        return self.victims[0][0] if self.victims else None

    @property
    def victim_size(self) -> int:
        """p.victimSize (tier 1)."""
        return self.victims[0][1] if self.victims else 0


class GetOutcome(NamedTuple):
    value: Any          # the object, or None (nil / New)
    source: str         # where it came from, in P4's words
    state: PoolState


class PoolSpec:
    """sync.Pool's specification for P3 and P4, for Go's one victim tier or ``tiers`` of them.

    ``get(state, home)`` is the outcome of a Get by a goroutine whose home P is
    ``home`` running alone: P4's order, as pool.go's Get and getSlow: the
    private slot of pid, the head of pid's shared chain, the tails of the other
    Ps' chains from pid+1 round (and pid's own, last), the victim's private of
    pid, the victim chains' tails from pid round, then New/nil (and the victim
    is marked empty); with more tiers, each tier in turn, youngest first
    (model/variants/victim_tiers.py). ``may_return(state)`` is what a Get may
    return when other goroutines run concurrently: any reachable object or
    nil/New, but never an object that is not in the pool (P1, P2). ``gc`` ages
    local into the youngest tier and drops the oldest: with Go's one tier an
    object Put before GC k is gone after GC k+1 (P3).
    """

    def __init__(self, tiers: int = 1) -> None:
        if tiers < 0:
            raise ValueError(f"tiers={tiers}: a pool has 0 or more victim tiers")
        self.tiers = tiers

    def initial(self, gomaxprocs: int) -> PoolState:
        return PoolState(gomaxprocs=gomaxprocs, victims=((None, 0),) * self.tiers)

    def pin(self, s: PoolState, home: int) -> tuple[int, PoolState]:
        """pin/pinSlow: pid = home mod GOMAXPROCS; a new local array if pid is past the current one (P6)."""
        pid = home % s.gomaxprocs
        if s.local is None or pid >= len(s.local):
            return pid, s._replace(local=tuple(PLocal() for _ in range(s.gomaxprocs)))
        return pid, s

    def put(self, s: PoolState, home: int, x: Any) -> PoolState:
        if x is None:
            return s
        pid, s = self.pin(s, home)
        assert s.local is not None
        l = s.local[pid]
        l2 = l._replace(private=x) if l.private is None else l._replace(shared=l.shared + (x,))
        pe = tuple(p for p in s.put_epoch if p[0] != x) + ((x, s.epoch),)
        return s._replace(local=_set(s.local, pid, l2), put_epoch=pe)

    def get(self, s: PoolState, home: int) -> GetOutcome:
        pid, s = self.pin(s, home)
        local = s.local
        assert local is not None
        l = local[pid]
        if l.private is not None:
            return GetOutcome(l.private, f"P{pid}'s private", s._replace(local=_set(local, pid, l._replace(private=None))))
        if l.shared:
            return GetOutcome(l.shared[-1], f"P{pid}'s shared head",
                              s._replace(local=_set(local, pid, l._replace(shared=l.shared[:-1]))))
        size = len(local)
        for i in range(size):
            j = (pid + i + 1) % size
            if local[j].shared:
                lj = local[j]
                return GetOutcome(lj.shared[0], f"P{j}'s shared tail (stolen)",
                                  s._replace(local=_set(local, j, lj._replace(shared=lj.shared[1:]))))
        if not s.victims:
            return GetOutcome(None, "nil (no victim cache)", s)
        misses: list[str] = []
        for k in range(1, len(s.victims) + 1):
            out = self._get_victim(s, pid, k)
            if out.value is not None:
                return out
            s = out.state
            misses.append(out.source)
        return GetOutcome(None, f"nil ({', '.join(misses)})", s)

    def _get_victim(self, s: PoolState, pid: int, k: int) -> GetOutcome:
        """getSlow's victim half on tier k: a value, or None with "<tier> skipped" / "<tier> marked empty"."""
        name = tier_name(k)
        victim, vsize = s.victims[k - 1]
        if pid >= vsize or victim is None:
            return GetOutcome(None, f"{name} skipped", s)
        v = victim[pid]
        if v.private is not None:
            return GetOutcome(v.private, f"{name} P{pid}'s private",
                              _tier(s, k, _set(victim, pid, v._replace(private=None)), vsize))
        for i in range(vsize):
            j = (pid + i) % vsize
            if victim[j].shared:
                vj = victim[j]
                return GetOutcome(vj.shared[0], f"{name} P{j}'s shared tail",
                                  _tier(s, k, _set(victim, j, vj._replace(shared=vj.shared[1:])), vsize))
        return GetOutcome(None, f"{name} marked empty", _tier(s, k, victim, 0))

    def may_return(self, s: PoolState) -> set[Any]:
        """Objects a Get racing with other goroutines may return, besides nil/New."""
        return set(self.all_held(s))

    def all_held(self, s: PoolState) -> list[Any]:
        """Every object the pool holds, including tiers marked empty (for P3/P6 accounting)."""
        out: list[Any] = []
        for arr in (s.local,) + tuple(v for v, _ in s.victims):
            for l in arr or ():
                if l.private is not None:
                    out.append(l.private)
                out.extend(x for x in l.shared if x is not None)
        return out

    def gc(self, s: PoolState) -> PoolState:
        """poolCleanup: drop the oldest victim tier, age the others one tier, move local into the youngest
        (Go: drop the victim, victim = local), then one more completed GC."""
        size = len(s.local) if s.local is not None else 0
        victims = (((s.local, size),) + s.victims[:-1]) if s.victims else ()
        return s._replace(victims=victims, local=None, epoch=s.epoch + 1)

    def set_gomaxprocs(self, s: PoolState, n: int) -> PoolState:
        return s._replace(gomaxprocs=n)

    def aged_out(self, s: PoolState, x: Any) -> bool:
        """P3 (Go's claim, whatever the design): whether ``x``, if Put and still held, must be gone (put two or
        more GCs ago)."""
        for y, k in s.put_epoch:
            if y == x:
                return s.epoch - k >= 2
        return False


def _tier(s: PoolState, k: int, arr: tuple[PLocal, ...] | None, size: int) -> PoolState:
    return s._replace(victims=s.victims[:k - 1] + ((arr, size),) + s.victims[k:])


def _set(arr: tuple[PLocal, ...], i: int, v: PLocal) -> tuple[PLocal, ...]:
    return arr[:i] + (v,) + arr[i + 1:]

