"""Mutants of poolChain (poolqueue.go): known bugs the suite must catch.

Each mutant is the reference with ONE change, in a copy of the one Go
function it changes; the changed lines sit directly under a ``# MUTATION:``
comment, followed by a blank line (a deletion: the comment, then a blank line
where the lines were). tests/test_mutation_lines.py checks the copy differs
from the reference nowhere else.
"""

from __future__ import annotations

from model.effects import Gen, atomic_cas, atomic_load, atomic_store, plain_read, plain_write
from model.params import Params
from model.poolqueue import EFACE_WORDS, PoolChain, Value, new_chain_elt, new_ring
from model.variants.base import Model

__all__ = ["ChainNextAfterPop", "ChainDropWithoutCas", "ChainPublishEarly", "LimitFullWidth", "PopHeadNoBackup",
           "GrowNoPrev", "GrowUncapped"]


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
    witness = ("chain", "push push push | tail tail", Params(init_size=1))
    PoolChain = _NextAfterPopChain


class _DropWithoutCasChain(PoolChain):
    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        d = yield atomic_load(self.tail, "poolqueue.go:popTail: d := c.tail.Load()")
        if d is None:
            return None, False
        while True:
            d2 = yield atomic_load(self.dequeue(d).next, "poolqueue.go:popTail: d2 := d.next.Load()")
            val, ok = yield from self.dequeue(d).pop_tail()
            if ok:
                return val, ok
            if d2 is None:
                return None, False
            # MUTATION: c.tail.Store(d2) instead of c.tail.CompareAndSwap(d, d2):
            # a consumer that stalled here moves tail *back* to a dequeue that
            # another consumer already dropped, re-linking it into the chain.
            yield atomic_store(self.tail, d2, "poolqueue.go:popTail: c.tail.Store(d2)")
            yield atomic_store(self.dequeue(d2).prev, None, "poolqueue.go:popTail: d2.prev.Store(nil)")

            d = d2


class ChainDropWithoutCas(Model):
    name = "chain-drop-without-cas"
    layer = "chain"
    kind = "mutant"
    description = ("poolChain.popTail moves the tail with c.tail.Store(d2) instead of CompareAndSwap(d, d2), so a "
                   "stalled consumer moves tail back onto a dequeue already dropped (it rejoins the chain: "
                   "retained, and walked again by every popTail)")
    expected = ("C8",)
    witness = ("chain", "push push push pop pop pop | tail | tail", Params(init_size=1, dequeue_limit=1))
    PoolChain = _DropWithoutCasChain


class _PublishEarlyChain(PoolChain):
    def push_head(self, val: Value) -> Gen[None]:
        d = yield plain_read(self.head, "poolqueue.go:pushHead: d := c.head", silent=True)
        if d is None:
            d = yield from new_chain_elt(self.cfg, self.cfg.params.init_size,
                                         "poolqueue.go:pushHead: d = new(poolChainElt)")
            yield plain_write(self.head, (d,), "poolqueue.go:pushHead: c.head = d", silent=True)
            yield atomic_store(self.tail, d, "poolqueue.go:pushHead: c.tail.Store(d)")
        if (yield from self.dequeue(d).push_head(val)):
            return
        new_size = (yield from self._len_vals(self.dequeue(d))) * 2
        if new_size >= self.cfg.limit:
            new_size = self.cfg.limit
        d2 = yield from new_chain_elt(self.cfg, None, "poolqueue.go:pushHead: d2 := &poolChainElt{}")
        e2 = self.dequeue(d2)
        yield atomic_store(e2.prev, d, "poolqueue.go:pushHead: d2.prev.Store(d)")
        # MUTATION: d.next.Store(d2) moved up, before d2.vals is allocated:
        # consumers can reach d2 while d2.vals is still nil. d2 is then
        # shared, so make's zeroing of the ring and the write of the slice
        # header become ordinary (non-silent) writes another thread could
        # race with.
        yield atomic_store(self.dequeue(d).next, d2, "poolqueue.go:pushHead: d.next.Store(d2)")
        ring = yield from new_ring(new_size, "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)")
        yield plain_write(ring, (None,) * (EFACE_WORDS * new_size), "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)")
        yield plain_write(e2.vals_addr, ((ring, new_size),), "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)")

        yield plain_write(self.head, (d2,), "poolqueue.go:pushHead: c.head = d2", silent=True)
        yield from e2.push_head(val)


class ChainPublishEarly(Model):
    name = "chain-publish-early"
    layer = "chain"
    kind = "mutant"
    equivalent = True
    description = (
        "poolChain.pushHead links the new dequeue (d.next.Store(d2)) before `d2.vals = make(...)`. EQUIVALENT "
        "under the Go memory model: a consumer reaching d2 reads d2.vals only after a successful CompareAndSwap "
        "on d2.headTail that sees head != tail, i.e. after the owner's d2.pushHead, whose headTail.Add is "
        "program-ordered after the vals write and releases it; before that, popTail sees head == tail and "
        "returns without touching vals, and popHead is the owner's. So no read of d2.vals is unordered with "
        "its write (no race, no nil slice) and every execution returns what the reference would; the explorer "
        "confirms it exhaustively on the witness")
    witness = ("chain", "push push push | tail tail | tail", Params(init_size=1))
    PoolChain = _PublishEarlyChain


