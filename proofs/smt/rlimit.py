"""Deterministic solver budgets: Z3's resource limit (``rlimit``), never wall seconds.

Z3 counts resource units as it works (one global counter per context); a
solver given ``rlimit = N`` stops (``unknown``, reason "canceled") after N more
units. The count for a given query does not depend on how busy the machine
is, so a row that proves on an idle machine proves on a loaded one, and a row
that runs out says which budget ran out, in which query, and by how much.

A :class:`Resources` is one row's budget: every query of the row draws from
it, and a query gets what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

__all__ = ["Resources", "counter"]


def counter() -> int:
    """Z3's resource counter now (read from the statistics of an empty check, which costs nothing measurable)."""
    s = z3.SolverFor("QF_BV")
    s.check()
    st = s.statistics()
    return int(st.get_key_value("rlimit count")) if "rlimit count" in st.keys() else 0


@dataclass
class Resources:
    """A budget of ``total`` Z3 resource units for ``what`` (a row), drawn down query by query."""

    total: int
    what: str
    used: int = 0
    queries: int = 0
    ran_out_in: str = ""                 # the query the budget ran out in ("" while it has not)
    per_query: list[tuple[str, int]] = field(default_factory=list)

    @property
    def left(self) -> int:
        return max(0, self.total - self.used)

    @property
    def exhausted(self) -> bool:
        return bool(self.ran_out_in)

    def check(self, solver: Any, label: str) -> Any:
        """``solver.check()`` within what is left; records the units the query used."""
        if self.left <= 0:
            self.ran_out_in = self.ran_out_in or label
            return z3.unknown
        solver.set("rlimit", self.left)
        before = counter()
        r = solver.check()
        used = counter() - before
        self.used += used
        self.queries += 1
        self.per_query.append((label, used))
        if r == z3.unknown and self.used >= self.total:
            self.ran_out_in = label
        return r

    def describe(self) -> str:
        """What ran out and by how much (for a row's detail), or the units used."""
        if self.ran_out_in:
            done = self.used - (self.per_query[-1][1] if self.per_query else 0)
            return (f"the rlimit budget of {self.total:,} Z3 resource units ({self.what}) ran out in {self.ran_out_in}: "
                    f"{done:,} units went to the {self.queries - 1} queries before it, which was stopped after "
                    f"{self.total - done:,} units without an answer")
        return f"{self.used:,} of {self.total:,} Z3 resource units ({self.what}) in {self.queries} queries"
