"""Shared memory and the meaning of every effect.

Memory is a flat list of cells addressed by int; a Go nil pointer is None.
Cell 0 is the world: -1 while the world runs, the stopping thread's id while
it is stopped. Each allocated block is preceded by a header cell
``Block(ncells, name, fields)`` so that the whole memory, headers included, is
one tuple of hashable values: the explorer hashes it as the state.

``apply`` is the single definition of what an effect does; the kernel, the
explorer and every engine call it, so the semantics live in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from model.effects import (
    ADD,
    ALLOC,
    CAS,
    INDEX,
    LOAD,
    LOCK,
    PIN,
    READ,
    STARTW,
    STORE,
    STW,
    UNLOCK,
    UNPIN,
    WRITE,
    Effect,
)

__all__ = ["Block", "Fault", "WORLD", "new_memory", "apply", "enabled", "location_name", "access_name", "blocks"]

WORLD = 0


class Block(NamedTuple):
    """Header cell of an allocated block."""

    ncells: int
    name: str
    fields: tuple[str, ...]


class Fault(Exception):
    """An access the Go program could not make safely: ``prop`` names the property it violates."""

    def __init__(self, prop: str, message: str) -> None:
        super().__init__(message)
        self.prop = prop
        self.message = message


def new_memory() -> list[Any]:
    return [-1]


def enabled(mem: Sequence[Any], eff: Effect, tid: int) -> bool:
    """Whether thread ``tid`` may perform ``eff`` now."""
    w = mem[WORLD]
    if w != -1 and w != tid:
        return False  # the world is stopped by another thread
    k = eff.kind
    if k == LOCK:
        return bool(mem[eff.addr] == 0)
    if k == PIN:
        gomaxprocs = mem[eff.addr]
        return bool(mem[eff.b[1] + eff.a % gomaxprocs] == 0)
    if k == STW:
        base, n = eff.a, eff.b
        for i in range(base, base + n):
            if mem[i] != 0:
                return False
        return True
    return True


def apply(mem: list[Any], eff: Effect, tid: int) -> Any:
    """Perform ``eff`` for thread ``tid`` on ``mem`` in place; return its result."""
    k = eff.kind
    addr = eff.addr
    if k == LOAD:
        return mem[addr]
    if k == CAS:
        if mem[addr] == eff.a:
            mem[addr] = eff.b
            return True
        return False
    if k == READ:
        if eff.a == 1:
            return mem[addr]
        return tuple(mem[addr:addr + eff.a])
    if k == WRITE:
        vals = eff.a
        mem[addr:addr + len(vals)] = vals
        return None
    if k == STORE:
        mem[addr] = eff.a
        return None
    if k == ADD:
        v = (mem[addr] + eff.a) & eff.b
        mem[addr] = v
        return v
    if k == ALLOC:
        fields = eff.a
        base = len(mem) + 1
        name = eff.b
        if name and name[-1:] != "!":
            # number blocks per prefix: d1, d2, ring1, ...
            name = f"{name}{sum(1 for _, h in blocks(mem) if h.name.rstrip('0123456789') == name) + 1}"
        else:
            name = name[:-1]
        mem.append(Block(len(fields), name, tuple(f for f, _ in fields)))
        mem.extend(v for _, v in fields)
        return base
    if k == INDEX:
        if addr is None or addr < 0:  # index_local passes -1 for a nil array
            raise Fault("P7", f"indexLocal({eff.a}) on a nil local array")
        hdr = mem[addr - 1]
        elem = eff.b
        if not isinstance(hdr, Block) or not 0 <= eff.a * elem < hdr.ncells:
            n = hdr.ncells // elem if isinstance(hdr, Block) else 0
            raise Fault("P7", f"indexLocal({eff.a}) past the end of a {n}-element local array ({eff.label})")
        return addr + eff.a * elem
    if k == PIN:
        pid = eff.a % mem[addr]
        mem[eff.b[1] + pid] = 1
        return pid
    if k == UNPIN or k == UNLOCK:
        mem[addr] = 0
        return None
    if k == LOCK:
        mem[addr] = 1
        return None
    if k == STW:
        mem[WORLD] = tid
        return None
    if k == STARTW:
        mem[WORLD] = -1
        return None
    raise AssertionError(f"unknown effect kind {k}")


def blocks(mem: Sequence[Any]) -> list[tuple[int, Block]]:
    """Every allocated block as (base address, header)."""
    out: list[tuple[int, Block]] = []
    i = 1
    while i < len(mem):
        hdr = mem[i]
        assert isinstance(hdr, Block), f"cell {i} is not a block header"
        out.append((i + 1, hdr))
        i += 1 + hdr.ncells
    return out


def location_name(mem: Sequence[Any], addr: int) -> str:
    """A readable name for a cell, e.g. ``d1.headTail`` or ``d1.vals[3].typ``."""
    if addr == WORLD:
        return "world"
    bl = blocks(mem)
    for base, hdr in bl:
        if base <= addr < base + hdr.ncells:
            f = hdr.fields[addr - base]
            if hdr.name.startswith("ring"):
                # name a ring after the dequeue whose vals header points at it
                for b2, h2 in bl:
                    if "vals" in h2.fields and mem[b2 + h2.fields.index("vals")] == (base, hdr.ncells // 2):
                        return f"{h2.name}.vals{f}"
            return f"{hdr.name}.{f}" if hdr.name else f
    return f"@{addr}"


def access_name(mem: Sequence[Any], addr: int, words: int = 1) -> str:
    """The name of an access of ``words`` cells from ``addr``: a whole eface (typ and val) is named after its slot.

    ``d1.vals[3]`` for ``*(*any)(unsafe.Pointer(slot))``, ``d1.vals[3].typ`` for the atomic typ word alone: the
    trace, the race checker and the explorer all name an access this way, so every report names a race alike.
    """
    loc = location_name(mem, addr)
    return loc[:-4] if words == 2 and loc.endswith(".typ") else loc
