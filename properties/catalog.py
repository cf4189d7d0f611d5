"""The property catalog: every property by stable id (DESIGN.md section 4).

Ids are used everywhere: invariants, engines, reports, the kill matrix and
test names. Add to this list; never silently drop or renumber an entry.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Property", "CATALOG", "TARGETS", "get", "ids", "checked_by_execution"]


TARGETS = ("dequeue", "chain", "pool")


@dataclass(frozen=True)
class Property:
    id: str
    name: str
    layer: str        # dequeue | chain | pool | all
    statement: str    # one sentence
    source: str       # the Go comment, memory-model rule or seed claim it comes from
    when: str         # state | step | terminal | history | static
    also_in: tuple[str, ...] = ()   # other targets whose executions check it (a chain's dequeues: D1, D2, D6, D9)
    by_execution: bool = True       # False: only a state machine or a static check decides it (P4, P10)

    @property
    def targets(self) -> tuple[str, ...]:
        """The scenario targets whose checked executions (properties.checks, the state invariants) report it."""
        if not self.by_execution or self.when == "static":
            return ()
        return TARGETS if self.layer == "all" else (self.layer,) + self.also_in


CATALOG: tuple[Property, ...] = (
    Property("D1", "packed-index", "dequeue",
             "unpack(pack(h, t)) == (h, t), and in every reachable state 0 <= (head - tail) mod 2^bits <= len(vals).",
             "poolqueue.go: headTail packs together a 32-bit head index and a 32-bit tail index", "state", ("chain",)),
    Property("D2", "slot-ownership", "dequeue",
             "Every slot in [tail, head) holds a value; a non-empty slot outside it is owned by an in-flight "
             "operation (at most one per in-flight operation on that dequeue).",
             "poolqueue.go: Slots in the range [tail, head) are owned by consumers", "state", ("chain",)),
    Property("D3", "no-lost", "dequeue",
             "At quiescence, the values pushed successfully equal the values popped plus the contents, as multisets.",
             "poolqueue.go: poolDequeue is a lock-free fixed-size single-producer, multi-consumer queue", "terminal"),
    Property("D4", "no-duplicate", "dequeue", "No value is returned by two pops.",
             "poolqueue.go: If this succeeds, then we own the slot at tail", "terminal"),
    Property("D5", "linearizable", "dequeue",
             "Every history is linearizable against the sequential bounded deque, where pushHead may also fail "
             "while a popTail still owns the head slot.",
             "poolqueue.go: Another goroutine is still cleaning up the tail, so the queue is actually still full",
             "history"),
    Property("D6", "no-retention", "dequeue", "At quiescence every slot outside [tail, head) is zeroed.",
             "poolqueue.go: it nils out unused slots to avoid unnecessary retention of objects", "terminal",
             ("chain",)),
    Property("D7", "race-free", "dequeue",
             "No two conflicting accesses to the dequeue (one a write, not both atomic) are unordered by "
             "happens-before.",
             "Go memory model: data-race-free programs behave sequentially consistently", "history"),
    Property("D8", "nil-roundtrip", "dequeue", "A pushed Go nil comes back as nil, and only a pushed nil does.",
             "poolqueue.go: dequeueNil is used in poolDequeue to represent interface{}(nil)", "terminal"),
    Property("D9", "progress", "dequeue",
             "A failed CompareAndSwap on headTail implies another thread changed headTail since this thread loaded it.",
             "lock-freedom of poolDequeue", "history", ("chain",)),
    Property("C1", "push-never-fails", "chain", "poolChain.pushHead always stores its value.",
             "poolqueue.go: poolChain is a dynamically-sized version of poolDequeue", "terminal"),
    Property("C2", "no-lost", "chain",
             "At quiescence, values pushed equal values popped plus the values reachable in the chain, as multisets.",
             "poolqueue.go: once a dequeue is exhausted, it gets removed from the list", "terminal"),
    Property("C3", "no-duplicate", "chain", "No value is returned by two pops of the chain.",
             "poolqueue.go: poolChain.popTail", "terminal"),
    Property("C4", "linearizable", "chain", "Every history is linearizable against the sequential unbounded deque.",
             "poolqueue.go: poolChain is a dynamically-sized version of poolDequeue", "history"),
    Property("C5", "growth", "chain",
             "Dequeue sizes are init_size * 2^k capped at dequeue_limit, each the double of the previous (capped), "
             "all powers of two.",
             "poolqueue.go: each dequeue is double the size of the previous one", "state"),
    Property("C6", "drop-only-drained", "chain",
             "A dequeue that is no longer reachable from the chain's tail holds no value.",
             "poolqueue.go: if next is non-nil before the pop and the pop fails, then d is permanently empty", "state"),
    Property("C7", "race-free", "chain",
             "No two conflicting accesses to the chain (one a write, not both atomic) are unordered by "
             "happens-before.",
             "Go memory model: data-race-free programs behave sequentially consistently", "history"),
    Property("C8", "tail-advances", "chain",
             "c.tail only moves forward, one link at a time: each change replaces a dequeue d by d.next (or sets "
             "the first dequeue), so a dropped dequeue never rejoins the chain.",
             "poolqueue.go: once a dequeue is exhausted, it gets removed from the list; Try to drop it from the "
             "chain so the next pop doesn't have to look at the empty dequeue again", "step"),
    Property("P1", "no-duplicate-handout", "pool",
             "Get never returns an object that is still in the pool or held by another caller.",
             "pool.go: Get selects an arbitrary item from the Pool, removes it from the Pool", "terminal"),
    Property("P2", "only-put-or-new", "pool", "Get returns an object that was Put, or New's result, or nil.",
             "pool.go: If Get would otherwise return nil and p.New is non-nil, Get returns the result of calling p.New",
             "terminal"),
    Property("P3", "victim-aging", "pool",
             "An object Put before GC k is never returned after GC k+1.",
             "seed: each item lives at most one GC cycle in victim; pool.go: poolCleanup drops victim caches",
             "history"),
    Property("P4", "lookup-order", "pool",
             "Get looks in private, its own shared head, other Ps' tails from pid+1, the victim private of pid, "
             "victim tails from pid, then New.",
             "pool.go: Get and getSlow", "history", by_execution=False),
    Property("P5", "stw-cleanup", "pool", "poolCleanup never runs while a P is pinned.",
             "pool.go: Because the world is stopped, no pool user can be in a pinned section", "step"),
    Property("P6", "resize", "pool",
             "Every object Put and not returned is still in the pool, or was in a victim cache dropped by a GC, or "
             "in a local array replaced after a GOMAXPROCS change.",
             "pool.go: If GOMAXPROCS changes between GCs, we re-allocate the array and lose the old one", "terminal"),
    Property("P7", "in-bounds", "pool", "No P indexes past the local array it loaded.",
             "pool.go: In pinSlow we store to local and then to localSize, here we load in opposite order", "step"),
    Property("P8", "put-get-handoff", "pool",
             "Writes to an object before Put happen before reads after the Get that returns it (no race on it), "
             "and the pool's own plain accesses race with no other access (p.local's documented load-consume "
             "excepted: model.hb.BENIGN_RACES).",
             "pool.go: a call to Put(x) synchronizes before a call to Get returning that same value x", "history"),
    Property("P9", "victim-empty-mark", "pool",
             "victimSize is 0 while victim is set only if every victim shared chain is empty.",
             "pool.go: Mark the victim cache as empty for future gets don't bother with it", "state"),
    Property("P10", "padding", "pool", "sizeof(poolLocal) is a multiple of 128 on every GOARCH.",
             "pool.go: Prevents false sharing on widespread platforms with 128 mod (cache line size) = 0", "static"),
    Property("P11", "registry", "pool",
             "Every pool holding a local array is in allPools and every pool holding a victim array is in oldPools, "
             "so no GC can miss it.",
             "pool.go: allPools is the set of pools that have non-empty primary caches; oldPools ... victim caches",
             "state"),
    Property("G1", "no-panic", "all", "No operation panics (index out of range, nil dereference).",
             "Go run-time safety", "step"),
)

_BY_ID = {p.id: p for p in CATALOG}


def get(pid: str) -> Property:
    """The property with id ``pid`` (KeyError if unknown)."""
    return _BY_ID[pid]


def ids(layer: str | None = None) -> list[str]:
    """Every property id, or those of one layer (plus the ones for all layers)."""
    return [p.id for p in CATALOG if layer is None or p.layer in (layer, "all")]


def checked_by_execution(target: str) -> list[str]:
    """The property ids a checked execution of a ``target`` scenario reports, in catalog order."""
    return [p.id for p in CATALOG if target in p.targets]
