"""Mutants of poolDequeue (poolqueue.go): known bugs the suite must catch.

Each mutant is the reference with ONE change, in a copy of the one Go
function it changes; the changed lines sit directly under a ``# MUTATION:``
comment, followed by a blank line (a deletion: the comment, then a blank line
where the lines were). tests/test_mutation_lines.py checks the copy differs
from the reference nowhere else. ``witness`` is where the engines find it
(docs/mutants.md has the kill matrix).
"""

from __future__ import annotations

from model.bits import mask, uN
from model.effects import Gen, atomic_add, atomic_cas, atomic_load, atomic_store, plain_read, plain_write
from model.params import Params
from model.poolqueue import EFACE_WORDS, SLOT_VAL, TYP_NIL, TYP_VAL, PoolDequeue, Value
from model.variants.base import Model

__all__ = ["PushNoTypCheck", "PushPlainTypLoad", "PushPublishFirst", "PopTailTypBeforeVal", "PopTailNoZero",
           "PopHeadPlainStore", "FullCheckOffByOne"]


class _PushNoTypCheckDequeue(PoolDequeue):
    def push_head(self, val: Value) -> Gen[bool]:
        ptrs = yield atomic_load(self.head_tail, "poolqueue.go:pushHead: ptrs := d.headTail.Load()")
        head, tail = self.unpack(ptrs)
        vals = yield from self._vals("pushHead")
        if uN(tail + vals.len, self.bits) & mask(self.bits) == head:
            return False
        slot = self._slot(vals, head)
        # MUTATION: no atomic.LoadPointer(&slot.typ) check; a popTail that
        # still owns this slot will clear what we write next.

        typ_word = TYP_NIL if val is None else TYP_VAL
        yield plain_write(slot, (typ_word, val), "poolqueue.go:pushHead: *(*any)(unsafe.Pointer(slot)) = val")
        yield atomic_add(self.head_tail, 1 << self.bits, mask(2 * self.bits),
                         "poolqueue.go:pushHead: d.headTail.Add(1 << dequeueBits)")
        return True


class PushNoTypCheck(Model):
    name = "push-no-typ-check"
    layer = "dequeue"
    kind = "mutant"
    description = ("poolDequeue.pushHead skips the `slot.typ != nil` check, so it can overwrite a slot "
                   "a popTail has claimed but not yet released")
    expected = ("D3", "D7")
    witness = ("dequeue", "push push push | tail tail", Params(size=2))
    PoolDequeue = _PushNoTypCheckDequeue


class _PushPlainTypLoadDequeue(PoolDequeue):
    def push_head(self, val: Value) -> Gen[bool]:
        ptrs = yield atomic_load(self.head_tail, "poolqueue.go:pushHead: ptrs := d.headTail.Load()")
        head, tail = self.unpack(ptrs)
        vals = yield from self._vals("pushHead")
        if uN(tail + vals.len, self.bits) & mask(self.bits) == head:
            return False
        slot = self._slot(vals, head)
        # MUTATION: `typ := slot.typ`, a plain load instead of
        # atomic.LoadPointer(&slot.typ): it races with popTail's
        # atomic.StorePointer(&slot.typ, nil), and acquires nothing from it.
        typ = yield plain_read(slot, "poolqueue.go:pushHead: typ := slot.typ")

        if typ is not None:
            return False
        typ_word = TYP_NIL if val is None else TYP_VAL
        yield plain_write(slot, (typ_word, val), "poolqueue.go:pushHead: *(*any)(unsafe.Pointer(slot)) = val")
        yield atomic_add(self.head_tail, 1 << self.bits, mask(2 * self.bits),
                         "poolqueue.go:pushHead: d.headTail.Add(1 << dequeueBits)")
        return True


class PushPlainTypLoad(Model):
    name = "push-plain-typ-load"
    layer = "dequeue"
    kind = "mutant"
    description = ("poolDequeue.pushHead reads `slot.typ` with a plain load instead of atomic.LoadPointer: a "
                   "data race with popTail's atomic.StorePointer(&slot.typ, nil) (plain against atomic), so the "
                   "slot write that follows is not ordered after popTail's reads of the slot")
    expected = ("D7",)
    witness = ("dequeue", "push push push | tail tail", Params(size=2))
    PoolDequeue = _PushPlainTypLoadDequeue


