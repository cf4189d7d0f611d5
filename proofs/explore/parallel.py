"""A hash-partitioned, level-synchronous parallel breadth-first search (issue 14, part 2).

``ParallelSearch(world, goals, jobs=N)`` is a ``Search`` (proofs/explore/search.py)
whose ``run()`` explores with N worker processes; ``proofs.explore.explore(...,
jobs=N)`` uses it. It gives the serial search's verdict, state and transition
counts, depth and shortest counterexample lengths (tests/test_parallel_explore.py
checks that on every bench configuration and on mutants).

Partition. Every state (a symmetry orbit) has one *owner*: ``orbit_hash(state)
mod N``. The hash is stable across processes: it mixes 64-bit BLAKE2 digests of
the contents (the memory tuple's ``repr``, the ghost's, each thread's local-state
key and pending record) with ``hash`` of a tuple of ints, which, unlike the hash
of a ``str``, is not salted by PYTHONHASHSEED; identical threads' digests are
sorted, so every member of an orbit has the same owner. Only the owner stores
the state, so the orbit is stored once and the counts add up to the serial ones.

Level synchronisation. Each worker expands its part of level d (the serial
loop's checks, through ``Search.expand``), keeps its own successors and sends
the others to their owners; a worker's ids (memories, ghosts, lids, pending
records) are its own, so a batch carries the definitions the receiver has not
seen from that sender yet and the receiver translates them to its ids. When
every worker has received level d + 1, the coordinator starts it. Breadth-first
order per level keeps counterexamples shortest: a violation first seen at
depth d is recorded by the worker that owns the state, and the coordinator
keeps, per property, the least length over all workers.

Counterexamples. A state remembers its parent as (worker, index) and the move
as a position in the parent's canonical frame. The coordinator walks the path
back through the workers, receiving each move as the *content* of the thread
that moved (class, operation, representative results, pending record), and
replays it from the initial state, choosing the lowest concrete thread with
that content (identical threads in one local state are interchangeable), so
proofs/explore/cx.py confirms the counterexample in the kernel as for the
serial search.

Workers are forked (``multiprocessing`` "fork" context: the world, and a user's
variant loaded from a file, are inherited, not pickled). Without fork (not
Linux) the search runs serially. A compiled search core plugs in at
``Search.expand``, the one function that expands a state.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import time
from array import array
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from model.harness import World
from proofs.explore.goals import Goal
from proofs.explore.local import Panic
from proofs.explore.search import GMASK, LMASK, LW, MMASK, MW, TOO_LARGE, Hit, Search, SearchTooLarge, Successor

__all__ = ["ParallelSearch", "default_jobs", "owner_hasher", "field_content", "Content"]

Content = tuple[int, int, tuple[Any, ...], Any]
Entry = tuple[int, int, list[int] | None]
"""A frontier entry: (packed state, its index in the worker, its fields if already decoded)."""
"""A thread's local state across processes: (class, operation index, representative results, pending record)."""

def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def field_content(search: Search, f: int) -> Content:
    """The process-independent content of a thread field (lid | pending << LW)."""
    lid, pend = f & LMASK, f >> LW
    t = search.table
    pc = search.lin.pends[pend] if search.lin is not None else pend
    return t.cls[lid], t.op[lid], t.reps[lid], pc


def field_of(search: Search, c: Content) -> int:
    """The inverse of ``field_content`` in this process's ids (replaying the thread-local state if new)."""
    cls, op, reps, pc = c
    t = search.table
    if reps == ("crashed",) and op == len(t.programs[cls]):
        lid = t.crashed(cls)
    else:
        begun = t.begin(cls, op)
        assert not isinstance(begun, Panic), "a transported local state began with a panic"
        lid = begun[1]
        for r in reps:
            nxt = t.outcome(lid, r)
            assert type(nxt) is int, "a transported local state's results do not replay"
            lid = nxt
    pend = search.lin.pend_id(pc) if search.lin is not None else pc
    return lid | (pend << LW)


