"""Design alternatives: a Pool with N victim tiers behind its primary cache.

Go's sync.Pool has two tiers: the primary cache (``local``) and one victim
cache (``victim``). poolCleanup moves local to victim and drops the old
victim, so an object survives at most one GC in the victim (P3). The seed text
argues that "a single-tier design would lose every item on every GC" and that
"two tiers is the empirically-tuned sweet spot"; these variants let the suite
measure both claims (``poolcheck study victim``):

=================  ======  ==================================================
name               tiers   behaviour
=================  ======  ==================================================
victim-tiers-0     1       no victim cache: poolCleanup drops every primary
                           cache; getSlow never looks past the other Ps
victim-tiers-1     2       Go's design, written generically: behaviourally
                           the reference (same Gets, same memory at every
                           step, same effects)
victim-tiers-2     3       two victim tiers: an object survives two GCs in
                           victim (P3 fails by design), getSlow tries the
                           younger victim first
=================  ======  ==================================================

Memory layout: the Pool block keeps Go's four fields at Go's offsets
(``local, localSize, victim, victimSize``: every state predicate in
properties/invariants.py reads them there) and appends one pair per extra
tier: ``victim2, victim2Size`` for tier 2. Victim tier k lives at
``p + 2k`` (array) and ``p + 2k + 1`` (size). victim-tiers-0 keeps the victim
pair too, always nil and 0, so those predicates still apply.

Registry: Go's ``oldPools`` holds the pools whose (only) victim cache is
non-nil. Here it holds every pool with *some* non-nil victim tier, so P11
("a pool holding a victim array is in oldPools, so some GC drops it") keeps
its meaning with any number of tiers.

Effects whose Go statement does not exist in pool.go are labelled
``victim-tiers: ...`` (not ``pool.go: ...``), so the drift test does not look
for them in the Go source.
"""

from __future__ import annotations

from typing import Any, ClassVar

from model.effects import Gen, atomic_load, atomic_store, plain_read, plain_write
from model.pool import POOL_LOCAL, POOL_LOCAL_SIZE, POOL_VICTIM, POOL_VICTIM_SIZE, Pool, Runtime, index_local
from model.variants.base import Model

__all__ = ["VictimTiers0", "VictimTiers1", "VictimTiers2", "tier_addrs"]

# A tier is an (array, size) pair of cells: local/localSize, victim/victimSize, victim2/victim2Size, ...
_PAIR = POOL_VICTIM - POOL_LOCAL
assert (POOL_VICTIM, POOL_VICTIM_SIZE) == (POOL_LOCAL + _PAIR, POOL_LOCAL_SIZE + _PAIR)


def tier_addrs(p: int, k: int) -> tuple[int, int]:
    """Addresses of victim tier ``k``'s array pointer and size in pool ``p`` (k >= 1; tier 0 is local)."""
    # Tier k's pair is k pairs after local's: tier 1 is Go's victim/victimSize.
    return p + POOL_LOCAL + _PAIR * k, p + POOL_LOCAL_SIZE + _PAIR * k


def _field(k: int, size: bool = False) -> str:
    """The Go-style field name of victim tier k: victim, victimSize, victim2, victim2Size, ..."""
    base = "victim" if k == 1 else f"victim{k}"
    return base + ("Size" if size else "")


def _label(k: int, go_label: str) -> str:
    """Tier 1's label is Go's (``go_label``, checked by the drift test); tier k >= 2's is the same statement on
    victim<k>, labelled ``victim-tiers:`` because no Go source has it."""
    if k == 1:
        return go_label
    stmt = go_label.split(":", 1)[1]   # drop the file name: "getSlow: ..."
    return "victim-tiers: " + stmt.replace("victimSize", _field(k, True)).replace("p.victim", f"p.{_field(k)}")


