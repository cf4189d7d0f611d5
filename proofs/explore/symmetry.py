"""Thread symmetry: identical thieves are interchangeable.

In a dequeue or chain scenario every thief runs popTail, and thieves with
the same program are indistinguishable: memory never records which thread
did what (no thread id is stored in the structure; the world cell stays -1
since nothing stops the world), and every property of the catalog is
invariant under renaming them (values are counted as multisets, the ghost
deque holds no thread ids). So permuting identical threads maps reachable
states to reachable states, violations to violations, and the search can
keep one representative per orbit: the state whose identical threads' local
states appear in sorted order (Emerson & Sistla, "Symmetry and model
checking", FMSD 9, 1996; Ip & Dill, "Better verification through
symmetry", FMSD 9, 1996). With k identical thieves that is up to k! fewer
states, and from a state where two identical threads are in the same local
state only one of them needs to move.

Pool threads are never symmetric: goroutine i's home P is i, and P ids are
stored in memory (pinned cells, the local array index).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["Symmetry"]


class Symmetry:
    """Groups of interchangeable thread positions, and the canonical order within them."""

    def __init__(self, classes: Sequence[int], enabled: bool) -> None:
        groups: dict[int, list[int]] = {}
        for tid, c in enumerate(classes):
            groups.setdefault(c, []).append(tid)
        self.groups: list[list[int]] = [g for g in groups.values() if len(g) > 1] if enabled else []
        # group_of[tid]: the group containing tid, or None.
        self.group_of: list[list[int] | None] = [None] * len(classes)
        for g in self.groups:
            for tid in g:
                self.group_of[tid] = g

    @property
    def active(self) -> bool:
        return bool(self.groups)

    def canon_group(self, fields: list[int], group: list[int]) -> None:
        """Sort ``fields`` (per-thread local ids) in place within ``group``."""
        vals = [fields[p] for p in group]
        vals.sort()
        for p, v in zip(group, vals):
            fields[p] = v

    def canon(self, fields: list[int]) -> list[int]:
        """The canonical fields (a sorted copy within each group)."""
        out = list(fields)
        for g in self.groups:
            self.canon_group(out, g)
        return out

    def perm(self, fields: Sequence[int]) -> list[int]:
        """perm[c] = the concrete thread that sits at canonical position c (ties broken by thread id)."""
        out = list(range(len(fields)))
        for g in self.groups:
            order = sorted(g, key=lambda p: (fields[p], p))
            for pos, tid in zip(g, order):
                out[pos] = tid
        return out
