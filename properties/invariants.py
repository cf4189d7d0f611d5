"""State predicates over model memory (D1, D2, D6, C5, C6, P5, P9, P11), the step predicate of C8 and the static P10.

Each predicate takes the memory (a list or the explorer's tuple) and the
addresses it needs, and returns a list of Violations; an empty list means the
property holds in that state. They read memory only, so the kernel, the
explorer and the Hypothesis machines all call the same code.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from model.bits import is_pow2, pack, unpack
from model.effects import CAS, STORE, STW, Effect
from model.layout import ARCHES, Arch, pad, sizeof_pool_local
from model.memory import Block, blocks, location_name
from model.pool import LOCAL_CELLS, Runtime
from model.poolqueue import TYP_NIL

__all__ = ["Violation", "Mem", "DequeueView", "dequeue_view", "chain_elts", "chain_reachable", "chain_contents",
           "all_elts", "d1_packed_index", "d2_slot_ownership", "d6_no_retention", "c5_growth",
           "c6_drop_only_drained", "c8_tail_advances", "p5_stw_cleanup", "p10_padding", "p9_victim_empty_mark",
           "p11_registry", "pool_objects", "pool_arrays", "victim_tiers",
           "decode"]

Mem = Sequence[Any]


@dataclass(frozen=True)
class Violation:
    """A property that does not hold, with a sentence saying how."""

    prop: str
    message: str
    step: int | None = None   # trace step where it shows, when known

    def __str__(self) -> str:
        return f"{self.prop}: {self.message}"


def decode(typ: Any, val: Any) -> Any:
    """The Go value a slot holds (None for Go nil)."""
    return None if typ == TYP_NIL else val


@dataclass(frozen=True)
class DequeueView:
    addr: int
    name: str
    head: int
    tail: int
    n: int
    ring: int            # base of the ring (0 if none)
    slots: tuple[tuple[Any, Any], ...]

    def in_range(self, bits: int) -> list[int]:
        """Slot indices of [tail, head), oldest first."""
        m = (1 << bits) - 1
        cnt = (self.head - self.tail) & m
        if self.n == 0:
            return []
        return [((self.tail + i) & m) & (self.n - 1) for i in range(min(cnt, self.n))]

    def contents(self, bits: int) -> list[Any]:
        """The values in [tail, head), oldest first."""
        return [decode(*self.slots[i]) for i in self.in_range(bits) if self.slots[i][0] is not None]


def dequeue_view(mem: Mem, d: int, bits: int) -> DequeueView:
    hdr = mem[d - 1]
    name = hdr.name if isinstance(hdr, Block) else f"@{d}"
    head, tail = unpack(mem[d], bits)
    vals = mem[d + 1]
    if vals is None:
        return DequeueView(d, name, head, tail, 0, 0, ())
    base, n = vals
    slots = tuple((mem[base + 2 * i], mem[base + 2 * i + 1]) for i in range(n))
    return DequeueView(d, name, head, tail, n, base, slots)


def all_elts(mem: Mem) -> list[int]:
    """Every poolChainElt ever allocated."""
    return [base for base, h in blocks(mem) if h.fields == ("headTail", "vals", "next", "prev")]


def chain_elts(mem: Mem, c: int) -> list[int]:
    """The chain's dequeues from c.tail following next (what popTail can reach), tail first."""
    out: list[int] = []
    d = mem[c + 1]
    while d is not None and d not in out:
        out.append(d)
        d = mem[d + 2]
    return out


def chain_reachable(mem: Mem, c: int) -> list[int]:
    """Dequeues reachable by any consumer: forward from c.tail and backward (prev) from c.head."""
    seen = chain_elts(mem, c)
    d = mem[c]
    while d is not None and d not in seen:
        seen.append(d)
        d = mem[d + 3]
    return seen


def chain_contents(mem: Mem, c: int, bits: int) -> list[Any]:
    out: list[Any] = []
    for d in chain_reachable(mem, c):
        out.extend(dequeue_view(mem, d, bits).contents(bits))
    return out


# -- dequeue --------------------------------------------------------------
def d1_packed_index(mem: Mem, d: int, bits: int) -> list[Violation]:
    v = dequeue_view(mem, d, bits)
    out = []
    if unpack(pack(v.head, v.tail, bits), bits) != (v.head, v.tail):
        out.append(Violation("D1", f"{v.name}: unpack(pack({v.head}, {v.tail})) != ({v.head}, {v.tail})"))
    if v.n:
        cnt = (v.head - v.tail) & ((1 << bits) - 1)
        if cnt > v.n:
            out.append(Violation("D1", f"{v.name}: head - tail = {cnt} (head {v.head}, tail {v.tail}) exceeds "
                                       f"len(vals) = {v.n}"))
    return out


