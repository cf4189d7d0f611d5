"""poolqueue.go, transcribed: poolDequeue, then poolChain, in Go's order.

Read this file side by side with ``$(go env GOROOT)/src/sync/poolqueue.go``.
Each Go function has a Python twin of the same name in snake_case; every
shared-memory access is one ``yield`` labelled with the Go statement it
models. Handles (PoolDequeue, PoolChain) hold only addresses: all state lives
in the kernel's memory, so that the explorer can hash it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from model.bits import mask, slot_index, uN
from model.bits import pack as _pack
from model.bits import unpack as _unpack
from model.effects import (
    Gen,
    GoPanic,
    alloc,
    atomic_add,
    atomic_cas,
    atomic_load,
    atomic_store,
    plain_read,
    plain_write,
)

if TYPE_CHECKING:
    from model.variants.base import Cfg

__all__ = ["TYP_VAL", "TYP_NIL", "SliceHeader", "EFACE_FIELDS", "EFACE_WORDS", "SLOT_TYP", "SLOT_VAL", "D_HEAD_TAIL", "D_VALS",
           "D_NEXT", "D_PREV", "C_HEAD", "C_TAIL", "PoolDequeue", "PoolChain", "Value", "new_ring", "new_pool_dequeue",
           "new_chain_elt", "new_pool_chain"]

# DEVIATION: Go's eface is two words, typ and val. The model keeps both words
# (typ is what pushHead and popTail synchronise on) but stores a symbolic type
# word: TYP_VAL for an ordinary object, TYP_NIL for dequeueNil's type.
# DEVIATION: a whole-eface copy (pushHead's `*(*any)(unsafe.Pointer(slot)) =
# val`, the pops' `val := *(*any)(unsafe.Pointer(slot))`, popHead's `*slot =
# eface{}`) is one model step over both cells, where Go makes two word
# accesses. The accessing goroutine owns the slot at that point, so in the
# reference nothing can come between the two words; the race tracker still
# checks each cell.
TYP_VAL = "T"
TYP_NIL = "dequeueNil"

# A value pushed into a dequeue: a unique int token, or None for Go's nil.
Value = Any



# An eface slot of d.vals is two cells, typ then val; slot i of a ring at base
# starts at base + EFACE_WORDS * i.
# - typ is the slot's ownership word: nil means the producer may fill the
#   slot; non-nil means it is in use, either holding a value in [tail, head)
#   or claimed by a popTail that has moved tail past it and not yet stored
#   typ = nil. popTail writes it atomically, pushHead reads it atomically;
#   popHead zeroes it plainly, having taken the slot back by CompareAndSwap.
# - val is the object; it is only accessed by the slot's current owner.
EFACE_FIELDS: tuple[str, ...] = ("typ", "val")
EFACE_WORDS = len(EFACE_FIELDS)
SLOT_TYP = EFACE_FIELDS.index("typ")
SLOT_VAL = EFACE_FIELDS.index("val")


def new_ring(n: int, label: str) -> Gen[int]:
    """``make([]eface, n)``: a zeroed ring of n (typ, val) slots. Returns its base address."""
    fields = tuple((f"[{i}].{w}", None) for i in range(n) for w in EFACE_FIELDS)
    base: int = yield alloc(fields, "ring", label)
    return base


class SliceHeader(NamedTuple):
    """A ``[]eface`` slice header as the model stores it in d.vals: the ring's base address and ``len(d.vals)``."""

    base: int
    len: int


_VALS_LABEL = {fn: f"poolqueue.go:{fn}: d.vals" for fn in ("pushHead", "popHead", "popTail")}


