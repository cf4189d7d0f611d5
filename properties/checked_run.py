"""One checked execution: every property a finished run can violate, plus the state invariants at every step.

``check_execution`` (properties/checks.py) judges a finished execution; the
state invariants (the catalog's ``state`` properties, properties/state_checks.py)
must hold after every scheduling point, so a violation that a later step
repairs (a D2 state) is caught by ``StateWatch`` as the run goes. ``check_all``
joins the two. Replay, the sample engine and the shrinker
(properties.scenarios.minimize) all check a run this way.
"""

from __future__ import annotations

from model.harness import World
from model.kernel import Kernel
from properties.checks import check_execution
from properties.invariants import Violation
from properties.linearizability import Undecided
from properties.state_checks import state_violations

__all__ = ["StateWatch", "check_all"]


class StateWatch:
    """The state invariants of a world, evaluated after each step; the first violation of each is kept."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.first: dict[str, Violation] = {}

    def observe(self, k: Kernel) -> None:
        inflight = sum(1 for r in k.history if r.call >= 0 and r.ret is None)
        out = state_violations(self.world, k.mem, inflight)
        step = k.nsteps - 1
        for v in out:
            if v.prop not in self.first:
                self.first[v.prop] = Violation(v.prop, f"{v.message} (after step {step})", step)

    @property
    def violations(self) -> list[Violation]:
        return list(self.first.values())


def check_all(world: World, k: Kernel, watch: StateWatch | None = None) -> tuple[list[Violation], str]:
    """check_execution plus the watched state invariants (not repeated); and a note if linearizability is undecided."""
    note = ""
    try:
        vs = check_execution(world, k)
    except Undecided as e:
        vs = check_execution(world, k, linearizability=False)
        note = f"linearizability undecided: {e}"
    if watch is not None:
        have = {v.prop for v in vs}
        vs = vs + [v for v in watch.violations if v.prop not in have]
    return vs, note