def owner_hasher(search: Search) -> Callable[[int], int]:
    """A function from a packed state to its owner hash, the same in every process and for a whole orbit.

    Symmetry permutes identical threads' fields only: every state of an orbit
    has the same memory and ghost, so the hash reads those two (as 64-bit
    digests of their ``repr``, memoised per id and per pair; ``hash`` of a
    tuple of ints is not salted).
    """
    mdig: list[int] = []
    gdig: list[int] = []
    memo: dict[int, int] = {}
    low = MMASK | (GMASK << MW)

    def owner_hash(s: int) -> int:
        key = s & low
        h = memo.get(key)
        if h is None:
            m, g = s & MMASK, (s >> MW) & GMASK
            while len(mdig) <= m:
                mdig.append(_digest(repr(search.mems[len(mdig)])))
            while len(gdig) <= g:
                gdig.append(_digest(repr(search.ghosts[len(gdig)])))
            h = memo[key] = hash((mdig[m], gdig[g])) & 0x7FFFFFFFFFFFFFFF
        return h

    return owner_hash


class _Worker:
    """One partition: its own Search (ids, tables, checks), visited set and parent links."""

    def __init__(self, me: int, jobs: int, search: Search, native: bool = False) -> None:
        self.me, self.jobs, self.search = me, jobs, search
        # The compiled core's expansion (proofs/native/core.py: make_expander), else Search.expand.
        self.ex: Any = None
        self.width = 0
        self._ex0 = (0, 0)  # the expander's (transitions, terminal states) not counted by this worker
        if native:
            from proofs.native.core import make_expander
            self.ex = make_expander(search)
            self.width = 8 * int(self.ex.stats()["words_per_state"])
        self.owner_hash = owner_hasher(search)
        self.index: dict[int, int] = {}
        self.keys: list[int] = []
        self.parent_w = array("b")
        self.parent_i = array("q")
        self.move = array("b")
        self.transitions = 0
        self.prefix = 0  # states this worker inherited from the serial prefix and does not count
        self._exchange(jobs)

    def _exchange(self, jobs: int) -> None:
        """Fresh translation tables; ids below the shared counts are the same in every worker (forked)."""
        search = self.search
        self.shared_m, self.shared_g = len(search.mems), len(search.ghosts)
        self.shared_l = len(search.table)
        self.shared_p = len(search.lin.pends) if search.lin is not None else 1 << 62
        # Per receiver what we have sent it; per sender its ids -> ours.
        self.sent_m: list[set[int]] = [set() for _ in range(jobs)]
        self.sent_g: list[set[int]] = [set() for _ in range(jobs)]
        self.sent_f: list[set[int]] = [set() for _ in range(jobs)]
        self.map_m: list[dict[int, int]] = [{} for _ in range(jobs)]
        self.map_g: list[dict[int, int]] = [{} for _ in range(jobs)]
        self.map_f: list[dict[int, int]] = [{} for _ in range(jobs)]

    def start(self) -> list[Entry]:
        """Store the initial state (and its problems); the first frontier."""
        search = self.search
        m0, g0, f0 = search.initial()
        s0, f0 = self.canonical(m0, g0, f0)
        frontier: list[Entry] = []
        self.add(s0, self.me, -1, -1, frontier, f0)
        for prop, msg in search.initial_problems:
            search._record(prop, msg, 0, (), 0)
        return frontier

    def fork_as(self, me: int, jobs: int) -> None:
        """In a forked child: become worker ``me`` of ``jobs``; only worker 0 counts the inherited prefix."""
        self.me, self.jobs = me, jobs
        if me != 0:
            self.prefix = len(self.keys)
            self.transitions = 0
            if self.ex is not None:
                st = self.ex.stats()
                self._ex0 = (int(st["transitions"]), int(st["terminal_states"]))
            self.search.hits = {}
            self.search.lp_candidates = {}
            self.search.terminal_states = 0
        self._exchange(jobs)

    def _shared(self, f: int) -> bool:
        return (f & LMASK) < self.shared_l and (f >> LW) < self.shared_p

    def owner(self, s: int) -> int:
        return self.owner_hash(s) % self.jobs

    def canonical(self, m: int, g: int, fields: list[int]) -> tuple[int, list[int]]:
        fields = self.search.sym.canon(fields)
        return self.search.compose(m, g, fields), fields

    def counts(self) -> tuple[int, int]:
        """(transitions, terminal states) this worker counts."""
        tr, term = self.transitions, self.search.terminal_states
        if self.ex is not None:
            st = self.ex.stats()
            tr += int(st["transitions"]) - self._ex0[0]
            term += int(st["terminal_states"]) - self._ex0[1]
        return tr, term

    def add(self, s: int, pw: int, pi: int, mv: int, nxt: list[Entry], fields: list[int] | None = None) -> None:
        """Store ``s`` (owned here) if new, with its parent link, and put it on the next frontier."""
        k = len(self.keys)
        if self.index.setdefault(s, k) != k:
            return
        self.keys.append(s)
        self.parent_w.append(pw)
        self.parent_i.append(pi)
        self.move.append(mv)
        nxt.append((s, k, fields))

    # -- exchange --------------------------------------------------------------
    def batch(self, dest: int, states: list[tuple[int, int, int]]) -> tuple[Any, ...]:
        """States for ``dest`` (packed in our ids, with parent index and move) and the definitions it lacks."""
        search = self.search
        mems: list[tuple[int, Any]] = []
        ghosts: list[tuple[int, Any]] = []
        fdefs: list[tuple[int, Content]] = []
        sm, sg, sf = self.sent_m[dest], self.sent_g[dest], self.sent_f[dest]
        for s, _, _ in states:
            m, g, fields = search.decode(s)
            if m >= self.shared_m and m not in sm:
                sm.add(m)
                mems.append((m, search.mems[m]))
            if g >= self.shared_g and g not in sg:
                sg.add(g)
                ghosts.append((g, search.ghosts[g]))
            for f in fields:
                if f not in sf and not self._shared(f):
                    sf.add(f)
                    fdefs.append((f, field_content(search, f)))
        return self.me, mems, ghosts, fdefs, states

    def receive(self, msg: tuple[Any, ...], nxt: list[Entry]) -> None:
        src, mems, ghosts, fdefs, states = msg
        search = self.search
        mm, mg, mf = self.map_m[src], self.map_g[src], self.map_f[src]
        for i, mem in mems:
            mm[i] = search._mem_id(mem)
        for i, gh in ghosts:
            mg[i] = search._ghost_id(gh)
        for f, c in fdefs:
            mf[f] = field_of(search, c)
        for s, pi, mv in states:
            m, g, fields = search.decode(s)
            s2, f2 = self.canonical(m if m < self.shared_m else mm[m], g if g < self.shared_g else mg[g],
                                    [f if self._shared(f) else mf[f] for f in fields])
            self.add(s2, src, pi, mv, nxt, f2)

    # -- one level -------------------------------------------------------------
    def level(self, frontier: list[Entry], depth: int, out: list[list[tuple[int, int, int]]]) -> list[Entry]:
        """Expand this worker's part of level ``depth``; successors owned elsewhere go to ``out[owner]``."""
        if self.ex is not None:
            return self._level_native(frontier, depth, out)
        nxt: list[Entry] = []
        me, jobs, search = self.me, self.jobs, self.search
        owner_hash, add, expand, index = self.owner_hash, self.add, search.expand, self.index
        succ: list[Successor] = []
        for s, idx, fields in frontier:
            if fields is None:
                fields = search.decode(s)[2]
            # ``index`` leaves out only states every owner has: this worker's own, and the serial prefix
            # (inherited by every worker).
            self.transitions += expand(s, idx, fields, depth, succ, index)
            for s2, t, f2 in succ:
                dest = owner_hash(s2) % jobs if jobs > 1 else 0
                if dest == me:
                    add(s2, me, idx, t, nxt, f2)
                else:
                    out[dest].append((s2, idx, t))
            succ.clear()
        return nxt

    def _level_native(self, frontier: list[Entry], depth: int, out: list[list[tuple[int, int, int]]]) -> list[Entry]:
        """``level`` through the compiled core, one call per run of consecutive indices (its records use them)."""
        nxt: list[Entry] = []
        me, jobs, w = self.me, self.jobs, self.width
        owner_hash, add = self.owner_hash, self.add
        i = 0
        while i < len(frontier):
            j = i + 1
            while j < len(frontier) and frontier[j][1] == frontier[j - 1][1] + 1:
                j += 1
            idx0 = frontier[i][1]
            batch = b"".join(e[0].to_bytes(w, "little") for e in frontier[i:j])
            succ, parents, moves = self.ex.expand(batch, idx0, depth)
            par = array("i")
            par.frombytes(parents)
            for k, t in enumerate(moves):
                s2 = int.from_bytes(succ[k * w:(k + 1) * w], "little")
                dest = owner_hash(s2) % jobs if jobs > 1 else 0
                if dest == me:
                    add(s2, me, idx0 + par[k], t, nxt)
                else:
                    out[dest].append((s2, idx0 + par[k], t))
            i = j
        return nxt

    def contents(self, idx: int) -> list[Content]:
        _, _, fields = self.search.decode(self.keys[idx])
        return [field_content(self.search, f) for f in fields]

    def walk(self, idx: int, mv: int) -> tuple[list[Content], int, int, int]:
        """Path contents back from state ``idx`` while the parents are here.

        ``mv`` >= 0 first adds the content of ``idx``'s thread at position
        ``mv`` (the move a child of ``idx`` made, asked for by that child's
        owner). Returns the contents, newest first, and the first foreign
        parent link (worker, index, move), or (-1, -1, -1) at the root.
        """
        moves: list[Content] = []
        if mv >= 0:
            moves.append(self.contents(idx)[mv])
        while True:
            pw, pi, mv2 = self.parent_w[idx], self.parent_i[idx], self.move[idx]
            if pi < 0:
                return moves, -1, -1, -1
            if pw != self.me:
                return moves, pw, pi, mv2
            moves.append(self.contents(pi)[mv2])
            idx = pi


