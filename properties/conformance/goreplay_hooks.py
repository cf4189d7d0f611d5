"""The scheduling points of schedule replay: every hooked Go statement, with the model label it stands for.

A ``Hook`` names a statement inside a Go function (``recv.name``), or a step
the replay driver itself takes (the stop-the-world of a GC or a GOMAXPROCS
change, the user's payload accesses around Put and Get). The rewriter
(goreplay_go.REWRITER_GO) puts ``pcWait(id)`` before each statement and
records what it read or wrote; ``Hook.label`` is the model's label of the same
access (model/poolqueue.py, model/pool.py, model/harness.py), so the two
traces compare label by label.

- ``QUEUE_HOOKS``: the 21 shared accesses of poolqueue.go, the chain's entry
  reads (scheduling points only when a chain operation is a scenario
  operation) and the statements only a Go mutant has.
- ``POOL_HOOKS``: every non-silent access of pool.go (pin, pinSlow, Put, Get,
  getSlow), its runtime hooks (procPin, procUnpin, allPoolsMu) and the
  driver's steps. ``sync`` says when a step may be taken (model.memory.enabled):
  a pin only while the P is free, the lock only while it is free, a
  stop-the-world only while no P is pinned.

Values are recorded by ``kind``: ``""`` a queue value (the packed headTail,
a slot as [typ, val], a chain pointer when ``ptr``), ``num`` a number,
``obj`` a Pool object (the token, or null), ``ptr``/``ptrs`` pointers named by
identity, ``none`` no value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from model.harness import PAYLOAD_READ, PAYLOAD_WRITE

__all__ = ["Hook", "HOOKS", "QUEUE_HOOKS", "POOL_HOOKS", "SHARED_ACCESSES", "POOL_ACCESSES", "BY_LABEL", "LABEL_OF",
           "layer_labels", "ENTRY_IDS", "DRIVER_HOOK_NAMES"]


@dataclass(frozen=True)
class Hook:
    """One scheduling point in Go: ``stmt`` inside ``func`` of ``file`` (or a driver step, file ``""``)."""

    id: int
    func: str
    stmt: str
    ptr: bool = False        # the value is a *poolChainElt (compared by identity)
    optional: bool = False   # only a mutant's source has it
    entry: bool = False      # not a shared access: an operation's first statement, a scheduling point in the model
    file: str = "poolqueue.go"
    match: str = ""          # the text the rewriter matches, when not ``stmt`` (a sub-expression of an if condition)
    kind: str = ""           # how the value is recorded (module docstring)
    void: bool = False       # a call with no result
    read_id: int | None = None   # this write is the second of two steps; the first, a read, is hook ``read_id``
    split_read: bool = False     # the read half of such a pair (inserted by its write's hook)
    sync: str = ""           # "pin" | "lock" | "stw": when the step may be taken

    @property
    def label(self) -> str:
        if not self.file:
            return self.stmt
        return f"{self.file}:{self.func.split('.')[-1]}: {self.stmt}"

    @property
    def by_identity(self) -> bool:
        """Pointers: compared by identity (named d1, d2, ... in order of first appearance)."""
        return self.ptr or self.kind in ("ptr", "ptrs")


_PD, _PC = "poolDequeue", "poolChain"
_Q: list[tuple[str, str, bool, bool, bool]] = [
    (f"{_PD}.pushHead", "ptrs := d.headTail.Load()", False, False, False),
    (f"{_PD}.pushHead", "typ := atomic.LoadPointer(&slot.typ)", False, False, False),
    (f"{_PD}.pushHead", "*(*any)(unsafe.Pointer(slot)) = val", False, False, False),
    (f"{_PD}.pushHead", "d.headTail.Add(1 << dequeueBits)", False, False, False),
    (f"{_PD}.popHead", "ptrs := d.headTail.Load()", False, False, False),
    (f"{_PD}.popHead", "d.headTail.CompareAndSwap(ptrs, ptrs2)", False, False, False),
    (f"{_PD}.popHead", "val := *(*any)(unsafe.Pointer(slot))", False, False, False),
    (f"{_PD}.popHead", "*slot = eface{}", False, False, False),
    (f"{_PD}.popTail", "ptrs := d.headTail.Load()", False, False, False),
    (f"{_PD}.popTail", "d.headTail.CompareAndSwap(ptrs, ptrs2)", False, False, False),
    (f"{_PD}.popTail", "val := *(*any)(unsafe.Pointer(slot))", False, False, False),
    (f"{_PD}.popTail", "slot.val = nil", False, False, False),
    (f"{_PD}.popTail", "atomic.StorePointer(&slot.typ, nil)", False, False, False),
    (f"{_PC}.pushHead", "c.tail.Store(d)", True, False, False),
    (f"{_PC}.pushHead", "d2.prev.Store(d)", True, False, False),
    (f"{_PC}.pushHead", "d.next.Store(d2)", True, False, False),
    (f"{_PC}.popHead", "d = d.prev.Load()", True, False, False),
    (f"{_PC}.popTail", "d := c.tail.Load()", True, False, False),
    (f"{_PC}.popTail", "d2 := d.next.Load()", True, False, False),
    (f"{_PC}.popTail", "c.tail.CompareAndSwap(d, d2)", True, False, False),
    (f"{_PC}.popTail", "d2.prev.Store(nil)", True, False, False),
    # The model starts every operation at a scheduling point; the chain's
    # pushHead and popHead begin with the producer-private read of c.head.
    (f"{_PC}.pushHead", "d := c.head", True, False, True),
    (f"{_PC}.popHead", "d := c.head", True, False, True),
    # Statements only the Go mutants have (gomutants.py; the model mutants' labels).
    (f"{_PD}.popHead", "d.headTail.Store(ptrs2)", False, True, False),
    (f"{_PD}.pushHead", "typ := slot.typ", False, True, False),
    (f"{_PC}.popTail", "c.tail.Store(d2)", True, True, False),
]
QUEUE_HOOKS: tuple[Hook, ...] = tuple(Hook(i, f, s, p, o, e) for i, (f, s, p, o, e) in enumerate(_Q))
SHARED_ACCESSES: tuple[Hook, ...] = tuple(h for h in QUEUE_HOOKS if not h.optional and not h.entry)  # the 21
ENTRY_IDS: tuple[int, ...] = tuple(h.id for h in QUEUE_HOOKS if h.entry)


def _pool_hooks(first: int) -> tuple[Hook, ...]:
    P = "Pool"
    rows: list[dict[str, object]] = [
        dict(func=f"{P}.pin", stmt="pid := runtime_procPin()", kind="num", sync="pin"),
        dict(func=f"{P}.pin", stmt="s := rtatomic.LoadAcquintptr(&p.localSize)", kind="num"),
        dict(func=f"{P}.pin", stmt="l := p.local", kind="ptr"),
        dict(func=f"{P}.Put", stmt="if l.private == nil", match="l.private", kind="obj"),
        dict(func=f"{P}.Put", stmt="l.private = x", kind="obj"),
        dict(func=f"{P}.Put", stmt="runtime_procUnpin()", kind="none", void=True),
        dict(func=f"{P}.Get", stmt="x := l.private", kind="obj"),
        dict(func=f"{P}.Get", stmt="l.private = nil", kind="obj"),
        dict(func=f"{P}.Get", stmt="runtime_procUnpin()", kind="none", void=True),
        dict(func=f"{P}.getSlow", stmt="size := rtatomic.LoadAcquintptr(&p.localSize)", kind="num"),
        dict(func=f"{P}.getSlow", stmt="locals := p.local", kind="ptr"),
        dict(func=f"{P}.getSlow", stmt="size = atomic.LoadUintptr(&p.victimSize)", kind="num"),
        dict(func=f"{P}.getSlow", stmt="locals = p.victim", kind="ptr"),
        dict(func=f"{P}.getSlow", stmt="if x := l.private; x != nil", match="x := l.private", kind="obj"),
        dict(func=f"{P}.getSlow", stmt="l.private = nil", kind="obj"),
        dict(func=f"{P}.getSlow", stmt="atomic.StoreUintptr(&p.victimSize, 0)", kind="num"),
        dict(func=f"{P}.pinSlow", stmt="runtime_procUnpin()", kind="none", void=True),
        dict(func=f"{P}.pinSlow", stmt="allPoolsMu.Lock()", kind="none", void=True, sync="lock"),
        dict(func=f"{P}.pinSlow", stmt="pid := runtime_procPin()", kind="num", sync="pin"),
        dict(func=f"{P}.pinSlow", stmt="s := p.localSize", kind="num"),
        dict(func=f"{P}.pinSlow", stmt="l := p.local", kind="ptr"),
        # Deferred: the step is taken when pinSlow returns.
        dict(func=f"{P}.pinSlow", stmt="defer allPoolsMu.Unlock()", kind="none"),
        dict(func=f"{P}.pinSlow", stmt="if p.local == nil", match="p.local", kind="ptr"),
        # append: the model reads allPools, then writes it (two steps under the lock).
        dict(func=f"{P}.pinSlow", stmt="allPools = append(allPools, p)", kind="ptrs", split_read=True),
        dict(func=f"{P}.pinSlow", stmt="allPools = append(allPools, p)", kind="ptrs", read_id=-1),
        dict(func=f"{P}.pinSlow", stmt="atomic.StorePointer(&p.local, unsafe.Pointer(&local[0]))", kind="ptr"),
        dict(func=f"{P}.pinSlow", stmt="rtatomic.StoreReluintptr(&p.localSize, uintptr(size))", kind="num"),
        # The driver's own steps (model/pool.py gc and set_gomaxprocs; model/harness.py's user accesses).
        dict(func="", file="", stmt="runtime: stopTheWorld (gcStart)", kind="none", sync="stw"),
        dict(func="", file="", stmt="runtime: stopTheWorld (GOMAXPROCS)", kind="none", sync="stw"),
        dict(func="", file="", stmt=PAYLOAD_WRITE, kind="num"),
        dict(func="", file="", stmt=PAYLOAD_READ, kind="num"),
    ]
    out: list[Hook] = []
    for i, r in enumerate(rows):
        hid = first + i
        if r.get("read_id") == -1:  # the read half is the row before
            r = {**r, "read_id": hid - 1}
        out.append(Hook(hid, file=str(r.pop("file", "pool.go")), **r))  # type: ignore[arg-type]
    return tuple(out)


POOL_HOOKS: tuple[Hook, ...] = _pool_hooks(len(QUEUE_HOOKS))
POOL_ACCESSES: tuple[Hook, ...] = tuple(h for h in POOL_HOOKS if h.file)
HOOKS: tuple[Hook, ...] = QUEUE_HOOKS + POOL_HOOKS
DRIVER_HOOK_NAMES: dict[str, int] = {
    name: next(h.id for h in POOL_HOOKS if h.stmt == stmt)
    for name, stmt in (("hookGC", "runtime: stopTheWorld (gcStart)"), ("hookProcs", "runtime: stopTheWorld (GOMAXPROCS)"),
                       ("hookPayloadWrite", PAYLOAD_WRITE), ("hookPayloadRead", PAYLOAD_READ))}

BY_LABEL: dict[str, Hook] = {}
for _h in HOOKS:
    BY_LABEL.setdefault(_h.label, _h)
# A label names a statement within a function name; no two functions share a
# (file, function, statement), so the label decides the hook (the two halves of
# allPools' append share one label and one kind).
LABEL_OF: dict[int, str] = {h.id: h.label for h in HOOKS}


@functools.cache
def layer_labels(target: str) -> frozenset[str]:
    """The labels that are scheduling points when ``target``'s operations are the scenario's.

    A chain operation inside a Pool operation starts with no scheduling point of its own: the chain's entry
    reads of c.head are silent there, as in the model.
    """
    if target == "pool":
        return frozenset(h.label for h in HOOKS if not h.entry)
    return frozenset(h.label for h in QUEUE_HOOKS)