class _TieredPool(Pool):
    """Pool with ``tiers`` victim tiers (class attribute, set per variant)."""

    tiers: ClassVar[int] = 1

    def get_slow(self, pid: int) -> Gen[Any]:
        """Pool.getSlow: steal from other Ps, then each victim tier, youngest first."""
        size = yield atomic_load(self.local_size, "pool.go:getSlow: size := rtatomic.LoadAcquintptr(&p.localSize)")
        locals_ = yield plain_read(self.local, "pool.go:getSlow: locals := p.local")  # load-consume, as model/pool.py
        # Try to steal one element from other procs.
        for i in range(size):
            l = yield from index_local(locals_, (pid + i + 1) % size)
            x, _ = yield from self.shared(l).pop_tail()
            if x is not None:
                return x

        # DESIGN (victim-tiers): Go has one victim cache and returns nil when
        # it is exhausted; here every victim tier is tried in turn, the
        # youngest (victim) first, so that objects in the older tiers age out
        # if at all possible (Go's reason for trying victim last). With
        # tiers == 0 the loop is empty: no victim cache at all.
        for k in range(1, self.tiers + 1):
            x = yield from self.get_victim(pid, k)
            if x is not None:
                return x
        return None

    def get_victim(self, pid: int, k: int) -> Gen[Any]:
        """The victim half of Go's getSlow, on victim tier ``k`` (k == 1 is Go's code, statement for statement)."""
        victim, victim_size = tier_addrs(self.addr, k)
        size = yield atomic_load(victim_size, _label(k, "pool.go:getSlow: size = atomic.LoadUintptr(&p.victimSize)"))
        if pid >= size:
            # DESIGN (victim-tiers): Go returns nil here; an older tier may still hold objects.
            return None
        locals_ = yield plain_read(victim, _label(k, "pool.go:getSlow: locals = p.victim"))
        l = yield from index_local(locals_, pid)
        x = yield plain_read(l, _label(k, "pool.go:getSlow: if x := l.private; x != nil"))
        if x is not None:
            yield plain_write(l, (None,), _label(k, "pool.go:getSlow: l.private = nil"))
            return x
        for i in range(size):
            l = yield from index_local(locals_, (pid + i) % size)
            x, _ = yield from self.shared(l).pop_tail()
            if x is not None:
                return x

        # Mark this victim tier as empty so future Gets skip it (P9 on tier 1).
        yield atomic_store(victim_size, 0, _label(k, "pool.go:getSlow: atomic.StoreUintptr(&p.victimSize, 0)"))
        return None