# -- the worker process ----------------------------------------------------------
def _serve(w: _Worker, frontier: list[Entry], conn: Connection, inboxes: list[Any]) -> None:
    """A forked worker's loop: levels on command, then its results, then path queries, until "exit"."""
    cpu0 = time.process_time()
    me, jobs = w.me, w.jobs
    search = w.search
    while True:
        cmd = conn.recv()
        if cmd[0] == "level":
            out: list[list[tuple[int, int, int]]] = [[] for _ in range(jobs)]
            nxt = w.level(frontier, cmd[1], out)
            for d in range(jobs):
                if d != me:
                    inboxes[d].put(w.batch(d, out[d]))
            for _ in range(jobs - 1):
                w.receive(inboxes[me].get(), nxt)
            frontier = nxt
            conn.send(("level", len(frontier), len(w.keys) - w.prefix, w.counts()[0]))
        elif cmd[0] == "results":
            hits = [_hit_tuple(h, w) for h in search.hits.values()]
            lp = {p: [_hit_tuple(h, w) for h in hs] for p, hs in search.lp_candidates.items()}
            conn.send(("results", len(w.keys) - w.prefix, *w.counts(),
                       dict(search.reached), hits, lp, time.process_time() - cpu0))
        elif cmd[0] == "walk":
            conn.send(("walk",) + w.walk(cmd[2], cmd[3]))
        else:
            return


