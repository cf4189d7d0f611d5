"""Mutants of poolChain (poolqueue.go): known bugs the suite must catch."""

from __future__ import annotations

from model.effects import Gen, atomic_cas, atomic_load, atomic_store
from model.poolqueue import PoolChain, Value
from model.variants.base import Model


class _NextAfterPopChain(PoolChain):
    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        d = yield atomic_load(self.tail, "poolqueue.go:popTail: d := c.tail.Load()")
        if d is None:
            return None, False
        while True:
            val, ok = yield from self.dequeue(d).pop_tail()
            if ok:
                return val, ok
            # MUTATION: next is loaded *after* the failed pop. A push can land
            # in d and the producer move on to a new dequeue in between; d is
            # then dropped while it still holds that item.
            d2 = yield atomic_load(self.dequeue(d).next, "poolqueue.go:popTail: d2 := d.next.Load()")
            if d2 is None:
                return None, False
            if (yield atomic_cas(self.tail, d, d2, "poolqueue.go:popTail: c.tail.CompareAndSwap(d, d2)")):
                yield atomic_store(self.dequeue(d2).prev, None, "poolqueue.go:popTail: d2.prev.Store(nil)")
            d = d2


class ChainNextAfterPop(Model):
    name = "chain-next-after-pop"
    layer = "chain"
    kind = "mutant"
    description = ("poolChain.popTail loads d.next after popping d instead of before, so it can drop a "
                   "dequeue that received an item in between")
    expected = ("C2", "C6")
    PoolChain = _NextAfterPopChain
