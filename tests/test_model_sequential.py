"""Sequential behaviour of each layer, one generic body for the dequeue and the chain (STYLE: testPoolDequeue)."""

from __future__ import annotations

import pytest

from model.harness import Sequential
from model.params import Params
from properties import invariants as inv


def _pushes_ok(target: str, r: object) -> bool:
    # poolDequeue.pushHead returns a bool; poolChain.pushHead returns nothing and never fails.
    return r is True if target == "dequeue" else r is None


@pytest.mark.parametrize("target", ["dequeue", "chain"])
def test_lifo_at_head_fifo_at_tail(target: str) -> None:
    s = Sequential(target, Params(size=8, init_size=2, dequeue_limit=8))
    for v in range(1, 7):
        assert _pushes_ok(target, s.call(0, "push", v))
    assert s.call(0, "pop") == (6, True)
    assert s.call(1, "tail") == (1, True)
    assert s.call(1, "tail") == (2, True)
    assert s.call(0, "pop") == (5, True)
    assert s.call(0, "pop") == (4, True)
    assert s.call(1, "tail") == (3, True)
    assert s.call(0, "pop") == (None, False)
    assert s.call(1, "tail") == (None, False)


@pytest.mark.parametrize("target", ["dequeue", "chain"])
def test_nil_round_trip(target: str) -> None:
    s = Sequential(target, Params(size=4, init_size=2))
    assert _pushes_ok(target, s.call(0, "push:nil", None))
    assert _pushes_ok(target, s.call(0, "push", 7))
    assert _pushes_ok(target, s.call(0, "push:nil", None))
    assert s.call(1, "tail") == (None, True)   # Go's nil comes back as nil, and ok is true
    assert s.call(0, "pop") == (None, True)
    assert s.call(0, "pop") == (7, True)
    assert s.call(0, "pop") == (None, False)


def test_dequeue_full_at_size() -> None:
    s = Sequential("dequeue", Params(size=4))
    assert [s.call(0, "push", v) for v in range(1, 6)] == [True, True, True, True, False]
    assert s.call(1, "tail") == (1, True)
    assert s.call(0, "push", 9) is True
    assert s.call(0, "push", 10) is False
    d = s.world.root
    assert inv.dequeue_view(s.mem, d, 32).contents(32) == [2, 3, 4, 9]


def test_dequeue_slots_zeroed_after_pops() -> None:
    s = Sequential("dequeue", Params(size=2))
    s.call(0, "push", 1)
    s.call(0, "push", 2)
    s.call(1, "tail")
    s.call(0, "pop")
    v = inv.dequeue_view(s.mem, s.world.root, 32)
    assert v.slots == ((None, None), (None, None))
    assert inv.d6_no_retention(s.mem, s.world.root, 32) == []


def test_chain_growth_sizes_double_up_to_the_limit() -> None:
    s = Sequential("chain", Params(init_size=2, dequeue_limit=8))
    for v in range(1, 2 + 4 + 8 + 8 + 2):
        assert s.call(0, "push", v) is None
    c = s.world.root
    sizes = [s.mem[d + 1][1] for d in inv.chain_elts(s.mem, c)]
    assert sizes == [2, 4, 8, 8, 8]
    assert inv.c5_growth(s.mem, c, 2, 8) == []
    # popTail drains the oldest dequeues; a drained dequeue is dropped by the next popTail that finds it empty.
    for v in range(1, 2 + 4 + 1):
        assert s.call(1, "tail") == (v, True)
    sizes = [s.mem[d + 1][1] for d in inv.chain_elts(s.mem, c)]
    assert sizes == [4, 8, 8, 8]
    assert s.call(1, "tail") == (7, True)
    sizes = [s.mem[d + 1][1] for d in inv.chain_elts(s.mem, c)]
    assert sizes == [8, 8, 8]
    assert inv.c6_drop_only_drained(s.mem, c, 32) == []


def test_chain_pop_head_backs_up_through_prev() -> None:
    s = Sequential("chain", Params(init_size=1, dequeue_limit=4))
    for v in (1, 2, 3):
        s.call(0, "push", v)
    assert [s.call(0, "pop") for _ in range(4)] == [(3, True), (2, True), (1, True), (None, False)]


def test_pool_get_lookup_order() -> None:
    s = Sequential("pool", Params(gomaxprocs=3), threads=3)
    s.call(0, "put", 1)   # P0 private
    s.call(0, "put", 2)   # P0 shared head
    s.call(0, "put", 3)   # P0 shared
    s.call(2, "put", 4)   # P2 private
    s.call(2, "put", 5)   # P2 shared
    assert s.call(0, "get") == 1          # own private first
    assert s.call(0, "get") == 3          # then own shared head (LIFO)
    assert s.call(1, "get") == 5          # P1: steal from P2's tail first (pid+1)
    assert s.call(1, "get") == 2          # then P0's tail
    assert s.call(1, "get") is None       # another P's private slot is never stolen
    assert s.call(2, "get") == 4


def test_pool_victim_rotation_across_two_gcs() -> None:
    s = Sequential("pool", Params(gomaxprocs=2), threads=2)
    s.call(0, "put", 1)
    s.call(0, "put", 2)
    s.call(1, "put", 3)
    s.call(0, "gc")
    rt = s.world.rt
    assert rt is not None
    p = s.world.root
    assert s.mem[p] is None and s.mem[p + 2] is not None       # local moved to victim
    assert s.call(0, "get") == 1           # victim private of pid
    assert s.call(0, "get") == 2           # victim tails from pid
    s.call(1, "put", 4)
    s.call(0, "gc")                        # 3 (put before GC 1) is dropped at GC 2; 4 moves to victim
    assert s.call(1, "get") == 4
    assert s.call(1, "get") is None
    assert s.mem[p + 3] == 0               # victimSize marked empty after a full scan
    assert inv.p9_victim_empty_mark(s.mem, p, 32) == []
    assert inv.p11_registry(s.mem, p, rt) == []


def test_pool_new_when_empty() -> None:
    s = Sequential("pool", Params(with_new=True))   # 4 goroutines: goroutine 0's New objects are -1, -5, ...
    assert s.call(0, "get") == -1
    assert s.call(0, "get") == -5
    assert s.call(1, "get") == -2
    s.call(0, "put", 5)
    assert s.call(0, "get") == 5


def test_pool_gomaxprocs_change_reallocates_and_loses_old_local() -> None:
    s = Sequential("pool", Params(gomaxprocs=1), threads=2, nprocs_max=2)
    s.call(0, "put", 1)
    s.call(0, "put", 2)
    s.call(0, "procs=2")
    # P1's first pin sees pid 1 >= localSize 1: pinSlow allocates a 2-element array and the old one is lost.
    assert s.call(1, "get") is None
    assert s.call(0, "get") is None
    rt = s.world.rt
    assert rt is not None and s.mem[s.world.root + 1] == 2
    # shrinking keeps the larger array: P0 is still in range
    s.call(0, "put", 3)
    s.call(1, "procs=1")
    assert s.call(1, "get") == 3


def test_put_nil_is_ignored() -> None:
    s = Sequential("pool", Params())
    assert s.call(0, "put", None) is None
    assert s.call(0, "get") is None
    assert [r.name for r in s.kernel.history] == ["put", "get"]
    assert s.kernel.history[0].result is None