class _PushPublishFirstDequeue(PoolDequeue):
    def push_head(self, val: Value) -> Gen[bool]:
        ptrs = yield atomic_load(self.head_tail, "poolqueue.go:pushHead: ptrs := d.headTail.Load()")
        head, tail = self.unpack(ptrs)
        vals = yield from self._vals("pushHead")
        if uN(tail + vals.len, self.bits) & mask(self.bits) == head:
            return False
        slot = self._slot(vals, head)
        typ = yield atomic_load(slot, "poolqueue.go:pushHead: typ := atomic.LoadPointer(&slot.typ)")
        if typ is not None:
            return False
        # MUTATION: head is incremented *before* the slot is written, so a
        # popTail can claim the slot and read it while it is still empty.
        yield atomic_add(self.head_tail, 1 << self.bits, mask(2 * self.bits),
                         "poolqueue.go:pushHead: d.headTail.Add(1 << dequeueBits)")

        typ_word = TYP_NIL if val is None else TYP_VAL
        yield plain_write(slot, (typ_word, val), "poolqueue.go:pushHead: *(*any)(unsafe.Pointer(slot)) = val")
        return True


class PushPublishFirst(Model):
    name = "push-publish-first"
    layer = "dequeue"
    kind = "mutant"
    description = ("poolDequeue.pushHead does d.headTail.Add(1 << dequeueBits) before writing the slot, so a "
                   "popTail can take the slot before the value is in it (and race with the write)")
    expected = ("D3", "D7")
    witness = ("dequeue", "push | tail", Params(size=2))
    PoolDequeue = _PushPublishFirstDequeue


class _PopTailTypBeforeValDequeue(PoolDequeue):
    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        while True:
            ptrs = yield atomic_load(self.head_tail, "poolqueue.go:popTail: ptrs := d.headTail.Load()")
            head, tail = self.unpack(ptrs)
            if tail == head:
                return None, False
            ptrs2 = self.pack(head, uN(tail + 1, self.bits))
            ok = yield atomic_cas(self.head_tail, ptrs, ptrs2,
                                  "poolqueue.go:popTail: d.headTail.CompareAndSwap(ptrs, ptrs2)")
            if ok:
                vals = yield from self._vals("popTail")
                slot = self._slot(vals, tail)
                break
        typ, val = yield plain_read(slot, "poolqueue.go:popTail: val := *(*any)(unsafe.Pointer(slot))", n=EFACE_WORDS)
        if typ == TYP_NIL:
            val = None
        # MUTATION: typ is released first; pushHead may now fill the slot, and
        # the late `slot.val = nil` below erases the value it wrote.
        yield atomic_store(slot, None, "poolqueue.go:popTail: atomic.StorePointer(&slot.typ, nil)")
        yield plain_write(slot + SLOT_VAL, (None,), "poolqueue.go:popTail: slot.val = nil")

        return val, True


class PopTailTypBeforeVal(Model):
    name = "poptail-typ-before-val"
    layer = "dequeue"
    kind = "mutant"
    description = ("poolDequeue.popTail stores `slot.typ = nil` before `slot.val = nil`, so pushHead can reuse "
                   "the slot and have its new value's data word cleared")
    expected = ("D3", "D7")
    witness = ("dequeue", "push push | tail", Params(size=1))
    PoolDequeue = _PopTailTypBeforeValDequeue


class _PopTailNoZeroDequeue(PoolDequeue):
    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        while True:
            ptrs = yield atomic_load(self.head_tail, "poolqueue.go:popTail: ptrs := d.headTail.Load()")
            head, tail = self.unpack(ptrs)
            if tail == head:
                return None, False
            ptrs2 = self.pack(head, uN(tail + 1, self.bits))
            ok = yield atomic_cas(self.head_tail, ptrs, ptrs2,
                                  "poolqueue.go:popTail: d.headTail.CompareAndSwap(ptrs, ptrs2)")
            if ok:
                vals = yield from self._vals("popTail")
                slot = self._slot(vals, tail)
                break
        typ, val = yield plain_read(slot, "poolqueue.go:popTail: val := *(*any)(unsafe.Pointer(slot))", n=EFACE_WORDS)
        if typ == TYP_NIL:
            val = None
        # MUTATION: neither `slot.val = nil` nor `atomic.StorePointer(&slot.typ,
        # nil)`: the slot keeps a reference to the popped object and is never
        # handed back to pushHead.

        return val, True


