"""The explorer's benchmark: configurations E1..E6 (issue 3) and G1, G2 (goals) as data, and ``bench()``.

This is the one list the campaign's explore stage reads (poolcheck/campaign.py):
every configuration states the reachability goals it reaches on the reference
(``goals``, proofs/explore/goals.py), and E4, G1 and G2 between them reach
every goal of every target (tests/test_goals_configs.py checks both).

Each configuration states the issue's time target on the reference 2-core
machine (E1, E2, E4, E6: 10 s; E3: complete within 2 minutes; E5: none).
``bench`` runs them with the reduction on (and, for the small ones, off as
well, to show what the reduction saves) and reports states, transitions,
wall and CPU seconds and states per CPU second; ``poolcheck bench`` prints
the table and the JSON.

``ladder`` runs configurations (E1..E6 and the larger rungs of ``LADDER``)
each in a fresh process, once per number of worker processes (``--jobs 1``
against ``--jobs N``), and adds CPU seconds of every process and peak
memory: ``poolcheck bench --ladder``.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from model.params import Params
from model.variants import Model

__all__ = ["BenchConfig", "BenchRow", "BENCH_CONFIGS", "LADDER", "LadderRow", "bench", "bench_job", "by_name", "ladder",
           "run_rung"]


_DEQUEUE_RACES = ("push-full", "push-typ-not-nil", "poptail-cas-fails", "pophead-cas-fails")


@dataclass(frozen=True)
class BenchConfig:
    name: str
    target: str
    scenario: str
    params: Params
    target_seconds: float | None  # the time target for this configuration (reduction on), if any
    options: str             # the poolcheck explore options that give ``params``
    goals: tuple[str, ...] = ()  # the goals declared (and reached on the reference), in catalog order

    def command(self, reduction: bool = True) -> str:
        off = " --no-reduction" if not reduction else ""
        return f'poolcheck explore {self.target} "{self.scenario}" {self.options}{off}'.replace("  ", " ").strip()


BENCH_CONFIGS: tuple[BenchConfig, ...] = (
    BenchConfig("E1", "dequeue", "push push pop | tail tail", Params(size=2), 10, "--size 2",
                ("poptail-cas-fails", "pophead-cas-fails")),
    BenchConfig("E2", "dequeue", "push push push pop | tail tail | tail tail", Params(size=2), 10, "--size 2",
                _DEQUEUE_RACES),
    BenchConfig("E3", "dequeue", "push push push push pop pop | tail tail | tail tail | tail tail", Params(size=4),
                120, "--size 4", ("poptail-cas-fails", "pophead-cas-fails")),
    BenchConfig("E4", "dequeue", "push push push pop | tail tail | tail tail",
                Params(size=2, dequeue_bits=32, start_index=(1 << 32) - 1), 10,
                "--size 2 --bits 32 --start-index 4294967295", _DEQUEUE_RACES + ("index-wraps",)),
    BenchConfig("E5", "chain", "push push push push pop | tail tail | tail tail", Params(init_size=1, dequeue_limit=4),
                None, "--init-size 1 --limit 4", ("chain-grows", "poptail-drops-drained", "chain-poptail-cas-fails")),
    BenchConfig("E6", "pool", "put get | put get | gc", Params(gomaxprocs=2), 10, "--procs 2",
                ("pinslow-allocates", "pinslow-contends", "stale-localsize", "victim-hit")),
    # Every chain goal: growth up to the cap and past it, popHead backing up, drained dequeues dropped.
    BenchConfig("G1", "chain", "push push push push pop pop | tail tail", Params(init_size=1, dequeue_limit=2), 10,
                "--init-size 1 --limit 2",
                ("chain-grows", "chain-limit", "chain-backs-up", "poptail-drops-drained", "chain-poptail-cas-fails")),
    # Every pool goal: first use and contention in pinSlow, a GOMAXPROCS change, stealing, both victim tiers.
    BenchConfig("G2", "pool", "put put gc get get | procs=2 get", Params(gomaxprocs=1), 10, "--procs 1",
                ("pinslow-allocates", "pinslow-contends", "stale-localsize", "gomaxprocs-change", "steal",
                 "victim-hit", "victim-tail-hit", "victim-empty")),
)


_CHAIN = Params(init_size=1, dequeue_limit=4)
_CHAIN_OPTS = "--init-size 1 --limit 4"

LADDER: tuple[BenchConfig, ...] = (
    BenchConfig("E3+T", "dequeue", "push push push push pop pop | tail tail | tail tail | tail tail | tail tail",
                Params(size=4), None, "--size 4"),
    BenchConfig("E3x3", "dequeue", "push push push push pop pop | tail tail tail | tail tail tail | tail tail tail",
                Params(size=4), None, "--size 4"),
    BenchConfig("P5", "dequeue", "push push push push push pop pop | tail tail | tail tail | tail tail",
                Params(size=4), None, "--size 4"),
    BenchConfig("E5+T", "chain", "push push push push pop | tail tail | tail tail | tail tail", _CHAIN, 30,
                _CHAIN_OPTS),
    BenchConfig("E5+2T", "chain", "push push push push pop | tail tail | tail tail | tail tail | tail tail", _CHAIN,
                None, _CHAIN_OPTS),
    BenchConfig("E6+P", "pool", "put get | put get | put get | gc", Params(gomaxprocs=3), None, "--procs 3"),
)
"""The larger rungs of issue 14 (part 4): E3 with one more thief, E3 with three pops per thief, E3 with five
pushes, E5 with one and with two more thieves (the issue's target: E5+T under 30 s), E6 with three Ps."""


def bench_job(name: str, variant: str, without_reduction: bool, jobs: int, core: str) -> list[dict[str, Any]]:
    """One configuration's bench rows as plain data: the job poolcheck bench --config-jobs hands to a worker.

    CPU seconds are the worker's own (and its children's), so running configurations side by side changes the
    wall times but not the CPU figures the bench reports.
    """
    from model.variants import resolve

    c = by_name(name)
    rows = bench([c], model=resolve(variant), without_reduction=(name,) if without_reduction else (), jobs=jobs,
                 core=core)
    return [r.to_json() for r in rows]


def by_name(name: str) -> BenchConfig:
    for c in BENCH_CONFIGS + LADDER:
        if c.name == name:
            return c
    raise KeyError(f"no bench configuration {name!r}: use one of "
                   f"{', '.join(c.name for c in BENCH_CONFIGS + LADDER)}")


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

    @staticmethod
    def from_json(d: dict[str, Any]) -> BenchRow:
        return BenchRow(d["config"], bool(d["reduction"]), int(d["states"]), int(d["transitions"]),
                        int(d["max_depth"]), float(d["seconds"]), float(d["cpu_seconds"]), d["verdict"],
                        bool(d["complete"]), d.get("target_seconds"), d["command"])

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config, "reduction": self.reduction, "states": self.states,
                "transitions": self.transitions, "max_depth": self.max_depth, "seconds": round(self.seconds, 3),
                "cpu_seconds": round(self.cpu_seconds, 3), "states_per_second": round(self.states_per_second),
                "verdict": self.verdict, "complete": self.complete, "target_seconds": self.target_seconds,
                "within_target": self.within_target, "command": self.command}