# The memory block of a poolDequeue, and of a poolChainElt (a poolDequeue
# followed by next and prev): one cell per field, at these offsets.
_ELT_FIELDS: tuple[str, ...] = ("headTail", "vals", "next", "prev")
#
# headTail: head in the high `bits`, tail in the low `bits`, read and
#   written only atomically. head is where the producer pushes next; tail is
#   the oldest slot not yet taken by popTail. Only the producer moves head
#   (pushHead's Add up, popHead's CompareAndSwap down); consumers move tail
#   up, each by one, with CompareAndSwap. The number of elements is
#   head - tail, modulo 2^bits; tail == head means empty. head takes the
#   high half so that pushHead's single Add of 1 << bits moves head alone:
#   its carry out of the top falls off the word instead of reaching tail.
D_HEAD_TAIL = _ELT_FIELDS.index("headTail")
# vals: the slice header (ring base, len), a power of two. Written once,
#   before the dequeue is published, and read-only afterwards. Slots with
#   index in [tail, head) belong to consumers; every other slot belongs to the
#   producer once its typ is nil (a consumer that has moved tail past a slot
#   owns it until it stores typ = nil).
D_VALS = _ELT_FIELDS.index("vals")
# next (poolChainElt): written by the producer only, once, from nil to the
#   next, newer dequeue; read atomically by consumers. Never goes back to nil.
D_NEXT = _ELT_FIELDS.index("next")
# prev (poolChainElt): set by the producer to the older dequeue before the
#   element is published, and later only from non-nil to nil, by the consumer
#   that drops that older dequeue from the chain.
D_PREV = _ELT_FIELDS.index("prev")