def d2_slot_ownership(mem: Mem, d: int, bits: int, inflight: int) -> list[Violation]:
    """``inflight``: operations on this dequeue that have started and not returned."""
    v = dequeue_view(mem, d, bits)
    if not v.n:
        return []
    out = []
    live = v.in_range(bits)
    cnt = (v.head - v.tail) & ((1 << bits) - 1)
    if cnt > v.n:
        return []  # D1 reports it
    for i in live:
        if v.slots[i][0] is None:
            out.append(Violation("D2", f"{v.name}.vals[{i}] is in [tail, head) = [{v.tail}, {v.head}) but empty "
                                       f"(typ == nil)"))
    owned = [i for i in range(v.n) if i not in live and v.slots[i] != (None, None)]
    if len(owned) > inflight:
        out.append(Violation("D2", f"{v.name}: slots {owned} are outside [tail, head) = [{v.tail}, {v.head}) and "
                                   f"not empty, but only {inflight} operation(s) are in flight to own them"))
    return out


def d6_no_retention(mem: Mem, d: int, bits: int) -> list[Violation]:
    """At quiescence: every slot outside [tail, head) is zero."""
    v = dequeue_view(mem, d, bits)
    live = set(v.in_range(bits))
    return [Violation("D6", f"{v.name}.vals[{i}] = {v.slots[i]} outside [tail, head) = [{v.tail}, {v.head}) at "
                            f"quiescence: a reference is retained")
            for i in range(v.n) if i not in live and v.slots[i] != (None, None)]


# -- chain ----------------------------------------------------------------
def c5_growth(mem: Mem, c: int, init_size: int, limit: int) -> list[Violation]:
    out = []
    elts = chain_elts(mem, c)
    sizes = [(mem[d + 1] or (0, 0))[1] for d in elts]
    for s in sizes:
        if s and s > limit:
            out.append(Violation("C5", f"a dequeue of size {s} exceeds the limit {limit} (dequeueLimit)"))
        elif s and s < init_size:
            out.append(Violation("C5", f"a dequeue of size {s} is below the first size {init_size}"))
        elif s and not is_pow2(s):
            out.append(Violation("C5", f"a dequeue of size {s} is not a power of two"))
    for a, b in zip(sizes, sizes[1:]):
        if a and b and b != min(2 * a, limit):
            out.append(Violation("C5", f"a dequeue of size {a} is followed by one of size {b}, not {min(2 * a, limit)}"))
    return out


def c6_drop_only_drained(mem: Mem, c: int, bits: int) -> list[Violation]:
    out = []
    reach = set(chain_elts(mem, c))
    for d in all_elts(mem):
        if d in reach or mem[c + 1] is None:
            continue
        v = dequeue_view(mem, d, bits)
        items = v.contents(bits)
        if items:
            out.append(Violation("C6", f"{v.name} was dropped from the chain while it still holds {items}"))
    return out


def c8_tail_advances(mem: Mem, eff: Effect) -> list[Violation]:
    """A step predicate: called with the memory *before* ``eff``.

    A store or successful CompareAndSwap to a poolChain's ``tail`` (a chain's,
    or a poolLocal's ``shared.tail``) must set the first dequeue (tail was
    nil) or move from d to d.next. ``next`` only goes from nil to non-nil, so
    the check needs no history.
    """
    if eff.kind not in (STORE, CAS) or eff.addr <= 0:
        return []
    if eff.kind == CAS and mem[eff.addr] != eff.a:
        return []  # a failed CompareAndSwap changes nothing
    old, new = mem[eff.addr], (eff.a if eff.kind == STORE else eff.b)
    if old is None or new == old:
        return []
    loc = location_name(mem, eff.addr)
    if not loc.endswith(".tail"):
        return []
    if new == mem[old + 2]:
        return []
    a, b = _name(mem, old), _name(mem, new)
    return [Violation("C8", f"{loc} moved from {a} to {b}, which is not {a}.next ({eff.label}): tail may only "
                            f"advance one link, so {b} (dropped earlier, or skipped) is linked in the wrong place")]


def _name(mem: Mem, addr: Any) -> str:
    hdr = mem[addr - 1] if isinstance(addr, int) and 0 < addr <= len(mem) else None
    return hdr.name if isinstance(hdr, Block) else repr(addr)


# -- pool -----------------------------------------------------------------
def p5_stw_cleanup(mem: Mem, eff: Effect, rt: Runtime) -> list[Violation]:
    """A step predicate: called with the memory *before* ``eff``."""
    if eff.kind != STW:
        return []
    pinned = [i for i in range(rt.nprocs_max) if mem[rt.pinned + i]]
    if pinned:
        return [Violation("P5", f"the world was stopped ({eff.label}) while P{pinned[0]} was pinned")]
    return []


