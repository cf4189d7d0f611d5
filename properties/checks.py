"""Checks of one finished execution: every property a single run can violate.

``check_execution(world, kernel)`` is what Hypothesis scenarios, replay and
the pytest gate call; the explorer calls the same per-property functions on
its terminal states. State predicates come from properties/invariants.py and
are evaluated on the final memory; step predicates (P5) and histories (D9,
P3) are evaluated over the trace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from model.effects import atomic_store
from model.harness import World
from model.kernel import Kernel, OpRecord, Step
from properties import invariants as inv
from properties.invariants import Violation
from properties.linearizability import check_kernel_history

__all__ = ["Violation", "check_execution", "check_final_state", "race_property", "lost_and_duplicated",
           "pool_history", "d9_progress", "c8_from_trace", "p3_victim_aging", "p5_from_trace", "victim_tiers_of"]


def _ok(r: OpRecord) -> bool:
    """Whether a pop returned a value (ok == true)."""
    return isinstance(r.result, tuple) and bool(r.result[1])


def lost_and_duplicated(pushed: Iterable[Any], returned: Iterable[Any], contents: Iterable[Any],
                        lost_prop: str, dup_prop: str, nil_prop: str | None = None) -> list[Violation]:
    """Multiset accounting: pushed == returned + contents; no token returned twice."""
    out: list[Violation] = []
    pc, rc, cc = Counter(pushed), Counter(returned), Counter(contents)
    for v, k in rc.items():
        if v is not None and k > 1:
            out.append(Violation(dup_prop, f"value {v} was returned {k} times"))
    have = rc + cc
    for v in sorted(set(pc) | set(have), key=repr):
        if v is None:
            if nil_prop and pc[None] != have[None]:
                out.append(Violation(nil_prop, f"{pc[None]} nil(s) pushed but {rc[None]} nil(s) popped and "
                                               f"{cc[None]} left in the queue"))
            continue
        if pc[v] > have[v]:
            out.append(Violation(lost_prop, f"value {v} was pushed but is neither returned nor still in the queue: "
                                            f"it is lost"))
        elif have[v] > pc[v] and rc[v] <= 1:
            out.append(Violation(dup_prop, f"value {v} was pushed {pc[v]} time(s) but is returned {rc[v]} time(s) "
                                           f"and held {cc[v]} time(s)"))
    return out


def race_property(target: str, location: str) -> str:
    """Which property a data race on ``location`` violates."""
    if location.startswith("obj") or target == "pool":
        return "P8"
    return "D7" if target == "dequeue" else "C7"


def p5_from_trace(world: World, trace: Sequence[Step]) -> list[Violation]:
    """P5 over a trace: a stop-the-world step while some P is pinned."""
    pinned: set[int] = set()
    out = []
    for s in trace:
        if s.kind == "procPin":
            pinned.add(s.result)
        elif s.kind == "procUnpin":
            pinned.discard(int(s.location.split("[")[1].rstrip("]")) if "[" in s.location else -1)
        elif s.kind == "stopTheWorld" and s.label.endswith("(gcStart)") and pinned:
            out.append(Violation("P5", f"poolCleanup ran (step {s.index}) while P{min(pinned)} was pinned", s.index))
    return out


def d9_progress(trace: Sequence[Step]) -> list[Violation]:
    """D9: each failed CAS on a headTail follows some other thread's change of that word since our last load."""
    last_load: dict[tuple[int, int], int] = {}
    last_change: dict[int, tuple[int, int]] = {}
    out = []
    for s in trace:
        if not s.location.endswith(".headTail"):
            continue
        key = (s.tid, s.addr)
        if s.kind == "Load":
            last_load[key] = s.index
        elif s.kind == "CompareAndSwap" and not s.result:
            ch = last_change.get(s.addr)
            if ch is None or ch[1] < last_load.get(key, -1) or ch[0] == s.tid:
                out.append(Violation("D9", f"thread {s.tid}'s CompareAndSwap on {s.location} failed at step {s.index} "
                                           f"although no other thread changed it since its load", s.index))
        if s.writes:
            last_change[s.addr] = (s.tid, s.index)
    return out