class PoolDequeue:
    """poolDequeue: a lock-free fixed-size single-producer, multi-consumer queue.

    Memory block: ``FIELDS`` (``ELT_FIELDS`` for a poolChainElt), the offsets
    and their invariants above: D_HEAD_TAIL, D_VALS, D_NEXT, D_PREV.

    Invariants (poolqueue.go's comments, in our words):
    - slots in [tail, head) are owned by consumers and hold a value (D2);
    - a consumer keeps owning a slot outside that range until it stores
      typ = nil, which hands the slot back to the producer (D2);
    - len(vals) is a power of two no larger than (1 << bits) / 2, so full and
      empty can be told apart without wrapping the index (D1, L3).
    """

    FIELDS: tuple[str, ...] = _ELT_FIELDS[:2]
    ELT_FIELDS: tuple[str, ...] = _ELT_FIELDS

    def __init__(self, addr: int, cfg: Cfg) -> None:
        self.addr = addr
        self.cfg = cfg
        self.bits = cfg.params.dequeue_bits
        self.head_tail = addr + D_HEAD_TAIL
        self.vals_addr = addr + D_VALS
        self.next = addr + D_NEXT  # poolChainElt only
        self.prev = addr + D_PREV  # poolChainElt only

    # -- pure helpers ----------------------------------------------------
    # Widths: head and tail are uint32 and headTail is a uint64 in Go. Every
    # index expression is reduced to the index width (uN(x, bits)) before it
    # is used or packed, as Go's uint32 arithmetic does, and the packed word
    # to 2 * bits; at bits = 32 these are exactly u32 and u64.
    # DEVIATION: with dequeue_bits = b < 32 both widths scale (indices b bits,
    # headTail 2b bits) instead of keeping Go's uint32/uint64 with a b-bit
    # mask: then the word holds exactly two indices and head's carry leaves
    # it, as at 32 bits, so the same states repeat (Go's ABA cases) and a
    # small-b search explores the algebra of the 32-bit code.
    def unpack(self, ptrs: int) -> tuple[int, int]:
        """poolDequeue.unpack."""
        return _unpack(ptrs, self.bits)

    def pack(self, head: int, tail: int) -> int:
        """poolDequeue.pack."""
        return _pack(head, tail, self.bits)

    def _vals(self, fn: str) -> Gen[SliceHeader]:
        """Read the ``d.vals`` slice header.

        DEVIATION: Go reads d.vals at each use; the model reads it once per
        operation, silently. vals is written once, before the dequeue is published (by
        NewPoolDequeue or poolChain.pushHead), and never again, so reading it
        cannot race with anything in the reference model.
        """
        hdr = yield plain_read(self.vals_addr, _VALS_LABEL[fn], silent=True)
        if hdr is None:
            return SliceHeader(0, 0)
        base, n = hdr
        return SliceHeader(base, n)

    def _slot(self, vals: SliceHeader, i: int) -> int:
        """``&d.vals[i&uint32(len(d.vals)-1)]``: the address of a slot's typ word."""
        base, n = vals
        j = slot_index(i, n, self.bits) if n else uN(i, self.bits) & mask(self.bits)
        if not 0 <= j < n:
            raise GoPanic(f"index out of range [{j}] with length {n}")
        return base + EFACE_WORDS * j

    # -- operations ------------------------------------------------------
    def push_head(self, val: Value) -> Gen[bool]:
        """poolDequeue.pushHead: add val at the head; false if the queue is full.

        Single producer only.
        """
        ptrs = yield atomic_load(self.head_tail, "poolqueue.go:pushHead: ptrs := d.headTail.Load()")
        head, tail = self.unpack(ptrs)
        vals = yield from self._vals("pushHead")
        if uN(tail + vals.len, self.bits) & mask(self.bits) == head:
            # Queue is full.
            return False
        slot = self._slot(vals, head)

        # The head slot may still be owned by a popTail that has moved tail
        # past it but not yet stored typ = nil: then the queue is still full.
        typ = yield atomic_load(slot, "poolqueue.go:pushHead: typ := atomic.LoadPointer(&slot.typ)")
        if typ is not None:
            return False

        # The head slot is free, so we own it.
        typ_word = TYP_NIL if val is None else TYP_VAL
        yield plain_write(slot, (typ_word, val), "poolqueue.go:pushHead: *(*any)(unsafe.Pointer(slot)) = val")

        # Incrementing head passes ownership of the slot to popTail and is the
        # store barrier for the slot write above.
        yield atomic_add(self.head_tail, 1 << self.bits, mask(2 * self.bits),
                         "poolqueue.go:pushHead: d.headTail.Add(1 << dequeueBits)")
        return True

    def pop_head(self) -> Gen[tuple[Value, bool]]:
        """poolDequeue.popHead: remove and return the head element; false if empty.

        Single producer only.
        """
        while True:
            ptrs = yield atomic_load(self.head_tail, "poolqueue.go:popHead: ptrs := d.headTail.Load()")
            head, tail = self.unpack(ptrs)
            if tail == head:
                # Queue is empty.
                return None, False

            # Confirm tail and decrement head *before* reading the slot: that
            # takes back ownership of the slot from the consumers.
            # head-- is uint32 arithmetic in Go (model/bits.py: index width).
            head = uN(head - 1, self.bits)
            ptrs2 = self.pack(head, tail)
            ok = yield atomic_cas(self.head_tail, ptrs, ptrs2, "poolqueue.go:popHead: d.headTail.CompareAndSwap(ptrs, ptrs2)")
            if ok:
                # We successfully took back the slot.
                vals = yield from self._vals("popHead")
                slot = self._slot(vals, head)
                break

        typ, val = yield plain_read(slot, "poolqueue.go:popHead: val := *(*any)(unsafe.Pointer(slot))", n=EFACE_WORDS)
        if typ == TYP_NIL:
            val = None
        # Zero the slot. No popTail can own it, so the order of the words does
        # not matter here.
        yield plain_write(slot, (None, None), "poolqueue.go:popHead: *slot = eface{}")
        return val, True

    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        """poolDequeue.popTail: remove and return the tail element; false if empty.

        Any number of consumers.
        """
        while True:
            ptrs = yield atomic_load(self.head_tail, "poolqueue.go:popTail: ptrs := d.headTail.Load()")
            head, tail = self.unpack(ptrs)
            if tail == head:
                # Queue is empty.
                return None, False

            # Confirm head and tail (the check above was speculative) and
            # increment tail. If this succeeds we own the slot at tail.
            # tail+1 is uint32 arithmetic in Go: it wraps before pack sees it
            # (so pack's tail&mask is redundant at Go's widths).
            ptrs2 = self.pack(head, uN(tail + 1, self.bits))
            ok = yield atomic_cas(self.head_tail, ptrs, ptrs2, "poolqueue.go:popTail: d.headTail.CompareAndSwap(ptrs, ptrs2)")
            if ok:
                vals = yield from self._vals("popTail")
                slot = self._slot(vals, tail)
                break

        # We now own the slot.
        typ, val = yield plain_read(slot, "poolqueue.go:popTail: val := *(*any)(unsafe.Pointer(slot))", n=EFACE_WORDS)
        if typ == TYP_NIL:
            val = None

        # Clear val first, then publish the release with the atomic store to
        # typ: once pushHead sees typ == nil it may overwrite both words, so
        # val must already be ours to write no longer (D7, D6).
        yield plain_write(slot + SLOT_VAL, (None,), "poolqueue.go:popTail: slot.val = nil")
        yield atomic_store(slot, None, "poolqueue.go:popTail: atomic.StorePointer(&slot.typ, nil)")
        # From here on pushHead owns the slot.
        return val, True