def pool_cleanup_tiers(rt: Runtime, tiers: int) -> Gen[None]:
    """poolCleanup with ``tiers`` >= 1 victim tiers; tiers == 1 performs exactly Go's effects.

    Every access is silent: the world is stopped (see model/pool.py).
    """
    # DESIGN (victim-tiers): Go drops the victim caches of oldPools; here
    # every victim tier of oldPools ages by one GC: the oldest is dropped,
    # the others move down one tier and the youngest is cleared.
    old_pools = yield plain_read(rt.old_pools, "pool.go:poolCleanup: for _, p := range oldPools", silent=True)
    for p in old_pools:
        for k in range(tiers, 1, -1):
            older, older_size = tier_addrs(p, k)
            younger, younger_size = tier_addrs(p, k - 1)
            v = yield plain_read(younger, f"victim-tiers: poolCleanup: p.{_field(k)} = p.{_field(k - 1)}", silent=True)
            vs = yield plain_read(younger_size, f"victim-tiers: poolCleanup: p.{_field(k, True)} = p.{_field(k - 1, True)}",
                                  silent=True)
            yield plain_write(older, (v,), f"victim-tiers: poolCleanup: p.{_field(k)} = p.{_field(k - 1)}", silent=True)
            yield plain_write(older_size, (vs,), f"victim-tiers: poolCleanup: p.{_field(k, True)} = p.{_field(k - 1, True)}",
                              silent=True)
        yield plain_write(p + POOL_VICTIM, (None,), "pool.go:poolCleanup: p.victim = nil", silent=True)
        yield plain_write(p + POOL_VICTIM_SIZE, (0,), "pool.go:poolCleanup: p.victimSize = 0", silent=True)

    # Move primary cache to victim cache (Go's code).
    for p in (yield plain_read(rt.all_pools, "pool.go:poolCleanup: for _, p := range allPools", silent=True)):
        local, local_size = yield plain_read(p + POOL_LOCAL, "pool.go:poolCleanup: p.victim = p.local", n=2, silent=True)
        yield plain_write(p + POOL_VICTIM, (local,), "pool.go:poolCleanup: p.victim = p.local", silent=True)
        yield plain_write(p + POOL_VICTIM_SIZE, (local_size,), "pool.go:poolCleanup: p.victimSize = p.localSize", silent=True)
        yield plain_write(p + POOL_LOCAL, (None,), "pool.go:poolCleanup: p.local = nil", silent=True)
        yield plain_write(p + POOL_LOCAL_SIZE, (0,), "pool.go:poolCleanup: p.localSize = 0", silent=True)

    all_pools = yield plain_read(rt.all_pools, "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)
    # DESIGN (victim-tiers): Go sets oldPools = allPools. A pool that was idle
    # this cycle may still hold an older tier; it stays in oldPools so a later
    # GC drops it (P11). With one tier nothing is kept: victim was just cleared.
    kept: tuple[int, ...] = ()
    for p in old_pools:
        if p in all_pools:
            continue
        for k in range(2, tiers + 1):
            if (yield plain_read(tier_addrs(p, k)[0], "victim-tiers: poolCleanup: if p.victimK != nil",
                                 silent=True)) is not None:
                kept += (p,)
                break
    yield plain_write(rt.old_pools, (all_pools + kept,), "pool.go:poolCleanup: oldPools, allPools = allPools, nil",
                      silent=True)
    yield plain_write(rt.all_pools, ((),), "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)


def pool_cleanup_single(rt: Runtime) -> Gen[None]:
    """poolCleanup without a victim cache: every primary cache is dropped."""
    # DESIGN (victim-tiers-0): Go moves local to victim; a single-tier pool
    # drops it. oldPools stays empty: no pool ever holds a victim array.
    for p in (yield plain_read(rt.all_pools, "pool.go:poolCleanup: for _, p := range allPools", silent=True)):
        yield plain_write(p + POOL_LOCAL, (None,), "pool.go:poolCleanup: p.local = nil", silent=True)
        yield plain_write(p + POOL_LOCAL_SIZE, (0,), "pool.go:poolCleanup: p.localSize = 0", silent=True)
    yield plain_write(rt.all_pools, ((),), "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)


class _PoolTiers0(_TieredPool):
    tiers = 0


class _PoolTiers1(_TieredPool):
    tiers = 1


class _PoolTiers2(_TieredPool):
    tiers = 2


class _VictimTiers(Model):
    """Common metadata of the victim-tier family; ``victim_tiers`` is N."""

    layer = "pool"
    kind = "design"
    victim_tiers: ClassVar[int] = 1

    @classmethod
    def pool_fields(cls) -> tuple[tuple[str, Any], ...]:
        extra = tuple(f for k in range(2, cls.victim_tiers + 1) for f in ((_field(k), None), (_field(k, True), 0)))
        return Model.pool_fields() + extra


class VictimTiers0(_VictimTiers):
    name = "victim-tiers-0"
    description = ("single tier: poolCleanup drops every primary cache and getSlow has no victim cache to try "
                   "(P3 holds trivially; P4's victim steps never happen)")
    victim_tiers = 0
    Pool = _PoolTiers0

    @staticmethod
    def pool_cleanup(rt: Runtime) -> Gen[None]:
        return pool_cleanup_single(rt)


class VictimTiers1(_VictimTiers):
    name = "victim-tiers-1"
    description = ("Go's two tiers (primary + one victim), written with the generic N-tier code: behaviourally "
                   "the reference")
    victim_tiers = 1
    Pool = _PoolTiers1

    @staticmethod
    def pool_cleanup(rt: Runtime) -> Gen[None]:
        return pool_cleanup_tiers(rt, 1)


class VictimTiers2(_VictimTiers):
    name = "victim-tiers-2"
    description = ("three tiers: poolCleanup ages victim into victim2 before moving local into victim, so an "
                   "object survives two GCs in victim (P3 fails by design)")
    victim_tiers = 2
    Pool = _PoolTiers2

    @staticmethod
    def pool_cleanup(rt: Runtime) -> Gen[None]:
        return pool_cleanup_tiers(rt, 2)
