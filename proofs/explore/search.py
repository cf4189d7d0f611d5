"""The explicit-state search: breadth-first over packed integer states.

State. A global state is (memory, ghost, per thread: local state and
pending linearization record). The ghost is the abstract deque of the
linearizability check (proofs/explore/lin.py) and the history so far as a
multiset of (operation, argument, result, epoch) records (what the terminal
checks read; keeping it global rather than per thread lets threads that
returned different values earlier share their local state). Memory tuples
and ghosts are interned to ids; thread-local states are lids
(proofs/explore/local.py); so a state packs into one Python int::

    bits [0, 28)           memory id
    bits [28, 48)          ghost id
    then per thread 40 bits: lid (24 bits) | pending id (16 bits) << 24

Hashing an int is cheap, a state costs one dict entry, a step that only
loads (40% of all steps) keeps the memory id without touching the tuple, and
a successor differs from its parent in one field.

Steps. A step lets one thread perform its pending effect with
model.memory.apply (the one definition of every effect), then every silent
effect that follows within the same operation (model/kernel.py's rule: a
new operation's first effect is always a scheduling point). So steps here
are exactly the kernel's scheduling points and a path replays as a kernel
schedule.

Order. Breadth-first, layer by layer. Every step advances one thread's local
state by at least one result, so every path to a state has the same length
(its depth is a function of the local states) and the graph is acyclic: the
first violation of each property found is at the least depth, i.e. its
counterexample is a shortest one.

Checks (per state unless said): D1, D2, C5, C6, P9, P11 (explore.checks);
P7 and G1 when apply raises Fault or the model raises GoPanic (per step);
P5 on every stop-the-world and C8 on every store to a poolChain's tail, with
the memory before it (per step); D9 on every
failed headTail CompareAndSwap (per step); D5/C4 at every linearization
point and return (per step, explore.lin); data races D7/C7/P8: two threads
whose next steps make conflicting accesses (same cell, at least one a write
and at least one plain, as model/hb.py; silent accesses of the step
included) are both enabled in a reachable state, so the two accesses can be
adjacent in an execution with nothing ordering them (``racy``); terminal
states: properties.checks.check_final_state; a state where no thread can
move but some are unfinished: G1 (deadlock).
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from model.effects import ADD, ATOMIC_KINDS, CAS, LOAD, LOCK, PIN, PLAIN_KINDS, READ, STARTW, STORE, STW, WRITE, Effect
from model.harness import World
from model.hb import benign_race
from model.memory import Fault, access_name, apply, enabled, location_name
from proofs.explore.checks import StateChecks
from proofs.explore.goals import Goal
from proofs.explore.lin import LP_NONE, Items, LinMonitor, lp_kind
from proofs.explore.local import LocalTable, Panic, Ret
from proofs.explore.symmetry import Symmetry
from properties.checks import race_property
from properties.invariants import c8_tail_advances, p5_stw_cleanup

__all__ = ["Search", "SearchTooLarge", "Hit", "Ghost", "Record", "LMASK", "LW", "Footprint", "racy", "Successor", "Expand", "Concrete"]

Record = tuple[int, int, str, Any, Any, int]
"""A finished operation: (tid, seq, name, arg, result, epoch at return); tid, seq -1 when threads are symmetric."""
Ghost = tuple[Items, int, tuple[Record, ...]]
"""(abstract deque, pushes linearized, history multiset as a tuple sorted by repr)."""
Successor = tuple[int, int, list[int]]
"""A successor from ``Search.expand``: (packed canonical state, the moved thread's position, its fields)."""
Expand = Callable[[int, int, list[int], int, list[Successor], dict[int, int]], int]
"""``Search.expand``: (state, index, fields, depth, successors out, states seen) -> transitions taken."""

MW, GW, LW, PW = 28, 20, 24, 16
FW = LW + PW
BASE = MW + GW
MMASK, GMASK, LMASK, FMASK = (1 << MW) - 1, (1 << GW) - 1, (1 << LW) - 1, (1 << FW) - 1

LP_CANDIDATES = 12
"""D5/C4 hits kept for confirmation by the history checker (proofs/explore/cx.py)."""

# Per-lid flags: which special handling a step through this lid needs.
F_LP, F_GOAL, F_P5, F_D9, F_TAILSTART, F_C8, F_GET_UNPIN = 1, 2, 4, 8, 16, 32, 64

GET_UNPIN = "pool.go:Get: runtime_procUnpin()"
"""Get's last access to the pool: P3 dates the Get here (see ``_make_step``)."""


class Footprint(NamedTuple):
    """The shared accesses of one step (its scheduling point and the silent effects after it), as cell masks.

    Bit ``a`` of a mask is memory cell ``a``. An atomic effect is never
    silent (model/effects.py), so ``ar``/``aw`` come from the step's first
    effect alone: a Load or a failing CompareAndSwap reads, a Store, an Add
    or a succeeding CompareAndSwap writes. ``fences``: bit 0 if the step
    stopped the world before its accesses (an acquire from every thread),
    bit 1 if it restarted the world after them (a release to every thread),
    as model/hb.py orders stop-the-world. ``first`` is the cell mask and
    ``label`` the Go statement of the first effect (the benign-race list is
    keyed by Go statements).
    """

    pr: int
    pw: int
    ar: int
    aw: int
    fences: int
    first: int
    label: str


def racy(a: Footprint, b: Footprint) -> tuple[int, bool, bool]:
    """The race test of two co-enabled steps of different threads: the explorer's D7/C7/P8 check.

    Returns (the cells on which they race, 0 for none; whether running ``a``
    first orders the two; whether running ``b`` first does). Two accesses to
    one cell conflict when at least one writes and at least one is plain
    (Go's memory model; atomic/atomic pairs never race: model/hb.py). Run
    back to back, nothing orders the two steps' accesses unless a
    stop-the-world does (the first restarts the world after its accesses, or
    the second stops it before its own). An atomic release/acquire pair
    cannot order them: the atomic access is the first effect of its step,
    before the step's silent plain accesses, and the model makes silent
    accesses only to memory no other thread can touch then (model/effects.py),
    so they conflict with nothing. A race needs one of the two orders to
    leave the accesses unordered. A conflict only between a pair of Go
    statements listed in model.hb.BENIGN_RACES, on the cells of the two
    first effects, is not a race.
    """
    conflict = ((a.pw & (b.pr | b.pw | b.ar | b.aw)) | (b.pw & (a.pr | a.ar | a.aw))
                | (a.aw & b.pr) | (b.aw & a.pr))
    if not conflict:
        return 0, False, False
    a_first = bool(a.fences & 2 or b.fences & 1)
    b_first = bool(b.fences & 2 or a.fences & 1)
    if a_first and b_first:
        return 0, True, True
    if not conflict & ~(a.first & b.first) and benign_race(a.label, b.label) is not None:
        return 0, a_first, b_first
    return conflict, a_first, b_first


@dataclass
class Concrete:
    """A state of a concrete execution (threads not permuted): memory, ghost id, per-thread fields."""

    mem: tuple[Any, ...]
    g: int
    fields: list[int]


class SearchTooLarge(Exception):
    """The scenario has more distinct memories or ghosts than the state encoding holds."""


TOO_LARGE = "the scenario is too large to explore exhaustively; use fewer operations or threads"

K = TypeVar("K", bound=Hashable)


def _add(key: K, table: list[K], index: dict[K, int], limit: int, what: str) -> int:
    """Intern a new ``key``: its id is its position in ``table``; past ``limit`` (its field's width) SearchTooLarge."""
    i = len(table)
    if i > limit:
        raise SearchTooLarge(f"more than {limit:,} distinct {what}: {TOO_LARGE}")
    index[key] = i
    table.append(key)
    return i


@dataclass
class Hit:
    """The first (shortest) violation of one property: where, and how to get there.

    ``idx`` is the search state the schedule reaches before ``extra`` (thread
    positions in that state's canonical frame) is appended.
    """

    prop: str
    message: str
    idx: int
    extra: tuple[int, ...]
    length: int
    seconds: float
    alternatives: tuple[tuple[int, ...], ...] = ()


def _overlap(plain: list[tuple[int, int, int, int, int]], am: list[int]) -> bool:
    """Whether two of the steps ``(thread, lid, plain reads, plain writes, fences)`` touch one cell, one plainly.

    A cheap necessary condition for ``racy``, tested before any Footprint is built.
    """
    for i, (_, li, ri, wi, _) in enumerate(plain):
        pi = ri | wi
        ai = am[li]
        for _, lj, rj, wj, _ in plain[i + 1:]:
            pj = rj | wj
            if pi & (pj | am[lj]) or pj & ai:
                return True
    return False


def _access(fp: Footprint, bit: int) -> str:
    """How a step accesses one cell: "a plain write", "an atomic read", ..."""
    if fp.pw & bit:
        return "a plain write"
    if fp.aw & bit:
        return "an atomic write"
    if fp.pr & bit:
        return "a plain read"
    return "an atomic read"


class Search:
    """One exhaustive search of one world; ``run()`` fills states, transitions, hits, goals."""

    def __init__(self, world: World, goals: list[Goal], reduction: bool = True, max_states: int | None = None,
                 progress: Callable[[dict[str, Any]], None] | None = None, progress_every: float = 0.25,
                 core: str = "python", compact: bool = False) -> None:
        self.world = world
        self.core = core  # "python" (``_run``) or "native" (proofs/native: the loop in C, the model here)
        self.compact = compact  # hash compaction (native only): 64-bit fingerprints, never complete
        self.native_stats: Any = None  # proofs.native.core.NativeStats of a native run
        self.target = world.target
        self.reduction = reduction
        self.max_states = max_states
        self.progress = progress
        self.progress_every = progress_every
        self.nthreads = n = len(world.programs)
        # Threads with identical programs share lids (dequeue and chain only: a pool thread's program
        # is bound to its home P).
        self.classes: list[int] = []
        reps: list[int] = []
        seen: dict[tuple[tuple[str, Any], ...], int] = {}
        for tid, prog in enumerate(world.programs):
            key = tuple((op.name, op.arg) for op in prog)
            if world.target == "pool":
                key = (("#tid", tid),) + key
            c = seen.get(key)
            if c is None:
                c = seen[key] = len(reps)
                reps.append(tid)
            self.classes.append(c)
        self.sym = Symmetry(self.classes, reduction and world.target != "pool")
        self.lin = (LinMonitor(world.target, world.params.size, world.params.dequeue_bits, world.root)
                    if world.target in ("dequeue", "chain") else None)
        self.checks = StateChecks(world)
        self.goals = goals
        self.reached: dict[str, bool] = {g.name: False for g in goals}
        self._pending_goals = list(goals)
        self.numgc = world.rt.numgc if world.rt is not None else -1
        self.rt = world.rt
        # Per-lid facts, filled by _on_new as the table grows.
        self.flags: list[int] = []
        self.lpk: list[int] = []
        self.pr: list[int] = []
        self.pw: list[int] = []
        self.nen: list[bool] = []
        self.am: list[int] = []
        self.arg: list[Any] = []
        self.name: list[str] = []
        self.kind: list[int] = []
        self.addr: list[int] = []
        self.silent: list[bool] = []
        self.table = LocalTable([world.programs[r] for r in reps], on_new=self._on_new, liveness=reduction)
        self._step = self._make_step()
        # Interned memories and ghosts.
        self.mems: list[tuple[Any, ...]] = []
        self._mindex: dict[tuple[Any, ...], int] = {}
        self.ghosts: list[Ghost] = []
        self._gindex: dict[Ghost, int] = {}
        self._ret_memo: dict[tuple[int, tuple[Record, ...]], int] = {}
        self._d9_memo: dict[int, tuple[bool, Any]] = {}
        self._fp_memo: dict[tuple[int, int, int, int, bool], Footprint] = {}
        # Dequeue and chain histories are kept without thread ids (the threads may be permuted).
        self.sym_history = world.target != "pool"
        # Results.
        self.states = 0
        self.transitions = 0
        self.max_depth = 0
        self.complete = False
        self.hits: dict[str, Hit] = {}
        self.lp_candidates: dict[str, list[Hit]] = {}
        self.terminal_states = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.parent = array("q")
        self.move = array("b")
        self.index: dict[int, int] = {}
        self.initial_problems: list[tuple[str, str]] = []
        self._t0 = 0.0
        self._shifts = [BASE + i * FW for i in range(n)]
        self.expand = self._make_expand()

    # -- per-lid facts ---------------------------------------------------
    def _on_new(self, lid: int) -> None:
        if lid > LMASK:
            raise SearchTooLarge(f"more than {LMASK:,} distinct thread-local states: {TOO_LARGE}")
        t = self.table
        eff = t.eff[lid]
        cls = t.cls[lid]
        op_index = t.op[lid]
        prog = t.programs[cls]
        op = prog[op_index] if op_index < len(prog) else None
        fl = 0
        lpk = LP_NONE
        pr = pw = am = 0
        nen = False
        if eff is not None:
            if self.lin is not None:
                lpk = lp_kind(eff)
                if lpk != LP_NONE:
                    fl |= F_LP
                if not t.started[lid] and op is not None and op.name == "tail" and self.target == "chain":
                    fl |= F_TAILSTART
            for g in self.goals:
                if eff.label.startswith(g.label):
                    fl |= F_GOAL
            if eff.kind == STW:
                fl |= F_P5
            if eff.kind in (STORE, CAS) and ".tail." in eff.label:
                fl |= F_C8  # a store to a poolChain's tail (c.tail, l.shared.tail): C8
            if eff.kind == CAS and "headTail.CompareAndSwap" in eff.label:
                fl |= F_D9
            if self.lin is None and eff.label == GET_UNPIN:
                fl |= F_GET_UNPIN
            if eff.kind in PLAIN_KINDS:
                ncells = eff.a if eff.kind == READ else len(eff.a)
                bits = ((1 << ncells) - 1) << eff.addr
                if eff.kind == WRITE:
                    pw = bits
                else:
                    pr = bits
            if eff.kind in ATOMIC_KINDS:
                assert not eff.silent, f"an atomic effect is never silent: {eff.label}"
                am = 1 << eff.addr
            nen = eff.kind in (LOCK, PIN, STW)
        self.flags.append(fl)
        self.lpk.append(lpk)
        self.pr.append(pr)
        self.pw.append(pw)
        self.nen.append(nen)
        self.am.append(am)
        self.arg.append(None if op is None or op.name == "push:nil" else op.arg)
        self.name.append(op.name if op is not None else "")
        self.kind.append(eff.kind if eff is not None else -1)
        self.addr.append(eff.addr if eff is not None else -1)
        self.silent.append(eff.silent if eff is not None else False)

    def footprint(self, lid: int, mem: tuple[Any, ...], pr: int, pw: int, fences: int) -> Footprint | None:
        """The Footprint of the step thread at ``lid`` takes from ``mem`` (``step`` returned pr, pw, fences).

        None when the step makes no plain or atomic access (nothing to race).
        """
        if not (self.am[lid] or pr or pw):
            return None
        return self.footprint_of(lid, mem, pr, pw, fences)

    def footprint_of(self, lid: int, mem: tuple[Any, ...], pr: int, pw: int, fences: int) -> Footprint:
        """``footprint`` of a step known to make a shared access (memoised: footprints repeat)."""
        am = self.am[lid]
        cas_ok = False
        if am and self.kind[lid] == CAS:
            eff = self.table.eff[lid]
            cas_ok = eff is not None and mem[eff.addr] == eff.a
        key = (lid, pr, pw, fences, cas_ok)
        fp = self._fp_memo.get(key)
        if fp is not None:
            return fp
        ar = aw = 0
        if am:
            k = self.kind[lid]
            eff = self.table.eff[lid]
            if k == STORE or k == ADD or (k == CAS and cas_ok):
                aw = am
            else:
                ar = am
        eff0 = self.table.eff[lid]
        first = am | self.pr[lid] | self.pw[lid]
        fp = self._fp_memo[key] = Footprint(pr, pw, ar, aw, fences, first, eff0.label if eff0 is not None else "")
        return fp

    # -- interning ---------------------------------------------------------
    def _mem_id(self, m: tuple[Any, ...]) -> int:
        i = self._mindex.get(m)
        return _add(m, self.mems, self._mindex, MMASK, "memories") if i is None else i

    def compose(self, m: int, g: int, fields: list[int]) -> int:
        """The packed state of (memory id, ghost id, per-thread fields); ``decode`` is its inverse."""
        s = m | (g << MW)
        for f, sh in zip(fields, self._shifts):
            s |= f << sh
        return s

    def decode(self, s: int) -> tuple[int, int, list[int]]:
        """(memory id, ghost id, per-thread fields) of a packed state."""
        m = s & MMASK
        g = (s >> MW) & GMASK
        rest = s >> BASE
        fields = []
        for _ in range(self.nthreads):
            fields.append(rest & FMASK)
            rest >>= FW
        return m, g, fields

    def _ghost_id(self, gh: Ghost) -> int:
        i = self._gindex.get(gh)
        return _add(gh, self.ghosts, self._gindex, GMASK, "ghost states") if i is None else i

    def _returned(self, g: int, recs: tuple[Record, ...]) -> int:
        """The ghost after adding finished operations to the history multiset (memoised).

        The multiset is a tuple sorted by ``repr``: canonical, and the same in
        every process (``hash`` of a str is salted per process by
        PYTHONHASHSEED, so sorting by it gave one multiset a different form in
        each worker of a parallel search: proofs/explore/parallel.py).
        """
        key = (g, recs)
        out = self._ret_memo.get(key)
        if out is None:
            items, npushed, hist = self.ghosts[g]
            out = self._ghost_id((items, npushed, tuple(sorted(hist + recs, key=repr))))
            self._ret_memo[key] = out
        return out

    def _record_of(self, t: int, cls: int, op: int, value: Any, epoch: int) -> Record:
        o = self.table.programs[cls][op]
        if self.sym_history:
            return (-1, -1, o.name, o.arg, value, epoch)
        return (t, op, o.name, o.arg, value, epoch)

    def initial(self) -> tuple[int, int, list[int]]:
        """The initial (mem id, ghost id, fields)."""
        self.initial_problems = []
        m = self._mem_id(tuple(self.world.mem0))
        g = self._ghost_id(((), 0, ()))
        fields = []
        for tid in range(self.nthreads):
            cls = self.classes[tid]
            begun = self.table.begin(cls, 0)
            if isinstance(begun, Panic):
                # The thread panics before its first shared access: it is finished (crashed) from the start.
                self.initial_problems.append(("G1", f"thread {tid}: {begun.message} before its first step"))
                fields.append(self.table.crashed(cls))
                continue
            returned, lid = begun
            if returned:
                g = self._returned(g, tuple(self._record_of(tid, cls, j, v, 0) for j, v in returned))
            fields.append(lid)
        return m, g, fields

    # -- one step --------------------------------------------------------
    def step(self, mem: tuple[Any, ...], t: int, lid: int, pend: int, g: int,
             pends: list[int]) -> tuple[list[Any] | None, int, int, int, int, int, int,
                                        list[tuple[str, str]] | None]:
        """Thread ``t`` (at ``lid``) takes one step from ``mem``.

        Returns (new memory as a list, or None if unchanged; the new lid, or
        -1 if the thread crashed; pending id; ghost id; plain-read mask;
        plain-write mask; fences; problems as (property, message) or None).
        ``fences``: bit 0 if the step stopped the world before its plain
        accesses (an acquire from every thread), bit 1 if it restarted the
        world after them (a release to every thread), as model/hb.py orders
        stop-the-world.
        """
        return self._step(mem, t, lid, pend, g, pends)

    def _make_step(self) -> Callable[[tuple[Any, ...], int, int, int, int, list[int]],
                                     tuple[list[Any] | None, int, int, int, int, int, int,
                                           list[tuple[str, str]] | None]]:
        """``step`` as a closure over the per-lid lists: the search calls it once per transition."""
        table = self.table
        EFF, SUCC, FL, PR, PW = table.eff, table.succ, self.flags, self.pr, self.pw
        KIND, ADDR, SILENT = self.kind, self.addr, self.silent
        outcome = table.outcome
        lin = self.lin

        def step(mem: tuple[Any, ...], t: int, lid: int, pend: int, g: int,
                 pends: list[int]) -> tuple[list[Any] | None, int, int, int, int, int, int,
                                            list[tuple[str, str]] | None]:
            ml: list[Any] | None = None
            pr = pw = 0
            fences = 1 if KIND[lid] == STW else 0
            problems: list[tuple[str, str]] | None = None
            while True:
                fl = FL[lid]
                if KIND[lid] == LOAD and not fl:
                    # The common case: a load (memory unchanged), nothing to check.
                    res = (mem if ml is None else ml)[ADDR[lid]]
                    nxt = SUCC[lid].get(res)
                    if nxt is None:
                        nxt = outcome(lid, res)
                    if type(nxt) is int:
                        if SILENT[nxt]:
                            lid = nxt
                            continue
                        return ml, nxt, pend, g, pr, pw, fences, problems
                    src: Any = mem if ml is None else ml
                else:
                    eff = EFF[lid]
                    assert eff is not None
                    src = mem if ml is None else ml
                    if fl & F_TAILSTART:
                        assert lin is not None
                        pend = lin.on_start(self.ghosts[g][0])
                    if KIND[lid] == LOAD:
                        res = src[ADDR[lid]]
                    else:
                        if ml is None:
                            ml = list(mem)
                        if fl & F_P5:
                            assert self.rt is not None
                            for v in p5_stw_cleanup(ml, eff, self.rt):
                                problems = (problems or []) + [(v.prop, v.message)]
                        if fl & F_C8:
                            for v in c8_tail_advances(ml, eff):
                                problems = (problems or []) + [(v.prop, v.message)]
                        try:
                            res = apply(ml, eff, t)
                        except Fault as f:
                            return ml, -1, pend, g, pr, pw, fences, (problems or []) + [(f.prop, f.message)]
                        src = ml
                    if PR[lid] or PW[lid]:
                        pr |= PR[lid]
                        pw |= PW[lid]
                        fences &= 1
                    elif KIND[lid] == STARTW:
                        fences |= 2
                    if fl:
                        if fl & F_LP:
                            assert lin is not None
                            items, npushed, hist = self.ghosts[g]
                            items2, npushed2, pend, err = lin.on_lp(self.lpk[lid], eff, res, src, self.arg[lid],
                                                                    items, npushed, pend)
                            if items2 is not items:
                                g = self._ghost_id((items2, npushed2, hist))
                            if err:
                                problems = (problems or []) + [(lin.prop, err)]
                        if fl & F_GOAL and self._pending_goals:
                            self._goal(lid, eff, res, src)
                        if fl & F_D9 and res is False:
                            msg = self._d9(lid, eff, src)
                            if msg:
                                problems = (problems or []) + [("D9", msg)]
                        if fl & F_GET_UNPIN:
                            # P3 dates a Get by the GC count here, where the object left the pool (no GC
                            # runs while pinned), not at the end of the user's operation: the harness
                            # reads the object after Get, and GCs may run before that read. The count is
                            # kept in the thread's pending field (unused for the pool) until the return.
                            pend = 1 + int(src[self.numgc])
                    nxt = SUCC[lid].get(res)
                    if nxt is None:
                        nxt = outcome(lid, res)
                    if type(nxt) is int:
                        if SILENT[nxt]:
                            lid = nxt
                            continue
                        return ml, nxt, pend, g, pr, pw, fences, problems
                if isinstance(nxt, Panic):
                    return ml, -1, pend, g, pr, pw, fences, (problems or []) + [("G1", nxt.message)]
                assert isinstance(nxt, Ret)
                # The operation returned: check it against the ghost, add it to the history, begin the next.
                value = nxt.value
                if lin is None and pend:
                    epoch, pend = pend - 1, 0  # a Get, dated at its unpin
                else:
                    epoch = int(src[self.numgc]) if self.numgc >= 0 else 0
                if lin is not None:
                    others = [p for i, p in enumerate(pends) if i != t]
                    err2 = lin.on_return(t, self.name[lid], self.arg[lid], value, src, self.ghosts[g][0], pend,
                                         others)
                    if err2:
                        problems = (problems or []) + [(lin.prop, err2)]
                    pend = 0
                cls, op = table.cls[lid], table.op[lid]
                rec = self._record_of(t, cls, op, value, epoch)
                begun = table.begin(cls, op + 1)
                if isinstance(begun, Panic):
                    return (ml, -1, pend, self._returned(g, (rec,)), pr, pw, fences,
                            (problems or []) + [("G1", begun.message)])
                returned, lid2 = begun
                recs = (rec,) + tuple(self._record_of(t, cls, j, v, epoch) for j, v in returned) if returned else (rec,)
                return ml, lid2, pend, self._returned(g, recs), pr, pw, fences, problems

        return step

    def _make_expand(self) -> Expand:
        """``expand`` as a closure over the search's tables: the search calls it once per state.

        ``expand(s, idx, fields, depth, succ, seen)`` checks state ``s``
        (index ``idx``, at ``depth``, its per-thread ``fields`` decoded) and
        appends its canonical successors that are not keys of ``seen`` to
        ``succ`` as (packed state, moved position, fields), for the caller to
        enter in its visited set (the serial search's ``_run``, a parallel
        worker's partition: ``seen`` is that set, or any part of it); it records
        the per-state checks, the per-step problems, races, terminal checks
        and G1 (deadlock) in this search, and returns the transitions taken.
        A thread whose step would mirror an identical thread's (same group,
        same local state, lower position) is not stepped: its successor is
        symmetric to that one's.
        """
        table = self.table
        EFF, STARTED = table.eff, table.started
        NEN, AM = self.nen, self.am
        footprint_of = self.footprint_of
        group_of = self.sym.group_of
        threads = range(self.nthreads)
        shifts = self._shifts
        mems, mindex, mem_id = self.mems, self._mindex, self._mem_id
        checks = self.checks
        inv_cache = checks.cache
        step = self._step
        record = self._record
        keep_mask = ~(GMASK << MW) & ~MMASK
        # Per thread in a symmetry group: the bits of the group's fields, and their shifts.
        group_bits = [0] * self.nthreads
        group_shifts: list[list[int]] = [[] for _ in threads]
        for grp0 in self.sym.groups:
            bits = 0
            for p in grp0:
                bits |= FMASK << shifts[p]
            for p in grp0:
                group_bits[p] = bits
                group_shifts[p] = [shifts[q] for q in grp0]

        def expand(s: int, idx: int, fields: list[int], depth: int, succ: list[Successor],
                   seen: dict[int, int]) -> int:
            m = s & MMASK
            g = (s >> MW) & GMASK
            mem = mems[m]
            # One loop, not two comprehensions (each a function call before Python 3.12: per state).
            lids: list[int] = []
            pends: list[int] = []
            inflight = 0
            for f in fields:
                lid = f & LMASK
                lids.append(lid)
                pends.append(f >> LW)
                if STARTED[lid]:
                    inflight += 1
            vs = inv_cache.get(m * 64 + inflight)
            if vs is None:
                vs = checks.state(m, mem, inflight)
            for v in vs:
                record(v.prop, v.message, idx, (), depth)
            stopped = mem[0] != -1
            moved = unfinished = transitions = 0
            # (thread, lid, plain reads, plain writes, fences) of each step that makes a shared access;
            # footprints are built only when some step makes a plain access (atomics alone never race).
            plain: list[tuple[int, int, int, int, int]] = []
            nplain = 0
            for t in threads:
                lid = lids[t]
                eff = EFF[lid]
                if eff is None:
                    continue
                unfinished += 1
                if (stopped or NEN[lid]) and not enabled(mem, eff, t):
                    continue
                moved += 1
                grp = group_of[t]
                if grp is not None:
                    # An identical thread in the same local state before t: moving t gives a
                    # state symmetric to moving that one (its footprint is t's: race check only).
                    f = fields[t]
                    dup = -1
                    for p in grp:
                        if p >= t:
                            break
                        if fields[p] == f:
                            dup = p
                            break
                    if dup >= 0:
                        for e in plain:
                            if e[0] == dup:
                                plain.append((t, e[1], e[2], e[3], e[4]))
                                if e[2] or e[3]:
                                    nplain += 1
                                break
                        continue
                ml, lid2, pend2, g2, pr, pw, fences, problems = step(mem, t, lid, pends[t], g, pends)
                transitions += 1
                if pr or pw:
                    plain.append((t, lid, pr, pw, fences))
                    nplain += 1
                elif AM[lid]:
                    plain.append((t, lid, 0, 0, fences))
                if problems:
                    for prop, msg in problems:
                        record(prop, msg, idx, (t,), depth)
                if lid2 < 0:
                    continue
                if ml is None:
                    m2 = m
                else:
                    tup = tuple(ml)
                    m2i = mindex.get(tup)
                    m2 = mem_id(tup) if m2i is None else m2i
                f2 = lid2 | (pend2 << LW)
                if grp is None:
                    s2 = (s & keep_mask & ~(FMASK << shifts[t])) | (f2 << shifts[t]) | (g2 << MW) | m2
                    if s2 in seen:
                        continue
                    nf = fields.copy()
                    nf[t] = f2
                else:
                    # Canonical order within the symmetry group: its fields sorted.
                    vals = [f2 if p == t else fields[p] for p in grp]
                    vals.sort()
                    s2 = (s & keep_mask & ~group_bits[t]) | (g2 << MW) | m2
                    for fv, sh in zip(vals, group_shifts[t]):
                        s2 |= fv << sh
                    if s2 in seen:
                        continue
                    nf = fields.copy()
                    for p, fv in zip(grp, vals):
                        nf[p] = fv
                succ.append((s2, t, nf))
            # Races: conflicting accesses (one plain, one a write) of two enabled threads' next steps.
            if nplain and len(plain) > 1 and _overlap(plain, AM):
                self._races([(e[0], footprint_of(e[1], mem, e[2], e[3], e[4])) for e in plain], mem, idx, depth)
            if unfinished == 0:
                self.terminal_states += 1
                for v in checks.terminal(mem, self.ghosts[g][2]):
                    record(v.prop, v.message, idx, (), depth)
            elif moved == 0:
                stuck = [t for t in threads if EFF[lids[t]] is not None]
                who = ", ".join(f"T{t}" for t in stuck)
                record("G1", f"deadlock: {who} are unfinished and none can move", idx, (), depth)
            return transitions

        return expand

    def _goal(self, lid: int, eff: Effect, res: Any, mem: Any) -> None:
        for goal in self._pending_goals:
            if goal.matches(eff, res, mem, self.world.params, lambda: self.table.op_effects(lid)):
                self.reached[goal.name] = True
        self._pending_goals = [g for g in self._pending_goals if not self.reached[g.name]]

    def _d9(self, lid: int, eff: Effect, mem: Any) -> str | None:
        """D9 at a failed CompareAndSwap: some other thread must have changed the word since our load.

        The CAS failed, so the word differs from the expected value; if it
        still equals what this thread last loaded from it, nobody changed it
        since the load (the CAS expected something else), which D9 forbids.
        """
        memo = self._d9_memo.get(lid)
        if memo is None:
            loaded = None
            found = False
            for e, r in self.table.op_effects(lid):
                if e.kind == LOAD and e.addr == eff.addr:
                    loaded, found = r, True
            memo = self._d9_memo[lid] = (found, loaded)
        found, loaded = memo
        if found and mem[eff.addr] == loaded:
            return (f"a CompareAndSwap on {location_name(mem, eff.addr)} failed ({eff.label}) although no other "
                    f"thread changed it since this thread loaded it")
        return None

    # -- the search ----------------------------------------------------------
    def _record(self, prop: str, message: str, idx: int, extra: tuple[int, ...], depth: int,
                alternatives: tuple[tuple[int, ...], ...] = ()) -> None:
        """Keep the shortest violation of ``prop`` (BFS order: the first found, unless a race was longer).

        For D5/C4 (the linearization-point check, a sufficient condition
        only) the first LP_CANDIDATES are kept: each is confirmed against
        properties.linearizability later and the first confirmed one wins.
        """
        length = depth + len(extra)
        now = time.monotonic() - self._t0
        hit = Hit(prop, message, idx, extra, length, now, alternatives)
        if prop in ("D5", "C4"):
            cands = self.lp_candidates.setdefault(prop, [])
            if len(cands) < LP_CANDIDATES and all(c.idx != idx or c.extra != extra for c in cands):
                cands.append(hit)
            return
        old = self.hits.get(prop)
        if old is not None and old.length <= length:
            return
        self.hits[prop] = hit

    def run(self) -> None:
        """The breadth-first search (see the module docstring); fills the result attributes."""
        try:
            if self.core == "native":
                from proofs.native.core import run_native  # here: proofs.native imports this module
                self.native_stats = run_native(self, self.compact)
            else:
                self._run()
        except OverflowError as e:
            raise SearchTooLarge(f"{e}: {TOO_LARGE}") from None

    def _run(self) -> None:
        self._t0 = t0 = time.monotonic()
        cpu0 = time.process_time()
        expand = self.expand
        parent, move = self.parent, self.move
        max_states, progress = self.max_states, self.progress
        m0, g0, f0 = self.initial()
        f0 = self.sym.canon(f0)
        s0 = self.compose(m0, g0, f0)
        index: dict[int, int] = {s0: 0}
        self.index = index
        parent.append(-1)
        move.append(-1)
        for prop, msg in self.initial_problems:
            self._record(prop, msg, 0, (), 0)
        # The frontier holds (state, its index, its per-thread fields) so that nothing is decoded twice.
        frontier: list[tuple[int, int, list[int]]] = [(s0, 0, f0)]
        succ: list[Successor] = []
        depth = 0
        transitions = 0
        last_report = t0
        budget_hit = False
        while frontier:
            self.max_depth = depth
            nxt_frontier: list[tuple[int, int, list[int]]] = []
            for s, idx, fields in frontier:
                transitions += expand(s, idx, fields, depth, succ, index)
                for s2, t, nf in succ:
                    k = len(parent)
                    if index.setdefault(s2, k) == k:  # two moves of one state may reach one successor
                        parent.append(idx)
                        move.append(t)
                        nxt_frontier.append((s2, k, nf))
                succ.clear()
                if max_states is not None and len(parent) >= max_states:
                    budget_hit = True
                    break
                if progress is not None and (idx & 1023) == 0:
                    now = time.monotonic()
                    if now - last_report >= self.progress_every:
                        last_report = now
                        progress({"states": len(parent), "transitions": transitions,
                                       "frontier": len(nxt_frontier) + len(frontier), "depth": depth,
                                       "seconds": now - t0, "states_per_second": len(parent) / max(now - t0, 1e-9)})
            if budget_hit:
                break
            frontier = nxt_frontier
            depth += 1
        self.states = len(parent)
        self.transitions = transitions
        self.complete = not budget_hit
        self.seconds = time.monotonic() - t0
        self.cpu_seconds = time.process_time() - cpu0

    def _races(self, plain: list[tuple[int, Footprint]], mem: Any, idx: int, depth: int) -> None:
        """Record a race if two enabled threads' next steps conflict with nothing ordering them (``racy``).

        Entries are (thread, footprint of its next step). The counterexample
        runs the two steps back to back, in an order that leaves them unordered.
        """
        if not any(fp.pr or fp.pw for _, fp in plain):
            return  # atomic accesses alone never race
        for i, (t, ft) in enumerate(plain):
            for u, fu in plain[i + 1:]:
                conflict, t_first_ordered, _ = racy(ft, fu)
                if not conflict:
                    continue
                addr = (conflict & -conflict).bit_length() - 1
                loc = access_name(mem, addr, 2 if (conflict >> addr) & 3 == 3 else 1)  # named as the trace names it
                prop = race_property(self.target, loc)
                old = self.hits.get(prop)
                if old is not None and old.length <= depth + 2:
                    continue
                bit = 1 << addr
                kinds = " and ".join(_access(f, bit) for f in (ft, fu))
                orders = ((t, u), (u, t)) if not t_first_ordered else ((u, t), (t, u))
                self._record(prop, f"data race on {loc}: the next steps of T{t} and T{u} both access it ({kinds}), "
                                   f"at least one writing and not both atomically, and both can run now, so nothing "
                                   f"orders the two accesses", idx, orders[0], depth, alternatives=orders[1:])

    # -- paths -----------------------------------------------------------------
    def path(self, idx: int) -> list[int]:
        """The canonical moves from the root to state ``idx``."""
        moves: list[int] = []
        while idx > 0:
            moves.append(self.move[idx])
            idx = self.parent[idx]
        moves.reverse()
        return moves

    def concrete_schedule(self, moves: list[int], extra: tuple[int, ...] = ()) -> tuple[list[int], list[int]]:
        """Thread ids of a concrete execution following canonical ``moves`` (undoing the symmetry).

        Each move is a position in the canonical frame of the state before it;
        ``extra`` are positions in the frame of the last state, all taken from
        there (a race's two steps). Also returns that last state's
        permutation: perm[c] is the concrete thread at canonical position c
        (to name threads in messages).
        """
        at = self.concrete_start()
        out: list[int] = []
        if not self.concrete_steps(at, moves, lambda fields, c: self.sym.perm(fields)[c], out):
            return out, list(range(self.nthreads))
        perm_last = self.sym.perm(at.fields)
        self.concrete_steps(at, extra, lambda _, c: perm_last[c], out)
        return out, perm_last

    def concrete_start(self) -> Concrete:
        """The initial state, concrete (no symmetry applied), for ``concrete_steps``."""
        m, g, fields = self.initial()
        return Concrete(self.mems[m], g, fields)

    def concrete_steps(self, at: Concrete, moves: Iterable[int], pick: Callable[[list[int], int], int],
                       out: list[int]) -> bool:
        """Run, from ``at`` (updated in place), the thread ``pick(fields, move)`` names for each move; append it to ``out``.

        False as soon as a step crashes its thread (the path cannot go on); ``at`` is then the state before that step.
        """
        for mv in moves:
            t = pick(at.fields, mv)
            out.append(t)
            mem, g, fields, ok = self._concrete_step(at.mem, at.g, at.fields, t)
            if not ok:
                return False
            at.mem, at.g, at.fields = mem, g, fields
        return True

    def _concrete_step(self, mem: tuple[Any, ...], g: int, fields: list[int],
                       t: int) -> tuple[tuple[Any, ...], int, list[int], bool]:
        lid, pend = fields[t] & LMASK, fields[t] >> LW
        ml, lid2, pend2, g2, _, _, _, _ = self.step(mem, t, lid, pend, g, [f >> LW for f in fields])
        if lid2 < 0:
            return mem, g, fields, False
        fields = list(fields)
        fields[t] = lid2 | (pend2 << LW)
        return (tuple(ml) if ml is not None else mem), g2, fields, True