class PopTailNoZero(Model):
    name = "poptail-no-zero"
    layer = "dequeue"
    kind = "mutant"
    description = ("poolDequeue.popTail leaves the slot as it is (no `slot.val = nil`, no typ release): the "
                   "popped object stays referenced and the slot is never reused")
    expected = ("D6",)
    witness = ("dequeue", "push | tail", Params(size=2))
    PoolDequeue = _PopTailNoZeroDequeue


class _PopHeadPlainStoreDequeue(PoolDequeue):
    def pop_head(self) -> Gen[tuple[Value, bool]]:
        while True:
            ptrs = yield atomic_load(self.head_tail, "poolqueue.go:popHead: ptrs := d.headTail.Load()")
            head, tail = self.unpack(ptrs)
            if tail == head:
                return None, False
            head = uN(head - 1, self.bits)
            ptrs2 = self.pack(head, tail)
            # MUTATION: d.headTail.Store(ptrs2) instead of CompareAndSwap: a
            # popTail that moved tail since the Load is undone, and both
            # take the same slot.
            yield atomic_store(self.head_tail, ptrs2, "poolqueue.go:popHead: d.headTail.Store(ptrs2)")
            vals = yield from self._vals("popHead")
            slot = self._slot(vals, head)
            break
        typ, val = yield plain_read(slot, "poolqueue.go:popHead: val := *(*any)(unsafe.Pointer(slot))", n=EFACE_WORDS)
        if typ == TYP_NIL:
            val = None
        yield plain_write(slot, (None, None), "poolqueue.go:popHead: *slot = eface{}")
        return val, True


class PopHeadPlainStore(Model):
    name = "pophead-plain-store"
    layer = "dequeue"
    kind = "mutant"
    description = ("poolDequeue.popHead decrements head with d.headTail.Store(ptrs2) instead of CompareAndSwap, "
                   "so it can undo a concurrent popTail and both return the last element")
    expected = ("D4", "D7")
    witness = ("dequeue", "push pop | tail", Params(size=2))
    PoolDequeue = _PopHeadPlainStoreDequeue


class _FullCheckOffByOneDequeue(PoolDequeue):
    def push_head(self, val: Value) -> Gen[bool]:
        ptrs = yield atomic_load(self.head_tail, "poolqueue.go:pushHead: ptrs := d.headTail.Load()")
        head, tail = self.unpack(ptrs)
        vals = yield from self._vals("pushHead")
        # MUTATION: (tail+len(d.vals)+1)&mask == head: the full test lets a
        # push through when the ring already holds len(d.vals) elements.
        if uN(tail + vals.len + 1, self.bits) & mask(self.bits) == head:
            return False

        slot = self._slot(vals, head)
        typ = yield atomic_load(slot, "poolqueue.go:pushHead: typ := atomic.LoadPointer(&slot.typ)")
        if typ is not None:
            return False
        typ_word = TYP_NIL if val is None else TYP_VAL
        yield plain_write(slot, (typ_word, val), "poolqueue.go:pushHead: *(*any)(unsafe.Pointer(slot)) = val")
        yield atomic_add(self.head_tail, 1 << self.bits, mask(2 * self.bits),
                         "poolqueue.go:pushHead: d.headTail.Add(1 << dequeueBits)")
        return True


class FullCheckOffByOne(Model):
    name = "full-check-off-by-one"
    layer = "dequeue"
    kind = "mutant"
    equivalent = True
    description = (
        "poolDequeue.pushHead's full test is `(tail+len(d.vals)+1)&mask == head`, admitting one element too "
        "many. EQUIVALENT: when head-tail == len(d.vals) the head slot is the tail slot, which is in [tail, head) "
        "and so has typ != nil (D2), and the typ check returns false exactly as the full test would; if a popTail "
        "released that slot in between, tail has moved and the push is a correct one. The typ check is a second, "
        "sufficient full test for a single producer (no engine can tell the two apart; the explorer confirms it "
        "on the witness)")
    witness = ("dequeue", "push push push pop | tail tail", Params(size=2, dequeue_bits=2))
    PoolDequeue = _FullCheckOffByOneDequeue
