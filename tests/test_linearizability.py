"""The linearizability checker (Wing & Gong 1993 with Lowe 2017's memoisation) and the deque specifications.

Hand-made histories, linearizable and not, including the case the bounded
deque must allow (pushHead fails while a popTail still owns the head slot),
kernel histories built step by step, the poolChain finding (a failed popTail
is not strictly linearizable), and the timing bound on 20-operation histories.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.effects import Gen
from model.harness import World, build
from model.kernel import Kernel, RoundRobin
from model.params import Params
from model.poolqueue import PoolDequeue, Value
from model.variants import Model
from properties.checks import check_execution
from properties.linearizability import Undecided, check, check_kernel_history, events_of
from properties.specs import ANY, BoundedDeque, Event, UnboundedDeque

pytestmark = pytest.mark.hypothesis


class H:
    """A tiny history builder: ``h.op(tid, name, arg, result, call, ret)``."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def op(self, tid: int, name: str, result: Any, call: int, ret: int | None, arg: Any = None) -> H:
        self.events.append(Event(len(self.events), tid, name, arg, ANY if ret is None else result, call, ret))
        return self


def _ok(events: list[Event], spec: BoundedDeque | UnboundedDeque) -> bool:
    return check(events, spec).ok


# -- hand-made histories ----------------------------------------------------------
def test_sequential_and_overlapping_histories_are_accepted() -> None:
    h = H().op(0, "push", True, 0, 1, 1).op(0, "push", True, 2, 3, 2).op(1, "tail", (1, True), 4, 5)
    h.op(0, "pop", (2, True), 6, 7).op(1, "tail", (None, False), 8, 9)
    assert _ok(h.events, BoundedDeque(2))
    # The tail overlaps the first push, so it may take its value even though it was called first.
    h = H().op(1, "tail", (1, True), 0, 5).op(0, "push", True, 1, 2, 1)
    assert _ok(h.events, BoundedDeque(1))
    # ... or find the deque empty.
    h = H().op(1, "tail", (None, False), 0, 5).op(0, "push", True, 1, 2, 1)
    assert _ok(h.events, BoundedDeque(1))


@pytest.mark.parametrize("why, history", [
    ("FIFO order broken", H().op(0, "push", True, 0, 1, 1).op(0, "push", True, 2, 3, 2).op(1, "tail", (2, True), 4, 5)),
    ("a value never pushed", H().op(0, "push", True, 0, 1, 1).op(1, "tail", (7, True), 2, 3)),
    ("a value returned twice", H().op(0, "push", True, 0, 1, 1).op(1, "tail", (1, True), 2, 3)
     .op(2, "tail", (1, True), 2, 4)),
    ("empty while it is not", H().op(0, "push", True, 0, 1, 1).op(1, "tail", (None, False), 2, 3)),
    ("a push fails with room and no popTail in flight", H().op(0, "push", False, 0, 1, 1)),
    ("LIFO order broken", H().op(0, "push", True, 0, 1, 1).op(0, "push", True, 2, 3, 2).op(0, "pop", (1, True), 4, 5)),
], ids=lambda x: x if isinstance(x, str) else "")
def test_non_linearizable_histories_are_rejected(why: str, history: H) -> None:
    res = check(history.events, BoundedDeque(4))
    assert res.verdict == "illegal", why
    assert "no linearization" in res.message and res.step is not None


def test_pushhead_may_fail_while_a_poptail_owns_the_head_slot() -> None:
    """Go's "the queue is actually still full": size 2 holding [1, 2]; a popTail takes 1 (its CAS) and has
    not yet released the slot (typ = nil) when pushHead(3) finds the head slot (= 1's slot) still owned."""
    def hist(tail_ret: int, size_items: int = 2) -> list[Event]:
        h = H()
        for i in range(1, size_items + 1):
            h.op(0, "push", True, 10 * i, 10 * i + 3, i)
        h.op(1, "tail", (1, True), 40, tail_ret)           # linearized at its CAS, returns at tail_ret
        h.op(0, "push", False, 45, 48, 3)                  # fails although the deque holds only [2]
        return h.events
    assert _ok(hist(tail_ret=60), BoundedDeque(2))        # popTail still in flight: allowed
    assert not _ok(hist(tail_ret=44), BoundedDeque(2))    # popTail returned before the push: not allowed
    # A popTail in flight does not excuse every failed push: in a ring of 4 holding [2] after the tail took 1,
    # the head slot is not the one that popTail owns.
    assert not _ok(hist(tail_ret=60), BoundedDeque(4))
    assert not _ok(hist(tail_ret=60, size_items=1), BoundedDeque(2))


