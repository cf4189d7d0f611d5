"""PCT: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi and
Nagarakatte, "A randomized scheduler with probabilistic guarantees of finding
bugs", ASPLOS 2010).

The scheduler gives every thread a distinct priority and always runs the
enabled thread of highest priority; at d - 1 *change points* (scheduling
steps k_1 < ... < k_{d-1}) the thread about to run has its priority lowered
below every initial one. A bug of depth d (d ordering constraints between
events of different threads) is found with probability at least
1 / (n * k^(d-1)) per run for n threads and k steps (the paper's Theorem 6),
whereas a uniformly random walk can be exponentially worse on long runs.

Section 3 of the paper, in our terms:
- initial priorities are d, d+1, ..., d+n-1, assigned by a random
  permutation (``priorities[t]`` is thread t's rank, higher runs first);
- the i-th change point (i = 1..d-1) lowers the running thread's priority to
  d - i, so a thread lowered earlier still outranks one lowered later.

Everything is data (a permutation and a list of step numbers), so Hypothesis
draws and shrinks it (properties/scenarios.py), and the kernel records the
thread chosen at every step, so each run replays exactly from
``kernel.schedule`` whatever drew it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from model.kernel import Kernel

__all__ = ["PCT", "PCTPlan"]


@dataclass(frozen=True)
class PCTPlan:
    """The random choices of one PCT run: a priority order and the change points.

    ``order`` lists thread ids from highest to lowest initial priority;
    ``change_points`` are scheduling-step numbers (1-based, any order; each
    counts once). Depth d = len(change_points) + 1.
    """

    order: tuple[int, ...]
    change_points: tuple[int, ...] = ()

    @property
    def depth(self) -> int:
        return len(set(self.change_points)) + 1

    @staticmethod
    def random(nthreads: int, steps: int, depth: int, rng: random.Random) -> PCTPlan:
        """The paper's random choices for n threads, about ``steps`` steps and depth ``depth``."""
        order = list(range(nthreads))
        rng.shuffle(order)
        k = max(1, steps)
        cps = tuple(sorted(rng.sample(range(1, k + 1), min(depth - 1, k)))) if depth > 1 else ()
        return PCTPlan(tuple(order), cps)

    def __str__(self) -> str:
        return f"PCT(order={list(self.order)}, change_points={sorted(set(self.change_points))})"


class PCT:
    """A kernel Scheduler following a PCTPlan. Threads not named in the plan rank lowest."""

    def __init__(self, plan: PCTPlan) -> None:
        self.plan = plan
        d = plan.depth
        n = len(plan.order)
        # Highest first in ``order``: the first thread gets d + n - 1.
        self.priority: dict[int, int] = {t: d + n - 1 - i for i, t in enumerate(plan.order)}
        self.changes: dict[int, int] = {k: i + 1 for i, k in enumerate(sorted(set(plan.change_points)))}
        self.steps = 0

    def choose(self, enabled: Sequence[int], kernel: Kernel) -> int:
        self.steps += 1
        t = max(enabled, key=lambda x: (self.priority.get(x, -1 - x), -x))
        i = self.changes.get(self.steps)
        if i is not None:
            # Change point i: lower the thread about to run to d - i, then choose again.
            self.priority[t] = self.plan.depth - i
            t = max(enabled, key=lambda x: (self.priority.get(x, -1 - x), -x))
        return t
