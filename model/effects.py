"""Effects: what a model thread asks the kernel to do to shared memory.

A model function is a generator. Every shared-memory access is one ``yield``
of an Effect; the kernel performs it and sends back the result. An effect
carries the Go statement it models (``label``), which traces and reports
print and which tests/test_drift.py checks against the installed Go source.

Atomic effects (LOAD, STORE, ADD, CAS) model sync/atomic and
internal/runtime/atomic; plain effects (READ, WRITE) model ordinary loads and
stores, the only ones that can take part in a data race. Sync effects model
the runtime's pinning, allPoolsMu and stop-the-world. ALLOC and INDEX are
bookkeeping that is never a scheduling point.

``silent`` effects are performed without giving the scheduler a choice first:
they run as part of the step that precedes them. The model uses that only for
accesses to memory that no other thread can touch at that moment, and says
why at each use.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, NamedTuple, TypeVar

__all__ = [
    "Effect", "Gen", "GoPanic",
    "LOAD", "STORE", "ADD", "CAS", "READ", "WRITE", "ALLOC", "INDEX",
    "PIN", "UNPIN", "LOCK", "UNLOCK", "STW", "STARTW", "KIND_NAMES",
    "ATOMIC_KINDS", "PLAIN_KINDS",
    "atomic_load", "atomic_store", "atomic_add", "atomic_cas", "plain_read", "plain_write",
    "alloc", "index", "proc_pin", "proc_unpin", "lock", "unlock", "stop_the_world", "start_the_world",
]

LOAD, STORE, ADD, CAS, READ, WRITE, ALLOC, INDEX, PIN, UNPIN, LOCK, UNLOCK, STW, STARTW = range(14)
KIND_NAMES = ("Load", "Store", "Add", "CompareAndSwap", "read", "write", "alloc", "index",
              "procPin", "procUnpin", "Lock", "Unlock", "stopTheWorld", "startTheWorld")
ATOMIC_KINDS = frozenset({LOAD, STORE, ADD, CAS})
PLAIN_KINDS = frozenset({READ, WRITE})


class Effect(NamedTuple):
    """One access. Field meaning per kind:

    LOAD addr                      -> value
    STORE addr a=value             -> None
    ADD addr a=delta b=width mask  -> new value (sync/atomic Add returns the new value)
    CAS addr a=old b=new           -> bool
    READ addr a=ncells             -> value (a tuple when ncells > 1)
    WRITE addr a=values tuple      -> None
    ALLOC a=((field, init), ...) b=name -> base address
    INDEX addr=base a=i b=elem size -> base + i*b; faults past the block (P7)
    PIN a=home P b=(gomaxprocs addr, pinned base) -> pid
    UNPIN addr=pinned cell         -> None
    LOCK / UNLOCK addr=mutex cell  -> None
    STW a=(pinned base, n)         -> None (enabled only when no P is pinned)
    STARTW                         -> None
    """

    kind: int
    addr: int
    a: Any
    b: Any
    label: str
    silent: bool


T = TypeVar("T")
Gen = Generator[Effect, Any, T]


class GoPanic(Exception):
    """A Go run-time panic inside the model (index out of range, nil dereference)."""


def atomic_load(addr: int, label: str) -> Effect:
    return Effect(LOAD, addr, None, None, label, False)


def atomic_store(addr: int, value: Any, label: str) -> Effect:
    return Effect(STORE, addr, value, None, label, False)


def atomic_add(addr: int, delta: int, width_mask: int, label: str) -> Effect:
    return Effect(ADD, addr, delta, width_mask, label, False)


def atomic_cas(addr: int, old: Any, new: Any, label: str) -> Effect:
    return Effect(CAS, addr, old, new, label, False)


def plain_read(addr: int, label: str, n: int = 1, silent: bool = False) -> Effect:
    return Effect(READ, addr, n, None, label, silent)


def plain_write(addr: int, values: tuple[Any, ...], label: str, silent: bool = False) -> Effect:
    return Effect(WRITE, addr, values, None, label, silent)


def alloc(fields: tuple[tuple[str, Any], ...], name: str, label: str) -> Effect:
    return Effect(ALLOC, -1, fields, name, label, True)


def index(base: int, i: int, elem: int, label: str) -> Effect:
    return Effect(INDEX, base, i, elem, label, True)


def proc_pin(home: int, gomaxprocs_addr: int, pinned: tuple[int, int], label: str) -> Effect:
    """``pinned`` is (number of P cells, address of pinned[0])."""
    return Effect(PIN, gomaxprocs_addr, home, pinned, label, False)


def proc_unpin(pinned_cell: int, label: str) -> Effect:
    return Effect(UNPIN, pinned_cell, None, None, label, False)


def lock(mutex: int, label: str) -> Effect:
    return Effect(LOCK, mutex, None, None, label, False)


def unlock(mutex: int, label: str) -> Effect:
    return Effect(UNLOCK, mutex, None, None, label, False)


def stop_the_world(pinned_base: int, n: int, label: str) -> Effect:
    return Effect(STW, -1, pinned_base, n, label, False)


def start_the_world(label: str) -> Effect:
    return Effect(STARTW, -1, None, None, label, True)