def _run_op(k: Kernel, tid: int) -> None:
    th = k.threads[tid]
    i = th.op_index
    while th.op_index == i and not th.done:
        k.step(tid)


def _finish(k: Kernel, tid: int) -> None:
    while not k.threads[tid].done:
        k.step(tid)


def test_kernel_history_with_a_failed_push_while_a_poptail_owns_the_slot() -> None:
    """The same case produced by the model itself: the failed push is accepted (D5 holds)."""
    w = build("dequeue", "push push push | tail", Params(size=2))
    k = w.kernel()
    _run_op(k, 0)
    _run_op(k, 0)
    k.step(1)
    k.step(1)            # popTail: load, CompareAndSwap (tail 0 -> 1): it owns slot 0
    _run_op(k, 0)        # pushHead(3): head slot = slot 0, typ != nil: returns false
    _finish(k, 1)
    failed = [r for r in k.history if r.name == "push" and r.result is False]
    assert len(failed) == 1
    assert check_kernel_history(w, k.history) == []
    assert check_execution(w, k) == []


def _chain_finding() -> tuple[World, Kernel]:
    """poolChain.popTail reports empty although the chain held a value at every instant of the call."""
    w = build("chain", "push push | tail | tail", Params(init_size=1, dequeue_limit=4))
    k = w.kernel()
    _run_op(k, 0)        # push 1 into d (size 1)
    k.step(1)
    k.step(1)            # thief 1: d := c.tail; d2 := d.next (nil)
    _run_op(k, 0)        # push 2: d is full, so a new dequeue d' holds 2
    _run_op(k, 2)        # thief 2 pops 1 from d
    _finish(k, 1)        # thief 1: pops d (empty) and, as d2 was nil, returns (nil, false)
    return w, k


def test_chain_poptail_is_not_strictly_linearizable() -> None:
    """A finding: the strict unbounded deque rejects this reference history; the specification with the
    snapshot relaxation (UnboundedDeque) accepts it. docs/hypothesis.md explains why it is sound."""
    w, k = _chain_finding()
    assert [r.result for r in k.history if r.tid == 1] == [(None, False)]
    strict = check(events_of(k.history), UnboundedDeque(strict=True))
    assert strict.verdict == "illegal"
    assert "T1 tail -> (nil, false)" in strict.message
    relaxed = check(events_of(k.history), UnboundedDeque())
    assert relaxed.ok and (1, 1) in relaxed.order   # the snapshot and the conclusion are separate steps
    assert check_execution(w, k) == []


def test_chain_relaxation_still_rejects_a_failed_tail_that_misses_an_old_value() -> None:
    """The relaxation is not a blank cheque: a value present all through the call must be seen."""
    h = H().op(0, "push", None, 0, 1, 1).op(1, "tail", (None, False), 2, 9).op(0, "push", None, 3, 4, 2)
    assert not check(h.events, UnboundedDeque()).ok
    h = H().op(0, "push", None, 0, 1, 1).op(1, "tail", (None, False), 2, 9).op(2, "tail", (1, True), 3, 4)
    assert check(h.events, UnboundedDeque()).ok


def test_pending_operations_may_or_may_not_take_effect() -> None:
    h = H().op(0, "push", None, 0, None, 1).op(1, "tail", (1, True), 2, 3)
    assert check(h.events, BoundedDeque(2)).ok
    h = H().op(0, "push", None, 0, None, 1).op(1, "tail", (None, False), 2, 3)
    assert check(h.events, BoundedDeque(2)).ok


# -- scale ----------------------------------------------------------------------
def _twenty(bad: bool) -> list[Event]:
    """10 pushes by the owner and 10 popTails by 10 thieves that all overlap everything."""
    h = H()
    for i in range(10):
        h.op(0, "push", True, 10 * i, 10 * i + 5, i + 1)
    vals = list(range(1, 11))
    if bad:
        vals[9] = 9   # 9 twice, 10 never
    for j, v in enumerate(vals):
        h.op(j + 1, "tail", (v, True), 1 + j, 200 + j)
    return h.events


