"""The state invariants as checks the catalog drives: one function per property id, one call per state.

``state_violations(world, mem, inflight)`` evaluates every catalog property
whose ``when`` is ``state`` and whose ``targets`` include the world's target
(properties/catalog.py), each through its check below, so which invariants
hold in which scenario is said once, in the catalog. Replay and the sample
engine call it after every scheduling point (properties.checked_run.StateWatch), the explorer
once per distinct memory (proofs/explore/checks.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from model.harness import World
from properties import catalog
from properties import invariants as inv
from properties.invariants import Violation

__all__ = ["STATE_CHECKS", "StateCheck", "state_checks_for", "state_violations"]

StateCheck = Callable[[World, Sequence[Any], int], list[Violation]]


def _dequeues(w: World, mem: Sequence[Any]) -> list[int]:
    """The dequeues whose slots the D invariants govern: the standalone one, or every one a chain reaches."""
    if w.target == "dequeue":
        return [w.root]
    if w.target == "chain":
        return list(inv.chain_reachable(mem, w.root))
    return []


def _d1(w: World, mem: Sequence[Any], inflight: int) -> list[Violation]:
    return [v for d in _dequeues(w, mem) for v in inv.d1_packed_index(mem, d, w.params.dequeue_bits)]


def _d2(w: World, mem: Sequence[Any], inflight: int) -> list[Violation]:
    return [v for d in _dequeues(w, mem) for v in inv.d2_slot_ownership(mem, d, w.params.dequeue_bits, inflight)]


def _c5(w: World, mem: Sequence[Any], inflight: int) -> list[Violation]:
    return inv.c5_growth(mem, w.root, w.params.init_size, w.cfg.limit)


def _c6(w: World, mem: Sequence[Any], inflight: int) -> list[Violation]:
    return inv.c6_drop_only_drained(mem, w.root, w.params.dequeue_bits)


def _p9(w: World, mem: Sequence[Any], inflight: int) -> list[Violation]:
    return [v for p in w.pools for v in inv.p9_victim_empty_mark(mem, p, w.params.dequeue_bits)]


def _p11(w: World, mem: Sequence[Any], inflight: int) -> list[Violation]:
    rt = w.rt
    return [] if rt is None else [v for p in w.pools for v in inv.p11_registry(mem, p, rt)]


STATE_CHECKS: dict[str, StateCheck] = {"D1": _d1, "D2": _d2, "C5": _c5, "C6": _c6, "P9": _p9, "P11": _p11}


def state_checks_for(target: str) -> list[StateCheck]:
    """The checks of every state property of the catalog whose targets include ``target``, in catalog order."""
    return [STATE_CHECKS[p.id] for p in catalog.CATALOG if p.when == "state" and target in p.targets]


def state_violations(w: World, mem: Sequence[Any], inflight: int) -> list[Violation]:
    """Every state property of the catalog that applies to ``w``'s target, evaluated on ``mem``."""
    return [v for check in state_checks_for(w.target) for v in check(w, mem, inflight)]