def c8_from_trace(world: World, trace: Sequence[Step]) -> list[Violation]:
    """C8 over a trace: replays the trace's writes from the initial memory and
    applies the step predicate to every store to a chain's tail."""
    mem: list[Any] = list(world.mem0)
    out: list[Violation] = []
    for s in trace:
        if s.kind in ("Store", "CompareAndSwap") and s.writes and s.location.endswith(".tail"):
            new = s.writes[0][1]
            eff = atomic_store(s.addr, new, s.label)
            for v in inv.c8_tail_advances(mem, eff):
                out.append(Violation(v.prop, f"{v.message} at step {s.index}", s.index))
        for a, v in s.writes:
            if a >= len(mem):
                mem.extend([None] * (a + 1 - len(mem)))
            mem[a] = v
    return out


def p3_victim_aging(history: Sequence[OpRecord]) -> list[Violation]:
    """P3: an object Put before GC k is never returned by a Get after GC k+1."""
    put_epoch: dict[Any, int] = {}
    out = []
    for r in sorted((r for r in history if r.ret is not None), key=lambda r: r.ret or 0):
        # An object enters or leaves the pool inside a pinned section, where no GC can run: date the
        # operation at its last procUnpin, not at its return (a user's Get reads the object afterwards).
        epoch = r.epoch_unpin if r.epoch_unpin is not None else r.epoch_ret
        if r.name == "put":
            put_epoch[r.arg] = epoch
        elif r.name == "get" and r.result in put_epoch:
            age = epoch - put_epoch[r.result]
            if age >= 2:
                out.append(Violation("P3", f"object {r.result} was Put before GC {put_epoch[r.result] + 1} and "
                                           f"returned by thread {r.tid}'s Get after GC {epoch}: it survived "
                                           f"{age} GCs", r.ret))
    return out


def pool_history(world: World, history: Sequence[OpRecord], mem: Sequence[Any]) -> list[Violation]:
    """P1, P2, P6 from the history and the final memory."""
    out: list[Violation] = []
    put = {r.arg for r in history if r.name == "put" and r.ret is not None}
    gets = [r for r in sorted(history, key=lambda r: r.ret if r.ret is not None else 1 << 60)
            if r.name == "get" and r.ret is not None]
    held: dict[Any, int] = {}
    for g in gets:
        x = g.result
        if x is None:
            continue
        if x in held:
            out.append(Violation("P1", f"object {x} was handed to thread {held[x]} and again to thread {g.tid} "
                                       f"(step {g.ret}) with no Put in between", g.ret))
        held[x] = g.tid
        if not (x in put or (isinstance(x, int) and x < 0)):
            out.append(Violation("P2", f"Get returned {x!r}, which was never Put nor made by New", g.ret))
    assert world.rt is not None
    bits = world.params.dequeue_bits
    inpool: Counter[Any] = Counter()
    takeable: Counter[Any] = Counter()
    for p in world.pools:
        inpool += inv.pool_objects(mem, p, bits)
        takeable += inv.pool_objects(mem, p, bits, reachable=True)
    for x, k in takeable.items():
        if x in held:
            out.append(Violation("P1", f"object {x} was returned by Get but is still in the pool"))
        elif k > 1:
            out.append(Violation("P1", f"object {x} is in the pool {k} times: two Gets can hand it out"))
    # P6: every object put and not returned is in the pool, or was dropped with the oldest victim tier (Go:
    # two GCs after its Put; a design with N victim tiers: N + 1), or sits in a local array that pinSlow
    # replaced after a GOMAXPROCS change.
    orphaned = _orphaned_objects(world, mem)
    put_epoch = {r.arg: r.epoch_unpin if r.epoch_unpin is not None else r.epoch_ret
                 for r in history if r.name == "put" and r.ret is not None}
    numgc = mem[world.rt.numgc]
    lifetime = victim_tiers_of(world.model) + 1
    for x in sorted(put - set(held) - set(inpool)):
        if numgc - put_epoch[x] >= lifetime or x in orphaned:
            continue
        out.append(Violation("P6", f"object {x} was Put but is neither returned, nor in the pool, nor aged out by "
                                   f"{lifetime} GCs, nor in a local array dropped by a GOMAXPROCS change: it is lost"))
    return out


