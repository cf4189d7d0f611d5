"""Mutants of poolDequeue (poolqueue.go): known bugs the suite must catch."""

from __future__ import annotations

from model.bits import mask, uN
from model.effects import Gen, atomic_add, atomic_load, plain_write
from model.poolqueue import TYP_NIL, TYP_VAL, PoolDequeue, Value
from model.variants.base import Model


class _PushNoTypCheckDequeue(PoolDequeue):
    def push_head(self, val: Value) -> Gen[bool]:
        ptrs = yield atomic_load(self.head_tail, "poolqueue.go:pushHead: ptrs := d.headTail.Load()")
        head, tail = self.unpack(ptrs)
        vals = yield from self._vals("pushHead")
        if uN(tail + vals[1], self.bits) & mask(self.bits) == head:
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
    PoolDequeue = _PushNoTypCheckDequeue