class LimitFullWidth(Model):
    name = "limit-full-width"
    layer = "chain"
    kind = "mutant"
    description = ("dequeueLimit = 1 << dequeueBits instead of (1 << dequeueBits) / 4: the chain grows a dequeue "
                   "of 2^dequeueBits slots, where full and empty are indistinguishable (pushHead on the empty "
                   "ring reports full and poolChain.pushHead drops the value)")
    expected = ("C2",)
    witness = ("chain", "push push push push | tail", Params(dequeue_bits=2, init_size=1))

    @classmethod
    def dequeue_limit(cls, params: Params) -> int:
        # MUTATION: the full index width instead of a quarter of it.
        return 1 << params.dequeue_bits


class _NoBackupChain(PoolChain):
    def pop_head(self) -> Gen[tuple[Value, bool]]:
        d = yield plain_read(self.head, "poolqueue.go:popHead: d := c.head", silent=True)
        while d is not None:
            val, ok = yield from self.dequeue(d).pop_head()
            if ok:
                return val, ok
            # MUTATION: d = nil instead of d = d.prev.Load(): elements still in
            # older dequeues are not seen, and popHead reports empty.
            d = None
        return None, False


class PopHeadNoBackup(Model):
    name = "pophead-no-backup"
    layer = "chain"
    kind = "mutant"
    description = ("poolChain.popHead gives up when the head dequeue is empty instead of backing up through "
                   "d.prev, so it reports an empty chain while older dequeues still hold elements")
    expected = ("C4",)
    witness = ("chain", "push push pop pop", Params(init_size=1))
    PoolChain = _NoBackupChain


class _GrowNoPrevChain(PoolChain):
    def push_head(self, val: Value) -> Gen[None]:
        d = yield plain_read(self.head, "poolqueue.go:pushHead: d := c.head", silent=True)
        if d is None:
            d = yield from new_chain_elt(self.cfg, self.cfg.params.init_size,
                                         "poolqueue.go:pushHead: d = new(poolChainElt)")
            yield plain_write(self.head, (d,), "poolqueue.go:pushHead: c.head = d", silent=True)
            yield atomic_store(self.tail, d, "poolqueue.go:pushHead: c.tail.Store(d)")
        if (yield from self.dequeue(d).push_head(val)):
            return
        new_size = (yield from self._len_vals(self.dequeue(d))) * 2
        if new_size >= self.cfg.limit:
            new_size = self.cfg.limit
        d2 = yield from new_chain_elt(self.cfg, None, "poolqueue.go:pushHead: d2 := &poolChainElt{}")
        e2 = self.dequeue(d2)
        # MUTATION: `d2.prev.Store(d)` is gone: the new dequeue has no link back, so popHead cannot back up
        # to the older dequeues once the newest is empty.

        ring = yield from new_ring(new_size, "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)")
        yield plain_write(e2.vals_addr, ((ring, new_size),), "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)",
                          silent=True)
        yield plain_write(self.head, (d2,), "poolqueue.go:pushHead: c.head = d2", silent=True)
        yield atomic_store(self.dequeue(d).next, d2, "poolqueue.go:pushHead: d.next.Store(d2)")
        yield from e2.push_head(val)


class GrowNoPrev(Model):
    name = "grow-no-prev"
    layer = "chain"
    kind = "mutant"
    description = ("poolChain.pushHead links a new dequeue without `d2.prev.Store(d)`: popHead cannot back up from "
                   "an empty newest dequeue, so it reports an empty chain while older dequeues hold values (lost "
                   "goal chain-backs-up)")
    expected = ("C4",)
    witness = ("chain", "push push pop pop", Params(init_size=1))
    PoolChain = _GrowNoPrevChain


class _GrowUncappedChain(PoolChain):
    def push_head(self, val: Value) -> Gen[None]:
        d = yield plain_read(self.head, "poolqueue.go:pushHead: d := c.head", silent=True)
        if d is None:
            d = yield from new_chain_elt(self.cfg, self.cfg.params.init_size,
                                         "poolqueue.go:pushHead: d = new(poolChainElt)")
            yield plain_write(self.head, (d,), "poolqueue.go:pushHead: c.head = d", silent=True)
            yield atomic_store(self.tail, d, "poolqueue.go:pushHead: c.tail.Store(d)")
        if (yield from self.dequeue(d).push_head(val)):
            return
        new_size = (yield from self._len_vals(self.dequeue(d))) * 2
        # MUTATION: `if newSize >= dequeueLimit { newSize = dequeueLimit }` is gone: the chain keeps doubling
        # past the limit, up to a ring of 2^dequeueBits slots where full and empty look alike.

        d2 = yield from new_chain_elt(self.cfg, None, "poolqueue.go:pushHead: d2 := &poolChainElt{}")
        e2 = self.dequeue(d2)
        yield atomic_store(e2.prev, d, "poolqueue.go:pushHead: d2.prev.Store(d)")
        ring = yield from new_ring(new_size, "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)")
        yield plain_write(e2.vals_addr, ((ring, new_size),), "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)",
                          silent=True)
        yield plain_write(self.head, (d2,), "poolqueue.go:pushHead: c.head = d2", silent=True)
        yield atomic_store(self.dequeue(d).next, d2, "poolqueue.go:pushHead: d.next.Store(d2)")
        yield from e2.push_head(val)


class GrowUncapped(Model):
    name = "grow-uncapped"
    layer = "chain"
    kind = "mutant"
    description = ("poolChain.pushHead doubles every new dequeue and never caps newSize at dequeueLimit (C5, and "
                   "lost goal chain-limit)")
    expected = ("C5",)
    witness = ("chain", "push push push push", Params(init_size=1, dequeue_limit=2))
    PoolChain = _GrowUncappedChain
