"""pool.go, transcribed: Pool, poolLocal, Put, Get, getSlow, pin, pinSlow, poolCleanup.

Read side by side with ``$(go env GOROOT)/src/sync/pool.go``. The runtime
hooks pool.go calls (runtime_procPin, runtime_procUnpin, allPoolsMu, the
stop-the-world that surrounds poolCleanup, GOMAXPROCS) are modelled here as
well, each as a kernel effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from model.effects import (
    Gen,
    alloc,
    atomic_load,
    atomic_store,
    index,
    lock,
    plain_read,
    plain_write,
    proc_pin,
    proc_unpin,
    start_the_world,
    stop_the_world,
    unlock,
)
from model.poolqueue import PoolChain

if TYPE_CHECKING:
    from model.variants.base import Cfg

__all__ = ["Runtime", "Pool", "POOL_FIELDS", "POOL_ZERO", "LOCAL_FIELDS", "LOCAL_CELLS", "LOCAL_PRIVATE", "LOCAL_SHARED",
           "POOL_LOCAL", "POOL_LOCAL_SIZE", "POOL_VICTIM", "POOL_VICTIM_SIZE", "INDEX_LOCAL_LABEL", "new_runtime",
           "new_pool", "gc",
           "set_gomaxprocs", "pool_cleanup", "index_local", "new_token", "new_calls"]


# poolLocal = poolLocalInternal{private any; shared poolChain} + pad. The pad
# has no behaviour; model/layout.py computes its size.
# DEVIATION: private is one cell holding the object (Go: a two-word eface).
LOCAL_FIELDS = ("private", "shared.head", "shared.tail")
LOCAL_CELLS = len(LOCAL_FIELDS)
# private: the slot of P i's poolLocal is read and written only by a
#   goroutine pinned on P i (Put, Get; getSlow clears victim[i].private, the
#   same P's slot in the previous cycle's array), so it needs no atomics.
LOCAL_PRIVATE = LOCAL_FIELDS.index("private")
# shared: a poolChain (C_HEAD, C_TAIL from here). The owning P is its only
#   producer (pushHead, popHead at the head); any P may popTail it.
LOCAL_SHARED = LOCAL_FIELDS.index("shared.head")

POOL_FIELDS = ("local", "localSize", "victim", "victimSize")
# local: the per-P array of poolLocal ([P]poolLocal), localSize: its length.
#   Written by pinSlow under allPoolsMu while pinned, and by poolCleanup with
#   the world stopped. pinSlow stores local before localSize and readers load
#   localSize before local, so a reader pinned on P pid < localSize indexes an
#   array at least that long (P7).
POOL_LOCAL = POOL_FIELDS.index("local")
POOL_LOCAL_SIZE = POOL_FIELDS.index("localSize")
# victim, victimSize: the previous cycle's local and localSize. Only
#   poolCleanup (world stopped) sets them; getSlow reads them and may set
#   victimSize to 0 once it found every victim chain empty (P9). The next
#   poolCleanup drops them (P3).
POOL_VICTIM = POOL_FIELDS.index("victim")
POOL_VICTIM_SIZE = POOL_FIELDS.index("victimSize")
# A zero Pool{}: each field with its zero value (Model.pool_fields()).
POOL_ZERO: tuple[tuple[str, Any], ...] = (("local", None), ("localSize", 0), ("victim", None), ("victimSize", 0))


class Runtime:
    """Addresses of the runtime state pool.go relies on.

    allPoolsMu, allPools, oldPools (pool.go's globals); gomaxprocs; numgc
    (completed GC cycles, as runtime.MemStats.NumGC); pinned[i] (1 while
    some goroutine has P i pinned: no preemption and no stop-the-world);
    newSeq[g] (how many objects goroutine g's New calls have made: one cell per
    goroutine, so that New's identities need no shared counter).
    """

    FIELDS_HEAD = ("allPoolsMu", "allPools", "oldPools", "gomaxprocs", "numgc")
    # allPools: the pools with a non-nil local (primary cache); oldPools: the
    # pools with a non-nil victim. Both are read and written only by a holder
    # of allPoolsMu that is pinned (pinSlow), or with the world stopped
    # (poolCleanup): pinning keeps the stop-the-world away, so the two never
    # overlap.
    ALL_POOLS_MU = FIELDS_HEAD.index("allPoolsMu")
    ALL_POOLS = FIELDS_HEAD.index("allPools")
    OLD_POOLS = FIELDS_HEAD.index("oldPools")
    # gomaxprocs: changed only with the world stopped (set_gomaxprocs).
    GOMAXPROCS = FIELDS_HEAD.index("gomaxprocs")
    NUMGC = FIELDS_HEAD.index("numgc")
    # pinned[0..nprocs_max) follows the head fields, then newSeq[0..nthreads).
    PINNED = len(FIELDS_HEAD)

    def __init__(self, addr: int, nprocs_max: int, nthreads: int = 1) -> None:
        self.addr = addr
        self.all_pools_mu = addr + self.ALL_POOLS_MU
        self.all_pools = addr + self.ALL_POOLS
        self.old_pools = addr + self.OLD_POOLS
        self.gomaxprocs = addr + self.GOMAXPROCS
        self.numgc = addr + self.NUMGC
        self.pinned = addr + self.PINNED
        self.new_seq = self.pinned + nprocs_max   # newSeq[0]
        self.nprocs_max = nprocs_max
        self.nthreads = nthreads

    def new_seq_of(self, g: int) -> int:
        """The address of goroutine g's newSeq cell."""
        if not 0 <= g < self.nthreads:
            raise ValueError(f"goroutine {g} called New, but the world was built for {self.nthreads} goroutine(s): "
                             f"give new_world/Sequential enough threads")
        return self.new_seq + g


def new_runtime(gomaxprocs: int, nprocs_max: int, nthreads: int = 1) -> Gen[int]:
    fields: tuple[tuple[str, Any], ...] = tuple(zip(Runtime.FIELDS_HEAD, (0, (), (), gomaxprocs, 0), strict=True))
    fields += tuple((f"pinned[{i}]", 0) for i in range(nprocs_max))
    fields += tuple((f"newSeq[{g}]", 0) for g in range(nthreads))
    rt: int = yield alloc(fields, "runtime!", "runtime")
    return rt


def new_token(g: int, k: int, nthreads: int) -> int:
    """The identity of goroutine g's k-th New object (k = 0, 1, ...) among ``nthreads`` goroutines.

    -(1 + g + nthreads*k): unique across goroutines, negative (Put's tokens are positive) and independent
    of the interleaving; with one goroutine -1, -2, ... (the conformance driver numbers New's objects so).
    """
    return -(1 + g + nthreads * k)


def new_calls(mem: Sequence[Any], rt: Runtime) -> int:
    """How many times New has been called, by every goroutine."""
    return sum(int(mem[rt.new_seq + g]) for g in range(rt.nthreads))


def new_pool(name: str = "p", fields: tuple[tuple[str, Any], ...] = POOL_ZERO) -> Gen[int]:
    """A zero sync.Pool (``fields``: the variant's Model.pool_fields(), Go's four by default)."""
    p: int = yield alloc(fields, name, "setup: Pool{}")
    return p


# The statement an out-of-bounds indexLocal faults at (P7); the Go replay driver's check names it too.
INDEX_LOCAL_LABEL = "pool.go:indexLocal: lp := unsafe.Pointer(uintptr(l) + uintptr(i)*unsafe.Sizeof(poolLocal{}))"


def index_local(l: int | None, i: int) -> Gen[int]:
    """indexLocal: the address of the i-th poolLocal of the array at l.

    DEVIATION: Go's indexLocal is unchecked pointer arithmetic; the model's
    INDEX effect checks i against the array it points into (nil: no array)
    and reports P7 where Go would read or write past the array.
    """
    a: int = yield index(l if l is not None else -1, i, LOCAL_CELLS, INDEX_LOCAL_LABEL)
    return a


_PIN_LABEL = {fn: f"pool.go:{fn}: pid := runtime_procPin()" for fn in ("pin", "pinSlow")}
_UNPIN_LABEL = {fn: f"pool.go:{fn}: runtime_procUnpin()" for fn in ("Put", "Get", "pinSlow")}


class Pool:
    """sync.Pool, as seen by one goroutine.

    DEVIATION: Go finds the current goroutine and its P implicitly; the model
    passes them explicitly: ``home`` is the goroutine's P (modulo GOMAXPROCS at
    each pin) and ``_pid`` remembers the P pinned last, for procUnpin.

    Fields (memory block): POOL_FIELDS at the offsets POOL_LOCAL,
    POOL_LOCAL_SIZE, POOL_VICTIM, POOL_VICTIM_SIZE; who writes each and the
    order that keeps readers in bounds are written on those declarations.
    """

    def __init__(self, addr: int, cfg: Cfg, rt: Runtime, home: int) -> None:
        self.addr = addr
        self.cfg = cfg
        self.rt = rt
        self.home = home
        self.local = addr + POOL_LOCAL
        self.local_size = addr + POOL_LOCAL_SIZE
        self.victim = addr + POOL_VICTIM
        self.victim_size = addr + POOL_VICTIM_SIZE
        self._pid = 0

    def shared(self, l: int) -> PoolChain:
        """``l.shared`` of the poolLocal at l."""
        return self.cfg.model.PoolChain(l + LOCAL_SHARED, self.cfg)

    # -- runtime hooks ---------------------------------------------------
    # DEVIATION: pinning is a per-P flag. While it is set no other goroutine
    # can pin that P and no stop-the-world can begin; preemption itself is
    # not modelled (one goroutine per thread, never descheduled mid-effect).
    # Go's race-detector paths in Put/Get (race.Enabled) are not modelled:
    # they are compiled out of normal builds.
    def runtime_proc_pin(self, caller: str) -> Gen[int]:
        pid: int = yield proc_pin(self.home, self.rt.gomaxprocs, (self.rt.nprocs_max, self.rt.pinned),
                                  _PIN_LABEL[caller])
        self._pid = pid
        return pid

    def runtime_proc_unpin(self, caller: str) -> Gen[None]:
        yield proc_unpin(self.rt.pinned + self._pid, _UNPIN_LABEL[caller])

    def new(self) -> Gen[Any]:
        """``p.New()``: a fresh object, identified by a negative token (new_token).

        DEVIATION: allocation is bookkeeping, not a shared access: each
        goroutine numbers its own New objects in its own cell newSeq[g], which
        no other goroutine touches (silent plain accesses). Two New calls are
        unrelated in Go, so the model adds no synchronisation between them: a
        shared counter (an atomic add) would order every New after the
        earlier ones, a happens-before edge Go does not have, and could hide a
        missing Put->Get ordering (P8).
        """
        cell = self.rt.new_seq_of(self.home)
        k = yield plain_read(cell, "pool.go:Get: x = p.New()", silent=True)
        yield plain_write(cell, (k + 1,), "pool.go:Get: x = p.New()", silent=True)
        return new_token(self.home, k, self.rt.nthreads)

    # -- pool.go ---------------------------------------------------------
    def put(self, x: Any) -> Gen[None]:
        """Pool.Put: add x to the pool. Put(nil) does nothing."""
        if x is None:
            return
        l, _ = yield from self.pin()
        if (yield plain_read(l + LOCAL_PRIVATE, "pool.go:Put: if l.private == nil")) is None:
            yield plain_write(l + LOCAL_PRIVATE, (x,), "pool.go:Put: l.private = x")
        else:
            yield from self.shared(l).push_head(x)
        yield from self.runtime_proc_unpin("Put")

    def get(self) -> Gen[Any]:
        """Pool.Get: private, then own shared head, then getSlow, then New."""
        l, pid = yield from self.pin()
        x = yield plain_read(l + LOCAL_PRIVATE, "pool.go:Get: x := l.private")
        yield plain_write(l + LOCAL_PRIVATE, (None,), "pool.go:Get: l.private = nil")
        if x is None:
            # Pop the head of the local shard: the head over the tail, for
            # temporal locality of reuse.
            x, _ = yield from self.shared(l).pop_head()
            if x is None:
                x = yield from self.get_slow(pid)
        yield from self.runtime_proc_unpin("Get")
        # DEVIATION: `p.New != nil` is the parameter with_new (the model has no
        # function values); New itself is Pool.new below.
        if x is None and self.cfg.params.with_new:
            x = yield from self.new()
        return x

    def get_slow(self, pid: int) -> Gen[Any]:
        """Pool.getSlow: steal from other Ps, then the victim cache."""
        # The same load order as pin (localSize, then local).
        size = yield atomic_load(self.local_size, "pool.go:getSlow: size := rtatomic.LoadAcquintptr(&p.localSize)")
        # A plain load Go calls load-consume: a formal race with another P's
        # pinSlow StorePointer, accepted as benign (model.hb.BENIGN_RACES says why).
        locals_ = yield plain_read(self.local, "pool.go:getSlow: locals := p.local")
        # Try to steal one element from other procs.
        for i in range(size):
            l = yield from index_local(locals_, (pid + i + 1) % size)
            x, _ = yield from self.shared(l).pop_tail()
            if x is not None:
                return x

        # Try the victim cache only after every primary cache, so that
        # objects in the victim cache age out if at all possible.
        size = yield atomic_load(self.victim_size, "pool.go:getSlow: size = atomic.LoadUintptr(&p.victimSize)")
        if pid >= size:
            return None
        locals_ = yield plain_read(self.victim, "pool.go:getSlow: locals = p.victim")
        l = yield from index_local(locals_, pid)
        x = yield plain_read(l + LOCAL_PRIVATE, "pool.go:getSlow: if x := l.private; x != nil")
        if x is not None:
            yield plain_write(l + LOCAL_PRIVATE, (None,), "pool.go:getSlow: l.private = nil")
            return x
        for i in range(size):
            l = yield from index_local(locals_, (pid + i) % size)
            x, _ = yield from self.shared(l).pop_tail()
            if x is not None:
                return x

        # Mark the victim cache as empty so future Gets skip it. Victim
        # chains only shrink, so once every one was seen empty it stays
        # empty (P9).
        yield atomic_store(self.victim_size, 0, "pool.go:getSlow: atomic.StoreUintptr(&p.victimSize, 0)")
        return None

    def pin(self) -> Gen[tuple[int, int]]:
        """Pool.pin: pin the goroutine to its P; return the P's poolLocal and id."""
        # DEVIATION: Go's `if p == nil { panic("nil Pool") }` is not modelled:
        # a model Pool handle always has an address (the harness allocates it).
        pid = yield from self.runtime_proc_pin("pin")
        # pinSlow stores local, then localSize; load them in the opposite
        # order. Pinned, no GC can run in between, so local is at least as
        # large as localSize says (P7).
        s = yield atomic_load(self.local_size, "pool.go:pin: s := rtatomic.LoadAcquintptr(&p.localSize)")
        # load-consume: a plain load, a benign formal race (see getSlow).
        l = yield plain_read(self.local, "pool.go:pin: l := p.local")
        if pid < s:
            return (yield from index_local(l, pid)), pid
        return (yield from self.pin_slow())

    def pin_slow(self) -> Gen[tuple[int, int]]:
        """Pool.pinSlow: retry under allPoolsMu; allocate local on first use or after a GOMAXPROCS change."""
        # Can not lock the mutex while pinned.
        yield from self.runtime_proc_unpin("pinSlow")
        yield lock(self.rt.all_pools_mu, "pool.go:pinSlow: allPoolsMu.Lock()")
        pid = yield from self.runtime_proc_pin("pinSlow")
        # poolCleanup won't be called while we are pinned.
        s = yield plain_read(self.local_size, "pool.go:pinSlow: s := p.localSize")
        l = yield plain_read(self.local, "pool.go:pinSlow: l := p.local")
        if pid < s:
            res = yield from index_local(l, pid)
            yield unlock(self.rt.all_pools_mu, "pool.go:pinSlow: defer allPoolsMu.Unlock()")
            return res, pid
        if (yield plain_read(self.local, "pool.go:pinSlow: if p.local == nil")) is None:
            pools = yield plain_read(self.rt.all_pools, "pool.go:pinSlow: allPools = append(allPools, p)")
            yield plain_write(self.rt.all_pools, (pools + (self.addr,),), "pool.go:pinSlow: allPools = append(allPools, p)")
        # If GOMAXPROCS changes between GCs, we re-allocate the array and
        # lose the old one (P6).
        # DEVIATION: runtime.GOMAXPROCS(0) is a silent read of the gomaxprocs
        # cell (Go: a runtime call). The value only changes with the world
        # stopped, and we are pinned, so no change can fall between this read
        # and the stores below.
        size = yield plain_read(self.rt.gomaxprocs, "pool.go:pinSlow: size := runtime.GOMAXPROCS(0)", silent=True)
        local = yield from self.make_locals(size)
        yield from self.store_local(local, size)
        # DEVIATION: Go returns &local[pid], a bounds-checked slice index; the
        # model goes through index_local, whose bound check (P7) stands in for
        # Go's index-out-of-range panic.
        res = yield from index_local(local, pid)
        yield unlock(self.rt.all_pools_mu, "pool.go:pinSlow: defer allPoolsMu.Unlock()")
        return res, pid

    def make_locals(self, size: int) -> Gen[int]:
        """``make([]poolLocal, size)``."""
        fields = tuple((f"[{i}].{f}", None) for i in range(size) for f in LOCAL_FIELDS)
        local: int = yield alloc(fields, "local", "pool.go:pinSlow: local := make([]poolLocal, size)")
        return local

    def store_local(self, local: int, size: int) -> Gen[None]:
        """The two store-releases that publish a new local array: local first, then localSize."""
        yield atomic_store(self.local, local, "pool.go:pinSlow: atomic.StorePointer(&p.local, unsafe.Pointer(&local[0]))")
        yield atomic_store(self.local_size, size, "pool.go:pinSlow: rtatomic.StoreReluintptr(&p.localSize, uintptr(size))")


def pool_cleanup(rt: Runtime) -> Gen[None]:
    """poolCleanup: called with the world stopped at the start of every GC.

    DEVIATION: every access is silent, so the whole cleanup is one step of the
    GC. With the world stopped no pool user is pinned or running (in effect
    all Ps are), so nothing can interleave with it.
    """
    # Drop victim caches from all pools.
    for p in (yield plain_read(rt.old_pools, "pool.go:poolCleanup: for _, p := range oldPools", silent=True)):
        yield plain_write(p + POOL_VICTIM, (None,), "pool.go:poolCleanup: p.victim = nil", silent=True)
        yield plain_write(p + POOL_VICTIM_SIZE, (0,), "pool.go:poolCleanup: p.victimSize = 0", silent=True)

    # Move primary cache to victim cache.
    for p in (yield plain_read(rt.all_pools, "pool.go:poolCleanup: for _, p := range allPools", silent=True)):
        local, local_size = yield plain_read(p + POOL_LOCAL, "pool.go:poolCleanup: p.victim = p.local", n=2, silent=True)
        yield plain_write(p + POOL_VICTIM, (local,), "pool.go:poolCleanup: p.victim = p.local", silent=True)
        yield plain_write(p + POOL_VICTIM_SIZE, (local_size,), "pool.go:poolCleanup: p.victimSize = p.localSize", silent=True)
        yield plain_write(p + POOL_LOCAL, (None,), "pool.go:poolCleanup: p.local = nil", silent=True)
        yield plain_write(p + POOL_LOCAL_SIZE, (0,), "pool.go:poolCleanup: p.localSize = 0", silent=True)

    # The pools with non-empty primary caches now have non-empty victim
    # caches and no pools have primary caches.
    all_pools = yield plain_read(rt.all_pools, "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)
    yield plain_write(rt.old_pools, (all_pools,), "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)
    yield plain_write(rt.all_pools, ((),), "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)


def gc(cfg: Cfg, rt: Runtime) -> Gen[None]:
    """A garbage collection as pool.go sees it: stop the world, poolCleanup, start the world.

    DEVIATION: the runtime's gcStart does much more; only the part that
    touches pools is modelled, as one stop-the-world step that can begin only
    when no P is pinned (P5).
    """
    n = rt.nprocs_max if cfg.model.gc_needs_unpinned() else 0
    yield stop_the_world(rt.pinned, n, "runtime: stopTheWorld (gcStart)")
    yield from cfg.model.pool_cleanup(rt)
    # DEVIATION: numgc is the model's own bookkeeping (no pool.go statement):
    # the kernel reads it to stamp each operation with the GCs it overlapped
    # (epoch_call, epoch_ret, epoch_unpin), which P3, P6 and the victim goal
    # read.
    numgc = yield plain_read(rt.numgc, "runtime: memstats.numgc++", silent=True)
    yield plain_write(rt.numgc, (numgc + 1,), "runtime: memstats.numgc++", silent=True)
    yield start_the_world("runtime: startTheWorld")


def set_gomaxprocs(rt: Runtime, n: int) -> Gen[None]:
    """runtime.GOMAXPROCS(n): stop the world, change the number of Ps, start it.

    DEVIATION: the runtime's procresize is reduced to one silent write of the
    gomaxprocs cell inside the stop-the-world; no P is pinned then.
    """
    yield stop_the_world(rt.pinned, rt.nprocs_max, "runtime: stopTheWorld (GOMAXPROCS)")
    yield plain_write(rt.gomaxprocs, (n,), "runtime: GOMAXPROCS(n)", silent=True)
    yield start_the_world("runtime: startTheWorld")
