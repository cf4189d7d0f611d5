"""Happens-before tracking with vector clocks: the data-race detector.

Go's memory model (https://go.dev/ref/mem, "Implementation Restrictions for
Programs Containing Data Races" and "Synchronized before") guarantees
sequentially consistent behaviour to data-race-free programs. The kernel runs
SC interleavings; this tracker checks, along each execution, that no two
conflicting accesses are unordered by happens-before. Together they cover
every behaviour the real program can have (DRF-SC).

What conflicts (the memory model's definition of a data race: "a write to a
memory location happening concurrently with another read or write to that
same location, unless all the accesses involved are atomic data
accesses"): two accesses to the same word by different threads, at least
one a write and at least one plain. So plain/plain, plain/atomic and
atomic/plain pairs race when unordered; atomic/atomic pairs never do. An
atomic write is a Store, an Add, or a CompareAndSwap that succeeded; a Load
and a failed CompareAndSwap are atomic reads.

Synchronisation follows ThreadSanitizer's treatment of Go's atomics (all
sequentially consistent): a Load acquires the location's clock, a Store
release-stores it, Add and CompareAndSwap acquire and release (join).
Mutex Unlock releases and Lock acquires. Pinning a P acquires the P's clock
and unpinning releases it: goroutines that share a P are ordered by the
scheduler. Stopping the world joins every thread's clock into the stopper,
and restarting it joins the stopper's clock into every thread.

Clock algorithm: Lamport 1978 vector clocks, with FastTrack's per-location
last-write epoch and read set (Flanagan and Freund, PLDI 2009); atomic
accesses keep, per location and thread, the epoch of the last atomic read
and of the last atomic write (checked after the operation's acquire and
before its release, as ThreadSanitizer does).

Benign races. ``BENIGN_RACES`` lists the formal races of Go's own code that
the suite accepts, each keyed by the two Go statements and argued there; a
race between exactly those two statements goes to ``HBTracker.benign``, not
to ``races``. proofs/explore/search.py consults the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model.effects import ADD, CAS, LOAD, LOCK, PIN, READ, STARTW, STORE, STW, UNLOCK, UNPIN, WRITE, Effect

__all__ = ["Access", "Race", "HBTracker", "BENIGN_RACES", "benign_race", "conflicting"]

_PIN_LOCAL = "pool.go:pin: l := p.local"
_GETSLOW_LOCAL = "pool.go:getSlow: locals := p.local"
_PINSLOW_STORE = "pool.go:pinSlow: atomic.StorePointer(&p.local, unsafe.Pointer(&local[0]))"
_BENIGN_LOCAL = (
    "pool.go reads p.local with a plain load it calls load-consume while another P's pinSlow may store it "
    "with atomic.StorePointer: a formal race under Go's memory model, benign because (1) the word is "
    "pointer-sized and aligned, so the read returns some stored pointer whole (the memory model forbids "
    "tearing for word-sized reads); (2) the value is used only when pid < s, s being the preceding "
    "LoadAcquintptr of p.localSize, and pinSlow stores localSize after local, so the array that made s "
    "valid happens-before the read; a newer array read instead was made by a pinSlow running while this "
    "P is pinned, so with the same GOMAXPROCS, and has at least pid+1 elements (P7); (3) its contents are "
    "zero memory from mallocgc, published by the runtime's publication barrier and reached through an "
    "address dependency, which every architecture Go supports orders. sync.Pool also calls race.Disable "
    "around these reads, so Go's race detector never sees them")
BENIGN_RACES: dict[frozenset[str], str] = {
    frozenset({_PIN_LOCAL, _PINSLOW_STORE}): _BENIGN_LOCAL,
    frozenset({_GETSLOW_LOCAL, _PINSLOW_STORE}): _BENIGN_LOCAL,
}
"""Formal races of Go's own code accepted as benign: {the two Go statements (labels)} -> the argument."""


def benign_race(label_a: str, label_b: str) -> str | None:
    """The argument why a race between these two Go statements is benign, or None if it is not listed."""
    return BENIGN_RACES.get(frozenset({label_a, label_b}))


def conflicting(a_write: bool, a_atomic: bool, b_write: bool, b_atomic: bool) -> bool:
    """Whether two accesses to one word by different threads conflict (Go's memory model, above)."""
    return (a_write or b_write) and not (a_atomic and b_atomic)


@dataclass(frozen=True)
class Access:
    """One side of a race: which thread, at which trace step, doing what."""

    tid: int
    step: int
    label: str
    write: bool
    atomic: bool = False

    def kind(self) -> str:
        """"write", "read", "atomic write" or "atomic read"."""
        return ("atomic " if self.atomic else "") + ("write" if self.write else "read")


@dataclass(frozen=True)
class Race:
    addr: int
    location: str
    first: Access
    second: Access

    def describe(self) -> str:
        a, b = self.first, self.second
        return (f"data race on {self.location}: {a.kind()} by thread {a.tid} at step {a.step} ({a.label}) and "
                f"{b.kind()} by thread {b.tid} at step {b.step} ({b.label}) are not ordered by happens-before")


def _join(a: list[int], b: list[int]) -> None:
    for i, v in enumerate(b):
        if v > a[i]:
            a[i] = v