def _sequential_thief(order: list[int]) -> list[Event]:
    h = H()
    for i in range(10):
        h.op(0, "push", True, 10 * i, 10 * i + 5, i + 1)
    for j, v in enumerate(order):
        h.op(1, "tail", (v, True), 200 + 10 * j, 205 + 10 * j)
    return h.events


class _TailFromHead(PoolDequeue):
    """A planted bug: popTail takes the head (LIFO for thieves)."""

    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        return self.pop_head()


class TailFromHead(Model):
    name = "test-tail-from-head"
    layer = "dequeue"
    kind = "mutant"
    description = "popTail pops the head (planted for the linearizability tests)"
    expected = ("D5",)
    PoolDequeue = _TailFromHead


@pytest.mark.parametrize("events", [
    pytest.param(_twenty(True), id="all-overlapping-duplicate"),
    pytest.param(_sequential_thief([2, 1, 3, 4, 5, 6, 7, 8, 9, 10]), id="sequential-fifo-broken"),
    pytest.param(_sequential_thief(list(range(1, 10)) + [11]), id="late-phantom"),
])
def test_a_non_linearizable_20_operation_history_is_rejected_in_under_a_second(events: list[Event]) -> None:
    assert len(events) == 20
    t0 = time.perf_counter()
    res = check(events, BoundedDeque(16))
    assert time.perf_counter() - t0 < 1.0
    assert res.verdict == "illegal"


def test_a_non_linearizable_20_operation_kernel_history_is_rejected_in_under_a_second() -> None:
    w = build("dequeue", "push push push push push push push push push push | tail tail tail tail tail | "
                         "tail tail tail tail tail", Params(size=16), TailFromHead)
    k = w.kernel()
    k.run(RoundRobin())
    assert len(events_of(k.history)) == 20
    t0 = time.perf_counter()
    vs = check_kernel_history(w, k.history)
    assert time.perf_counter() - t0 < 1.0
    assert [v.prop for v in vs] == ["D5"]


def test_a_linearizable_20_operation_history_is_accepted_quickly() -> None:
    t0 = time.perf_counter()
    assert check(_twenty(False), BoundedDeque(16)).ok
    assert time.perf_counter() - t0 < 1.0


def test_budget_exhaustion_is_undecided_never_a_pass() -> None:
    res = check(_twenty(True), BoundedDeque(16), budget=3)
    assert res.verdict == "unknown" and not res.ok
    w = build("dequeue", "push | tail", Params(size=2))
    k = w.kernel()
    k.run(RoundRobin())
    with pytest.raises(Undecided, match="budget"):
        check_kernel_history(w, k.history, budget=0)


# -- properties of the checker -------------------------------------------------
@st.composite
def _sequential_histories(draw: st.DrawFn) -> tuple[list[Event], int]:
    """A history that the bounded deque itself produced, one operation at a time."""
    n = draw(st.sampled_from([1, 2, 4]))
    spec = BoundedDeque(n)
    s = spec.initial()
    h = H()
    t = 0
    for i, word in enumerate(draw(st.lists(st.sampled_from(["push", "push:nil", "pop", "tail"]), max_size=20))):
        if word.startswith("push"):
            val = None if word == "push:nil" else i + 1
            ok, s = spec.push_head(s, i, val)
            h.op(0, word, ok, t, t + 1, val)
        else:
            res, s = spec.pop_head(s) if word == "pop" else spec.pop_tail(s)
            h.op(0 if word == "pop" else 1, word, res, t, t + 1)
        t += 2
    return h.events, n


@given(_sequential_histories())
def test_histories_the_specification_produces_are_accepted(hist: tuple[list[Event], int]) -> None:
    events, n = hist
    assert check(events, BoundedDeque(n)).ok


@given(_sequential_histories(), st.data())
def test_changing_one_successful_pop_result_is_rejected(hist: tuple[list[Event], int], data: st.DataObject) -> None:
    events, n = hist
    pops = [e for e in events if e.name in ("pop", "tail") and e.result[1]]
    if not pops:
        return
    e = data.draw(st.sampled_from(pops))
    bad = Event(e.index, e.tid, e.name, e.arg, (10_000, True), e.call, e.ret)
    events = [bad if x.index == e.index else x for x in events]
    assert check(events, BoundedDeque(n)).verdict == "illegal"
