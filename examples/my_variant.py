"""Checking your own design: two variants of popTail, outside the poolcheck package.

A variant is a subclass of ``model.variants.Model`` that replaces the Go
functions it changes (here poolChain.popTail and poolDequeue.popTail) and
says what it is (``name``, ``layer``, ``kind``, ``description``). Every
command takes it as ``path/to/file.py:Class``::

    poolcheck verify  --variant examples/my_variant.py:RestartFromTail    # PASS
    poolcheck verify  --variant examples/my_variant.py:GiveUpPopTail      # FAIL D5, with a report to replay
    pytest --poolcheck-variant examples/my_variant.py:RestartFromTail

Write the replacement the way model/poolqueue.py is written: a generator
that yields one effect per shared-memory access (``atomic_load``,
``atomic_cas``, ``plain_read``, ...), each labelled with the statement it
models, so that every engine can interleave it and every report can show it.
Keep Go's label (``poolqueue.go:FUNC: STATEMENT``) on every statement you
kept from Go: the explorer's reachability goals recognise them, so a bound
too small to exercise your code is reported instead of passing vacuously.
Give your own statements a label of your own (``my_variant.py:...``).
"""

from __future__ import annotations

from model.effects import Gen, atomic_cas, atomic_load, atomic_store, plain_read, plain_write
from model.poolqueue import TYP_NIL, PoolChain, PoolDequeue, Value
from model.variants import Model

__all__ = ["RestartFromTail", "GiveUpPopTail"]


class _RestartFromTailChain(PoolChain):
    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        """poolChain.popTail that restarts from c.tail after each drained dequeue."""
        d = yield atomic_load(self.tail, "poolqueue.go:popTail: d := c.tail.Load()")
        if d is None:
            return None, False
        while True:
            d2 = yield atomic_load(self.dequeue(d).next, "poolqueue.go:popTail: d2 := d.next.Load()")
            val, ok = yield from self.dequeue(d).pop_tail()
            if ok:
                return val, ok
            if d2 is None:
                return None, False
            if (yield atomic_cas(self.tail, d, d2, "poolqueue.go:popTail: c.tail.CompareAndSwap(d, d2)")):
                yield atomic_store(self.dequeue(d2).prev, None, "poolqueue.go:popTail: d2.prev.Store(nil)")
            # The design change: Go continues with d = d2. Reloading c.tail
            # instead skips every dequeue another consumer dropped meanwhile
            # (when our CompareAndSwap lost, tail may already be past d2).
            d = yield atomic_load(self.tail, "my_variant.py:popTail: d = c.tail.Load() (restart)")


class RestartFromTail(Model):
    """A correct alternative: poolcheck finds no violation."""

    name = "restart-from-tail"
    layer = "chain"
    kind = "design"
    description = ("poolChain.popTail reloads c.tail after dropping a drained dequeue instead of moving on to "
                   "d.next, skipping dequeues other consumers dropped meanwhile")
    PoolChain = _RestartFromTailChain


class _GiveUpDequeue(PoolDequeue):
    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        """poolDequeue.popTail that tries its CompareAndSwap once and reports empty if it loses."""
        ptrs = yield atomic_load(self.head_tail, "poolqueue.go:popTail: ptrs := d.headTail.Load()")
        head, tail = self.unpack(ptrs)
        if tail == head:
            return None, False
        ptrs2 = self.pack(head, tail + 1)
        # The design change: no retry loop. Losing the race to another
        # consumer, or to the owner's pushHead/popHead, reports "empty".
        if not (yield atomic_cas(self.head_tail, ptrs, ptrs2, "poolqueue.go:popTail: d.headTail.CompareAndSwap(ptrs, ptrs2)")):
            return None, False
        vals = yield from self._vals("popTail")
        slot = self._slot(vals, tail)
        typ, val = yield plain_read(slot, "poolqueue.go:popTail: val := *(*any)(unsafe.Pointer(slot))", n=2)
        if typ == TYP_NIL:
            val = None
        yield plain_write(slot + 1, (None,), "poolqueue.go:popTail: slot.val = nil")
        yield atomic_store(slot, None, "poolqueue.go:popTail: atomic.StorePointer(&slot.typ, nil)")
        return val, True


class GiveUpPopTail(Model):
    """A tempting shortcut that breaks the dequeue's contract: poolcheck reports D5."""

    name = "give-up-poptail"
    layer = "dequeue"
    kind = "design"
    description = ("poolDequeue.popTail tries its CompareAndSwap once and returns (nil, false) if it loses, "
                   "instead of retrying")
    PoolDequeue = _GiveUpDequeue