@dataclass
class _Shadow:
    write: tuple[int, int, Access] | None = None  # (tid, clock, access)
    reads: dict[int, tuple[int, Access]] = field(default_factory=dict)
    # Atomic accesses: per thread, the epoch and access of its last atomic write / read of the word.
    awrites: dict[int, tuple[int, Access]] = field(default_factory=dict)
    areads: dict[int, tuple[int, Access]] = field(default_factory=dict)


class HBTracker:
    """Vector clocks per thread; reports every race once per location (benign ones in ``benign``)."""

    def __init__(self, nthreads: int) -> None:
        self.n = nthreads
        self.clocks = [[0] * nthreads for _ in range(nthreads)]
        for t in range(nthreads):
            self.clocks[t][t] = 1
        self.sync: dict[Any, list[int]] = {}
        self.shadow: dict[int, _Shadow] = {}
        self.races: list[Race] = []
        self.benign: list[Race] = []
        self._raced: set[int] = set()
        self._pairs: set[tuple[int, int]] = set()

    def _sync(self, key: Any) -> list[int]:
        c = self.sync.get(key)
        if c is None:
            c = [0] * self.n
            self.sync[key] = c
        return c

    def observe(self, tid: int, eff: Effect, step: int, result: Any, location: str) -> None:
        """Update clocks for one performed effect (call after the kernel applied it)."""
        c = self.clocks[tid]
        k = eff.kind
        if k == LOAD or k == LOCK:
            _join(c, self._sync(eff.addr))
            if k == LOAD:
                self._atomic(tid, eff.addr, Access(tid, step, eff.label, False, True), location)
        elif k == STORE or k == UNLOCK:
            if k == STORE:
                self._atomic(tid, eff.addr, Access(tid, step, eff.label, True, True), location)
            self.sync[eff.addr] = list(c)
        elif k == ADD or k == CAS:
            s = self._sync(eff.addr)
            _join(c, s)
            wrote = k == ADD or bool(result)
            self._atomic(tid, eff.addr, Access(tid, step, eff.label, wrote, True), location)
            if wrote:
                _join(s, c)
        elif k == PIN:
            _join(c, self._sync(("P", eff.b[1] + result)))
        elif k == UNPIN:
            self.sync[("P", eff.addr)] = list(c)
        elif k == STW:
            for t in range(self.n):
                _join(c, self.clocks[t])
        elif k == STARTW:
            for t in range(self.n):
                if t != tid:
                    _join(self.clocks[t], c)
        elif k == READ or k == WRITE:
            n = eff.a if k == READ else len(eff.a)
            acc = Access(tid, step, eff.label, k == WRITE)
            for addr in range(eff.addr, eff.addr + n):
                self._plain(tid, addr, acc, location)
        else:
            return
        if k in (STORE, ADD, CAS, UNLOCK, UNPIN, STW, STARTW, WRITE):
            c[tid] += 1

    def _shadow(self, addr: int) -> _Shadow:
        sh = self.shadow.get(addr)
        if sh is None:
            sh = self.shadow[addr] = _Shadow()
        return sh

    def _unordered(self, tid: int, earlier: dict[int, tuple[int, Access]], addr: int, acc: Access,
                   location: str) -> None:
        """Report each other thread's access in ``earlier`` that does not happen before ``acc``."""
        c = self.clocks[tid]
        for et, (ec, eacc) in earlier.items():
            if et != tid and ec > c[et]:
                self._report(addr, location, eacc, acc)

    def _plain(self, tid: int, addr: int, acc: Access, location: str) -> None:
        c = self.clocks[tid]
        sh = self._shadow(addr)
        w = sh.write
        if w is not None and w[0] != tid and w[1] > c[w[0]]:
            self._report(addr, location, w[2], acc)
        self._unordered(tid, sh.awrites, addr, acc, location)   # plain read or write after an atomic write
        if acc.write:
            self._unordered(tid, sh.reads, addr, acc, location)
            self._unordered(tid, sh.areads, addr, acc, location)  # plain write after an atomic read
            sh.write = (tid, c[tid], acc)
            sh.reads = {}
        else:
            sh.reads[tid] = (c[tid], acc)

    def _atomic(self, tid: int, addr: int, acc: Access, location: str) -> None:
        """An atomic access (after its acquire, before its release): races only with plain accesses."""
        c = self.clocks[tid]
        sh = self._shadow(addr)
        w = sh.write
        if w is not None and w[0] != tid and w[1] > c[w[0]]:
            self._report(addr, location, w[2], acc)             # atomic read or write after a plain write
        if acc.write:
            self._unordered(tid, sh.reads, addr, acc, location)  # atomic write after a plain read
            sh.awrites[tid] = (c[tid], acc)
        else:
            sh.areads[tid] = (c[tid], acc)

    def _report(self, addr: int, location: str, first: Access, second: Access) -> None:
        key = (first.step, second.step)
        if addr in self._raced or key in self._pairs:
            return
        self._pairs.add(key)
        race = Race(addr, location, first, second)
        if benign_race(first.label, second.label) is not None:
            self.benign.append(race)
            return
        self._raced.add(addr)
        self.races.append(race)
