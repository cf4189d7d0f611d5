"""Which property ids a checked execution covers, per target (the campaign's matrix cells).

One list, used by every execution-based engine (sample, explore, fuzz): a
checked execution (poolcheck.replay.check_all) reports faults, races, the
final state, the history and the state invariants of its target's layer.
"""

from __future__ import annotations

from properties import catalog

__all__ = ["checked_properties", "order"]

_EXECUTION = {
    "dequeue": ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "G1"),
    "chain": ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "D1", "D2", "D6", "D9", "G1"),
    "pool": ("P1", "P2", "P3", "P5", "P6", "P7", "P8", "P9", "P11", "G1"),
}


def order(pid: str) -> int:
    """The property's position in the catalog (unknown ids last)."""
    ids = [p.id for p in catalog.CATALOG]
    return ids.index(pid) if pid in ids else len(ids)


def checked_properties(target: str) -> list[str]:
    """The property ids a checked execution can report for ``target``, in catalog order."""
    return sorted(set(_EXECUTION[target]), key=order)
