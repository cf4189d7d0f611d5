"""Happens-before tracking with vector clocks: the data-race detector.

Go's memory model (https://go.dev/ref/mem, "Implementation Restrictions for
Programs Containing Data Races" and "Synchronized before") guarantees
sequentially consistent behaviour to data-race-free programs. The kernel runs
SC interleavings; this tracker checks, along each execution, that no two
conflicting plain accesses are unordered by happens-before. Together they
cover every behaviour the real program can have (DRF-SC).

Synchronisation follows ThreadSanitizer's treatment of Go's atomics (all
sequentially consistent): a Load acquires the location's clock, a Store
release-stores it, Add and CompareAndSwap acquire and release (join).
Mutex Unlock releases and Lock acquires. Pinning a P acquires the P's clock
and unpinning releases it: goroutines that share a P are ordered by the
scheduler. Stopping the world joins every thread's clock into the stopper,
and restarting it joins the stopper's clock into every thread.

Clock algorithm: Lamport 1978 vector clocks, with FastTrack's per-location
last-write epoch and read set (Flanagan and Freund, PLDI 2009).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model.effects import ADD, CAS, LOAD, LOCK, PIN, READ, STARTW, STORE, STW, UNLOCK, UNPIN, WRITE, Effect

__all__ = ["Access", "Race", "HBTracker"]


@dataclass(frozen=True)
class Access:
    """One side of a race: which thread, at which trace step, doing what."""

    tid: int
    step: int
    label: str
    write: bool


@dataclass(frozen=True)
class Race:
    addr: int
    location: str
    first: Access
    second: Access

    def describe(self) -> str:
        a, b = self.first, self.second
        ka = "write" if a.write else "read"
        kb = "write" if b.write else "read"
        return (f"data race on {self.location}: {ka} by thread {a.tid} at step {a.step} ({a.label}) and "
                f"{kb} by thread {b.tid} at step {b.step} ({b.label}) are not ordered by happens-before")


def _join(a: list[int], b: list[int]) -> None:
    for i, v in enumerate(b):
        if v > a[i]:
            a[i] = v


@dataclass
class _Shadow:
    write: tuple[int, int, Access] | None = None  # (tid, clock, access)
    reads: dict[int, tuple[int, Access]] = field(default_factory=dict)


class HBTracker:
    """Vector clocks per thread; reports every race once per location."""

    def __init__(self, nthreads: int) -> None:
        self.n = nthreads
        self.clocks = [[0] * nthreads for _ in range(nthreads)]
        for t in range(nthreads):
            self.clocks[t][t] = 1
        self.sync: dict[Any, list[int]] = {}
        self.shadow: dict[int, _Shadow] = {}
        self.races: list[Race] = []
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
        elif k == STORE or k == UNLOCK:
            self.sync[eff.addr] = list(c)
        elif k == ADD or k == CAS:
            s = self._sync(eff.addr)
            _join(c, s)
            if k == ADD or result:
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

    def _plain(self, tid: int, addr: int, acc: Access, location: str) -> None:
        c = self.clocks[tid]
        sh = self.shadow.get(addr)
        if sh is None:
            sh = self.shadow[addr] = _Shadow()
        w = sh.write
        if w is not None and w[0] != tid and w[1] > c[w[0]]:
            self._report(addr, location, w[2], acc)
        if acc.write:
            for rt, (rc, racc) in sh.reads.items():
                if rt != tid and rc > c[rt]:
                    self._report(addr, location, racc, acc)
            sh.write = (tid, c[tid], acc)
            sh.reads = {}
        else:
            sh.reads[tid] = (c[tid], acc)

    def _report(self, addr: int, location: str, first: Access, second: Access) -> None:
        key = (first.step, second.step)
        if addr in self._raced or key in self._pairs:
            return
        self._raced.add(addr)
        self._pairs.add(key)
        self.races.append(Race(addr, location, first, second))
