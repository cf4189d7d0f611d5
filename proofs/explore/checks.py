"""The catalog's state and terminal predicates, as the explorer evaluates them.

Nothing here defines a property: the predicates are properties.invariants'
and properties.checks' (the same code the kernel, replay and Hypothesis
use). This module only decides which apply to a target and caches them: a
state predicate depends on the memory alone (and, for D2, on how many
operations are in flight), and many search states share one memory, so the
result is kept per (memory id, in-flight count).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from model.harness import World
from model.kernel import OpRecord
from properties import invariants as inv
from properties.checks import check_final_state
from properties.invariants import Violation

__all__ = ["StateChecks"]

_NO: list[Violation] = []


class StateChecks:
    """State invariants (every state) and terminal checks (every final state) of one world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.target = world.target
        self.bits = world.params.dequeue_bits
        self.cache: dict[int, list[Violation]] = {}
        """(memory id * 64 + in-flight count) -> violations; the search reads it directly."""

    def state(self, mem_id: int, mem: Sequence[Any], inflight: int) -> list[Violation]:
        """D1, D2 (dequeue, and every dequeue of a chain), C5, C6 (chain), P9, P11 (pool)."""
        key = mem_id * 64 + min(inflight, 63)
        out = self.cache.get(key)
        if out is None:
            out = self._compute(mem, inflight) or _NO
            self.cache[key] = out
        return out

    def _compute(self, mem: Sequence[Any], inflight: int) -> list[Violation]:
        w, bits = self.world, self.bits
        out: list[Violation] = []
        if self.target == "dequeue":
            out += inv.d1_packed_index(mem, w.root, bits)
            out += inv.d2_slot_ownership(mem, w.root, bits, inflight)
        elif self.target == "chain":
            # D2 per dequeue with every in-flight chain operation counted: each owns at most one slot
            # in the whole chain, so this is sound, if weaker than per dequeue.
            for d in inv.chain_reachable(mem, w.root):
                out += inv.d1_packed_index(mem, d, bits)
                out += inv.d2_slot_ownership(mem, d, bits, inflight)
            out += inv.c5_growth(mem, w.root, w.params.init_size, w.cfg.limit)
            out += inv.c6_drop_only_drained(mem, w.root, bits)
        else:
            assert w.rt is not None
            for p in w.pools:
                out += inv.p9_victim_empty_mark(mem, p, bits)
                out += inv.p11_registry(mem, p, w.rt)
        return out

    def terminal(self, mem: Sequence[Any], hist: Sequence[tuple[int, int, str, Any, Any, int]]) -> list[Violation]:
        """properties.checks.check_final_state on the final memory and the history.

        ``hist`` holds one (tid, seq, name, arg, result, epoch) record per
        finished operation (the epoch of a Get is taken at its unpin, as
        OpRecord.epoch_unpin; of anything else at its return); tid and seq are -1 where threads are
        symmetric (the dequeue and chain checks count values as multisets).
        The search state keeps no step indices, so call/ret are synthetic:
        ordered by epoch, which is all the terminal checks need (P3 compares
        epochs; P1 and P2 do not depend on the order of the Gets).
        """
        history: list[OpRecord] = []
        for i, (tid, seq, name, arg, result, epoch) in enumerate(sorted(hist, key=lambda r: (r[5], r[0], r[1]))):
            history.append(OpRecord(tid, seq, name, arg, call=i, ret=i, result=result, epoch_call=epoch,
                                    epoch_ret=epoch, epoch_unpin=epoch))
        return check_final_state(self.world, mem, history)
