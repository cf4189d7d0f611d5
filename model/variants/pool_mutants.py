"""Mutants of sync.Pool (pool.go): known bugs the suite must catch.

Each mutant is the reference with ONE change, in a copy of the one Go
function it changes; the changed lines sit directly under a ``# MUTATION:``
comment, followed by a blank line (a deletion: the comment, then a blank line
where the lines were). tests/test_mutation_lines.py checks the copy differs
from the reference nowhere else.
"""

from __future__ import annotations

from typing import Any

from model.effects import Gen, atomic_load, atomic_store, lock, plain_read, plain_write, unlock
from model.params import Params
from model.pool import LOCAL_PRIVATE, POOL_LOCAL, POOL_LOCAL_SIZE, POOL_VICTIM, POOL_VICTIM_SIZE, Pool, Runtime, index_local
from model.variants.base import Model

__all__ = ["CleanupNoVictimDrop", "GetKeepsPrivate", "GcWhilePinned", "PinSlowSizeFirst", "PinLocalFirst",
           "GetSlowMarkEarly", "PutOverwritesPrivate", "PinSlowNoRecheck", "PinNoSizeCheck"]


class CleanupNoVictimDrop(Model):
    name = "cleanup-no-victim-drop"
    layer = "pool"
    kind = "mutant"
    description = ("poolCleanup only moves local to victim and never drops oldPools' victim caches (the version "
                   "printed in the seed text): an object can outlive two GCs, and an idle pool's victim is "
                   "retained forever")
    expected = ("P3", "P11")
    witness = ("pool", "put gc gc get", Params())

    @staticmethod
    def pool_cleanup(rt: Runtime) -> Gen[None]:
        """poolCleanup as printed in the seed text: no loop over oldPools."""
        # MUTATION: the `for _, p := range oldPools { p.victim = nil; p.victimSize
        # = 0 }` loop is gone: a pool not used since the last GC keeps its victim
        # cache forever, and is in neither allPools nor oldPools.

        for p in (yield plain_read(rt.all_pools, "pool.go:poolCleanup: for _, p := range allPools", silent=True)):
            local, local_size = yield plain_read(p + POOL_LOCAL, "pool.go:poolCleanup: p.victim = p.local", n=2, silent=True)
            yield plain_write(p + POOL_VICTIM, (local,), "pool.go:poolCleanup: p.victim = p.local", silent=True)
            yield plain_write(p + POOL_VICTIM_SIZE, (local_size,), "pool.go:poolCleanup: p.victimSize = p.localSize", silent=True)
            yield plain_write(p + POOL_LOCAL, (None,), "pool.go:poolCleanup: p.local = nil", silent=True)
            yield plain_write(p + POOL_LOCAL_SIZE, (0,), "pool.go:poolCleanup: p.localSize = 0", silent=True)
        all_pools = yield plain_read(rt.all_pools, "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)
        yield plain_write(rt.old_pools, (all_pools,), "pool.go:poolCleanup: oldPools, allPools = allPools, nil",
                          silent=True)
        yield plain_write(rt.all_pools, ((),), "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)


class _GetKeepsPrivatePool(Pool):
    def get(self) -> Gen[Any]:
        l, pid = yield from self.pin()
        x = yield plain_read(l + LOCAL_PRIVATE, "pool.go:Get: x := l.private")
        # MUTATION: no `l.private = nil`: the object handed out is still the
        # P's private object, and the next Get hands it out again.

        if x is None:
            x, _ = yield from self.shared(l).pop_head()
            if x is None:
                x = yield from self.get_slow(pid)
        yield from self.runtime_proc_unpin("Get")
        if x is None and self.cfg.params.with_new:
            x = yield from self.new()
        return x


class GetKeepsPrivate(Model):
    name = "get-keeps-private"
    layer = "pool"
    kind = "mutant"
    description = "Pool.Get does not clear l.private, so the object it returns stays in the pool and is handed out twice"
    expected = ("P1",)
    witness = ("pool", "put get get", Params())
    Pool = _GetKeepsPrivatePool


class GcWhilePinned(Model):
    name = "gc-while-pinned"
    layer = "pool"
    kind = "mutant"
    description = ("the GC may stop the world and run poolCleanup while a P is pinned (runtime_procPin no longer "
                   "holds off stop-the-world), so poolCleanup can pull p.local from under a Put or Get")
    expected = ("P5",)
    witness = ("pool", "put get | gc", Params())

    @classmethod
    def gc_needs_unpinned(cls) -> bool:
        # MUTATION: stop-the-world does not wait for pinned Ps.
        return False


class _PinSlowSizeFirstPool(Pool):
    def store_local(self, local: int, size: int) -> Gen[None]:
        # MUTATION: localSize is published before local; a pin on another P
        # can load the new size with the old (nil or shorter) array.
        yield atomic_store(self.local_size, size,
                           "pool.go:pinSlow: rtatomic.StoreReluintptr(&p.localSize, uintptr(size))")
        yield atomic_store(self.local, local,
                           "pool.go:pinSlow: atomic.StorePointer(&p.local, unsafe.Pointer(&local[0]))")


class PinSlowSizeFirst(Model):
    name = "pinslow-size-first"
    layer = "pool"
    kind = "mutant"
    description = ("pinSlow stores p.localSize before p.local, so pin on another P can see the new size with the "
                   "old array and index past its end")
    expected = ("P7",)
    witness = ("pool", "put | put", Params(gomaxprocs=2))
    Pool = _PinSlowSizeFirstPool


class _PinLocalFirstPool(Pool):
    def pin(self) -> Gen[tuple[int, int]]:
        pid = yield from self.runtime_proc_pin("pin")
        # MUTATION: p.local is loaded before p.localSize (the same order as
        # pinSlow's stores instead of the opposite): a pinSlow on another P can
        # publish both in between, and the new size is used with the old array.
        l = yield plain_read(self.local, "pool.go:pin: l := p.local")
        s = yield atomic_load(self.local_size, "pool.go:pin: s := rtatomic.LoadAcquintptr(&p.localSize)")

        if pid < s:
            return (yield from index_local(l, pid)), pid
        return (yield from self.pin_slow())


class PinLocalFirst(Model):
    name = "pin-local-first"
    layer = "pool"
    kind = "mutant"
    description = ("Pool.pin loads p.local before p.localSize (pinSlow's store order, not its opposite), so it can "
                   "pair the old array with a new, larger size and index past its end")
    expected = ("P7",)
    witness = ("pool", "put | put", Params(gomaxprocs=2))
    Pool = _PinLocalFirstPool


class _GetSlowMarkEarlyPool(Pool):
    def get_slow(self, pid: int) -> Gen[Any]:
        size = yield atomic_load(self.local_size, "pool.go:getSlow: size := rtatomic.LoadAcquintptr(&p.localSize)")
        locals_ = yield plain_read(self.local, "pool.go:getSlow: locals := p.local")
        for i in range(size):
            l = yield from index_local(locals_, (pid + i + 1) % size)
            x, _ = yield from self.shared(l).pop_tail()
            if x is not None:
                return x
        size = yield atomic_load(self.victim_size, "pool.go:getSlow: size = atomic.LoadUintptr(&p.victimSize)")
        if pid >= size:
            return None
        locals_ = yield plain_read(self.victim, "pool.go:getSlow: locals = p.victim")
        l = yield from index_local(locals_, pid)
        x = yield plain_read(l + LOCAL_PRIVATE, "pool.go:getSlow: if x := l.private; x != nil")
        if x is not None:
            yield plain_write(l + LOCAL_PRIVATE, (None,), "pool.go:getSlow: l.private = nil")
            return x
        # MUTATION: the victim cache is marked empty *before* its shared chains
        # are scanned; a scan that finds an object returns with others left
        # behind, which no Get will look for again.
        yield atomic_store(self.victim_size, 0, "pool.go:getSlow: atomic.StoreUintptr(&p.victimSize, 0)")

        for i in range(size):
            l = yield from index_local(locals_, (pid + i) % size)
            x, _ = yield from self.shared(l).pop_tail()
            if x is not None:
                return x
        return None


class GetSlowMarkEarly(Model):
    name = "getslow-mark-early"
    layer = "pool"
    kind = "mutant"
    description = ("Pool.getSlow stores victimSize = 0 before scanning the victim's shared chains instead of after "
                   "finding them all empty, so objects left in the victim are skipped by every later Get")
    expected = ("P9",)
    witness = ("pool", "put put put gc get get", Params())
    Pool = _GetSlowMarkEarlyPool


class _PutOverwritesPrivatePool(Pool):
    def put(self, x: Any) -> Gen[None]:
        if x is None:
            return
        l, _ = yield from self.pin()
        # MUTATION: no `if l.private == nil` test: a second Put overwrites the
        # private object instead of pushing to l.shared, and the first is lost.
        yield plain_write(l + LOCAL_PRIVATE, (x,), "pool.go:Put: l.private = x")

        yield from self.runtime_proc_unpin("Put")


class PutOverwritesPrivate(Model):
    name = "put-overwrites-private"
    layer = "pool"
    kind = "mutant"
    description = ("Pool.Put stores l.private = x without testing l.private == nil, so a second Put on the same P "
                   "overwrites the first object instead of pushing it to l.shared")
    expected = ("P6",)
    witness = ("pool", "put put get", Params())
    Pool = _PutOverwritesPrivatePool



class _PinSlowNoRecheckPool(Pool):
    def pin_slow(self) -> Gen[tuple[int, int]]:
        yield from self.runtime_proc_unpin("pinSlow")
        yield lock(self.rt.all_pools_mu, "pool.go:pinSlow: allPoolsMu.Lock()")
        pid = yield from self.runtime_proc_pin("pinSlow")
        # DESIGN (pinslow-no-recheck): no `if pid < s` retry under the mutex: a pinSlow that waited for another one replaces the
        # array the other just published, and the objects already put there are lost.
        if (yield plain_read(self.local, "pool.go:pinSlow: if p.local == nil")) is None:
            pools = yield plain_read(self.rt.all_pools, "pool.go:pinSlow: allPools = append(allPools, p)")
            yield plain_write(self.rt.all_pools, (pools + (self.addr,),),
                              "pool.go:pinSlow: allPools = append(allPools, p)")
        size = yield plain_read(self.rt.gomaxprocs, "pool.go:pinSlow: size := runtime.GOMAXPROCS(0)", silent=True)
        local = yield from self.make_locals(size)
        yield from self.store_local(local, size)
        res = yield from index_local(local, pid)
        yield unlock(self.rt.all_pools_mu, "pool.go:pinSlow: defer allPoolsMu.Unlock()")
        return res, pid


class PinSlowNoRecheck(Model):
    name = "pinslow-no-recheck"
    layer = "pool"
    kind = "design"
    description = ("pinSlow does not check again, under allPoolsMu, whether another pinSlow already allocated the "
                   "array (`if pid < s`): the later one replaces it and the objects put there are dropped. Legal "
                   "under Pool's contract (a pool may drop any object), so no property fails; the explorer reports "
                   "the behaviour it loses (goal pinslow-contends)")
    witness = ("pool", "put get | put get", Params(gomaxprocs=2))
    Pool = _PinSlowNoRecheckPool


class _PinNoSizeCheckPool(Pool):
    def pin(self) -> Gen[tuple[int, int]]:
        pid = yield from self.runtime_proc_pin("pin")
        s = yield atomic_load(self.local_size, "pool.go:pin: s := rtatomic.LoadAcquintptr(&p.localSize)")
        l = yield plain_read(self.local, "pool.go:pin: l := p.local")
        # MUTATION: `if uintptr(pid) < s` became `if l != nil`: after GOMAXPROCS grows, a P whose id is past the
        # old array's end indexes past it instead of re-allocating in pinSlow.
        del s
        if l is not None:

            return (yield from index_local(l, pid)), pid
        return (yield from self.pin_slow())


class PinNoSizeCheck(Model):
    name = "pin-no-size-check"
    layer = "pool"
    kind = "mutant"
    description = ("Pool.pin uses any non-nil local array without comparing pid with localSize, so after a "
                   "GOMAXPROCS change a P indexes past the old array (P7; lost goal gomaxprocs-change)")
    expected = ("P7",)
    witness = ("pool", "put procs=2 | put", Params(gomaxprocs=1))
    Pool = _PinNoSizeCheckPool