def bench(configs: Sequence[BenchConfig] = BENCH_CONFIGS, *, model: type[Model] = Model,
          without_reduction: Iterable[str] = ("E1", "E2"),
          on_row: Callable[[BenchRow], None] | None = None,
          progress: Callable[[dict[str, Any]], None] | None = None, jobs: int = 1,
          core: str = "auto") -> list[BenchRow]:
    """Run each configuration with the reduction on, and those named in ``without_reduction`` also off.

    ``jobs`` > 1: each search over that many worker processes (proofs/explore/parallel.py). ``core``: the
    search loop of a one-process search (proofs/native: "auto", "native" or "python").
    """
    from proofs.explore import explore  # here: proofs.explore re-exports this module's names

    off = set(without_reduction)
    rows: list[BenchRow] = []
    for c in configs:
        for reduction in (True, False) if c.name in off else (True,):
            cpu0 = time.process_time()
            kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            res = explore(c.target, c.scenario, c.params, model, reduction=reduction, progress=progress, jobs=jobs,
                          core=core)
            kids = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = time.process_time() - cpu0 + (kids.ru_utime - kids0.ru_utime) + (kids.ru_stime - kids0.ru_stime)
            row = BenchRow(c.name, reduction, res.states, res.transitions, res.max_depth, res.seconds, cpu,
                           res.verdict, res.complete, c.target_seconds if reduction else None,
                           c.command(reduction))
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return rows


