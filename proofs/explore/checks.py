"""The catalog's state and terminal predicates, as the explorer evaluates them.

Nothing here defines a property or decides where one applies: the state
checks are properties.state_checks' for the catalog's ``state`` properties
whose ``targets`` include the world's (``state_checks_for``: the same list
replay and the sample engine evaluate), the terminal ones
properties.checks.check_final_state. This module only caches them: a
state predicate depends on the memory alone (and, for D2, on how many
operations are in flight), and many search states share one memory, so the
result is kept per (memory id, in-flight count).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from model.harness import World
from model.kernel import OpRecord
from properties.checks import check_final_state
from properties.invariants import Violation
from properties.state_checks import state_checks_for

__all__ = ["StateChecks"]

_NO: list[Violation] = []


class StateChecks:
    """State invariants (every state) and terminal checks (every final state) of one world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.target = world.target
        self.checks = state_checks_for(world.target)
        self.cache: dict[int, list[Violation]] = {}
        """(memory id * 64 + in-flight count) -> violations; the search reads it directly."""

    def state(self, mem_id: int, mem: Sequence[Any], inflight: int) -> list[Violation]:
        """The catalog's state properties for the target (today D1, D2 on a dequeue and on every dequeue of
        a chain; C5, C6 on a chain; P9, P11 on the pool)."""
        key = mem_id * 64 + min(inflight, 63)
        out = self.cache.get(key)
        if out is None:
            out = self._compute(mem, inflight) or _NO
            self.cache[key] = out
        return out

    def _compute(self, mem: Sequence[Any], inflight: int) -> list[Violation]:
        return [v for check in self.checks for v in check(self.world, mem, inflight)]

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