def _locals(mem: Mem, arr: int | None) -> list[int]:
    if arr is None:
        return []
    hdr = mem[arr - 1]
    return [arr + i * LOCAL_CELLS for i in range(hdr.ncells // LOCAL_CELLS)]


def victim_tiers(mem: Mem, p: int) -> list[tuple[str, int, int]]:
    """Every victim tier of pool ``p``, youngest first: (field name, array cell, size cell).

    Go's pool has one: ``victim``/``victimSize`` at p+2, p+3. A design with more
    tiers appends ``victim2``/``victim2Size``, ... to the pool block
    (model/variants/victim_tiers.py); they are read from the block's field names,
    so every predicate below holds for any number of tiers without being told it.
    """
    hdr = mem[p - 1]
    fields = hdr.fields if isinstance(hdr, Block) else ("local", "localSize", "victim", "victimSize")
    return [(f, p + i, p + i + 1) for i, f in enumerate(fields)
            if _TIER.fullmatch(f) and i + 1 < len(fields) and fields[i + 1] == f + "Size"]


_TIER = re.compile(r"victim\d*")


def pool_arrays(mem: Mem, p: int) -> list[tuple[str, int, int | None]]:
    """The poolLocal arrays pool ``p`` references: (field, array, size or None for local), each array once.

    A design in which two fields alias one array (local and victim the same
    array) holds each of its objects once, not twice: a Get through either
    field takes it from the same cell.
    """
    out: list[tuple[str, int, int | None]] = []
    seen: set[int] = set()
    for name, arr, size in [("local", mem[p], None)] + [(f, mem[a], mem[s]) for f, a, s in victim_tiers(mem, p)]:
        if arr is not None and arr not in seen:
            seen.add(arr)
            out.append((name, arr, size))
    return out


def p9_victim_empty_mark(mem: Mem, p: int, bits: int) -> list[Violation]:
    """P9 on every victim tier: a tier whose size was stored 0 has drained shared chains.

    A tier array that is also the pool's local array is skipped: its chains are
    reached through local, so marking the tier empty hides nothing.
    """
    for name, victim, size_cell in victim_tiers(mem, p):
        arr = mem[victim]
        if arr is None or mem[size_cell] != 0 or arr == mem[p]:
            continue
        for i, l in enumerate(_locals(mem, arr)):
            items = chain_contents(mem, l + 1, bits)
            if items:
                return [Violation("P9", f"{name}Size is 0 but {name}[{i}].shared still holds {items}")]
    return []


def p11_registry(mem: Mem, p: int, rt: Runtime) -> list[Violation]:
    """P11 with any number of victim tiers: a pool holding a local array is in allPools, one holding any
    victim tier's array is in oldPools."""
    out = []
    if mem[p] is not None and p not in mem[rt.all_pools]:
        out.append(Violation("P11", "the pool holds a local array but is not in allPools: no GC will age it"))
    held = [name for name, a, _ in victim_tiers(mem, p) if mem[a] is not None]
    if held and p not in mem[rt.old_pools]:
        out.append(Violation("P11", f"the pool holds a {held[0]} array but is not in oldPools: no GC will ever "
                                    f"drop it, so its objects are retained forever"))
    return out


def p10_padding(arches: Sequence[Arch] = ARCHES) -> list[Violation]:
    """P10 (static): sizeof(poolLocal) is a multiple of 128 on every listed GOARCH."""
    out = []
    for a in arches:
        size = sizeof_pool_local(a)
        if size % 128 or not 1 <= pad(a) <= 128:
            out.append(Violation("P10", f"{a.goarch}: sizeof(poolLocal) = {size} (pad {pad(a)}) is not a multiple "
                                        f"of 128"))
    return out


def pool_objects(mem: Mem, p: int, bits: int, reachable: bool = False) -> Counter[Any]:
    """Objects the pool holds: privates and reachable shared chains of local and every victim tier.

    Each place counts once: a private cell, or a dequeue of a shared chain, is
    read once however many arrays or chains reference it (an aliased array is
    not two copies), so an object counted k > 1 times sits in k distinct places.
    ``reachable``: only the places some Get can still take it from (a victim
    tier marked empty, size 0, is skipped by every Get until a GC drops it).
    """
    out: Counter[Any] = Counter()
    cells: set[int] = set()
    dequeues: set[int] = set()
    for _, arr, size in pool_arrays(mem, p):
        if reachable and size == 0:
            continue
        for l in _locals(mem, arr):
            if l not in cells and mem[l] is not None:
                out[mem[l]] += 1
            cells.add(l)
            for d in chain_reachable(mem, l + 1):
                if d not in dequeues:
                    dequeues.add(d)
                    out.update(x for x in dequeue_view(mem, d, bits).contents(bits) if x is not None)
    return out
