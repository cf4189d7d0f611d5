"""Schedulers beyond round-robin: seeded random choice (and, in properties/, PCT).

Every scheduler is deterministic given its seed, and the kernel records the
choices it made, so any run replays from ``kernel.schedule``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from model.kernel import Kernel, RoundRobin

__all__ = ["RoundRobin", "RandomScheduler", "Prefix"]


class RandomScheduler:
    """Uniform choice among the enabled threads, from a seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choose(self, enabled: Sequence[int], kernel: Kernel) -> int:
        return enabled[self.rng.randrange(len(enabled))]


class Prefix:
    """Follow ``choices`` (each taken modulo the number of enabled threads), then round-robin.

    This is how Hypothesis-drawn schedules run: any list of integers is a
    valid schedule, which keeps shrinking free of invalid examples.
    """

    def __init__(self, choices: Sequence[int]) -> None:
        self.choices = list(choices)
        self.i = 0
        self.rest = RoundRobin()

    def choose(self, enabled: Sequence[int], kernel: Kernel) -> int:
        if self.i < len(self.choices):
            c = self.choices[self.i]
            self.i += 1
            return enabled[c % len(enabled)]
        return self.rest.choose(enabled, kernel)
