"""The explorer's benchmark: configurations E1..E6 (issue 3) as data, and ``bench()``.

Each configuration states the issue's time target on the reference 2-core
machine (E1, E2, E4, E6: 10 s; E3: complete within 2 minutes; E5: none).
``bench`` runs them with the reduction on (and, for the small ones, off as
well, to show what the reduction saves) and reports states, transitions,
wall and CPU seconds and states per CPU second; ``poolcheck bench`` prints
the table and the JSON.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from model.params import Params
from model.variants import Model

__all__ = ["BenchConfig", "BenchRow", "BENCH_CONFIGS", "bench", "by_name"]


@dataclass(frozen=True)
class BenchConfig:
    name: str
    target: str
    scenario: str
    params: Params
    target_seconds: float | None  # the time target for this configuration (reduction on), if any
    options: str             # the poolcheck explore options that give ``params``

    def command(self, reduction: bool = True) -> str:
        off = " --no-reduction" if not reduction else ""
        return f'poolcheck explore {self.target} "{self.scenario}" {self.options}{off}'.replace("  ", " ").strip()


BENCH_CONFIGS: tuple[BenchConfig, ...] = (
    BenchConfig("E1", "dequeue", "push push pop | tail tail", Params(size=2), 10, "--size 2"),
    BenchConfig("E2", "dequeue", "push push push pop | tail tail | tail tail", Params(size=2), 10, "--size 2"),
    BenchConfig("E3", "dequeue", "push push push push pop pop | tail tail | tail tail | tail tail", Params(size=4),
                120, "--size 4"),
    BenchConfig("E4", "dequeue", "push push push pop | tail tail | tail tail",
                Params(size=2, dequeue_bits=32, start_index=(1 << 32) - 1), 10,
                "--size 2 --bits 32 --start-index 4294967295"),
    BenchConfig("E5", "chain", "push push push push pop | tail tail | tail tail", Params(init_size=1, dequeue_limit=4),
                None, "--init-size 1 --limit 4"),
    BenchConfig("E6", "pool", "put get | put get | gc", Params(gomaxprocs=2), 10, "--procs 2"),
)


def by_name(name: str) -> BenchConfig:
    for c in BENCH_CONFIGS:
        if c.name == name:
            return c
    raise KeyError(f"no bench configuration {name!r}: use one of {', '.join(c.name for c in BENCH_CONFIGS)}")


@dataclass
class BenchRow:
    config: str
    reduction: bool
    states: int
    transitions: int
    max_depth: int
    seconds: float
    cpu_seconds: float
    verdict: str
    complete: bool
    target_seconds: float | None
    command: str

    @property
    def states_per_second(self) -> float:
        """States per CPU second: the machine is shared, so wall time overstates the cost."""
        return self.states / self.cpu_seconds if self.cpu_seconds > 0 else 0.0

    @property
    def within_target(self) -> bool | None:
        if self.target_seconds is None:
            return None
        return self.seconds <= self.target_seconds

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config, "reduction": self.reduction, "states": self.states,
                "transitions": self.transitions, "max_depth": self.max_depth, "seconds": round(self.seconds, 3),
                "cpu_seconds": round(self.cpu_seconds, 3), "states_per_second": round(self.states_per_second),
                "verdict": self.verdict, "complete": self.complete, "target_seconds": self.target_seconds,
                "within_target": self.within_target, "command": self.command}


def bench(configs: Sequence[BenchConfig] = BENCH_CONFIGS, *, model: type[Model] = Model,
          without_reduction: Iterable[str] = ("E1", "E2"),
          on_row: Callable[[BenchRow], None] | None = None,
          progress: Callable[[dict[str, Any]], None] | None = None) -> list[BenchRow]:
    """Run each configuration with the reduction on, and those named in ``without_reduction`` also off."""
    from proofs.explore import explore  # here: proofs.explore re-exports this module's names

    off = set(without_reduction)
    rows: list[BenchRow] = []
    for c in configs:
        for reduction in (True, False) if c.name in off else (True,):
            cpu0 = time.process_time()
            res = explore(c.target, c.scenario, c.params, model, reduction=reduction, progress=progress)
            cpu = time.process_time() - cpu0
            row = BenchRow(c.name, reduction, res.states, res.transitions, res.max_depth, res.seconds, cpu,
                           res.verdict, res.complete, c.target_seconds if reduction else None,
                           c.command(reduction))
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return rows
