"""Conformance with the real Go implementation: differential tests and Go's own tests on mutants.

- Differential tests (``run``): Hypothesis generates sequential operation
  sequences for a poolDequeue, a poolChain and a sync.Pool; each runs on the
  model (model.harness.Sequential) and on a Go driver built from the
  installed toolchain (driver.py, gocode.py), and every step's result and
  observable state must be identical (differential.py).
- Go's own tests against the mutants (gomutants.py): each catalog mutant
  with a Go counterpart is an exact source transformation of the installed
  poolqueue.go or pool.go, run under ``go test -overlay``.

docs/conformance.md has the method, the sources of non-determinism in Go and
how the drivers rule each out, and the figures measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as _seed

from model.variants.base import Model
from properties.conformance.differential import Mismatch, compare
from properties.conformance.driver import DriverError, GoDriver
from properties.conformance.gosource import GoNotFound, go_env
from properties.conformance.sequences import OpSeq, sequences
from properties.sinks import ProgressSink

__all__ = ["ConformResult", "Mismatch", "TARGETS", "run", "DriverError", "GoNotFound", "GoDriver", "check_sequence"]

TARGETS = ("dequeue", "chain", "pool")


@dataclass
class ConformResult:
    """What ``run`` measured. ``mismatches`` holds at most one (shrunk) mismatch per target.

    ``sequences`` and ``operations`` count every sequence compared, including
    those Hypothesis ran while shrinking a mismatch.
    """

    sequences: int = 0
    operations: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    go_version: str = ""
    seconds: float = 0.0
    per_target: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def to_json(self) -> dict[str, Any]:
        return {"sequences": self.sequences, "operations": self.operations,
                "mismatches": [m.to_json() for m in self.mismatches], "go_version": self.go_version,
                "seconds": round(self.seconds, 2), "per_target": self.per_target}


class _Found(Exception):
    def __init__(self, mismatch: Mismatch) -> None:
        super().__init__(str(mismatch))
        self.mismatch = mismatch


def check_sequence(seq: OpSeq, driver: GoDriver, model: type[Model] = Model) -> None:
    """Assert that ``seq`` behaves identically on the model and in Go (AssertionError prints the first mismatch)."""
    m, _ = compare(seq, driver, model)
    if m is not None:
        raise AssertionError("\n" + str(m))


def _property(target: str, examples: int, seed: int, driver: GoDriver, model: type[Model], res: ConformResult,
              counts: dict[str, int], total: int, progress: ProgressSink | None,
              on_sequence: Callable[[str, int], None] | None) -> Callable[[], None]:
    """The Hypothesis property for one target: compare, count, raise _Found on a mismatch."""

    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
              report_multiple_bugs=False, verbosity=Verbosity.quiet, print_blob=False)
    @_seed(seed)
    @given(sequences(target))
    def check(seq: OpSeq) -> None:
        m, n = compare(seq, driver, model)
        counts["sequences"] += 1
        counts["operations"] += n
        res.sequences += 1
        res.operations += n
        if progress is not None:
            progress.update(min(res.sequences, total), ops=res.operations, target=target)
        if on_sequence is not None:
            on_sequence(target, n)
        if m is not None:
            raise _Found(m)

    return check


def run(examples: int = 200, seed: int = 0, progress: ProgressSink | None = None, model: type[Model] = Model,
        targets: Sequence[str] = TARGETS, on_sequence: Callable[[str, int], None] | None = None) -> ConformResult:
    """Compare ``examples`` generated sequences per target between ``model`` and Go.

    Hypothesis generates the sequences (seeded by ``seed``, no example
    database) and, on a mismatch, shrinks it: the mismatch reported is the
    first mismatching step of the smallest failing sequence found. Raises
    GoNotFound (no toolchain) or DriverError (the driver cannot be built or
    died); both say what to do.
    """
    for t in targets:
        if t not in TARGETS:
            raise ValueError(f"unknown conformance target {t!r}: use {', '.join(TARGETS)}")
    if examples < 1:
        raise ValueError(f"examples must be at least 1, not {examples}")
    t0 = time.monotonic()
    env = go_env()
    res = ConformResult(go_version=env.version)
    total = examples * len(targets)
    with GoDriver(env=env) as driver:
        res.go_version = driver.version
        for target in targets:
            counts = {"sequences": 0, "operations": 0}
            res.per_target[target] = counts
            check = _property(target, examples, seed, driver, model, res, counts, total, progress, on_sequence)
            try:
                check()
            except _Found as f:
                res.mismatches.append(f.mismatch)
    res.seconds = time.monotonic() - t0
    return res