def _hit_tuple(h: Hit, w: _Worker) -> tuple[Any, ...]:
    return (h.prop, h.message, h.idx, h.extra, h.length, h.seconds, h.alternatives, w.me, w.contents(h.idx))


def _child(w: _Worker, me: int, jobs: int, frontier: list[Entry], conn: Connection,
           inboxes: list[Any]) -> None:
    """Take over the forked copy of the serial prefix as worker ``me`` of ``jobs``."""
    try:
        w.fork_as(me, jobs)
        mine = [x for x in frontier if w.owner(x[0]) == me]
        _serve(w, mine, conn, inboxes)
    except BaseException as e:  # reported to the coordinator, which raises it
        try:
            conn.send(("error", type(e).__name__, str(e)))
        except OSError:  # pragma: no cover - the coordinator is gone
            pass


def _native_available() -> bool:
    from proofs import native
    return native.available() and hasattr(native.module(), "Expander")


# -- the coordinator -------------------------------------------------------------
FORK_AT = 2000
"""The search runs in one process until a level's frontier holds this many states, then forks the workers."""

Walk = Callable[[int, int, int], tuple[list[Content], int, int, int]]


class ParallelSearch(Search):
    """``Search`` with ``run()`` spread over ``jobs`` worker processes (see the module docstring).

    The first levels run here; once a frontier reaches ``fork_at`` states
    the workers are forked, each inheriting the states found so far. After
    ``run()`` the result attributes are those of the serial search; ``hits``
    and ``lp_candidates`` carry keys into this object's recorded paths, which
    ``path`` and ``concrete_schedule`` resolve, so proofs/explore/cx.py builds
    counterexamples from it unchanged.
    """

    def __init__(self, world: World, goals: list[Goal], reduction: bool = True, max_states: int | None = None,
                 progress: Callable[[dict[str, Any]], None] | None = None, progress_every: float = 0.25,
                 jobs: int | None = None, fork_at: int | None = None, native: bool | None = None) -> None:
        super().__init__(world, goals, reduction, max_states, progress, progress_every)
        self.jobs = default_jobs() if jobs is None else jobs
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {self.jobs}")
        self.fork_at = FORK_AT if fork_at is None else fork_at
        # Expand with the compiled core when it is built (None: if available), else in Python.
        self.native = _native_available() if native is None else native
        self.forked = False
        self._contents: list[Content] = []
        self._paths: list[list[int]] = []

    def run(self) -> None:
        if self.jobs == 1 or "fork" not in mp.get_all_start_methods():
            super().run()
            return
        try:
            self._run_parallel()
        except OverflowError as e:
            raise SearchTooLarge(f"{e}: {TOO_LARGE}") from None

    def _report(self, states: int, transitions: int, frontier: int, depth: int) -> None:
        if self.progress is not None:
            now = time.monotonic() - self._t0
            self.progress({"states": states, "transitions": transitions, "frontier": frontier, "depth": depth,
                           "seconds": now, "states_per_second": states / max(now, 1e-9)})

    def _run_parallel(self) -> None:
        self._t0 = t0 = time.monotonic()
        cpu0 = time.process_time()
        w = _Worker(0, 1, self, self.native)
        frontier = w.start()
        depth = 0
        budget_hit = False
        # The serial prefix: small levels are not worth spreading.
        while frontier and len(frontier) < self.fork_at:
            self.max_depth = depth
            frontier = w.level(frontier, depth, [[]])
            self._report(len(w.keys), w.counts()[0], len(frontier), depth)
            if frontier and self.max_states is not None and len(w.keys) >= self.max_states:
                budget_hit = True
                break
            depth += 1
        if frontier and not budget_hit:
            self.forked = True
            self._forked(w, frontier, depth)
        else:
            self.states = len(w.keys)
            self.transitions, self.terminal_states = w.counts()
            self.complete = not budget_hit
            def here(_w: int, i: int, mv: int) -> tuple[list[Content], int, int, int]:
                return w.walk(i, mv)

            self.hits = {p: self._resolve(here, h, 0, w.contents(h.idx)) for p, h in self.hits.items()}
            self.lp_candidates = {p: [self._resolve(here, h, 0, w.contents(h.idx)) for h in hs]
                                  for p, hs in self.lp_candidates.items()}
        self.seconds = time.monotonic() - t0
        self.cpu_seconds += time.process_time() - cpu0

    def _forked(self, w: _Worker, frontier: list[Entry], depth: int) -> None:
        ctx = mp.get_context("fork")
        inboxes = [ctx.Queue() for _ in range(self.jobs)]
        conns: list[Connection] = []
        procs = []
        for me in range(self.jobs):
            mine, theirs = ctx.Pipe()
            p = ctx.Process(target=_child, args=(w, me, self.jobs, frontier, theirs, inboxes), daemon=True)
            p.start()
            theirs.close()
            conns.append(mine)
            procs.append(p)
        try:
            self._coordinate(conns, depth)
        finally:
            for c in conns:
                try:
                    c.send(("exit",))
                except OSError:
                    pass
            for p in procs:
                p.join(timeout=5)
                if p.is_alive():
                    p.terminate()
                    p.join()

    @staticmethod
    def _recv(conn: Connection) -> tuple[Any, ...]:
        try:
            msg: tuple[Any, ...] = conn.recv()
        except EOFError:
            raise RuntimeError("a parallel explorer worker died; run with --jobs 1 to see why") from None
        if msg[0] == "error":
            if msg[1] in ("SearchTooLarge", "OverflowError"):
                raise OverflowError(msg[2])
            raise RuntimeError(f"a parallel explorer worker failed: {msg[1]}: {msg[2]}")
        return msg

    def _coordinate(self, conns: list[Connection], depth: int) -> None:
        budget_hit = False
        while True:
            self.max_depth = depth
            for c in conns:
                c.send(("level", depth))
            reports = [self._recv(c) for c in conns]
            frontier = sum(r[1] for r in reports)
            states = sum(r[2] for r in reports)
            self._report(states, sum(r[3] for r in reports), frontier, depth)
            if frontier == 0:
                break
            if self.max_states is not None and states >= self.max_states:
                budget_hit = True
                break
            depth += 1
        for c in conns:
            c.send(("results",))
        results = [self._recv(c) for c in conns]
        self.states = sum(r[1] for r in results)
        self.transitions = sum(r[2] for r in results)
        self.terminal_states = sum(r[3] for r in results)
        for r in results:
            for goal, ok in r[4].items():
                self.reached[goal] = self.reached.get(goal, False) or ok

        def walk(wk: int, idx: int, mv: int) -> tuple[list[Content], int, int, int]:
            conns[wk].send(("walk", wk, idx, mv))
            _, part, pw, pi, pmv = self._recv(conns[wk])
            return part, pw, pi, pmv

        def resolve(h: tuple[Any, ...]) -> Hit:
            return self._resolve(walk, Hit(*h[:7]), h[7], h[8])

        best: dict[str, tuple[Any, ...]] = {}
        for r in results:
            for h in r[5]:
                old = best.get(h[0])
                if old is None or h[4] < old[4]:
                    best[h[0]] = h
        self.hits = {prop: resolve(h) for prop, h in best.items()}
        from proofs.explore.search import LP_CANDIDATES
        lp: dict[str, list[tuple[Any, ...]]] = {}
        for r in results:
            for prop, hs in r[6].items():
                lp.setdefault(prop, []).extend(hs)
        self.lp_candidates = {prop: [resolve(h) for h in sorted(hs, key=lambda h: h[4])[:LP_CANDIDATES]]
                              for prop, hs in lp.items()}
        self.complete = not budget_hit
        self.cpu_seconds = sum(r[7] for r in results)

    def _content_id(self, c: Content) -> int:
        self._contents.append(c)
        return len(self._contents) - 1

    def _resolve(self, walk: Walk, hit: Hit, w: int, final: list[Content]) -> Hit:
        """A worker's hit as a Hit of this object: its path fetched through ``walk``, as content ids."""
        moves: list[Content] = []
        idx, mv = hit.idx, -1
        while w >= 0:
            part, w, idx, mv = walk(w, idx, mv)
            moves.extend(part)
        moves.reverse()
        path = [self._content_id(c) for c in moves] + [-1] + [self._content_id(c) for c in final]
        self._paths.append(path)
        return replace(hit, idx=len(self._paths) - 1)

    # -- paths (proofs/explore/cx.py) ------------------------------------------------
    def path(self, idx: int) -> list[int]:
        if self.jobs == 1 or not self._paths:
            return super().path(idx)
        return list(self._paths[idx])

    def concrete_schedule(self, moves: list[int], extra: tuple[int, ...] = ()) -> tuple[list[int], list[int]]:
        if -1 not in moves:
            return super().concrete_schedule(moves, extra)
        sep = moves.index(-1)
        at = self.concrete_start()
        out: list[int] = []

        def lowest(fields: list[int], cid: int) -> int:
            return fields.index(field_of(self, self._contents[cid]))  # the lowest concrete thread in that local state

        if not self.concrete_steps(at, moves[:sep], lowest, out):
            return out, list(range(self.nthreads))
        perm: list[int] = []
        for cid in moves[sep + 1:]:
            f = field_of(self, self._contents[cid])
            perm.append(next(t for t in range(self.nthreads) if at.fields[t] == f and t not in perm))
        self.concrete_steps(at, extra, lambda _, c: perm[c], out)
        return out, perm
