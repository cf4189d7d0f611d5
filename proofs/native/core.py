"""Run a ``proofs.explore.search.Search`` on the compiled core (docs/explorer.md, "The compiled core").

``run_native(search, compact=False)`` does what ``Search._run`` does, with
the loop in C (proofs/native/_searchcore.c) and the model, the steps and
every check in Python (proofs/native/oracle.py): the same states,
transitions, depth, verdicts and shortest counterexample lengths (BFS order
is the same; tests/test_native_core.py compares the two cores). It fills
the search's result attributes, ``parent``/``move`` included, so
proofs/explore/cx.py builds counterexamples as for the Python core.

``make_expander(search)`` gives the core's expansion without its visited
set, for a caller that keeps its own (a worker of a parallel search):
``Expander.expand(states, idx0, depth)`` takes packed states (``pack``,
``unpack``; ``words_per_state`` 64-bit words each), runs every check of the
search on them (records go to ``search`` with index idx0 + i) and returns
their canonical successors, each with its parent's position in the batch
and its move; the transition table persists across calls.

``compact=True`` is hash compaction: the visited set keeps a 64-bit
fingerprint per state instead of the state (and the frontier only the
current and next levels), so two states whose fingerprints collide are
merged and one of them may be missed. The search is then never complete:
``search.compaction`` gives the bound on the probability that some state
was omitted, n(n-1)/2^65 for n states (a union bound over pairs, assuming
the 64-bit hash is uniform).
"""

from __future__ import annotations

import time
from array import array
from dataclasses import dataclass
from typing import Any

from proofs.explore.search import Search
from proofs.native import module
from proofs.native.oracle import Oracle

__all__ = ["run_native", "make_expander", "NativeStats", "omission_bound"]


@dataclass
class NativeStats:
    """Figures of one compiled run (what ``poolcheck bench`` and the docs report)."""

    state_bytes: int       # the visited set, the stored states and parent links at the end
    peak_state_bytes: int  # the same at its peak (hash compaction: the two frontier levels included)
    table_bytes: int       # the transition table (keys and outcomes)
    table_entries: int
    fills: int             # transitions computed by Python (the rest came from the table)
    words_per_state: int
    compact: bool
    states: int

    @property
    def bytes_per_state(self) -> float:
        """Stored bytes per state (visited set, states, parent links; at the peak)."""
        return self.peak_state_bytes / self.states if self.states else 0.0

    @property
    def omission_bound(self) -> float:
        """Hash compaction: the bound on P(some state omitted); 0 for a full search."""
        return omission_bound(self.states) if self.compact else 0.0

    @property
    def compaction(self) -> str:
        """How the result is to be read under hash compaction ("" for a full search)."""
        if not self.compact:
            return ""
        return (f"hash compaction (64-bit fingerprints, {self.bytes_per_state:.0f} bytes per state): no "
                f"violation among the states visited, P(some state omitted) <= {self.omission_bound:.1e}")


def omission_bound(states: int) -> float:
    """P(some state omitted) <= n(n-1)/2^65 with 64-bit fingerprints (union bound over pairs)."""
    return states * (states - 1) / 2.0 ** 65


def run_native(search: Search, compact: bool = False) -> NativeStats:
    """Run ``search`` on the compiled core; fills its result attributes (see the module docstring)."""
    core = module()
    oracle = Oracle(search)
    search._t0 = t0 = time.monotonic()
    cpu0 = time.process_time()
    m0, g0, f0 = search.initial()
    f0 = search.sym.canon(f0)
    for prop, msg in search.initial_problems:
        search._record(prop, msg, 0, (), 0)
    out = core.search(oracle, search.sym.groups, m0, g0, f0, search.max_states or 0, compact=compact,
                      progress_every=search.progress_every)
    parent = array("i")
    parent.frombytes(out["parent"])
    move = array("b")
    move.frombytes(out["move"])
    search.parent = parent
    search.move = move
    search.index = {}  # the visited set stays in the core
    search.states = int(out["states"])
    search.transitions = int(out["transitions"])
    search.max_depth = int(out["max_depth"])
    search.terminal_states = int(out["terminal_states"])
    search.complete = bool(out["complete"]) and not compact  # compaction may omit states: never complete
    search.seconds = time.monotonic() - t0
    search.cpu_seconds = time.process_time() - cpu0
    return NativeStats(int(out["state_bytes"]), int(out["peak_state_bytes"]), int(out["table_bytes"]),
                       int(out["table_entries"]), int(out["fills"]), int(out["words_per_state"]), compact,
                       int(out["states"]))


def make_expander(search: Search) -> Any:
    """A ``_searchcore.Expander`` over ``search``'s world (see the module docstring)."""
    return module().Expander(Oracle(search), search.sym.groups, search.nthreads)