def new_pool_dequeue(cfg: Cfg, n: int, name: str = "d") -> Gen[int]:
    """A standalone poolDequeue of size n with head = tail = start_index (Go's NewPoolDequeue, export_test.go)."""
    ring = yield from new_ring(n, "setup: NewPoolDequeue (export_test.go)")
    s = cfg.params.start_index
    d: int = yield alloc(tuple(zip(PoolDequeue.FIELDS, (_pack(s, s, cfg.params.dequeue_bits), (ring, n)), strict=True)),
                         name, "setup: NewPoolDequeue (export_test.go)")
    return d


def new_chain_elt(cfg: Cfg, n: int | None, label: str) -> Gen[int]:
    """``&poolChainElt{}`` (and, if n is given, its ring).

    DEVIATION: Go's chain dequeues start at head = tail = 0; the model starts
    them at start_index (0 by default) so that chains exercise wrap-around too.

    DEVIATION: Go writes ``d.vals = make(...)`` after ``new(poolChainElt)``;
    the model allocates the element with its slice header already set, one
    silent step, because the element is not yet reachable from any other
    goroutine.
    """
    s = cfg.params.start_index
    vals: tuple[int, int] | None = None
    if n is not None:
        ring = yield from new_ring(n, "poolqueue.go:pushHead: d.vals = make([]eface, initSize)")
        vals = (ring, n)
    d: int = yield alloc(tuple(zip(PoolDequeue.ELT_FIELDS, (_pack(s, s, cfg.params.dequeue_bits), vals, None, None), strict=True)),
                         "d", label)
    return d


# The memory block of a poolChain (also the `shared` field of a poolLocal).
_CHAIN_FIELDS: tuple[str, ...] = ("head", "tail")
# head: the newest dequeue, the one the producer pushes to. Only the producer
#   (the owning P) reads or writes it.
# DEVIATION: every access to c.head is silent (performed with the step
#   before it, not a scheduling point of its own; the race tracker still sees
#   it): Go's are plain loads and stores, but no other goroutine touches the
#   field, so where they fall in an interleaving cannot change an outcome.
C_HEAD = _CHAIN_FIELDS.index("head")
# tail: the oldest dequeue still in the chain, where consumers popTail. Read
#   and written atomically: the producer stores it once, when the chain gets
#   its first dequeue; after that only consumers move it, forward along next,
#   by CompareAndSwap.
C_TAIL = _CHAIN_FIELDS.index("tail")