def victim_tiers_of(model: type[Any]) -> int:
    """How many victim tiers ``model``'s pool has: Go's one unless the variant says otherwise
    (model/variants/victim_tiers.py sets ``victim_tiers``)."""
    return int(getattr(model, "victim_tiers", 1))


def _orphaned_objects(world: World, mem: Sequence[Any]) -> set[Any]:
    """Objects in local arrays that no pool references any more (lost by design on resize)."""
    from model.memory import blocks
    live = {arr for p in world.pools for _, arr, _ in inv.pool_arrays(mem, p)}
    out: set[Any] = set()
    bits = world.params.dequeue_bits
    for base, h in blocks(mem):
        if h.name.startswith("local") and base not in live:
            for l in inv._locals(mem, base):
                if mem[l] is not None:
                    out.add(mem[l])
                out.update(inv.chain_contents(mem, l + 1, bits))
    return out


def check_final_state(world: World, mem: Sequence[Any], history: Sequence[OpRecord]) -> list[Violation]:
    """Terminal-state properties of ``world``'s target on final memory and the operations' results."""
    bits = world.params.dequeue_bits
    out: list[Violation] = []
    if world.target == "dequeue":
        d = world.root
        out += inv.d1_packed_index(mem, d, bits)
        out += inv.d2_slot_ownership(mem, d, bits, 0)
        pushed = [r.arg for r in history if r.name.startswith("push") and r.result is True]
        returned = [r.result[0] for r in history if r.name in ("pop", "tail") and _ok(r)]
        contents = inv.dequeue_view(mem, d, bits).contents(bits)
        out += lost_and_duplicated(pushed, returned, contents, "D3", "D4", "D8")
        out += inv.d6_no_retention(mem, d, bits)
    elif world.target == "chain":
        c = world.root
        for r in history:
            if r.name.startswith("push") and r.ret is not None and r.result is not None:
                out.append(Violation("C1", f"poolChain.pushHead returned {r.result!r}"))
        pushed = [r.arg for r in history if r.name.startswith("push") and r.ret is not None]
        returned = [r.result[0] for r in history if r.name in ("pop", "tail") and _ok(r)]
        out += lost_and_duplicated(pushed, returned, inv.chain_contents(mem, c, bits), "C2", "C3")
        out += inv.c5_growth(mem, c, world.params.init_size, world.cfg.limit)
        out += inv.c6_drop_only_drained(mem, c, bits)
        for d in inv.chain_reachable(mem, c):
            out += inv.d1_packed_index(mem, d, bits)
            out += inv.d6_no_retention(mem, d, bits)
    else:
        assert world.rt is not None
        out += pool_history(world, history, mem)
        out += p3_victim_aging(history)
        for p in world.pools:
            out += inv.p9_victim_empty_mark(mem, p, bits)
            out += inv.p11_registry(mem, p, world.rt)
    return out


def check_execution(world: World, kernel: Kernel, linearizability: bool = True) -> list[Violation]:
    """Every property one finished execution can violate, most specific first."""
    out: list[Violation] = [Violation(f.prop, f.message, f.step) for f in kernel.faults]
    for race in kernel.races:
        out.append(Violation(race_property(world.target, race.location), race.describe(), race.second.step))
    if kernel.deadlocked():
        out.append(Violation("G1", "the execution deadlocked: no thread can move"))
    done = [r for r in kernel.history if r.ret is not None]
    if not kernel.faults:
        out += check_final_state(world, kernel.mem, done)
    if world.target in ("dequeue", "chain"):
        out += d9_progress(kernel.trace)
    else:
        out += p5_from_trace(world, kernel.trace)
    if world.target in ("chain", "pool"):
        out += c8_from_trace(world, kernel.trace)
    if linearizability and not kernel.faults and world.target in ("dequeue", "chain"):
        out += check_kernel_history(world, kernel.history)  # D5 / C4 (Wing & Gong search, Lowe's memo)
    return out