@dataclass
class LadderRow:
    """One configuration at one number of worker processes, run in a fresh process."""

    config: str
    jobs: int
    core: str                # the expansion: "native" (proofs/native) or "python"; --jobs N adds Python exchange
    states: int
    transitions: int
    max_depth: int
    verdict: str
    complete: bool
    seconds: float           # wall time of the explore call
    cpu_seconds: float       # CPU of the run's process and of its workers
    peak_mb: float           # peak resident set: the run's process + jobs x its largest worker (shared pages twice)
    target_seconds: float | None
    command: str

    @property
    def states_per_second(self) -> float:
        """States per CPU second (every process of the run)."""
        return self.states / self.cpu_seconds if self.cpu_seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config, "jobs": self.jobs, "core": self.core, "states": self.states,
                "transitions": self.transitions, "max_depth": self.max_depth, "verdict": self.verdict,
                "complete": self.complete, "seconds": round(self.seconds, 3), "cpu_seconds": round(self.cpu_seconds, 3),
                "peak_mb": round(self.peak_mb, 1), "states_per_second": round(self.states_per_second),
                "target_seconds": self.target_seconds, "command": self.command}


def run_rung(c: BenchConfig, jobs: int, model: type[Model] = Model) -> LadderRow:
    """Explore ``c`` with ``jobs`` worker processes in this process; measure CPU (workers included) and memory."""
    from proofs.explore import explore
    from proofs.native import select

    if jobs > 1:  # the workers expand with the compiled core when it is built (proofs/explore/parallel.py)
        from proofs.explore.parallel import _native_available
        core = "native" if _native_available() else "python"
    else:
        core = select("auto")
    self0 = time.process_time()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    res = explore(c.target, c.scenario, c.params, model, jobs=jobs)
    wall = time.monotonic() - t0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (time.process_time() - self0) + (kids.ru_utime - kids0.ru_utime) + (kids.ru_stime - kids0.ru_stime)
    # Linux ru_maxrss is in KiB; RUSAGE_CHILDREN gives the largest worker's peak, counted once per worker.
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + (kids.ru_maxrss * jobs if jobs > 1 else 0)
    opts = f" --jobs {jobs}" if jobs > 1 else " --jobs 1"
    return LadderRow(c.name, jobs, core, res.states, res.transitions, res.max_depth, res.verdict, res.complete, wall,
                     cpu, peak_kb / 1024.0, c.target_seconds, c.command() + opts)


def _rung_child(c: BenchConfig, jobs: int, model: type[Model], conn: Any) -> None:
    try:
        conn.send(("ok", run_rung(c, jobs, model)))
    except BaseException as e:  # sent to the parent, which raises it
        conn.send(("error", f"{type(e).__name__}: {e}"))


def ladder(configs: Sequence[BenchConfig], jobs: Sequence[int] = (1, 2), *, model: type[Model] = Model,
           on_row: Callable[[LadderRow], None] | None = None) -> list[LadderRow]:
    """Each configuration at each number of worker processes, each run in a fresh forked process.

    A fresh process per run makes the peak memory that run's own (the
    bench's earlier runs do not raise it) and its CPU seconds count its
    workers too.
    """
    ctx = mp.get_context("fork")
    rows: list[LadderRow] = []
    for c in configs:
        for j in jobs:
            mine, theirs = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_rung_child, args=(c, j, model, theirs))
            p.start()
            theirs.close()
            try:
                kind, payload = mine.recv()
            except EOFError:
                kind, payload = "error", "the run's process died (out of memory?)"
            p.join()
            if kind != "ok":
                raise RuntimeError(f"{c.name} --jobs {j}: {payload}")
            rows.append(payload)
            if on_row is not None:
                on_row(payload)
    return rows
