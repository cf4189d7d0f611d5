"""New's objects: per-goroutine tokens, no shared counter, no synchronisation (issue 12, "Also").

The model used to number New's objects with an atomic add on one shared
counter. That orders every New after the earlier ones: a happens-before edge
Go does not have, which hid a missing Put->Get ordering (P8). Each goroutine
now numbers its own objects in its own cell.
"""

from __future__ import annotations

from typing import Any

from model.effects import Gen, atomic_load, plain_read, plain_write
from model.harness import Sequential, World, build
from model.kernel import Kernel
from model.params import Params
from model.pool import Pool, index_local, new_token
from model.schedulers import RandomScheduler
from model.variants import Model
from properties.checks import check_execution

NEW = "pool.go:Get: x = p.New()"


class _EagerNewNeighbourPool(Pool):
    """A redesign with two changes: Get calls New up front (keeping the object only if the pool has none),
    and Put stores into the *next* P's private slot, which its goroutine has not pinned."""

    def put(self, x: Any) -> Gen[None]:
        if x is None:
            return
        _, pid = yield from self.pin()
        size = yield atomic_load(self.local_size, "test: size := p.localSize")
        locals_ = yield atomic_load(self.local, "test: locals := p.local")
        # MUTATION: another P's private slot: nothing orders this write with that P's Get.
        l = yield from index_local(locals_, (pid + 1) % size)
        if (yield plain_read(l, "test: if next.private == nil")) is None:
            yield plain_write(l, (x,), "test: next.private = x")
        yield from self.runtime_proc_unpin("Put")

    def get(self) -> Gen[Any]:
        fresh = (yield from self.new()) if self.cfg.params.with_new else None   # DESIGN: New first
        l, pid = yield from self.pin()
        x = yield plain_read(l, "pool.go:Get: x := l.private")
        yield plain_write(l, (None,), "pool.go:Get: l.private = nil")
        if x is None:
            x, _ = yield from self.shared(l).pop_head()
            if x is None:
                x = yield from self.get_slow(pid)
        yield from self.runtime_proc_unpin("Get")
        return fresh if x is None else x


class EagerNewNeighbour(Model):
    name = "test-eager-new-neighbour"
    layer = "pool"
    kind = "mutant"
    description = ("Get calls New before looking; Put puts into the next P's private slot, unsynchronised with "
                   "that P's Gets (P8)")
    expected = ("P8",)
    Pool = _EagerNewNeighbourPool


PARAMS = Params(gomaxprocs=2, with_new=True)


def _in_order(model: type[Model], scenario: str, order: list[int]) -> tuple[World, Kernel]:
    """Run ``scenario``'s operations whole, one at a time, on the threads ``order`` names."""
    w = build("pool", scenario, PARAMS, model)
    k = w.kernel()
    for t in order:
        k.run_op(t)
    return w, k


def test_a_put_get_race_the_shared_counter_hid_is_found() -> None:
    """G0 puts x into P1's private, then Gets (New first); G1 Gets (New first) and takes x.

    With one counter, G1's New acquired G0's New, which followed G0's write of x: the race was hidden.
    """
    w, k = _in_order(EagerNewNeighbour, "put get | get", [0, 0, 1])
    assert {r.tid: r.result for r in k.history if r.name == "get"} == {0: new_token(0, 0, 2), 1: 1}
    races = [v for v in check_execution(w, k) if v.prop == "P8"]
    assert races, "the unsynchronised hand-off of object 1 must be a data race"
    assert [v.message.split(":")[0] for v in races] == ["data race on local1.[1].private"], races


def test_the_reference_passes_the_same_scenario() -> None:
    w, k = _in_order(Model, "put get | get", [0, 0, 1])
    assert check_execution(w, k) == []
    for seed in range(20):
        w = build("pool", "put get get | get put get", PARAMS, Model)
        k = w.kernel()
        k.run(RandomScheduler(seed))
        assert check_execution(w, k) == [], seed


def test_new_touches_only_the_goroutines_own_cell_and_synchronises_nothing() -> None:
    w, k = _in_order(Model, "get get | get", [0, 1, 0])
    assert w.rt is not None
    steps = [s for s in k.trace if s.label == NEW]
    assert [(s.tid, s.kind, s.location) for s in steps] == [
        (0, "read", "runtime.newSeq[0]"), (0, "write", "runtime.newSeq[0]"),
        (1, "read", "runtime.newSeq[1]"), (1, "write", "runtime.newSeq[1]"),
        (0, "read", "runtime.newSeq[0]"), (0, "write", "runtime.newSeq[0]")]
    assert all(s.silent for s in steps)   # plain, thread-private accesses: model/hb.py joins no clock for them


def test_tokens_are_unique_and_the_same_in_every_interleaving() -> None:
    seen: set[tuple[tuple[int, int, Any], ...]] = set()
    for seed in range(30):
        w = build("pool", "get get get | get get | get", PARAMS, Model)
        k = w.kernel()
        k.run(RandomScheduler(seed))
        got = tuple(sorted((r.tid, r.seq, r.result) for r in k.history))
        assert len({x for _, _, x in got}) == 6
        seen.add(got)
    assert seen == {((0, 0, -1), (0, 1, -4), (0, 2, -7), (1, 0, -2), (1, 1, -5), (2, 0, -3))}


def test_one_goroutine_numbers_new_objects_as_the_go_driver() -> None:
    s = Sequential("pool", Params(with_new=True), threads=1)
    assert [s.call(0, "get") for _ in range(3)] == [-1, -2, -3]
