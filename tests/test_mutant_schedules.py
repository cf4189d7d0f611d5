"""Explicit schedules that show the two seed mutants losing an item while the reference does not."""

from __future__ import annotations

from model.harness import World, build
from model.kernel import Kernel, RoundRobin
from model.params import Params
from model.variants import resolve
from properties.checks import check_execution


def results(k: Kernel) -> list[object]:
    """Operation results in (thread, sequence) order."""
    return [r.result for r in sorted(k.history, key=lambda r: (r.tid, r.seq))]


def _dequeue_overwrite(variant: str) -> tuple[World, Kernel]:
    # The owner fills a size-2 ring; a thief claims slot 0 (CAS on tail) but has not released it yet;
    # the owner's third pushHead targets slot 0 again.
    w = build("dequeue", "push push push | tail", Params(size=2), resolve(variant))
    k = w.kernel()
    k.run_op(0)
    k.run_op(0)
    k.step(1)   # popTail: headTail.Load
    k.step(1)   # popTail: CompareAndSwap -> the thief owns slot 0
    k.run_op(0)
    k.run(RoundRobin())
    return w, k


def _chain_drop(variant: str) -> tuple[World, Kernel]:
    # The thief finds d1 empty; before it looks at d1.next the owner pushes into d1 and grows d2.
    w = build("chain", "push push push | tail tail", Params(init_size=1), resolve(variant))
    k = w.kernel()
    k.run_op(0)          # push 1 into d1
    k.run_op(1)          # tail takes 1
    k.step(1)            # tail: c.tail.Load -> d1
    k.step(1)            # reference: d1.next.Load (nil); mutant: d1.headTail.Load (empty)
    k.run_op(0)          # push 2 into d1
    k.run_op(0)          # push 3: d1 full, d2 created and linked
    k.run(RoundRobin())
    return w, k


def test_reference_keeps_every_item_on_the_overwrite_schedule() -> None:
    w, k = _dequeue_overwrite("reference")
    assert results(k) == [True, True, False, (1, True)]
    assert check_execution(w, k) == []


def test_push_no_typ_check_loses_an_item() -> None:
    w, k = _dequeue_overwrite("push-no-typ-check")
    props = {v.prop for v in check_execution(w, k)}
    assert {"D3", "D7", "D2"} <= props
    assert results(k) == [True, True, True, (3, True)]   # the thief returns the owner's new value; 1 is gone


def test_reference_keeps_every_item_on_the_drop_schedule() -> None:
    w, k = _chain_drop("reference")
    assert results(k) == [None, None, None, (1, True), (2, True)]
    assert check_execution(w, k) == []


def test_chain_next_after_pop_drops_a_dequeue_holding_an_item() -> None:
    w, k = _chain_drop("chain-next-after-pop")
    vs = check_execution(w, k)
    assert {v.prop for v in vs} == {"C2", "C4", "C6"}   # lost, not linearizable, dropped while holding 2
    assert any("value 2" in v.message for v in vs if v.prop == "C2")
    assert results(k) == [None, None, None, (1, True), (3, True)]


def test_schedules_replay_exactly() -> None:
    for make, variant in ((_dequeue_overwrite, "push-no-typ-check"), (_chain_drop, "chain-next-after-pop")):
        w, k = make(variant)
        k2 = w.kernel()
        k2.run_schedule(k.schedule, complete=False)
        assert [s.label for s in k2.trace] == [s.label for s in k.trace]
        assert k2.mem == k.mem