class PoolChain:
    """poolChain: a dynamically-sized queue of poolDequeues, each twice the previous size.

    Memory block: ``FIELDS`` at C_HEAD and C_TAIL (their invariants above). In
    each poolChainElt, ``next`` only goes from nil to non-nil (written by the
    producer) and ``prev`` only from non-nil to nil (written by consumers).
    """

    FIELDS: tuple[str, ...] = _CHAIN_FIELDS

    def __init__(self, addr: int, cfg: Cfg) -> None:
        self.addr = addr
        self.cfg = cfg
        self.head = addr + C_HEAD
        self.tail = addr + C_TAIL

    def dequeue(self, d: int) -> PoolDequeue:
        return self.cfg.model.PoolDequeue(d, self.cfg)

    def _len_vals(self, d: PoolDequeue) -> Gen[int]:
        vals = yield from d._vals("pushHead")
        return vals.len

    def push_head(self, val: Value) -> Gen[None]:
        """poolChain.pushHead."""
        # DEVIATION: c.head's accesses are silent (see C_HEAD).
        d = yield plain_read(self.head, "poolqueue.go:pushHead: d := c.head", silent=True)
        if d is None:
            # Initialize the chain.
            d = yield from new_chain_elt(self.cfg, self.cfg.params.init_size, "poolqueue.go:pushHead: d = new(poolChainElt)")
            yield plain_write(self.head, (d,), "poolqueue.go:pushHead: c.head = d", silent=True)
            yield atomic_store(self.tail, d, "poolqueue.go:pushHead: c.tail.Store(d)")

        if (yield from self.dequeue(d).push_head(val)):
            return

        # The current dequeue is full. Allocate a new one of twice the size.
        # DEVIATION: initSize and dequeueLimit are parameters (Params.init_size,
        # Cfg.limit; Go's constants 8 and (1 << dequeueBits) / 4 by default), so
        # that small chains reach the cap within an exhaustive search.
        new_size = (yield from self._len_vals(self.dequeue(d))) * 2
        if new_size >= self.cfg.limit:
            # Can't make it any bigger.
            new_size = self.cfg.limit

        # DEVIATION: d2's allocation and its `d2.vals = ...` write are silent
        # (Go: a plain store). d2 is private to the producer until
        # d.next.Store(d2) publishes it (after c.head = d2, itself silent), so
        # no other goroutine can observe the write or race with it.
        d2 = yield from new_chain_elt(self.cfg, None, "poolqueue.go:pushHead: d2 := &poolChainElt{}")
        e2 = self.dequeue(d2)
        yield atomic_store(e2.prev, d, "poolqueue.go:pushHead: d2.prev.Store(d)")
        ring = yield from new_ring(new_size, "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)")
        yield plain_write(e2.vals_addr, ((ring, new_size),), "poolqueue.go:pushHead: d2.vals = make([]eface, newSize)",
                          silent=True)
        yield plain_write(self.head, (d2,), "poolqueue.go:pushHead: c.head = d2", silent=True)
        yield atomic_store(self.dequeue(d).next, d2, "poolqueue.go:pushHead: d.next.Store(d2)")
        yield from e2.push_head(val)

    def pop_head(self) -> Gen[tuple[Value, bool]]:
        """poolChain.popHead."""
        # DEVIATION: c.head's access is silent (see C_HEAD).
        d = yield plain_read(self.head, "poolqueue.go:popHead: d := c.head", silent=True)
        while d is not None:
            val, ok = yield from self.dequeue(d).pop_head()
            if ok:
                return val, ok
            # There may still be unconsumed elements in the previous dequeue,
            # so back up.
            d = yield atomic_load(self.dequeue(d).prev, "poolqueue.go:popHead: d = d.prev.Load()")
        return None, False

    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        """poolChain.popTail."""
        d = yield atomic_load(self.tail, "poolqueue.go:popTail: d := c.tail.Load()")
        if d is None:
            return None, False

        while True:
            # Load next *before* popping the tail. d may be transiently empty,
            # but if next was non-nil before the pop and the pop fails, then d
            # is permanently empty (the producer only pushes to the newest
            # dequeue), which is the only case where dropping d is safe (C6).
            d2 = yield atomic_load(self.dequeue(d).next, "poolqueue.go:popTail: d2 := d.next.Load()")

            val, ok = yield from self.dequeue(d).pop_tail()
            if ok:
                return val, ok

            if d2 is None:
                # This is the only dequeue. It's empty now, but could be
                # pushed to in the future.
                return None, False

            # The tail of the chain is drained: move on to the next dequeue,
            # and try to drop this one so later pops skip it. Only the winner
            # of the CAS clears the back pointer.
            if (yield atomic_cas(self.tail, d, d2, "poolqueue.go:popTail: c.tail.CompareAndSwap(d, d2)")):
                # Clearing prev lets the GC collect d and stops popHead
                # backing up further than necessary.
                yield atomic_store(self.dequeue(d2).prev, None, "poolqueue.go:popTail: d2.prev.Store(nil)")
            d = d2


def new_pool_chain(name: str = "c") -> Gen[int]:
    """A zero poolChain."""
    c: int = yield alloc(tuple((f, None) for f in PoolChain.FIELDS), name, "setup: poolChain{}")
    return c
