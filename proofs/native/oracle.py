"""What the compiled core asks Python: the model's transitions and the checks, from the Python definitions.

The core (``_searchcore.c``) knows no model semantics. For every key it has
not met, it calls ``fill``; everything else it asks here is a check whose
code lives in Python (``Search._record``, ``Search._races``,
``StateChecks``): so the explorer's checks stay defined once, in
proofs/explore/search.py and properties/, whichever core runs the search.

``fill(m, g, t, f, pends, probe)``: thread ``t`` with field ``f`` (lid |
pending id << 24) in memory ``m`` and ghost ``g``; ``pends`` are every
thread's pending ids. Returns ``(flags, m2, g2, f2, footprint, problems)``:
T_EN if the thread is enabled (else nothing else counts), T_CRASH if the
step leaves no successor, T_DEP if the outcome also depends on the other
threads' pending ids (the step ends an operation, and
``LinMonitor.on_return`` reads them: the core then keys the outcome by them
too); the successor's memory, ghost and field; an interned plain-access
footprint (0: none); the step's violations as ``[(property, message)]`` or
None (recorded at every state the transition is taken from, as the Python
loop does). Goals are marked by the step itself (``Search._goal``), the
first time it is computed.

With ``probe`` the step runs against a ghost id that no ghost has
(``G_PROBE``): every read of the ghost (``Search.ghosts[g]``,
``Search._returned``) then raises IndexError, and the answer is T_GDEP (ask
again with the ghost); a step that completes did not read the ghost, so its
outcome holds under every ghost and keeps it (T_GIND). Most steps (loads,
failed CompareAndSwaps, stores that are no linearization point) are such,
and the core keys them without the ghost. A step that reads the ghost (or
starts at a linearization point, which always does) is run again with it,
in the same call: T_GDEP with the outcome under that ghost.

Identical threads (a symmetry group) share outcomes: the step of a thread
does not depend on which of them it is (the assumption thread symmetry
rests on, proofs/explore/symmetry.py), except for the messages naming it,
which the core asks again with the thread itself (K_EXACT).
"""

from __future__ import annotations

from model.memory import enabled
from proofs.explore.search import F_LP, F_TAILSTART, LMASK, LW, Footprint, Search, racy

__all__ = ["Oracle", "T_EN", "T_CRASH", "T_DEP", "T_GDEP", "T_GIND", "G_PROBE"]

T_EN, T_CRASH, T_DEP, T_GDEP, T_GIND = 1, 2, 4, 8, 16
"""Transition flags (the same values as _searchcore's)."""

G_PROBE = 1 << 40
"""A ghost id no ghost has (ids have 20 bits): reading it raises IndexError."""

Filled = tuple[int, int, int, int, int, list[tuple[str, str]] | None]


class Oracle:
    """The callbacks of one compiled search over ``search``'s world."""

    def __init__(self, search: Search) -> None:
        self.search = search
        self.lin = search.lin is not None
        self.footprints: list[Footprint | None] = [None]
        self._fpindex: dict[Footprint, int] = {}

    # -- transitions ------------------------------------------------------
    def fill(self, m: int, g: int, t: int, f: int, pends: tuple[int, ...], probe: bool) -> Filled:
        s = self.search
        mem = s.mems[m]
        lid = f & LMASK
        eff = s.table.eff[lid]
        assert eff is not None
        if (mem[0] != -1 or s.nen[lid]) and not enabled(mem, eff, t):
            return 0, 0, 0, 0, 0, None
        flags = T_EN
        out = None
        if probe:
            if s.flags[lid] & (F_LP | F_TAILSTART):
                flags |= T_GDEP  # its first effect reads the ghost: no need to probe
            else:
                try:
                    out = s.step(mem, t, lid, f >> LW, G_PROBE, list(pends))
                except IndexError:
                    flags |= T_GDEP
                else:
                    assert out[3] == G_PROBE
                    flags |= T_GIND
                    out = out[:3] + (0,) + out[4:]
        if out is None:
            out = s.step(mem, t, lid, f >> LW, g, list(pends))
        ml, lid2, pend2, g2, pr, pw, fences, problems = out
        fp = self._footprint(s.footprint(lid, mem, pr, pw, fences))
        if self.lin and (lid2 < 0 or s.table.op[lid2] != s.table.op[lid]):
            flags |= T_DEP
        if lid2 < 0:
            return flags | T_CRASH, 0, 0, 0, fp, problems
        m2 = m if ml is None else s._mem_id(tuple(ml))
        return flags, m2, g2, lid2 | (pend2 << LW), fp, problems

    def _footprint(self, fp: Footprint | None) -> int:
        if fp is None:
            return 0
        i = self._fpindex.get(fp)
        if i is None:
            i = self._fpindex[fp] = len(self.footprints)
            self.footprints.append(fp)
        return i

    def lid_info(self, lid: int) -> int:
        """Bit 0: the thread is finished at ``lid``; bit 1: its operation is in flight."""
        t = self.search.table
        return (1 if t.eff[lid] is None else 0) | (2 if t.started[lid] else 0)

    # -- checks (recorded through the Python search) ------------------------
    def state_check(self, m: int, inflight: int, idx: int, depth: int) -> bool:
        s = self.search
        vs = s.checks.state(m, s.mems[m], inflight)
        for v in vs:
            s._record(v.prop, v.message, idx, (), depth)
        return bool(vs)

    def terminal(self, m: int, g: int, idx: int, depth: int) -> None:
        """The first terminal state with this (memory, ghost): later ones would record nothing shorter."""
        s = self.search
        for v in s.checks.terminal(s.mems[m], s.ghosts[g][2]):
            s._record(v.prop, v.message, idx, (), depth)

    def racy(self, a: int, b: int) -> bool:
        """Whether two steps' footprints race (``explore.search.racy``, the test ``Search._races`` applies)."""
        fa, fb = self.footprints[a], self.footprints[b]
        assert fa is not None and fb is not None
        return racy(fa, fb)[0] != 0 or racy(fb, fa)[0] != 0  # the core asks once per unordered pair

    def races(self, plain: list[tuple[int, int]], m: int, idx: int, depth: int) -> None:
        """Some pair of ``plain`` (thread, footprint id) races: ``Search._races`` records it."""
        s = self.search
        entries: list[tuple[int, Footprint]] = []
        for t, i in plain:
            fp = self.footprints[i]
            assert fp is not None
            entries.append((t, fp))
        s._races(entries, s.mems[m], idx, depth)

    def record(self, problems: list[tuple[str, str]], idx: int, t: int, depth: int) -> None:
        for prop, msg in problems:
            self.search._record(prop, msg, idx, (t,), depth)

    def stuck(self, threads: list[int], idx: int, depth: int) -> None:
        who = ", ".join(f"T{t}" for t in threads)
        self.search._record("G1", f"deadlock: {who} are unfinished and none can move", idx, (), depth)

    def progress(self, states: int, transitions: int, frontier: int, depth: int, seconds: float) -> None:
        s = self.search
        if s.progress is not None:
            s.progress({"states": states, "transitions": transitions, "frontier": frontier, "depth": depth,
                        "seconds": seconds, "states_per_second": states / max(seconds, 1e-9)})
